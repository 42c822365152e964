package live

import (
	"slices"
	"testing"
	"time"

	"github.com/opsroom/opsroom/internal/access"
)

func TestParsePos(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want Pos
		ok   bool
	}{
		{"12", Pos{12, 0}, true},
		{"12.3", Pos{12, 3}, true},
		{" 7 ", Pos{7, 0}, true},
		{"", Pos{}, false},
		{"x", Pos{}, false},
		{"-1", Pos{}, false},
		{"1.x", Pos{}, false},
		{"1.-2", Pos{}, false},
		{"1.2.3", Pos{}, false},
	} {
		got, err := ParsePos(tc.in)
		if (err == nil) != tc.ok || (tc.ok && got != tc.want) {
			t.Errorf("ParsePos(%q) = %v, %v; want %v ok %v", tc.in, got, err, tc.want, tc.ok)
		}
		if tc.ok && got.String() != trim(tc.in) {
			t.Errorf("%v.String() = %q", got, got.String())
		}
	}
}

func trim(s string) string {
	for len(s) > 0 && s[0] == ' ' {
		s = s[1:]
	}
	for len(s) > 0 && s[len(s)-1] == ' ' {
		s = s[:len(s)-1]
	}
	return s
}

var viewer = access.Viewer{MemberID: "m", PartnerID: "p", Rooms: map[string]bool{"r": true}}

func change(seq int64) Change {
	return Change{Seq: seq, RoomID: "r", Kind: "note", ItemID: "i", Op: "update", Marking: access.Marking{TLP: access.Green}}
}

func ids(cs []Change) []string {
	var out []string
	for _, c := range cs {
		out = append(out, c.Pos().String())
	}
	return out
}

// TestRetention checks what a resuming subscriber gets back as the ring
// drops changes by count and by age, after SetFloor, and inside a batch
// of changes sharing one seq.
func TestRetention(t *testing.T) {
	now := time.Unix(1000, 0)
	b := NewBus()
	b.now = func() time.Time { return now }
	b.Retain(3, time.Hour)
	b.SetFloor(10)
	for _, s := range []int64{11, 12, 12, 12, 14} {
		b.Publish(change(s))
	}
	// Kept: 12.1, 12.2, 14 (11 and 12 dropped by count).
	for _, tc := range []struct {
		after     Pos
		reset     bool
		replay    []string
		advanceBy time.Duration
	}{
		{after: Pos{9, 0}, reset: true},
		{after: Pos{11, 0}, reset: true},
		{after: Pos{12, 0}, replay: []string{"12.1", "12.2", "14"}},
		{after: Pos{12, 1}, replay: []string{"12.2", "14"}},
		{after: Pos{14, 0}, replay: nil},
		{after: Pos{12, 2}, advanceBy: 2 * time.Hour, reset: true}, // everything aged out
		{after: Pos{14, 0}, replay: nil},
	} {
		now = now.Add(tc.advanceBy)
		after := tc.after
		s, res := b.SubscribeFrom("r", viewer, 8, &after)
		if res.Reset != tc.reset || !slices.Equal(ids(res.Replay), tc.replay) {
			t.Errorf("after %v: reset %v replay %v; want reset %v replay %v", tc.after, res.Reset, ids(res.Replay), tc.reset, tc.replay)
		}
		if res.Head != (Pos{14, 0}) {
			t.Errorf("after %v: head %v", tc.after, res.Head)
		}
		s.Close()
	}
	if b.Stats().Subscribers != 0 {
		t.Errorf("subscribers left: %d", b.Stats().Subscribers)
	}
}

// TestLaggedAndInvisible: a full queue ends the subscription as lagged
// and counts it; changes a viewer may not see never enter its queue.
func TestLaggedAndInvisible(t *testing.T) {
	b := NewBus()
	full := b.Subscribe("r", viewer, 2)
	other := access.Viewer{MemberID: "o", PartnerID: "q", Rooms: map[string]bool{"r": true}}
	picky := b.Subscribe("r", other, 2)
	for s := int64(1); s <= 3; s++ {
		c := change(s)
		c.Marking.ReleasableTo = []string{"p"}
		b.Publish(c)
	}
	if !full.Lagged() || full.Reason() != EndLagged || b.Stats().Lagged != 1 {
		t.Errorf("lagged %v reason %q count %d", full.Lagged(), full.Reason(), b.Stats().Lagged)
	}
	if len(picky.C) != 0 || picky.Reason() != "" {
		t.Errorf("the other partner's queue holds %d, reason %q", len(picky.C), picky.Reason())
	}
	if n := b.EndMember("r", "o"); n != 1 || picky.Reason() != EndRemoved || b.Stats().Removed != 1 {
		t.Errorf("EndMember ended %d, reason %q", n, picky.Reason())
	}
	if _, ok := <-picky.C; ok {
		t.Error("an ended subscription's channel stays open")
	}
}

// TestObserve: an observer sees every delivered change, including one no
// subscriber may see, before subscribers get it; after stop, nothing.
func TestObserve(t *testing.T) {
	b := NewBus()
	v := access.Viewer{MemberID: "m", PartnerID: "p", Rooms: map[string]bool{"r": true}}
	sub := b.Subscribe("r", v, 8)
	var seen []int64
	stop := b.Observe(func(c Change) {
		if len(sub.C) != 0 {
			t.Errorf("change %d reached a subscriber before the observer", c.Seq)
		}
		seen = append(seen, c.Seq)
	})
	b.Publish(Change{Seq: 1, RoomID: "r", Marking: access.Marking{TLP: access.Green}})
	<-sub.C
	b.Publish(Change{Seq: 2, RoomID: "r", Marking: access.Marking{TLP: access.Amber, ReleasableTo: []string{"other"}}})
	b.Publish(Change{Seq: 3, RoomID: "elsewhere", Marking: access.Marking{TLP: access.Green}})
	stop()
	b.Publish(Change{Seq: 4, RoomID: "r", Marking: access.Marking{TLP: access.Green}})
	if !slices.Equal(seen, []int64{1, 2, 3}) {
		t.Errorf("observer saw %v, want [1 2 3]", seen)
	}
	if len(sub.C) != 1 {
		t.Errorf("subscriber holds %d changes, want 1 (the last)", len(sub.C))
	}
}

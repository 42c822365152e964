package tak

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/opsroom/opsroom/internal/cot"
	"github.com/opsroom/opsroom/internal/geo"
	"github.com/opsroom/opsroom/internal/item"
	"github.com/opsroom/opsroom/internal/picture"
	"github.com/opsroom/opsroom/internal/store"
	"github.com/opsroom/opsroom/internal/store/storetest"
)

// TestNeedToKnow: devices of two partners in one room each receive
// exactly the subset of the room's picture their member may see, in CoT
// XML and in TAK protocol v1, whether it comes from another device or
// from the web, and with the marking in the event's attributes.
func TestNeedToKnow(t *testing.T) {
	for _, tc := range []struct {
		name  string
		proto bool
	}{{"xml", false}, {"protobuf", true}} {
		t.Run(tc.name, func(t *testing.T) {
			storetest.Each(t, func(t *testing.T, db *store.DB) {
				testNeedToKnow(t, newWorld(t, db), tc.proto)
			})
		})
	}
}

func testNeedToKnow(t *testing.T, w *world, proto bool) {
	s := w.server(t, Config{})
	sender := newDevice(t, w.attach(t, s, "a1"))
	a2 := newDevice(t, w.attach(t, s, "a2"))
	b1 := newDevice(t, w.attach(t, s, "b1"))
	c1 := newDevice(t, w.attach(t, s, "c1"))
	if proto {
		a2.upgrade()
		b1.upgrade()
		c1.upgrade()
		sender.upgrade()
	}
	waitFor(t, func() bool { return s.Metrics().ConnsOpen.Load() == 4 }) // every device has joined

	green := posEvent("a1-green", "A1", 33.5, 36.3)
	onlyAA := posEvent("a1-aa", "A1 own", 33.6, 36.4)
	onlyAA.ReleaseableTo = "AA"
	aaBB := posEvent("a1-aabb", "A1 to BB", 33.7, 36.5)
	aaBB.Access, aaBB.ReleaseableTo = "TLP:AMBER", "AA,BB"
	red := posEvent("a1-red", "refused", 33.8, 36.6)
	red.Access = "TLP:RED" // CoT cannot name recipients: refused
	for _, ev := range []*cot.Event{green, onlyAA, aaBB, red} {
		sender.send(ev)
	}
	w.addSite(t, "b1", "bb site", 33.1, 36.1, item.Marking{TLP: "AMBER", ReleasableTo: []string{"BB"}})
	w.addSite(t, "a1", "green site", 33.2, 36.2, item.Marking{})

	keys := func(m map[string]*cot.Event) []string {
		var out []string
		for k := range m {
			if len(k) > 8 && k[:8] == "opsroom-" {
				out = append(out, "site")
				continue
			}
			out = append(out, k)
		}
		slices.Sort(out)
		return out
	}
	for _, tc := range []struct {
		dev  *device
		want []string
	}{
		{a2, []string{"a1-aa", "a1-aabb", "a1-green", "site"}},
		{b1, []string{"a1-aabb", "a1-green", "site", "site"}},
		{c1, []string{"a1-green", "site"}},
	} {
		got := tc.dev.collect(len(tc.want), 300*time.Millisecond)
		if k := keys(got); !slices.Equal(k, tc.want) {
			t.Errorf("device received %v, want %v", k, tc.want)
		}
		if ev := got["a1-aabb"]; ev != nil && (ev.Access != "TLP:AMBER" || ev.ReleaseableTo != "AA,BB") {
			t.Errorf("marking on the way out: access %q releaseableTo %q", ev.Access, ev.ReleaseableTo)
		}
	}
	if n := s.Metrics().Refused.Load(); n != 1 {
		t.Errorf("refused = %d, want 1 (the TLP:RED event)", n)
	}

	// Positions are stored as the member's tracks, in one batch per
	// interval, and only what a viewer may see is read back.
	waitFor(t, func() bool { return s.Metrics().PositionsSaved.Load() == 3 })
	var n int
	if err := store.Scan(w.db.QueryRow(context.Background(), `SELECT COUNT(*) FROM track_positions`), &n); err != nil || n != 3 {
		t.Errorf("track_positions = %d (%v), want 3", n, err)
	}
	verifyAudit(t, w.db)

	// A device that joins later gets the picture as its member may see it.
	late := newDevice(t, w.attach(t, s, "c1"))
	if proto {
		late.upgrade()
	}
	got := late.collect(2, 300*time.Millisecond)
	if k := keys(got); !slices.Equal(k, []string{"a1-green", "site"}) {
		t.Errorf("late device's picture: %v", k)
	}
}

func waitFor(t testing.TB, cond func() bool) {
	t.Helper()
	for range 300 {
		if cond() {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatal("condition not met within 3 s")
}

// TestJoinBeforeStored: a device joining between another's report and the
// batch that stores it still gets that report (held by the relay, not yet
// in the database), and only if its member may see it.
func TestJoinBeforeStored(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		s := w.server(t, Config{BatchInterval: time.Hour})
		sender := newDevice(t, w.attach(t, s, "a1"))
		waitFor(t, func() bool { return s.Metrics().ConnsOpen.Load() == 1 })
		green := posEvent("a1-green", "A1", 33.5, 36.3)
		onlyAA := posEvent("a1-aa", "A1 own", 33.6, 36.4)
		onlyAA.ReleaseableTo = "AA"
		sender.send(green)
		sender.send(onlyAA)
		waitFor(t, func() bool { return s.Metrics().PositionsIn.Load() == 2 })
		if n := s.Metrics().PositionsSaved.Load(); n != 0 {
			t.Fatalf("%d positions stored already: the test needs them pending", n)
		}
		for _, tc := range []struct {
			user string
			want []string
		}{{"a2", []string{"a1-aa", "a1-green"}}, {"b1", []string{"a1-green"}}} {
			got := newDevice(t, w.attach(t, s, tc.user)).collect(len(tc.want), 300*time.Millisecond)
			var uids []string
			for uid := range got {
				uids = append(uids, uid)
			}
			slices.Sort(uids)
			if !slices.Equal(uids, tc.want) {
				t.Errorf("%s joined and received %v, want %v", tc.user, uids, tc.want)
			}
		}
	})
}

// TestPositionsInThePicture: positions a device reports are stored as its
// member's track through the picture's own writer, so the picture's space
// and time queries find them (and only for those who may see the track).
func TestPositionsInThePicture(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		s := w.server(t, Config{})
		dev := newDevice(t, w.attach(t, s, "a1"))
		green := posEvent("a1-green", "A1", 33.5, 36.3)
		onlyAA := posEvent("a1-aa", "A1 own", 33.6, 36.4)
		onlyAA.ReleaseableTo = "AA"
		dev.send(green)
		dev.send(onlyAA)
		waitFor(t, func() bool { return s.Metrics().PositionsSaved.Load() == 2 })
		pics := picture.NewService(db, w.rooms, w.bus)
		ctx := context.Background()
		at := green.Time
		for _, tc := range []struct {
			user string
			want []string
		}{{"a2", []string{"A1", "A1 own"}}, {"b1", []string{"A1"}}} {
			p, err := w.members.AsMember(ctx, tc.user, "test")
			if err != nil {
				t.Fatal(err)
			}
			pic, err := pics.Picture(ctx, p, "ops", picture.Query{BBox: &geo.BBox{MinLon: 36, MinLat: 33, MaxLon: 37, MaxLat: 34},
				From: at.Add(-time.Minute), To: at.Add(time.Minute)})
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, tr := range pic.Tracks {
				if len(tr.Positions) != 1 {
					t.Errorf("%s: track %q has %d positions in the window, want 1", tc.user, tr.Title, len(tr.Positions))
				}
				got = append(got, tr.Title)
			}
			slices.Sort(got)
			if !slices.Equal(got, tc.want) {
				t.Errorf("%s sees tracks %v in the box and window, want %v", tc.user, got, tc.want)
			}
		}
	})
}

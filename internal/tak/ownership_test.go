package tak

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/opsroom/opsroom/internal/cot"
	"github.com/opsroom/opsroom/internal/item"
	"github.com/opsroom/opsroom/internal/picture"
	"github.com/opsroom/opsroom/internal/store"
	"github.com/opsroom/opsroom/internal/store/storetest"
)

// until reads what d receives until an event with uid sentinel arrives,
// and returns everything before it. Events from one device reach another
// in the order they were sent, so what a sentinel sent last has not
// overtaken was never relayed.
func (d *device) ready() *device {
	d.t.Helper()
	d.nc.SetReadDeadline(time.Now().Add(10 * time.Second))
	ev, err := d.dec.Decode()
	if err != nil || ev.Type != cot.TypeProtocolOffer {
		d.t.Fatalf("joining: %v %v", ev, err)
	}
	return d
}

// until reads what d receives until an event with uid sentinel arrives,
// and returns everything before it. Events from one device reach another
// in the order they were sent, so what a sentinel sent last has not
// overtaken was never relayed. (No read here times out short of failing:
// the decoder does not recover from a timeout.)
func (d *device) until(sentinel string) []*cot.Event {
	d.t.Helper()
	var got []*cot.Event
	for {
		ev := d.next(10 * time.Second)
		if ev == nil {
			d.t.Fatalf("%s never arrived; received %v", sentinel, uids(got))
		}
		if ev.UID == sentinel {
			return got
		}
		got = append(got, ev)
	}
}

func markerEvent(uid, callsign string, lat, lon float64) *cot.Event {
	ev := posEvent(uid, callsign, lat, lon)
	ev.Type, ev.How, ev.Detail.Track = "b-m-p-s-m", "h-g-i-g-o", nil
	return ev
}

// chatEvent is a GeoChat message as ATAK sends it, addressed with
// <marti><dest> when dest is given.
func chatEvent(uid, text string, dest ...cot.Dest) *cot.Event {
	ev := posEvent(uid, "", 33.5, 36.3)
	ev.Type, ev.How = "b-t-f", "h-g-i-g-o"
	var marti string
	for _, d := range dest {
		if d.Callsign != "" {
			marti += `<dest callsign="` + d.Callsign + `"/>`
		}
		if d.UID != "" {
			marti += `<dest uid="` + d.UID + `"/>`
		}
	}
	if marti != "" {
		marti = "<marti>" + marti + "</marti>"
	}
	ev.Detail = cot.Detail{Raw: `<__chat parent="RootContactGroup" groupOwner="false" messageId="` + uid + `" chatroom="All Chat Rooms" id="All Chat Rooms" senderCallsign="c1">` +
		`<chatgrp uid0="c1-dev" uid1="All Chat Rooms" id="All Chat Rooms"/></__chat><link uid="c1-dev" type="a-f-G-U-C" relation="p-p"/>` +
		`<remarks source="BAO.F.ATAK.c1-dev">` + text + `</remarks>` + marti}
	return ev
}

func uids(evs []*cot.Event) []string {
	var out []string
	for _, ev := range evs {
		out = append(out, ev.UID)
	}
	return out
}

// TestUIDSpoofRefusedBeforeRelay: a device of partner BB sending events
// under partner AA's uids (AA's device's track, opsroom-<AA's site>, the
// marker AA's device placed) has them refused before they are relayed:
// no other device receives them, not even one joining later, each is
// counted with its reason, and nothing AA owns changes in storage.
func TestUIDSpoofRefusedBeforeRelay(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		s := w.server(t, Config{})
		ctx := context.Background()
		a1 := newDevice(t, w.attach(t, s, "a1")).ready()
		a1.send(posEvent("a1-dev", "A1", 33.5, 36.3))
		a1.send(markerEvent("a1-marker", "AA marker", 33.4, 36.2))
		siteID := w.addSite(t, "a1", "AA site", 33.2, 36.2, item.Marking{})
		waitFor(t, func() bool { return s.Metrics().PositionsSaved.Load() == 1 && s.Metrics().ItemsWritten.Load() == 1 })

		b1 := newDevice(t, w.attach(t, s, "b1")).ready()
		c1 := newDevice(t, w.attach(t, s, "c1")).ready()
		a2 := newDevice(t, w.attach(t, s, "a2")).ready()
		waitFor(t, func() bool { return s.Metrics().ConnsOpen.Load() == 4 })
		a1.send(posEvent("a1-s0", "A1", 33.5, 36.3))
		for _, d := range []*device{c1, a2} {
			d.until("a1-s0") // the picture on joining
		}

		spoofTrack := posEvent("a1-dev", "A1", 10, 10)
		spoofSite := markerEvent("opsroom-"+siteID, "AA site", 10, 10)
		spoofSiteMove := posEvent("opsroom-"+siteID, "AA site", 10, 10)
		spoofMarker := markerEvent("a1-marker", "AA marker", 10, 10)
		spoofUnknown := markerEvent("opsroom-0000", "nothing", 10, 10)
		for _, ev := range []*cot.Event{spoofTrack, spoofSite, spoofSiteMove, spoofMarker, spoofUnknown} {
			b1.send(ev)
		}
		b1.send(posEvent("b1-dev", "B1", 33.6, 36.4)) // the sentinel: BB's own uid
		for name, d := range map[string]*device{"c1": c1, "a2": a2} {
			if got := d.until("b1-dev"); len(got) > 0 {
				t.Errorf("%s received %v relayed from BB's device", name, uids(got))
			}
		}
		m := s.Metrics()
		for reason, want := range map[string]int64{"track": 1, "site": 2, "item": 1, "unknown_item": 1, "marking": 0} {
			if got := m.RefusedFor(reason); got != want {
				t.Errorf("refused for %s = %d, want %d", reason, got, want)
			}
		}
		if m.Refused.Load() != 5 {
			t.Errorf("refused = %d, want 5", m.Refused.Load())
		}

		// Storage is unchanged: AA's track has its one position, AA's
		// site and marker their first version.
		waitFor(t, func() bool { return m.PositionsSaved.Load() == 3 })
		p, err := w.members.AsMember(ctx, "a1", "test")
		if err != nil {
			t.Fatal(err)
		}
		pics := picture.NewService(db, w.rooms, w.bus)
		tr, err := picture.TrackByUID(ctx, db, w.room.ID, "a1-dev")
		if err != nil {
			t.Fatal(err)
		}
		h, err := pics.TrackHistory(ctx, p, tr.ItemID, picture.HistoryQuery{})
		if err != nil {
			t.Fatal(err)
		}
		if len(h.Positions) != 1 || h.Positions[0].Lat != 33.5 {
			t.Errorf("AA's track has positions %+v, want its own one at lat 33.5", h.Positions)
		}
		if own, err := item.LoadOwnership(ctx, db, siteID); err != nil || own.Version != 1 {
			t.Errorf("AA's site: version %d (%v), want 1", own.Version, err)
		}
		for _, uid := range []string{"opsroom-" + siteID, "opsroom-0000"} {
			if _, err := takItem(ctx, db, w.room.ID, uid); err == nil {
				t.Errorf("an item was stored under %s", uid)
			}
			if _, err := picture.TrackByUID(ctx, db, w.room.ID, uid); err == nil {
				t.Errorf("a track was stored under %s", uid)
			}
		}
		id, err := takItem(ctx, db, w.room.ID, "a1-marker")
		if err != nil {
			t.Fatal(err)
		}
		if own, err := item.LoadOwnership(ctx, db, id); err != nil || own.Version != 1 {
			t.Errorf("AA's marker: version %d (%v), want 1", own.Version, err)
		}

		// A device joining now gets AA's objects where AA put them.
		late := newDevice(t, w.attach(t, s, "c1"))
		got := late.collect(5, 300*time.Millisecond)
		for _, uid := range []string{"a1-dev", "a1-marker", "opsroom-" + siteID} {
			if ev := got[uid]; ev == nil || ev.Point.Lat == 10 {
				t.Errorf("late device: %s is %+v, want AA's", uid, ev)
			}
		}
		verifyAudit(t, db)
	})
}

// TestUIDClaims: a uid is its first user's partner's from the moment its
// event is checked, before it is stored (a position waiting for its
// batch) and for an event that is only relayed (until its stale time).
func TestUIDClaims(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		s := w.server(t, Config{BatchInterval: time.Hour})
		a1 := newDevice(t, w.attach(t, s, "a1")).ready()
		b1 := newDevice(t, w.attach(t, s, "b1")).ready()
		c1 := newDevice(t, w.attach(t, s, "c1")).ready()
		waitFor(t, func() bool { return s.Metrics().ConnsOpen.Load() == 3 })

		alert := posEvent("a1-alert", "911", 33.5, 36.3)
		alert.Type, alert.How = "b-a-o-tbl", "h-e" // relayed, never stored
		a1.send(posEvent("a1-new", "A1", 33.5, 36.3))
		a1.send(alert)
		a1.send(posEvent("a1-sentinel", "A1", 33.5, 36.3))
		if got := uids(c1.until("a1-sentinel")); !slices.Equal(got, []string{"a1-new", "a1-alert"}) {
			t.Fatalf("c1 received %v from AA's device", got)
		}
		if n := s.Metrics().PositionsSaved.Load(); n != 0 {
			t.Fatalf("%d positions stored already: the test needs them pending", n)
		}
		b1.send(posEvent("a1-new", "B1", 10, 10))
		spoof := posEvent("a1-alert", "911", 10, 10)
		spoof.Type, spoof.How = "b-a-o-tbl", "h-e"
		b1.send(spoof)
		b1.send(posEvent("b1-dev", "B1", 33.6, 36.4))
		if got := c1.until("b1-dev"); len(got) > 0 {
			t.Errorf("c1 received %v from BB's device", uids(got))
		}
		if r, u := s.Metrics().RefusedFor("track"), s.Metrics().RefusedFor("relayed_uid"); r != 1 || u != 1 {
			t.Errorf("refused for track %d, relayed_uid %d; want 1 and 1", r, u)
		}
	})
}

// TestUIDOwnerForgottenOnRename: when a track is given another uid
// through the API, what the listeners know of both uids is forgotten: the
// old uid is free for another partner, the new one is the track owner's.
func TestUIDOwnerForgottenOnRename(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		s := w.server(t, Config{})
		ctx := context.Background()
		pics := picture.NewService(db, w.rooms, w.bus)
		p, err := w.members.AsMember(ctx, "a1", "test")
		if err != nil {
			t.Fatal(err)
		}
		tr, err := pics.CreateTrack(ctx, p, "ops", picture.TrackInput{Title: "AA unit", UID: "unit-1", Type: "a-f-G"})
		if err != nil {
			t.Fatal(err)
		}
		b1 := newDevice(t, w.attach(t, s, "b1")).ready()
		c1 := newDevice(t, w.attach(t, s, "c1")).ready()
		waitFor(t, func() bool { return s.Metrics().ConnsOpen.Load() == 2 })
		b1.send(posEvent("unit-1", "B1", 10, 10)) // AA's: refused, and its owner cached
		b1.send(posEvent("b1-s1", "B1", 33.6, 36.4))
		if got := c1.until("b1-s1"); len(got) > 0 {
			t.Fatalf("c1 received %v", uids(got))
		}
		if _, err := pics.UpdateTrack(ctx, p, tr.ID, picture.TrackInput{Title: "AA unit", UID: "unit-2", Type: "a-f-G", Version: 1}); err != nil {
			t.Fatal(err)
		}
		b1.send(posEvent("unit-2", "B1", 10, 10)) // AA's now
		b1.send(posEvent("unit-1", "B1", 33.7, 36.5))
		b1.send(posEvent("b1-s2", "B1", 33.6, 36.4))
		if got := uids(c1.until("b1-s2")); !slices.Equal(got, []string{"unit-1"}) {
			t.Errorf("c1 received %v after the rename, want [unit-1] (free now, BB's)", got)
		}
		if r := s.Metrics().RefusedFor("track"); r != 2 {
			t.Errorf("refused for track = %d, want 2", r)
		}
	})
}

// TestAddressedChat: chat addressed to a member reaches that member's
// devices only, whatever callsign other devices report: by the member's
// username as callsign, or by the uid of the member's own device's track.
func TestAddressedChat(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		s := w.server(t, Config{})
		a1 := newDevice(t, w.attach(t, s, "a1")).ready()
		a2 := newDevice(t, w.attach(t, s, "a2")).ready()
		b1 := newDevice(t, w.attach(t, s, "b1")).ready()
		c1 := newDevice(t, w.attach(t, s, "c1")).ready()
		waitFor(t, func() bool { return s.Metrics().ConnsOpen.Load() == 4 })
		a1.send(posEvent("a1-dev", "a1", 33.5, 36.3))
		waitFor(t, func() bool { return s.Metrics().PositionsSaved.Load() == 1 })
		// Others report a1's callsign; a2 (a1's partner) even its uid.
		b1.send(posEvent("b1-dev", "a1", 33.6, 36.4))
		a2.send(posEvent("a1-dev", "a1", 33.7, 36.5))
		waitFor(t, func() bool { return s.Metrics().PositionsIn.Load() == 3 })

		c1.send(chatEvent("chat-to-a1", "for a1", cot.Dest{Callsign: "a1"}))
		c1.send(chatEvent("chat-to-a1-dev", "for a1's device", cot.Dest{UID: "a1-dev"}))
		c1.send(chatEvent("chat-to-A1", "for a1, any case", cot.Dest{Callsign: "A1"}))
		c1.send(chatEvent("chat-to-b1", "for b1", cot.Dest{Callsign: "b1"}))
		c1.send(chatEvent("chat-to-a2", "for a2", cot.Dest{Callsign: "a2"}))
		c1.send(chatEvent("chat-all", "for the room")) // the sentinel
		chats := func(evs []*cot.Event) []string {
			var out []string
			for _, ev := range evs {
				if ev.Type == "b-t-f" {
					out = append(out, ev.UID)
				}
			}
			return out
		}
		for _, tc := range []struct {
			name string
			d    *device
			want []string
		}{
			{"a1", a1, []string{"chat-to-a1", "chat-to-a1-dev", "chat-to-A1"}},
			{"b1, reporting a1's callsign,", b1, []string{"chat-to-b1"}},
			{"a2, reporting a1's callsign and uid,", a2, []string{"chat-to-a2"}},
		} {
			if got := chats(tc.d.until("chat-all")); !slices.Equal(got, tc.want) {
				t.Errorf("%s received chats %v, want %v", tc.name, got, tc.want)
			}
		}
		waitFor(t, func() bool { return s.Metrics().ItemsWritten.Load() == 1 })
		if n := s.Metrics().ItemsWritten.Load(); n != 1 {
			t.Errorf("%d chats stored, want only the room's", n)
		}
	})
}

package tak

import (
	"context"
	"errors"
	"io"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/opsroom/opsroom/internal/cot"
	"github.com/opsroom/opsroom/internal/store"
	"github.com/opsroom/opsroom/internal/store/storetest"
)

// TestHostileInput: each kind of bad input closes the connection with its
// own counter, and the server carries on serving the others.
func TestHostileInput(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		s := w.server(t, Config{MaxEventSize: 2 << 10, IdleTimeout: 300 * time.Millisecond})
		m := s.Metrics()
		for _, tc := range []struct {
			name    string
			input   func(d *device)
			counter *atomic.Int64
		}{
			{"oversized event", func(d *device) {
				d.nc.Write([]byte(`<event version="2.0" uid="x" type="a-f-G" how="m-g"><detail><remarks>` + strings.Repeat("z", 4<<10)))
			}, &m.ClosedTooLarge},
			{"malformed XML", func(d *device) {
				d.nc.Write([]byte(`<event version="2.0" uid="x"><point lat="1"</event>`))
			}, &m.ClosedMalformed},
			{"bad protobuf", func(d *device) {
				d.upgrade()
				d.nc.Write(cot.AppendStreamFrame(nil, []byte{0x12, 0x05, 0xff, 0xff}))
			}, &m.ClosedMalformed},
			{"bad frame header", func(d *device) {
				d.upgrade()
				d.nc.Write([]byte{0x00, 0x01, 0x02})
			}, &m.ClosedMalformed},
			{"oversized frame", func(d *device) {
				d.upgrade()
				d.nc.Write(cot.AppendStreamFrame(nil, make([]byte, 3<<10)))
			}, &m.ClosedTooLarge},
			{"idle without ping", func(d *device) {}, &m.ClosedIdle},
			{"trickling one byte at a time", func(d *device) {
				for _, b := range []byte(`<event version="2.0" uid="slow" type="a-f-G"`) {
					if _, err := d.nc.Write([]byte{b}); err != nil {
						return
					}
					time.Sleep(20 * time.Millisecond)
				}
			}, &m.ClosedIdle},
		} {
			t.Run(tc.name, func(t *testing.T) {
				before := tc.counter.Load()
				d := newDevice(t, w.attach(t, s, "a1"))
				tc.input(d)
				d.nc.SetReadDeadline(time.Now().Add(5 * time.Second))
				// A clean end or a reset (the server closed with input unread)
				// both mean closed; a timeout does not.
				if _, err := io.Copy(io.Discard, d.nc); err != nil && !errors.Is(err, syscall.ECONNRESET) {
					t.Fatalf("connection not closed by the server: %v", err)
				}
				waitFor(t, func() bool { return tc.counter.Load() == before+1 })
			})
		}
		// The server still serves: a ping is answered.
		d := newDevice(t, w.attach(t, s, "b1"))
		d.send(&cot.Event{Version: "2.0", UID: "ping", Type: cot.TypePing, How: "m-g", Time: time.Now(), Start: time.Now(), Stale: time.Now().Add(time.Minute)})
		d.nc.SetReadDeadline(time.Now().Add(3 * time.Second))
		for {
			ev, err := d.dec.Decode()
			if err != nil {
				t.Fatalf("no pong: %v", err)
			}
			if ev.Type == cot.TypePong {
				break
			}
		}
	})
}

// TestLaggingDeviceIsDisconnected: a device whose queue is full is cut
// off and counted; nothing is skipped silently.
func TestLaggingDeviceIsDisconnected(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		s := w.server(t, Config{QueueSize: 4})
		sender := newDevice(t, w.attach(t, s, "a1"))
		stalled := w.attach(t, s, "b1") // never reads
		_ = stalled
		waitFor(t, func() bool { return s.Metrics().ConnsOpen.Load() == 2 })
		// Large events fill the socket buffers, then the queue.
		big := posEvent("big", "B", 1, 1)
		big.Detail.Remarks = &cot.Remarks{Text: strings.Repeat("x", 30<<10)}
		deadline := time.Now().Add(10 * time.Second)
		for s.Metrics().ClosedLagging.Load() == 0 && time.Now().Before(deadline) {
			sender.send(big)
		}
		if s.Metrics().ClosedLagging.Load() != 1 {
			t.Fatal("the stalled device was not disconnected as lagging")
		}
		// Its goroutines end and it leaves the room.
		waitFor(t, func() bool { return s.Metrics().ConnsOpen.Load() == 1 })
	})
}

// TestMarkersShapesChat: what a device draws becomes room items owned by
// its member's partner; the same uid updates the item, and another
// partner's device cannot take it over.
func TestMarkersShapesChat(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		s := w.server(t, Config{})
		a := newDevice(t, w.attach(t, s, "a1"))
		b := newDevice(t, w.attach(t, s, "b1"))
		now := time.UnixMilli(time.Now().UnixMilli()).UTC()
		ev := func(uid, typ, how, detail string) *cot.Event {
			ts := now.Format(time.RFC3339)
			e, err := cot.Parse([]byte(`<event version="2.0" uid="` + uid + `" type="` + typ + `" how="` + how + `" time="` + ts + `" start="` + ts +
				`" stale="` + now.Add(time.Hour).Format(time.RFC3339) + `"><point lat="33.5" lon="36.3" hae="0" ce="9999999" le="9999999"/><detail>` +
				detail + `</detail></event>`))
			if err != nil {
				t.Fatal(err)
			}
			return e
		}
		a.send(ev("m1", "b-m-p-s-m", "h-g-i-g-o", `<contact callsign="checkpoint"/>`))
		a.send(ev("s1", "u-d-f", "h-e", `<link point="33.5,36.3"/><link point="33.6,36.3"/><link point="33.6,36.4"/><link point="33.5,36.3"/>`))
		a.send(ev("chat1", "b-t-f", "h-g-i-g-o", `<__chat id="All Chat Rooms" chatroom="All Chat Rooms" senderCallsign="A1"/><remarks>hello room</remarks>`))
		waitFor(t, func() bool { return s.Metrics().ItemsWritten.Load() == 3 })
		a.send(ev("m1", "b-m-p-s-m", "h-g-i-g-o", `<contact callsign="checkpoint moved"/>`))
		waitFor(t, func() bool { return s.Metrics().ItemsWritten.Load() == 4 })
		b.send(ev("m1", "b-m-p-s-m", "h-g-i-g-o", `<contact callsign="taken over"/>`))
		waitFor(t, func() bool { return s.Metrics().Refused.Load() == 1 })

		ctx := context.Background()
		rows, err := w.db.Query(ctx, `SELECT i.kind, i.title, i.version, p.code FROM items i JOIN partners p ON p.id = i.owner_partner_id ORDER BY i.kind`)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var got []string
		for rows.Next() {
			var kind, title, code string
			var version int
			if err := rows.Scan(&kind, &title, &version, &code); err != nil {
				t.Fatal(err)
			}
			got = append(got, kind+"/"+title+"/"+code+"/"+string(rune('0'+version)))
		}
		want := []string{"chat/hello room/AA/1", "marker/checkpoint moved/AA/2", "shape/s1/AA/1"}
		if strings.Join(got, "|") != strings.Join(want, "|") {
			t.Errorf("items %v, want %v", got, want)
		}
		verifyAudit(t, w.db)
	})
}

// TestEncodedOncePerEncoding: one event to many devices is encoded once
// in each encoding in use.
func TestEncodedOncePerEncoding(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		s := w.server(t, Config{})
		sender := newDevice(t, w.attach(t, s, "a1"))
		var devs []*device
		for i := range 6 {
			d := newDevice(t, w.attach(t, s, []string{"a2", "b1", "c1"}[i%3]))
			if i%2 == 1 {
				d.upgrade()
			}
			devs = append(devs, d)
		}
		waitFor(t, func() bool { return s.Metrics().ConnsOpen.Load() == 7 })
		// And been sent the greeting and the picture: wait until nothing
		// more is encoded for a while (a fixed pause is too short on a
		// loaded machine).
		for last := int64(-1); ; {
			time.Sleep(100 * time.Millisecond)
			n := s.Metrics().EncodedXML.Load() + s.Metrics().EncodedProto.Load()
			if n == last {
				break
			}
			last = n
		}
		x0, p0 := s.Metrics().EncodedXML.Load(), s.Metrics().EncodedProto.Load()
		sender.send(posEvent("once", "O", 2, 2))
		for _, d := range devs {
			if ev := d.next(3 * time.Second); ev == nil || ev.UID != "once" {
				t.Fatalf("device did not receive the event: %v", ev)
			}
		}
		if x, p := s.Metrics().EncodedXML.Load()-x0, s.Metrics().EncodedProto.Load()-p0; x != 1 || p != 1 {
			t.Errorf("encoded %d times as XML and %d as protobuf, want 1 and 1", x, p)
		}
	})
}

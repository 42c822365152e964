package tak

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/opsroom/opsroom/internal/access"
	"github.com/opsroom/opsroom/internal/account"
	"github.com/opsroom/opsroom/internal/audit"
	"github.com/opsroom/opsroom/internal/cot"
	"github.com/opsroom/opsroom/internal/item"
	"github.com/opsroom/opsroom/internal/live"
	"github.com/opsroom/opsroom/internal/room"
	"github.com/opsroom/opsroom/internal/store"
)

// world is a room "ops" with partners AA and BB and CC: devices a1, a2
// (AA), b1 (BB), c1 (CC).
type world struct {
	db      *store.DB
	members *account.Service
	rooms   *room.Service
	bus     *live.Bus
	room    room.Room
}

func newWorld(t testing.TB, db *store.DB) *world {
	t.Helper()
	ctx := context.Background()
	w := &world{db: db, members: account.NewService(db), rooms: room.NewService(db), bus: live.NewBus()}
	sys := access.System
	for _, code := range []string{"AA", "BB", "CC"} {
		if _, err := w.rooms.CreatePartner(ctx, sys, room.NewPartner{Code: code, Name: code, Kind: "agency"}); err != nil {
			t.Fatal(err)
		}
	}
	r, err := w.rooms.CreateRoom(ctx, sys, room.NewRoom{Slug: "ops", Name: "ops", Purpose: "test", CommandModel: room.Unspecified,
		DefaultTLP: "GREEN", Partners: []string{"AA", "BB", "CC"}})
	if err != nil {
		t.Fatal(err)
	}
	w.room = r
	for _, m := range []struct{ user, partner string }{{"a1", "AA"}, {"a2", "AA"}, {"b1", "BB"}, {"c1", "CC"}} {
		if _, err := w.members.CreateMember(ctx, sys, account.NewMember{Partner: m.partner, Username: m.user, Kind: access.Device}); err != nil {
			t.Fatal(err)
		}
		if err := w.rooms.SetMember(ctx, sys, "ops", m.user, room.RoleMember); err != nil {
			t.Fatal(err)
		}
	}
	return w
}

func quietLog() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// server starts a Server with no listeners of its own; devices are
// attached with attach.
func (w *world) server(t testing.TB, cfg Config) *Server {
	t.Helper()
	if cfg.BatchInterval == 0 {
		cfg.BatchInterval = 20 * time.Millisecond
	}
	s := New(cfg, w.db, w.members, w.rooms, w.bus, quietLog())
	if err := s.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// attach connects a device acting as user over a loopback TCP pair and
// returns the client's end.
func (w *world) attach(t testing.TB, s *Server, user string) net.Conn {
	t.Helper()
	id, err := s.resolve(context.Background(), user, "ops")
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	client, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	srv, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		s.run(srv, id, false, func() {})
	}()
	t.Cleanup(func() { client.Close() })
	return client
}

// device is a test TAK client.
type device struct {
	t     testing.TB
	nc    net.Conn
	dec   *cot.Decoder
	sr    *cot.StreamReader
	proto bool
	held  []*cot.Event // events read while negotiating, returned first by next
}

func newDevice(t testing.TB, nc net.Conn) *device {
	d := &device{t: t, nc: nc, dec: cot.NewDecoder(nc)}
	return d
}

// upgrade negotiates TAK protocol version 1.
func (d *device) upgrade() {
	d.t.Helper()
	d.send(cot.ProtocolRequest("neg-1", time.Now(), 1))
	for {
		ev, err := d.dec.Decode()
		if err != nil {
			d.t.Fatalf("negotiation: %v", err)
		}
		if ok, _ := cot.ResponseStatus(ev); ev.Type == cot.TypeProtocolResponse {
			if !ok {
				d.t.Fatal("protocol v1 refused")
			}
			break
		}
		if !strings.HasPrefix(ev.Type, "t-x-") {
			d.held = append(d.held, ev)
		}
	}
	d.proto = true
	d.sr = cot.NewStreamReader(io.MultiReader(d.dec.Buffered(), d.nc))
}

func (d *device) send(ev *cot.Event) {
	d.t.Helper()
	var b []byte
	if d.proto {
		b = cot.AppendStreamMessage(nil, &cot.Message{Event: ev})
	} else {
		b = ev.AppendXML(nil)
	}
	if _, err := d.nc.Write(b); err != nil {
		d.t.Fatalf("send: %v", err)
	}
}

// next returns the next event that is not a control event, or nil when
// nothing comes within wait.
func (d *device) next(wait time.Duration) *cot.Event {
	d.t.Helper()
	if len(d.held) > 0 {
		ev := d.held[0]
		d.held = d.held[1:]
		return ev
	}
	d.nc.SetReadDeadline(time.Now().Add(wait))
	for {
		var ev *cot.Event
		var err error
		if d.proto {
			var m *cot.Message
			if m, err = d.sr.Decode(); err == nil {
				ev = m.Event
			}
		} else {
			ev, err = d.dec.Decode()
		}
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			return nil
		}
		if err != nil {
			d.t.Fatalf("read: %v", err)
		}
		if ev == nil || strings.HasPrefix(ev.Type, "t-x-") {
			continue
		}
		return ev
	}
}

// collect reads events until want uids have all arrived and quiet has
// passed with nothing more, and returns every uid seen with its event.
func (d *device) collect(want int, quiet time.Duration) map[string]*cot.Event {
	d.t.Helper()
	got := map[string]*cot.Event{}
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		wait := 2 * time.Second
		if len(got) >= want {
			wait = quiet
		}
		ev := d.next(wait)
		if ev == nil {
			if len(got) >= want {
				break
			}
			continue
		}
		got[ev.UID] = ev
	}
	return got
}

func posEvent(uid, callsign string, lat, lon float64) *cot.Event {
	now := time.UnixMilli(time.Now().UnixMilli()).UTC()
	return &cot.Event{Version: "2.0", UID: uid, Type: "a-f-G-U-C", How: "m-g", Time: now, Start: now, Stale: now.Add(2 * time.Minute),
		Point:  cot.Point{Lat: lat, Lon: lon, Hae: 10, Ce: 5, Le: cot.Unknown},
		Detail: cot.Detail{Contact: &cot.Contact{Callsign: callsign}, Track: &cot.Track{Course: 90, Speed: 3}}}
}

// addSite shares a site through the item layer, as the web API does, so
// that it reaches devices through the live bus.
func (w *world) addSite(t testing.TB, user, title string, lat, lon float64, m item.Marking) string {
	t.Helper()
	ctx := context.Background()
	p, err := w.members.AsMember(ctx, user, "test")
	if err != nil {
		t.Fatal(err)
	}
	rv, err := w.rooms.View(ctx, w.room.ID)
	if err != nil {
		t.Fatal(err)
	}
	pm, shown, err := item.Resolve("marking", m, p.Viewer, rv, w.room.DefaultTLP)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := json.Marshal(map[string]any{"geometry": map[string]any{"type": "Point", "coordinates": []float64{lon, lat}}})
	rec := &item.Record{RoomID: w.room.ID, Room: "ops", Kind: "site", Title: title, Marking: pm, Shown: shown, Owner: p.PartnerID, Author: p.ID, Body: body}
	err = w.db.Write(ctx, func(tx *store.Tx) error {
		return item.Insert(ctx, tx, w.bus, rec, audit.By(p), nil)
	})
	if err != nil {
		t.Fatal(err)
	}
	return rec.ID
}

func verifyAudit(t testing.TB, db *store.DB) {
	t.Helper()
	if _, err := audit.Verify(context.Background(), db); err != nil {
		t.Fatalf("audit chain: %v", err)
	}
}

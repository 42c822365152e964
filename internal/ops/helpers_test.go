package ops

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/opsroom/opsroom/internal/access"
	"github.com/opsroom/opsroom/internal/account"
	"github.com/opsroom/opsroom/internal/audit"
	"github.com/opsroom/opsroom/internal/geo"
	"github.com/opsroom/opsroom/internal/item"
	"github.com/opsroom/opsroom/internal/live"
	"github.com/opsroom/opsroom/internal/room"
	"github.com/opsroom/opsroom/internal/store"
	"github.com/opsroom/opsroom/internal/timespan"
)

// world is the demo's partners, members and rooms with the ops service.
type world struct {
	db      *store.DB
	s       *Service
	bus     *live.Bus
	members *account.Service
	rooms   *room.Service
}

func newWorld(t testing.TB, db *store.DB) *world {
	t.Helper()
	bus := live.NewBus()
	w := &world{db: db, bus: bus, members: account.NewService(db), rooms: room.NewService(db)}
	w.s = New(db, w.rooms, bus)
	w.seed(t)
	return w
}

// seed writes the scenario's partners, one member each and the three
// rooms with their command roles (as the demo does; the demo package
// imports this one, so tests cannot call it).
func (w *world) seed(t testing.TB) {
	t.Helper()
	ctx, sys := context.Background(), access.System
	users := map[string]string{"RU": "ru.general", "IR": "ir.commander", "IQ": "iq.commander", "SY": "sy.officer", "HZ": "hz.officer"}
	for _, code := range []string{"RU", "IR", "SY", "IQ", "HZ"} {
		if _, err := w.rooms.CreatePartner(ctx, sys, room.NewPartner{Code: code, Name: code, Kind: "state"}); err != nil {
			t.Fatal(err)
		}
		if _, err := w.members.CreateMember(ctx, sys, account.NewMember{Partner: code, Username: users[code], DisplayName: users[code], Password: "opsroom-test-password"}); err != nil {
			t.Fatal(err)
		}
	}
	est := timespan.Span{Start: day(1).AddDate(0, -1, 0), End: day(1)}
	all := []string{"RU", "IR", "SY", "IQ", "HZ"}
	for _, r := range []room.NewRoom{
		{Slug: "baghdad", Name: "Baghdad", Purpose: "intelligence", CommandModel: room.CoDirectors, Established: est, Partners: all},
		{Slug: "damascus", Name: "Damascus", Purpose: "combat", CommandModel: room.Director, Established: est, Partners: all},
		{Slug: "anti-is-iraq-2014", Name: "Anti-IS", Purpose: "advise", CommandModel: room.Unspecified, Established: est, Partners: []string{"RU", "IR", "IQ"}},
	} {
		if _, err := w.rooms.CreateRoom(ctx, sys, r); err != nil {
			t.Fatal(err)
		}
	}
	for _, s := range []struct{ room, user, role string }{
		{"baghdad", "ir.commander", room.RoleCoDirector}, {"baghdad", "iq.commander", room.RoleCoDirector},
		{"baghdad", "ru.general", room.RoleMember}, {"baghdad", "sy.officer", room.RoleMember}, {"baghdad", "hz.officer", room.RoleMember},
		{"damascus", "ru.general", room.RoleDirector}, {"damascus", "ir.commander", room.RoleMember}, {"damascus", "iq.commander", room.RoleMember},
		{"damascus", "sy.officer", room.RoleMember}, {"damascus", "hz.officer", room.RoleMember},
		{"anti-is-iraq-2014", "ru.general", room.RoleMember}, {"anti-is-iraq-2014", "ir.commander", room.RoleMember}, {"anti-is-iraq-2014", "iq.commander", room.RoleMember},
	} {
		if err := w.rooms.SetMember(ctx, sys, s.room, s.user, s.role); err != nil {
			t.Fatal(err)
		}
	}
}

func (w *world) as(t testing.TB, username string) access.Principal {
	t.Helper()
	p, err := w.members.AsMember(context.Background(), username, "cli")
	if err != nil {
		t.Fatalf("as %s: %v", username, err)
	}
	return p
}

// square is a GeoJSON polygon of side d degrees with its south-west corner
// at lon, lat.
func square(lon, lat, d float64) json.RawMessage {
	return json.RawMessage(fmt.Sprintf(`{"type":"Polygon","coordinates":[[[%g,%g],[%g,%g],[%g,%g],[%g,%g],[%g,%g]]]}`,
		lon, lat, lon+d, lat, lon+d, lat+d, lon, lat+d, lon, lat))
}

func day(d int) time.Time { return time.Date(2015, 10, d, 0, 0, 0, 0, time.UTC) }

func window(a, b int) timespan.Span { return timespan.Span{Start: day(a), End: day(b)} }

// addSite writes a site of the picture directly (its table and, on SQLite,
// its R*Tree entry), as the picture package does.
func (w *world) addSite(t testing.TB, p access.Principal, slug, title string, g json.RawMessage, protected bool, m item.Marking) string {
	t.Helper()
	ctx := context.Background()
	rm, rv, err := w.s.memberRoom(ctx, p, slug)
	if err != nil {
		t.Fatal(err)
	}
	am, shown, err := item.Resolve("marking", m, p.Viewer, rv, rm.DefaultTLP)
	if err != nil {
		t.Fatal(err)
	}
	geom, err := geo.Decode(g, geo.Options{})
	if err != nil {
		t.Fatal(err)
	}
	b := geom.BBox()
	rec := &item.Record{RoomID: rm.ID, Room: slug, Kind: "site", Title: title, Marking: am, Shown: shown, Owner: p.PartnerID, Author: p.ID}
	err = w.db.Write(ctx, func(tx *store.Tx) error {
		if err := item.Insert(ctx, tx, nil, rec, audit.By(p), nil); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO sites (item_id, category, protected, geometry, min_lon, min_lat, max_lon, max_lat) VALUES (?, 'aid', ?, ?, ?, ?, ?, ?)`,
			rec.ID, protected, string(g), b.MinLon, b.MinLat, b.MaxLon, b.MaxLat); err != nil {
			return err
		}
		if tx.Engine() != store.SQLite {
			return nil
		}
		res, err := tx.Exec(ctx, `INSERT INTO picture_shapes (item_id) VALUES (?)`, rec.ID)
		if err != nil {
			return err
		}
		rid, _ := res.LastInsertId()
		_, err = tx.Exec(ctx, `INSERT INTO picture_rtree (id, min_lon, max_lon, min_lat, max_lat) VALUES (?, ?, ?, ?, ?)`, rid, b.MinLon, b.MaxLon, b.MinLat, b.MaxLat)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return rec.ID
}

func point(lon, lat float64) json.RawMessage {
	return json.RawMessage(fmt.Sprintf(`{"type":"Point","coordinates":[%g,%g]}`, lon, lat))
}

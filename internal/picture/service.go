package picture

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/opsroom/opsroom/internal/access"
	"github.com/opsroom/opsroom/internal/geo"
	"github.com/opsroom/opsroom/internal/item"
	"github.com/opsroom/opsroom/internal/live"
	"github.com/opsroom/opsroom/internal/room"
	"github.com/opsroom/opsroom/internal/store"
	"github.com/opsroom/opsroom/internal/validate"
)

// Service keeps rooms' pictures.
type Service struct {
	db    *store.DB
	rooms *room.Service
	bus   *live.Bus

	// OnSiteChange, when set, is called inside the transaction that
	// creates or replaces a site, after its rows are written, so that
	// deconfliction checks the site again (the composition root sets it
	// to the operations service's); an error rolls the change back.
	OnSiteChange func(ctx context.Context, tx *store.Tx, p access.Principal, siteID string) error
}

// NewService returns the picture service.
func NewService(db *store.DB, rooms *room.Service, bus *live.Bus) *Service {
	return &Service{db: db, rooms: rooms, bus: bus}
}

type scanner interface{ Scan(...any) error }

// spec is how one kind's own table is read beside items.
type spec struct {
	kind, table, cols string
}

var (
	siteSpec  = spec{KindSite, "sites", "t.category, t.protected, t.place_name, t.geometry, t.valid_start, t.valid_end"}
	eventSpec = spec{KindEvent, "events", "t.event_kind, t.start_at, t.end_at, t.place_name, t.geometry"}
	areaSpec  = spec{KindArea, "areas", "t.area_kind, t.geometry, t.valid_start, t.valid_end"}
	placeSpec = spec{KindPlace, "places", "t.name, t.country, t.lat, t.lon"}
	trackSpec = spec{KindTrack, "tracks", "t.uid, t.type_code, t.stale_seconds, t.seq"}
)

// selectFrom is the query every read of a kind starts with.
func (sp spec) selectFrom() string {
	return `SELECT ` + item.Columns + `, ` + sp.cols + ` FROM {items i} JOIN ` + sp.table + ` t ON t.item_id = i.id` + item.Joins
}

func optTime(n sql.NullInt64) *time.Time {
	if !n.Valid {
		return nil
	}
	t := store.Time(n.Int64)
	return &t
}

func nullMicros(t *time.Time) sql.NullInt64 {
	if t == nil {
		return sql.NullInt64{}
	}
	return sql.NullInt64{Int64: store.Micros(*t), Valid: true}
}

func decodeGeom(s string) (geo.Geometry, error) {
	return geo.Decode([]byte(s), geo.Options{MaxPositions: -1})
}

func scanSite(sc scanner) (Site, error) {
	var v Site
	var g string
	var vs, ve sql.NullInt64
	if err := item.Scan(sc, &v.Item, &v.Category, &v.Protected, &v.PlaceName, &g, &vs, &ve); err != nil {
		return v, err
	}
	v.Body = nil
	v.ValidFrom, v.ValidTo = optTime(vs), optTime(ve)
	var err error
	v.Geometry, err = decodeGeom(g)
	return v, err
}

func scanEvent(sc scanner) (Event, error) {
	var v Event
	var start, end int64
	var g sql.NullString
	if err := item.Scan(sc, &v.Item, &v.EventKind, &start, &end, &v.PlaceName, &g); err != nil {
		return v, err
	}
	v.Body = nil
	v.Start, v.End = store.Time(start), store.Time(end)
	v.Links = []string{}
	if g.Valid {
		gg, err := decodeGeom(g.String)
		if err != nil {
			return v, err
		}
		v.Geometry = &gg
	}
	return v, nil
}

func scanArea(sc scanner) (Area, error) {
	var v Area
	var g string
	var vs, ve sql.NullInt64
	if err := item.Scan(sc, &v.Item, &v.AreaKind, &g, &vs, &ve); err != nil {
		return v, err
	}
	v.Body = nil
	v.ValidFrom, v.ValidTo = optTime(vs), optTime(ve)
	var err error
	v.Geometry, err = decodeGeom(g)
	return v, err
}

func scanPlace(sc scanner) (Place, error) {
	var v Place
	err := item.Scan(sc, &v.Item, &v.Name, &v.Country, &v.Lat, &v.Lon)
	v.Body = nil
	return v, err
}

func scanTrack(sc scanner) (Track, error) {
	var v Track
	err := item.Scan(sc, &v.Item, &v.UID, &v.Type, &v.StaleSeconds, &v.seq)
	v.Body = nil
	return v, err
}

// query runs sp's select for viewer v with where (the need-to-know
// predicate is added to it) and scans every row.
func query[T any](ctx context.Context, db *store.DB, v access.Viewer, sp spec, where string, args []any, tail string, scan func(scanner) (T, error)) ([]T, error) {
	rows, err := item.For(v).Query(ctx, db, sp.selectFrom()+` WHERE `+where+` AND {visible i}`+tail, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []T{}
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// getOne reads one item of sp's kind the viewer may see; anything else is
// store.ErrNotFound, and a refusal of an existing item is audited.
func getOne[T any](ctx context.Context, s *Service, p access.Principal, sp spec, id string, scan func(scanner) (T, error)) (T, error) {
	vs, err := query(ctx, s.db, p.Viewer, sp, `i.id = ? AND i.kind = ?`, []any{id, sp.kind}, "", scan)
	var zero T
	if err != nil {
		return zero, err
	}
	if len(vs) == 0 {
		return zero, item.NotFound(ctx, s.db, p, id, store.ErrNotFound)
	}
	return vs[0], nil
}

// listRoom returns one page (by item ID, newest first) of a room's items
// of sp's kind that the viewer may see.
func listRoom[T any](ctx context.Context, s *Service, p access.Principal, sp spec, slug, after string, limit int, scan func(scanner) (T, error)) ([]T, error) {
	rm, err := s.rooms.Room(ctx, p, slug)
	if err != nil {
		return nil, err
	}
	where := "i.room_id = ? AND i.kind = ?"
	args := []any{rm.ID, sp.kind}
	if after != "" {
		where += " AND i.id < ?"
		args = append(args, after)
	}
	args = append(args, limit)
	return query(ctx, s.db, p.Viewer, sp, where, args, " ORDER BY i.id DESC LIMIT ?", scan)
}

// target is what a write needs to know of the room it writes in.
type target struct {
	rm      room.Room
	rv      room.View
	marking access.Marking
	shown   item.Marking
}

// prepare checks that p may share in the room and resolves the marking;
// field errors are added to errs (and returned by the caller together).
func (s *Service) prepare(ctx context.Context, p access.Principal, slug string, mk item.Marking, errs *validate.Errors) (target, error) {
	var t target
	rm, rv, err := item.WritingRoom(ctx, s.rooms, p, slug)
	if err != nil {
		return t, err
	}
	m, shown, merr := item.Resolve("marking", mk, p.Viewer, rv, rm.DefaultTLP)
	var verrs validate.Errors
	if errors.As(merr, &verrs) {
		*errs = append(*errs, verrs...)
	} else if merr != nil {
		return t, merr
	}
	return target{rm: rm, rv: rv, marking: m, shown: shown}, nil
}

// record builds the items row of a new or changed item.
func (t target) record(p access.Principal, kind, id, title string) *item.Record {
	return &item.Record{ID: id, RoomID: t.rm.ID, Room: t.rm.Slug, Kind: kind, Title: title, Marking: t.marking, Shown: t.shown,
		Owner: p.PartnerID, Author: p.ID}
}

// common is the Item a write hands back and publishes.
func (t target) common(p access.Principal, rec *item.Record, version int, created time.Time) item.Item {
	return item.Item{ID: rec.ID, Room: t.rm.Slug, RoomID: t.rm.ID, Kind: rec.Kind, Title: rec.Title, Marking: t.shown,
		Owner: t.rv.PartnerCodes[rec.Owner], CreatedBy: t.rv.Usernames[rec.Author], CreatedAt: created, UpdatedAt: rec.At, Version: version}
}

// ownerCheck refuses a change to an item by anyone but its owner
// partner's members: a partner answers for what it put on the map.
func (s *Service) ownerCheck(ctx context.Context, p access.Principal, id string) error {
	var owner string
	if err := store.Scan(item.Server().QueryRow(ctx, s.db, `SELECT i.owner_partner_id FROM {items i} WHERE i.id = ?`, id), &owner); err != nil {
		return err
	}
	if owner != p.PartnerID {
		return fmt.Errorf("%w: only members of the partner that owns this item may change it", access.ErrForbidden)
	}
	return nil
}

// geometry decodes and validates a GeoJSON geometry field.
func geometry(errs *validate.Errors, field string, raw []byte, required bool) (geo.Geometry, bool) {
	if len(raw) == 0 || string(raw) == "null" {
		if required {
			errs.Add(field, "is required: a GeoJSON geometry")
		}
		return geo.Geometry{}, false
	}
	g, err := geo.Decode(raw, geo.Options{})
	if err != nil {
		var ve *geo.ValidationError
		if errors.As(err, &ve) {
			f := field
			if ve.Path != "" {
				f += "." + ve.Path
			}
			errs.Add(f, "%s", ve.Msg)
		} else {
			errs.Add(field, "is not a GeoJSON geometry")
		}
		return geo.Geometry{}, false
	}
	return g, true
}

func validWindow(errs *validate.Errors, from, to *time.Time) {
	if from != nil && to != nil && to.Before(*from) {
		errs.Add("valid_to", "is before valid_from")
	}
}

func geomJSON(g geo.Geometry) string {
	b, _ := g.MarshalJSON()
	return string(b)
}

// index keeps the spatial index of one item's shape current. On SQLite
// that is the R*Tree (through picture_shapes, which gives each item the
// integer key an R*Tree needs); on PostgreSQL the GiST indexes follow the
// tables by themselves.
func index(ctx context.Context, tx *store.Tx, id string, g *geo.Geometry) error {
	if tx.Engine() != store.SQLite {
		return nil
	}
	var rid int64
	err := store.Scan(tx.QueryRow(ctx, `SELECT id FROM picture_shapes WHERE item_id = ?`, id), &rid)
	switch {
	case errors.Is(err, store.ErrNotFound):
		if g == nil {
			return nil
		}
		res, err := tx.Exec(ctx, `INSERT INTO picture_shapes (item_id) VALUES (?)`, id)
		if err != nil {
			return err
		}
		if rid, err = res.LastInsertId(); err != nil {
			return err
		}
	case err != nil:
		return err
	default:
		if _, err := tx.Exec(ctx, `DELETE FROM picture_rtree WHERE id = ?`, rid); err != nil {
			return err
		}
		if g == nil {
			_, err := tx.Exec(ctx, `DELETE FROM picture_shapes WHERE id = ?`, rid)
			return err
		}
	}
	b := g.BBox()
	_, err = tx.Exec(ctx, `INSERT INTO picture_rtree (id, min_lon, max_lon, min_lat, max_lat) VALUES (?, ?, ?, ?, ?)`,
		rid, b.MinLon, b.MaxLon, b.MinLat, b.MaxLat)
	return err
}

// boxWhere is the spatial predicate on a kind table aliased t with
// min_lon..max_lat columns (or lon, lat for points: places): the index's
// candidate test, then the exact test in double precision.
func boxWhere(e store.Engine, b geo.BBox, points bool) (string, []any) {
	exact := "t.max_lon >= ? AND t.min_lon <= ? AND t.max_lat >= ? AND t.min_lat <= ?"
	if points {
		exact = "t.lon >= ? AND t.lon <= ? AND t.lat >= ? AND t.lat <= ?"
	}
	eargs := []any{b.MinLon, b.MaxLon, b.MinLat, b.MaxLat}
	if e == store.SQLite {
		return "t.item_id IN (SELECT s.item_id FROM picture_rtree r JOIN picture_shapes s ON s.id = r.id WHERE r.max_lon >= ? AND r.min_lon <= ? AND r.max_lat >= ? AND r.min_lat <= ?) AND " + exact,
			append(append([]any{}, eargs...), eargs...)
	}
	cand := "box(point(t.min_lon, t.min_lat), point(t.max_lon, t.max_lat)) && box(point(?, ?), point(?, ?))"
	if points {
		cand = "point(t.lon, t.lat) <@ box(point(?, ?), point(?, ?))"
	}
	return cand + " AND " + exact, append([]any{b.MinLon, b.MinLat, b.MaxLon, b.MaxLat}, eargs...)
}

func trimmed(s string) string { return strings.TrimSpace(s) }

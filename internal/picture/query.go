package picture

import (
	"context"
	"math"
	"strings"
	"time"

	"github.com/opsroom/opsroom/internal/access"
	"github.com/opsroom/opsroom/internal/geo"
	"github.com/opsroom/opsroom/internal/item"
	"github.com/opsroom/opsroom/internal/store"
)

// Query selects part of a room's picture in space and time.
//
// Space: Within (a polygon or any geometry) or BBox, or the whole world
// when neither is set. Time: At (the picture as it was at that moment:
// items valid then, each track's last position at or before it that was
// not stale at it), or the window [From, To] (items valid at some time in
// it, every track position in it); a zero bound is open. With no time at
// all the query is for now.
type Query struct {
	BBox     *geo.BBox
	Within   *geo.Geometry
	At       time.Time
	From, To time.Time
	// MaxPositions caps the track positions returned (window queries);
	// 0 means DefaultPositions.
	MaxPositions int
}

// Picture is what a viewer may see of a room for a Query.
type Picture struct {
	Room   string     `json:"room"`
	At     *time.Time `json:"at,omitempty"`
	From   *time.Time `json:"from,omitempty"`
	To     *time.Time `json:"to,omitempty"`
	Sites  []Site     `json:"sites"`
	Events []Event    `json:"events"`
	Areas  []Area     `json:"areas"`
	Places []Place    `json:"places"`
	// Tracks carry their positions: in a window query every position in
	// the window and the area, oldest first; at a moment the one current
	// position.
	Tracks []Track `json:"tracks"`
	// Truncated is set when the window held more positions than
	// MaxPositions; narrow the window or the area.
	Truncated bool `json:"truncated,omitempty"`
}

// Open time bounds, in stored microseconds.
const (
	minMicros = math.MinInt64 / 2
	maxMicros = math.MaxInt64 / 2
)

var world = geo.BBox{MinLon: -180, MinLat: -90, MaxLon: 180, MaxLat: 90}

// resolved is a Query with its defaults applied.
type resolved struct {
	box      geo.BBox
	spatial  bool // an area was given
	within   *geo.Geometry
	moment   bool
	from, to int64 // microseconds, inclusive
	max      int
}

func (q Query) resolve() resolved {
	r := resolved{box: world, within: q.Within, max: q.MaxPositions}
	if r.max <= 0 || r.max > MaxPositions {
		r.max = DefaultPositions
	}
	switch {
	case q.Within != nil:
		r.box, r.spatial = q.Within.BBox(), true
	case q.BBox != nil:
		r.box, r.spatial = *q.BBox, true
		g := q.BBox.Polygon().Geometry()
		r.within = &g
	}
	switch {
	case !q.At.IsZero():
		r.moment, r.from, r.to = true, store.Micros(q.At), store.Micros(q.At)
	case q.From.IsZero() && q.To.IsZero():
		t := now()
		r.moment, r.from, r.to = true, store.Micros(t), store.Micros(t)
	default:
		r.from, r.to = minMicros, maxMicros
		if !q.From.IsZero() {
			r.from = store.Micros(q.From)
		}
		if !q.To.IsZero() {
			r.to = store.Micros(q.To)
		}
	}
	return r
}

// inside is the exact spatial test after the index's candidate filter.
func (r resolved) inside(g geo.Geometry) bool {
	if r.within == nil {
		return true
	}
	return geo.Intersects(*r.within, g)
}

// Picture returns what the viewer may see of a room's picture for q.
func (s *Service) Picture(ctx context.Context, p access.Principal, slug string, q Query) (Picture, error) {
	rm, err := s.rooms.Room(ctx, p, slug)
	if err != nil {
		return Picture{}, err
	}
	r := q.resolve()
	out := Picture{Room: rm.Slug}
	if r.moment {
		t := store.Time(r.from)
		out.At = &t
	} else {
		if r.from != minMicros {
			t := store.Time(r.from)
			out.From = &t
		}
		if r.to != maxMicros {
			t := store.Time(r.to)
			out.To = &t
		}
	}
	base := func(kind string) (string, []any) {
		where := "i.room_id = ? AND i.kind = ?"
		args := []any{rm.ID, kind}
		if r.spatial {
			bw, bargs := boxWhere(s.db.Engine(), r.box, kind == KindPlace)
			where += " AND " + bw
			args = append(args, bargs...)
		}
		return where, args
	}
	validIn := " AND (t.valid_start IS NULL OR t.valid_start <= ?) AND (t.valid_end IS NULL OR t.valid_end >= ?)"

	where, args := base(KindSite)
	sites, err := query(ctx, s.db, p.Viewer, siteSpec, where+validIn, append(args, r.to, r.from), " ORDER BY i.id", scanSite)
	if err != nil {
		return Picture{}, err
	}
	out.Sites = keep(sites, func(v Site) bool { return r.inside(v.Geometry) })

	where, args = base(KindArea)
	areas, err := query(ctx, s.db, p.Viewer, areaSpec, where+validIn, append(args, r.to, r.from), " ORDER BY i.id", scanArea)
	if err != nil {
		return Picture{}, err
	}
	out.Areas = keep(areas, func(v Area) bool { return r.inside(v.Geometry) })

	where, args = base(KindEvent)
	events, err := query(ctx, s.db, p.Viewer, eventSpec, where+" AND t.start_at <= ? AND t.end_at >= ?", append(args, r.to, r.from), " ORDER BY t.start_at, i.id", scanEvent)
	if err != nil {
		return Picture{}, err
	}
	out.Events = keep(events, func(v Event) bool { return !r.spatial || (v.Geometry != nil && r.inside(*v.Geometry)) })
	if err := s.fillLinks(ctx, p, out.Events); err != nil {
		return Picture{}, err
	}

	where, args = base(KindPlace)
	places, err := query(ctx, s.db, p.Viewer, placeSpec, where, args, " ORDER BY i.id", scanPlace)
	if err != nil {
		return Picture{}, err
	}
	out.Places = keep(places, func(v Place) bool { return r.inside(*placePoint(v)) })

	if r.moment {
		out.Tracks, err = s.tracksAt(ctx, p, rm.ID, r)
	} else {
		out.Tracks, out.Truncated, err = s.tracksIn(ctx, p, rm.ID, r)
	}
	return out, err
}

// pgHours is a time as the PostgreSQL space-time index has it (hours).
// Callers widen the box a little: the exact test on at follows, so float
// rounding must only ever add candidates.
func pgHours(us int64) float64 { return float64(us) / 3.6e9 }

func keep[T any](vs []T, ok func(T) bool) []T {
	out := vs[:0]
	for _, v := range vs {
		if ok(v) {
			out = append(out, v)
		}
	}
	return out
}

// tracksAt returns each visible track's last position at or before the
// moment, when that position was not stale at it and lies in the area.
func (s *Service) tracksAt(ctx context.Context, p access.Principal, roomID string, r resolved) ([]Track, error) {
	q := `SELECT ` + item.Columns + `, ` + trackSpec.cols + `, ` + posCols + ` FROM {items i} JOIN tracks t ON t.item_id = i.id` + item.Joins + `
		JOIN track_positions p ON p.id = (SELECT p2.id FROM track_positions p2 WHERE p2.track_seq = t.seq AND p2.at <= ? ORDER BY p2.at DESC, p2.id DESC LIMIT 1)
		WHERE i.room_id = ? AND i.kind = ? AND {visible i} ORDER BY i.id`
	rows, err := item.For(p.Viewer).Query(ctx, s.db, q, r.to, roomID, KindTrack)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	at := store.Time(r.to)
	out := []Track{}
	for rows.Next() {
		var tr Track
		var pt posRow
		if err := item.Scan(rows, &tr.Item, append([]any{&tr.UID, &tr.Type, &tr.StaleSeconds, &tr.seq}, pt.dest()...)...); err != nil {
			return nil, err
		}
		tr.Body = nil
		pos := pt.position()
		if !currentAt(pos, tr.StaleSeconds, at) || !r.inside(geo.Point{Lon: pos.Lon, Lat: pos.Lat}.Geometry()) {
			continue
		}
		tr.Positions = []Position{pos}
		out = append(out, tr)
	}
	return out, rows.Err()
}

// tracksIn returns the visible tracks with positions in the window and
// the area, each with those positions (oldest first), at most r.max in
// all. The index finds the candidates (SQLite: the R*Tree over space and
// time; PostgreSQL: GiST on the point and the B-tree on time), the exact
// test follows in double precision, and need-to-know is in the same query.
func (s *Service) tracksIn(ctx context.Context, p access.Principal, roomID string, r resolved) ([]Track, bool, error) {
	var q string
	var args []any
	exact := ` p.lon >= ? AND p.lon <= ? AND p.lat >= ? AND p.lat <= ? AND p.at >= ? AND p.at <= ?`
	eargs := []any{r.box.MinLon, r.box.MaxLon, r.box.MinLat, r.box.MaxLat, r.from, r.to}
	if s.db.Engine() == store.SQLite {
		// CROSS JOIN keeps SQLite's planner from reordering: the R*Tree
		// drives, everything else is looked up by key.
		q = `SELECT ` + posCols + `, t.item_id FROM track_positions_rtree r CROSS JOIN track_positions p CROSS JOIN tracks t CROSS JOIN {items i}
			WHERE r.max_lon >= ? AND r.min_lon <= ? AND r.max_lat >= ? AND r.min_lat <= ? AND r.max_t >= ? AND r.min_t <= ?
			AND p.id = r.id AND t.seq = p.track_seq AND i.id = t.item_id AND` + exact
		args = append([]any{r.box.MinLon, r.box.MaxLon, r.box.MinLat, r.box.MaxLat, rtreeTime(r.from) - 0.01, rtreeTime(r.to) + 0.01}, eargs...)
	} else {
		q = `SELECT ` + posCols + `, t.item_id FROM track_positions p JOIN tracks t ON t.seq = p.track_seq JOIN {items i} ON i.id = t.item_id
			WHERE point(p.lon, p.at / 3600000000.0) <@ box(point(?, ?), point(?, ?)) AND` + exact
		args = append([]any{r.box.MinLon, pgHours(r.from) - 1e-6, r.box.MaxLon, pgHours(r.to) + 1e-6}, eargs...)
	}
	q += ` AND i.room_id = ? AND i.kind = ? AND {visible i} ORDER BY p.track_seq, p.at, p.id LIMIT ?`
	args = append(args, roomID, KindTrack, r.max+1)
	rows, err := item.For(p.Viewer).Query(ctx, s.db, q, args...)
	if err != nil {
		return nil, false, err
	}
	defer rows.Close()
	byID := map[string][]Position{}
	var order []string
	n, truncated := 0, false
	for rows.Next() {
		var pt posRow
		var id string
		if err := rows.Scan(append(pt.dest(), &id)...); err != nil {
			return nil, false, err
		}
		if n == r.max {
			truncated = true
			break
		}
		pos := pt.position()
		if r.within != nil && !r.inside(geo.Point{Lon: pos.Lon, Lat: pos.Lat}.Geometry()) {
			continue
		}
		n++
		if _, ok := byID[id]; !ok {
			order = append(order, id)
		}
		byID[id] = append(byID[id], pos)
	}
	if err := rows.Err(); err != nil {
		return nil, false, err
	}
	rows.Close()
	out := []Track{}
	for start := 0; start < len(order); start += 500 {
		chunk := order[start:min(start+500, len(order))]
		args := make([]any, 0, len(chunk)+4)
		for _, id := range chunk {
			args = append(args, id)
		}
		trs, err := query(ctx, s.db, p.Viewer, trackSpec, `i.id IN (?`+strings.Repeat(", ?", len(chunk)-1)+`)`, args, " ORDER BY i.id", scanTrack)
		if err != nil {
			return nil, false, err
		}
		for _, tr := range trs {
			tr.Positions = byID[tr.ID]
			out = append(out, tr)
		}
	}
	return out, truncated, nil
}

package ops

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/opsroom/opsroom/internal/access"
	"github.com/opsroom/opsroom/internal/audit"
	"github.com/opsroom/opsroom/internal/geo"
	"github.com/opsroom/opsroom/internal/item"
	"github.com/opsroom/opsroom/internal/picture"
	"github.com/opsroom/opsroom/internal/store"
	"github.com/opsroom/opsroom/internal/timespan"
)

// always is the window of a protected site with no validity limits.
var always = timespan.Span{Start: time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC), End: time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC)}

// footprint is one row of the deconfliction index, or a protected site.
type footprint struct {
	PartID, ItemID, Owner, Kind, Label string
	Geom                               geo.Geometry
	Raw                                string
	HalfWidth                          float64
	Window                             timespan.Span
}

func (f footprint) fp() geo.Footprint {
	return geo.Footprint{Geometry: f.Geom, HalfWidth: f.HalfWidth, When: f.Window}
}

// metresPerDegree is the length of a degree of latitude (and of longitude
// at the equator), slightly under the true value so boxes grow enough.
const metresPerDegree = 111_000.0

// grow returns b grown by m metres on every side, conservatively: a
// degree of longitude is shorter away from the equator.
func grow(b geo.BBox, m float64) geo.BBox {
	if m <= 0 {
		return b
	}
	dlat := m / metresPerDegree
	lat := math.Min(math.Max(math.Abs(b.MinLat), math.Abs(b.MaxLat))+dlat, 89)
	dlon := math.Min(m/(metresPerDegree*math.Cos(lat*math.Pi/180)), 360)
	return geo.BBox{MinLon: b.MinLon - dlon, MinLat: b.MinLat - dlat, MaxLon: b.MaxLon + dlon, MaxLat: b.MaxLat + dlat}
}

// setFootprints replaces an item's entries in the deconfliction index.
func setFootprints(ctx context.Context, tx *store.Tx, itemID, roomID, owner string, parts []part, active bool) error {
	if _, err := tx.Exec(ctx, `DELETE FROM ops_footprints WHERE item_id = ?`, itemID); err != nil {
		return err
	}
	for _, pt := range parts {
		b := grow(pt.Geom.BBox(), pt.HalfWidth)
		if _, err := tx.Exec(ctx, `INSERT INTO ops_footprints (part_id, item_id, room_id, owner_partner_id, kind, label, geometry, half_width, start_at, end_at, active, min_lon, min_lat, max_lon, max_lat)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, pt.ID, itemID, roomID, owner, pt.Kind, pt.Label, string(pt.Raw), pt.HalfWidth,
			store.Micros(pt.Window.Start), store.Micros(pt.Window.End), boolInt(active), b.MinLon, b.MinLat, b.MaxLon, b.MaxLat); err != nil {
			return fmt.Errorf("index %s: %w", pt.Kind, err)
		}
	}
	return nil
}

const footprintCols = `f.part_id, f.item_id, f.owner_partner_id, f.kind, f.label, f.geometry, f.half_width, f.start_at, f.end_at`

func scanFootprints(rows *sql.Rows, out []footprint) ([]footprint, error) {
	defer rows.Close()
	for rows.Next() {
		var f footprint
		var start, end int64
		if err := rows.Scan(&f.PartID, &f.ItemID, &f.Owner, &f.Kind, &f.Label, &f.Raw, &f.HalfWidth, &start, &end); err != nil {
			return nil, err
		}
		g, err := geo.Decode([]byte(f.Raw), geo.Options{MaxPositions: -1})
		if err != nil {
			return nil, fmt.Errorf("stored geometry of %s: %w", f.PartID, err)
		}
		f.Geom, f.Window = g, timespan.Span{Start: store.Time(start), End: store.Time(end)}
		out = append(out, f)
	}
	return out, rows.Err()
}

// itemFootprints returns an item's active entries in the index.
func itemFootprints(ctx context.Context, q querier, itemID string) ([]footprint, error) {
	rows, err := q.Query(ctx, `SELECT `+footprintCols+` FROM ops_footprints f WHERE f.item_id = ? AND f.active = 1 ORDER BY f.rid`, itemID)
	if err != nil {
		return nil, err
	}
	return scanFootprints(rows, nil)
}

// hours is a time in hours since 1970, the R*Tree's time axis.
func hours(t time.Time) float64 { return float64(store.Micros(t)) / 3.6e9 }

// candidates returns the other partners' active operations, phases,
// movements and protected sites in the room whose boxes and windows meet
// f's: the spatial index narrows, the exact test is the caller's. noticed
// are the room's sites protected by a notice (noticedSites).
func (s *Service) candidates(ctx context.Context, q querier, engine store.Engine, roomID, owner string, f footprint, noticed []string) ([]footprint, error) {
	b := grow(f.Geom.BBox(), f.HalfWidth)
	start, end := store.Micros(f.Window.Start), store.Micros(f.Window.End)
	var rows *sql.Rows
	var err error
	if engine == store.SQLite {
		rows, err = q.Query(ctx, `SELECT `+footprintCols+` FROM ops_footprint_rtree t JOIN ops_footprints f ON f.rid = t.rid
			WHERE t.min_lon <= ? AND t.max_lon >= ? AND t.min_lat <= ? AND t.max_lat >= ? AND t.min_h <= ? AND t.max_h >= ?
			AND f.room_id = ? AND f.owner_partner_id <> ? AND f.active = 1 AND f.start_at <= ? AND f.end_at >= ?`,
			b.MaxLon, b.MinLon, b.MaxLat, b.MinLat, hours(f.Window.End)+1, hours(f.Window.Start)-1, roomID, owner, end, start)
	} else {
		rows, err = q.Query(ctx, `SELECT `+footprintCols+` FROM ops_footprints f
			WHERE box(point(f.min_lon, f.min_lat), point(f.max_lon, f.max_lat)) && box(point(?, ?), point(?, ?))
			AND f.room_id = ? AND f.owner_partner_id <> ? AND f.active = 1 AND f.start_at <= ? AND f.end_at >= ?`,
			b.MinLon, b.MinLat, b.MaxLon, b.MaxLat, roomID, owner, end, start)
	}
	if err != nil {
		return nil, err
	}
	out, err := scanFootprints(rows, nil)
	if err != nil {
		return nil, err
	}
	// Protected sites are the picture's, read through its function (the
	// same spatial index and query shape); a site counts when its owner
	// marked it protected or a partner's notice says so.
	sites, err := picture.ProtectedSitesIn(ctx, q, engine, roomID, owner, b, start, end, noticed)
	if err != nil {
		return nil, err
	}
	for _, v := range sites {
		f, err := siteFootprint(v)
		if err != nil {
			return nil, err
		}
		out = append(out, f)
	}
	return out, nil
}

// siteFootprint is a protected site as deconfliction checks it: its
// shape over its validity (always, where it has no limits).
func siteFootprint(v picture.SiteShape) (footprint, error) {
	g, err := geo.Decode([]byte(v.Geometry), geo.Options{MaxPositions: -1})
	if err != nil {
		return footprint{}, fmt.Errorf("stored geometry of %s: %w", v.ItemID, err)
	}
	f := footprint{PartID: v.ItemID, ItemID: v.ItemID, Owner: v.Owner, Kind: "site", Geom: g, Raw: v.Geometry, Window: always}
	if v.ValidStart.Valid {
		f.Window.Start = store.Time(v.ValidStart.Int64)
	}
	if v.ValidEnd.Valid {
		f.Window.End = store.Time(v.ValidEnd.Int64)
	}
	return f, nil
}

// noticedSites returns the sites of a room that a partner's active notice
// protects.
func noticedSites(ctx context.Context, q querier, roomID string) ([]string, error) {
	query, args := item.Server().SQL(`SELECT DISTINCT n.site_item_id FROM site_notices n JOIN {items i} ON i.id = n.item_id
		WHERE i.room_id = ? AND n.status = 'active' ORDER BY n.site_item_id`, roomID)
	return store.Strings(ctx, q, query, args...)
}

// overlap is one footprint of the item checked meeting another's.
type overlap struct {
	Mine, Other footprint
	Region      geo.Geometry
	Window      timespan.Span
}

func (o overlap) key() string { return o.Mine.PartID + "|" + o.Other.ItemID + "|" + o.Other.PartID }

// region is where two footprints meet, for display: their common part,
// with a corridor drawn around a route that has a width; when the exact
// common part is empty (a near miss inside a corridor), the overlap of
// their boxes.
func region(a, b footprint) geo.Geometry {
	shape := func(f footprint) geo.Geometry {
		if f.HalfWidth > 0 && len(f.Geom.Lines) > 0 {
			var mp geo.MultiPolygon
			for _, l := range f.Geom.Lines {
				mp = append(mp, geo.Corridor(l, f.HalfWidth)...)
			}
			return mp.Geometry()
		}
		return f.Geom
	}
	if r := geo.Intersection(shape(a), shape(b)); !r.IsEmpty() {
		return r
	}
	bb, ok := grow(a.Geom.BBox(), a.HalfWidth).Intersect(grow(b.Geom.BBox(), b.HalfWidth))
	if !ok {
		return a.Geom
	}
	if bb.MinLon == bb.MaxLon && bb.MinLat == bb.MaxLat {
		return geo.Point{Lon: bb.MinLon, Lat: bb.MinLat}.Geometry()
	}
	return bb.Polygon().Geometry()
}

// Overlaps finds every overlap in space and time of an item's active
// footprints with the other partners' operations, phases, movements and
// protected sites in the room. It is the check the benchmark measures.
func (s *Service) overlaps(ctx context.Context, q querier, engine store.Engine, roomID, owner string, mine []footprint) ([]overlap, error) {
	noticed, err := noticedSites(ctx, q, roomID)
	if err != nil {
		return nil, err
	}
	var out []overlap
	for _, m := range mine {
		cands, err := s.candidates(ctx, q, engine, roomID, owner, m, noticed)
		if err != nil {
			return nil, err
		}
		for _, c := range cands {
			if !m.fp().Conflicts(c.fp()) {
				continue
			}
			w, _ := m.Window.Intersect(c.Window)
			out = append(out, overlap{Mine: m, Other: c, Region: region(m, c), Window: w})
		}
	}
	return out, nil
}

// openConflict is an open conflict of the item being checked.
type openConflict struct {
	ID, AItem, APart, BItem, BPart string
	Region                         string
	Start, End                     int64
}

// deconflict checks an item (operation with its phases, or movement)
// after it was created or changed: it raises a conflict for every new
// overlap, updates the ones whose region or window moved, and resolves as
// adjusted the open conflicts it no longer has.
func (s *Service) deconflict(ctx context.Context, tx *store.Tx, p access.Principal, itemID string) error {
	var roomID, owner string
	if err := store.Scan(item.Server().QueryRow(ctx, tx, `SELECT i.room_id, i.owner_partner_id FROM {items i} WHERE i.id = ?`, itemID), &roomID, &owner); err != nil {
		return err
	}
	mine, err := itemFootprints(ctx, tx, itemID)
	if err != nil {
		return err
	}
	found, err := s.overlaps(ctx, tx, tx.Engine(), roomID, owner, mine)
	if err != nil {
		return err
	}
	byKey := map[string]overlap{}
	for _, o := range found {
		byKey[o.key()] = o
	}
	rows, err := tx.Query(ctx, `SELECT item_id, a_item_id, a_part, b_item_id, b_part, region, start_at, end_at FROM conflicts
		WHERE status = 'open' AND (a_item_id = ? OR b_item_id = ?) ORDER BY item_id`, itemID, itemID)
	if err != nil {
		return err
	}
	var open []openConflict
	for rows.Next() {
		var c openConflict
		if err := rows.Scan(&c.ID, &c.AItem, &c.APart, &c.BItem, &c.BPart, &c.Region, &c.Start, &c.End); err != nil {
			rows.Close()
			return err
		}
		open = append(open, c)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	now := s.at()
	for _, c := range open {
		key := c.APart + "|" + c.BItem + "|" + c.BPart
		if c.BItem == itemID {
			key = c.BPart + "|" + c.AItem + "|" + c.APart
		}
		o, still := byKey[key]
		if !still {
			if err := s.resolve(ctx, tx, p, c.ID, "adjusted", "the items no longer overlap", now); err != nil {
				return err
			}
			continue
		}
		delete(byKey, key)
		reg, _ := json.Marshal(o.Region)
		if string(reg) == c.Region && store.Micros(o.Window.Start) == c.Start && store.Micros(o.Window.End) == c.End {
			continue
		}
		if _, err := tx.Exec(ctx, `UPDATE conflicts SET region = ?, start_at = ?, end_at = ? WHERE item_id = ?`,
			string(reg), store.Micros(o.Window.Start), store.Micros(o.Window.End), c.ID); err != nil {
			return err
		}
		if err := s.touchConflict(ctx, tx, p, c.ID, "moved", nil); err != nil {
			return err
		}
	}
	for _, o := range found {
		if _, ok := byKey[o.key()]; !ok {
			continue
		}
		delete(byKey, o.key())
		if err := s.raise(ctx, tx, p, roomID, o, now); err != nil {
			return err
		}
	}
	return nil
}

// conflictMarking is a conflict's marking rule: TLP:AMBER, releasable to
// the partners of both sides and of the room's authority, and to no one
// else. What each of them sees of either side is decided per side when
// the conflict is read.
func conflictMarking(ctx context.Context, q querier, roomID string, sides ...string) (access.Marking, error) {
	_, _, authPartners, err := authorities(ctx, q, roomID)
	if err != nil {
		return access.Marking{}, err
	}
	rel := append(slices.Clone(sides), authPartners...)
	slices.Sort(rel)
	return access.Marking{TLP: access.Amber, ReleasableTo: slices.Compact(rel)}, nil
}

// conflictShown is the marking shown for a conflict. The releasability
// list is not shown: it would name the other side's partner, which a side
// may not be entitled to know.
var conflictShown = item.Marking{TLP: string(access.Amber)}

// filer returns the partner and member a conflict and its log entries are
// filed under: the room's first authority, whose identity every member of
// the room knows already. Filing them under the side whose change found
// the overlap would tell the other side which partner that is, through
// the owner and author every item shows. A room without authority files
// them under the given partner and member.
func filer(ctx context.Context, q querier, roomID, partner, member string) (string, string, error) {
	_, ids, partners, err := authorities(ctx, q, roomID)
	if err != nil || len(ids) == 0 {
		return partner, member, err
	}
	return partners[0], ids[0], nil
}

func (s *Service) raise(ctx context.Context, tx *store.Tx, p access.Principal, roomID string, o overlap, now time.Time) error {
	m, err := conflictMarking(ctx, tx, roomID, o.Mine.Owner, o.Other.Owner)
	if err != nil {
		return err
	}
	var slug string
	if err := store.Scan(tx.QueryRow(ctx, `SELECT slug FROM rooms WHERE id = ?`, roomID), &slug); err != nil {
		return err
	}
	owner, author, err := filer(ctx, tx, roomID, o.Mine.Owner, p.ID)
	if err != nil {
		return err
	}
	title := fmt.Sprintf("Conflict: %s and %s", o.Mine.Kind, o.Other.Kind)
	rec := &item.Record{ID: store.NewID(), RoomID: roomID, Room: slug, Kind: "conflict", Title: title, Marking: m, Shown: conflictShown,
		Owner: owner, Author: author, At: now}
	reg, _ := json.Marshal(o.Region)
	c := Conflict{ID: rec.ID, Room: slug, Status: "open", Region: reg, Window: o.Window, Marking: conflictShown,
		Sides: [2]ConflictSide{neutralSide(o.Mine.Kind), neutralSide(o.Other.Kind)}, CreatedAt: now, UpdatedAt: now, Version: 1}
	if err := item.Insert(ctx, tx, s.bus, rec, audit.By(p), c); err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, `INSERT INTO conflicts (item_id, a_item_id, a_part, a_kind, a_partner_id, b_item_id, b_part, b_kind, b_partner_id, region, start_at, end_at, status)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'open')`, rec.ID, o.Mine.ItemID, o.Mine.PartID, o.Mine.Kind, o.Mine.Owner,
		o.Other.ItemID, o.Other.PartID, o.Other.Kind, o.Other.Owner, string(reg), store.Micros(o.Window.Start), store.Micros(o.Window.End)); err != nil {
		return err
	}
	return AutoLog(ctx, tx, s.bus, AutoEntry{RoomID: roomID, Text: fmt.Sprintf("Conflict raised: %s overlaps %s, %s", article(o.Mine.Kind), article(o.Other.Kind), o.Window),
		Marking: m, Shown: conflictShown, Owner: owner, Author: author, SourceKind: "conflict", SourceID: rec.ID})
}

func article(kind string) string {
	switch kind {
	case "operation":
		return "an operation"
	case "phase":
		return "a phase of an operation"
	case "site":
		return "a protected site"
	}
	return "a " + kind
}

// resolve closes one open conflict.
func (s *Service) resolve(ctx context.Context, tx *store.Tx, p access.Principal, id, status, reason string, now time.Time) error {
	res, err := tx.Exec(ctx, `UPDATE conflicts SET status = ?, reason = ?, resolved_by = ?, resolved_at = ? WHERE item_id = ? AND status = 'open'`,
		status, reason, p.ID, store.Micros(now), id)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return nil
	}
	var roomID string
	if err := store.Scan(item.Server().QueryRow(ctx, tx, `SELECT i.room_id FROM {items i} WHERE i.id = ?`, id), &roomID); err != nil {
		return err
	}
	owner, author, err := filer(ctx, tx, roomID, p.PartnerID, p.ID)
	if err != nil {
		return err
	}
	return s.touchConflict(ctx, tx, p, id, status, func(c Conflict, m access.Marking) error {
		text := fmt.Sprintf("Conflict resolved (%s): %s overlapping %s, %s", status, article(c.Sides[0].Kind), article(c.Sides[1].Kind), c.Window)
		if reason != "" {
			text += ": " + reason
		}
		return AutoLog(ctx, tx, s.bus, AutoEntry{RoomID: roomID, Text: text, Marking: m, Shown: conflictShown,
			Owner: owner, Author: author, SourceKind: "conflict", SourceID: id})
	})
}

// closeConflicts resolves every open conflict of an item that no longer
// takes part in deconfliction.
func (s *Service) closeConflicts(ctx context.Context, tx *store.Tx, p access.Principal, itemID, status, reason string) error {
	ids, err := store.Strings(ctx, tx, `SELECT item_id FROM conflicts WHERE status = 'open' AND (a_item_id = ? OR b_item_id = ?) ORDER BY item_id`, itemID, itemID)
	if err != nil {
		return err
	}
	now := s.at()
	for _, id := range ids {
		if err := s.resolve(ctx, tx, p, id, status, reason, now); err != nil {
			return err
		}
	}
	return nil
}

// touchConflict audits and publishes a change to a conflict with its
// neutral view (sides redacted), which every entitled subscriber may see;
// clients fetch the conflict again for what they may see of each side.
func (s *Service) touchConflict(ctx context.Context, tx *store.Tx, p access.Principal, id, action string, also func(Conflict, access.Marking) error) error {
	c, m, err := neutralConflict(ctx, tx, id)
	if err != nil {
		return err
	}
	if also != nil {
		if err := also(c, m); err != nil {
			return err
		}
	}
	_, err = item.Touch(ctx, tx, s.bus, c.roomID, "conflict", id, action, m, audit.By(p), map[string]any{"status": c.Status}, c)
	return err
}

package picture

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/opsroom/opsroom/internal/access"
	"github.com/opsroom/opsroom/internal/audit"
	"github.com/opsroom/opsroom/internal/gazetteer"
	"github.com/opsroom/opsroom/internal/geo"
	"github.com/opsroom/opsroom/internal/item"
	"github.com/opsroom/opsroom/internal/store"
	"github.com/opsroom/opsroom/internal/validate"
)

func now() time.Time { return time.Now().UTC().Truncate(time.Microsecond) }

// changes lists the names whose old and new values differ, for the audit
// trail (names only, never values).
type changes []string

func (c *changes) cmp(name string, changed bool) {
	if changed {
		*c = append(*c, name)
	}
}

func sameTime(a, b *time.Time) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	return a.Equal(*b)
}

func versionGiven(errs *validate.Errors, v int) {
	if v <= 0 {
		errs.Add("version", "is required: the version you are replacing")
	}
}

// write runs a create (version 0) or an update of rec with the kind's own
// rows written by own, inside one transaction with the audit record.
func (s *Service) write(ctx context.Context, p access.Principal, rec *item.Record, version int, changed []string, data any, own func(tx *store.Tx) error) error {
	return s.db.Write(ctx, func(tx *store.Tx) error {
		var err error
		// An event's links name other items: the bus leaves out, for
		// each subscriber, those it may not see.
		if ev, ok := data.(Event); ok && len(ev.Links) > 0 {
			refs, err := item.RefsTo(ctx, tx, "links[]", ev.Links...)
			if err != nil {
				return err
			}
			data = item.WithRefs(ev, refs)
		}
		if version == 0 {
			err = item.Insert(ctx, tx, s.bus, rec, audit.By(p), data)
		} else {
			err = item.Update(ctx, tx, s.bus, rec, version, changed, audit.By(p), data)
		}
		if err != nil {
			return err
		}
		return own(tx)
	})
}

// ---- sites ----

func checkSite(errs *validate.Errors, in SiteInput) geo.Geometry {
	errs.Line("title", in.Title, true, 500)
	errs.Line("category", in.Category, false, 100)
	errs.Line("place_name", in.PlaceName, false, 200)
	validWindow(errs, in.ValidFrom, in.ValidTo)
	g, _ := geometry(errs, "geometry", in.Geometry, true)
	return g
}

// CreateSite adds a site to a room.
func (s *Service) CreateSite(ctx context.Context, p access.Principal, slug string, in SiteInput) (Site, error) {
	var errs validate.Errors
	g := checkSite(&errs, in)
	t, err := s.prepare(ctx, p, slug, in.Marking, &errs)
	if err != nil {
		return Site{}, err
	}
	if err := errs.Err(); err != nil {
		return Site{}, err
	}
	rec := t.record(p, KindSite, store.NewID(), trimmed(in.Title))
	rec.At = now()
	v := Site{Item: t.common(p, rec, 1, rec.At), Category: trimmed(in.Category), Protected: in.Protected, PlaceName: trimmed(in.PlaceName),
		Geometry: g, ValidFrom: in.ValidFrom, ValidTo: in.ValidTo}
	err = s.write(ctx, p, rec, 0, nil, v, func(tx *store.Tx) error {
		b := g.BBox()
		if _, err := tx.Exec(ctx, `INSERT INTO sites (item_id, category, protected, place_name, geometry, min_lon, min_lat, max_lon, max_lat, valid_start, valid_end)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, rec.ID, v.Category, v.Protected, v.PlaceName, geomJSON(g),
			b.MinLon, b.MinLat, b.MaxLon, b.MaxLat, nullMicros(in.ValidFrom), nullMicros(in.ValidTo)); err != nil {
			return err
		}
		if err := index(ctx, tx, rec.ID, &g); err != nil {
			return err
		}
		return s.siteChanged(ctx, tx, p, rec.ID)
	})
	return v, err
}

// siteChanged tells OnSiteChange about a created or changed site.
func (s *Service) siteChanged(ctx context.Context, tx *store.Tx, p access.Principal, id string) error {
	if s.OnSiteChange == nil {
		return nil
	}
	return s.OnSiteChange(ctx, tx, p, id)
}

// UpdateSite replaces a site (its owner partner's members only).
func (s *Service) UpdateSite(ctx context.Context, p access.Principal, id string, in SiteInput) (Site, error) {
	old, err := s.Site(ctx, p, id)
	if err != nil {
		return Site{}, err
	}
	if err := s.ownerCheck(ctx, p, id); err != nil {
		return Site{}, err
	}
	var errs validate.Errors
	g := checkSite(&errs, in)
	versionGiven(&errs, in.Version)
	t, err := s.prepare(ctx, p, old.Room, in.Marking, &errs)
	if err != nil {
		return Site{}, err
	}
	if err := errs.Err(); err != nil {
		return Site{}, err
	}
	rec := t.record(p, KindSite, id, trimmed(in.Title))
	v := Site{Item: t.common(p, rec, in.Version+1, old.CreatedAt), Category: trimmed(in.Category), Protected: in.Protected, PlaceName: trimmed(in.PlaceName),
		Geometry: g, ValidFrom: in.ValidFrom, ValidTo: in.ValidTo}
	v.CreatedBy, v.UpdatedAt = old.CreatedBy, now()
	var c changes
	c.cmp("title", old.Title != v.Title)
	c.cmp("marking", !sameMarking(old.Marking, v.Marking))
	c.cmp("category", old.Category != v.Category)
	c.cmp("protected", old.Protected != v.Protected)
	c.cmp("place_name", old.PlaceName != v.PlaceName)
	c.cmp("geometry", !old.Geometry.Equal(g))
	c.cmp("valid", !sameTime(old.ValidFrom, v.ValidFrom) || !sameTime(old.ValidTo, v.ValidTo))
	err = s.write(ctx, p, rec, in.Version, c, v, func(tx *store.Tx) error {
		b := g.BBox()
		if _, err := tx.Exec(ctx, `UPDATE sites SET category = ?, protected = ?, place_name = ?, geometry = ?, min_lon = ?, min_lat = ?, max_lon = ?, max_lat = ?,
			valid_start = ?, valid_end = ? WHERE item_id = ?`, v.Category, v.Protected, v.PlaceName, geomJSON(g),
			b.MinLon, b.MinLat, b.MaxLon, b.MaxLat, nullMicros(in.ValidFrom), nullMicros(in.ValidTo), id); err != nil {
			return err
		}
		if err := index(ctx, tx, id, &g); err != nil {
			return err
		}
		for _, name := range c {
			if name == "geometry" || name == "valid" || name == "protected" {
				return s.siteChanged(ctx, tx, p, id)
			}
		}
		return nil
	})
	v.UpdatedAt = rec.At
	return v, err
}

// Site returns one site the viewer may see.
func (s *Service) Site(ctx context.Context, p access.Principal, id string) (Site, error) {
	return getOne(ctx, s, p, siteSpec, id, scanSite)
}

// Sites returns a page of a room's sites the viewer may see, newest first.
func (s *Service) Sites(ctx context.Context, p access.Principal, slug, after string, limit int) ([]Site, error) {
	return listRoom(ctx, s, p, siteSpec, slug, after, limit, scanSite)
}

func sameMarking(a, b item.Marking) bool {
	return a.TLP == b.TLP && strings.Join(a.ReleasableTo, ",") == strings.Join(b.ReleasableTo, ",") &&
		strings.Join(a.Recipients, ",") == strings.Join(b.Recipients, ",")
}

// ---- events ----

func checkEvent(errs *validate.Errors, in EventInput) *geo.Geometry {
	errs.Line("title", in.Title, true, 500)
	errs.Line("event_kind", in.EventKind, true, 100)
	errs.Line("place_name", in.PlaceName, false, 200)
	if in.Start.IsZero() {
		errs.Add("start", "is required (RFC 3339); for an uncertain time give the earliest")
	}
	if in.End.IsZero() {
		errs.Add("end", "is required (RFC 3339); for an exact time give start again")
	} else if in.End.Before(in.Start) {
		errs.Add("end", "is before start")
	}
	if len(in.Links) > 100 {
		errs.Add("links", "has more than 100 items")
	}
	g, ok := geometry(errs, "geometry", in.Geometry, false)
	if !ok {
		return nil
	}
	return &g
}

// checkLinks refuses links to items that are not in the room or that the
// author may not see: linking is a way of showing, and one may only show
// what one sees.
func (s *Service) checkLinks(ctx context.Context, p access.Principal, roomID, self string, links []string, errs *validate.Errors) ([]string, error) {
	seen := map[string]bool{}
	var out []string
	for k, id := range links {
		if seen[id] {
			continue
		}
		seen[id] = true
		var got string
		err := store.Scan(item.For(p.Viewer).QueryRow(ctx, s.db, `SELECT i.id FROM {items i} WHERE i.id = ? AND i.room_id = ? AND i.id <> ? AND {visible i}`,
			id, roomID, self), &got)
		switch {
		case errors.Is(err, store.ErrNotFound):
			errs.Add("links["+strconv.Itoa(k)+"]", "is not an item of this room that you may see")
		case err != nil:
			return nil, err
		default:
			out = append(out, id)
		}
	}
	return out, nil
}

func writeEvent(ctx context.Context, tx *store.Tx, id string, v Event, update bool) error {
	var gj any
	var minLon, minLat, maxLon, maxLat any
	if v.Geometry != nil {
		b := v.Geometry.BBox()
		gj, minLon, minLat, maxLon, maxLat = geomJSON(*v.Geometry), b.MinLon, b.MinLat, b.MaxLon, b.MaxLat
	}
	q := `INSERT INTO events (event_kind, start_at, end_at, place_name, geometry, min_lon, min_lat, max_lon, max_lat, item_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
	if update {
		q = `UPDATE events SET event_kind = ?, start_at = ?, end_at = ?, place_name = ?, geometry = ?, min_lon = ?, min_lat = ?, max_lon = ?, max_lat = ? WHERE item_id = ?`
		if _, err := tx.Exec(ctx, `DELETE FROM event_links WHERE event_id = ?`, id); err != nil {
			return err
		}
	}
	if _, err := tx.Exec(ctx, q, v.EventKind, store.Micros(v.Start), store.Micros(v.End), v.PlaceName, gj, minLon, minLat, maxLon, maxLat, id); err != nil {
		return err
	}
	for _, l := range v.Links {
		if _, err := tx.Exec(ctx, `INSERT INTO event_links (event_id, linked_id) VALUES (?, ?)`, id, l); err != nil {
			return err
		}
	}
	return index(ctx, tx, id, v.Geometry)
}

// CreateEvent records an event in a room.
func (s *Service) CreateEvent(ctx context.Context, p access.Principal, slug string, in EventInput) (Event, error) {
	var errs validate.Errors
	g := checkEvent(&errs, in)
	t, err := s.prepare(ctx, p, slug, in.Marking, &errs)
	if err != nil {
		return Event{}, err
	}
	id := store.NewID()
	links, err := s.checkLinks(ctx, p, t.rm.ID, id, in.Links, &errs)
	if err != nil {
		return Event{}, err
	}
	if err := errs.Err(); err != nil {
		return Event{}, err
	}
	rec := t.record(p, KindEvent, id, trimmed(in.Title))
	rec.At = now()
	v := Event{Item: t.common(p, rec, 1, rec.At), EventKind: trimmed(in.EventKind), Start: in.Start.UTC().Truncate(time.Microsecond),
		End: in.End.UTC().Truncate(time.Microsecond), PlaceName: trimmed(in.PlaceName), Geometry: g, Links: nonNil(links)}
	err = s.write(ctx, p, rec, 0, nil, v, func(tx *store.Tx) error { return writeEvent(ctx, tx, id, v, false) })
	return v, err
}

// UpdateEvent replaces an event (its owner partner's members only).
func (s *Service) UpdateEvent(ctx context.Context, p access.Principal, id string, in EventInput) (Event, error) {
	old, err := s.Event(ctx, p, id)
	if err != nil {
		return Event{}, err
	}
	if err := s.ownerCheck(ctx, p, id); err != nil {
		return Event{}, err
	}
	var errs validate.Errors
	g := checkEvent(&errs, in)
	versionGiven(&errs, in.Version)
	t, err := s.prepare(ctx, p, old.Room, in.Marking, &errs)
	if err != nil {
		return Event{}, err
	}
	links, err := s.checkLinks(ctx, p, t.rm.ID, id, in.Links, &errs)
	if err != nil {
		return Event{}, err
	}
	if err := errs.Err(); err != nil {
		return Event{}, err
	}
	// Links to items the updater cannot see are kept: they were made by
	// someone who could, and dropping them would be an unseen change.
	hidden, err := s.hiddenLinks(ctx, p, id)
	if err != nil {
		return Event{}, err
	}
	rec := t.record(p, KindEvent, id, trimmed(in.Title))
	v := Event{Item: t.common(p, rec, in.Version+1, old.CreatedAt), EventKind: trimmed(in.EventKind), Start: in.Start.UTC().Truncate(time.Microsecond),
		End: in.End.UTC().Truncate(time.Microsecond), PlaceName: trimmed(in.PlaceName), Geometry: g, Links: nonNil(links)}
	v.CreatedBy, v.UpdatedAt = old.CreatedBy, now()
	var c changes
	c.cmp("title", old.Title != v.Title)
	c.cmp("marking", !sameMarking(old.Marking, v.Marking))
	c.cmp("event_kind", old.EventKind != v.EventKind)
	c.cmp("time", !old.Start.Equal(v.Start) || !old.End.Equal(v.End))
	c.cmp("place_name", old.PlaceName != v.PlaceName)
	c.cmp("geometry", (old.Geometry == nil) != (g == nil) || (g != nil && !old.Geometry.Equal(*g)))
	c.cmp("links", strings.Join(old.Links, ",") != strings.Join(v.Links, ","))
	stored := v
	stored.Links = append(append([]string{}, v.Links...), hidden...)
	err = s.write(ctx, p, rec, in.Version, c, v, func(tx *store.Tx) error { return writeEvent(ctx, tx, id, stored, true) })
	v.UpdatedAt = rec.At
	return v, err
}

func (s *Service) hiddenLinks(ctx context.Context, p access.Principal, id string) ([]string, error) {
	rows, err := item.For(p.Viewer).Query(ctx, s.db, `SELECT l.linked_id FROM event_links l WHERE l.event_id = ? AND NOT EXISTS (SELECT 1 FROM {items i} WHERE i.id = l.linked_id AND {visible i})`,
		id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var l string
		if err := rows.Scan(&l); err != nil {
			return nil, err
		}
		out = append(out, l)
	}
	return out, rows.Err()
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// fillLinks sets each event's links to the linked items the viewer may
// see.
func (s *Service) fillLinks(ctx context.Context, p access.Principal, evs []Event) error {
	if len(evs) == 0 {
		return nil
	}
	at := make(map[string]int, len(evs))
	for start := 0; start < len(evs); start += 500 {
		end := min(start+500, len(evs))
		args := make([]any, 0, end-start+4)
		for k := start; k < end; k++ {
			at[evs[k].ID] = k
			args = append(args, evs[k].ID)
		}
		rows, err := item.For(p.Viewer).Query(ctx, s.db, `SELECT l.event_id, l.linked_id FROM event_links l JOIN {items i} ON i.id = l.linked_id
			WHERE l.event_id IN (?`+strings.Repeat(", ?", end-start-1)+`) AND {visible i} ORDER BY l.event_id, l.linked_id`, args...)
		if err != nil {
			return err
		}
		for rows.Next() {
			var e, l string
			if err := rows.Scan(&e, &l); err != nil {
				rows.Close()
				return err
			}
			evs[at[e]].Links = append(evs[at[e]].Links, l)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
	}
	return nil
}

// Event returns one event the viewer may see, with the links it may see.
func (s *Service) Event(ctx context.Context, p access.Principal, id string) (Event, error) {
	v, err := getOne(ctx, s, p, eventSpec, id, scanEvent)
	if err != nil {
		return v, err
	}
	evs := []Event{v}
	err = s.fillLinks(ctx, p, evs)
	return evs[0], err
}

// Events returns a page of a room's events the viewer may see.
func (s *Service) Events(ctx context.Context, p access.Principal, slug, after string, limit int) ([]Event, error) {
	evs, err := listRoom(ctx, s, p, eventSpec, slug, after, limit, scanEvent)
	if err != nil {
		return nil, err
	}
	return evs, s.fillLinks(ctx, p, evs)
}

// EventByTitle returns the event of a room with this exact title that the
// viewer may see (for linking claims to the demo's events).
func (s *Service) EventByTitle(ctx context.Context, p access.Principal, slug, title string) (Event, error) {
	rm, err := s.rooms.Room(ctx, p, slug)
	if err != nil {
		return Event{}, err
	}
	evs, err := query(ctx, s.db, p.Viewer, eventSpec, `i.room_id = ? AND i.kind = ? AND i.title = ?`,
		[]any{rm.ID, KindEvent, title}, " ORDER BY i.id LIMIT 1", scanEvent)
	if err != nil {
		return Event{}, err
	}
	if len(evs) == 0 {
		return Event{}, store.ErrNotFound
	}
	return evs[0], s.fillLinks(ctx, p, evs)
}

// ---- areas ----

func checkArea(errs *validate.Errors, in AreaInput) geo.Geometry {
	errs.Line("title", in.Title, true, 500)
	kind := in.AreaKind
	if kind == "" {
		kind = "zone"
	}
	errs.Line("area_kind", kind, false, 100)
	validWindow(errs, in.ValidFrom, in.ValidTo)
	g, ok := geometry(errs, "geometry", in.Geometry, true)
	if ok && len(g.Polygons) == 0 {
		errs.Add("geometry", "an area is a Polygon or MultiPolygon")
	}
	return g
}

func areaKind(k string) string {
	if k = trimmed(k); k == "" {
		return "zone"
	}
	return k
}

// CreateArea adds a zone or sector to a room.
func (s *Service) CreateArea(ctx context.Context, p access.Principal, slug string, in AreaInput) (Area, error) {
	var errs validate.Errors
	g := checkArea(&errs, in)
	t, err := s.prepare(ctx, p, slug, in.Marking, &errs)
	if err != nil {
		return Area{}, err
	}
	if err := errs.Err(); err != nil {
		return Area{}, err
	}
	rec := t.record(p, KindArea, store.NewID(), trimmed(in.Title))
	rec.At = now()
	v := Area{Item: t.common(p, rec, 1, rec.At), AreaKind: areaKind(in.AreaKind), Geometry: g, ValidFrom: in.ValidFrom, ValidTo: in.ValidTo}
	err = s.write(ctx, p, rec, 0, nil, v, func(tx *store.Tx) error {
		b := g.BBox()
		if _, err := tx.Exec(ctx, `INSERT INTO areas (item_id, area_kind, geometry, min_lon, min_lat, max_lon, max_lat, valid_start, valid_end)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, rec.ID, v.AreaKind, geomJSON(g), b.MinLon, b.MinLat, b.MaxLon, b.MaxLat,
			nullMicros(in.ValidFrom), nullMicros(in.ValidTo)); err != nil {
			return err
		}
		return index(ctx, tx, rec.ID, &g)
	})
	return v, err
}

// UpdateArea replaces an area (its owner partner's members only).
func (s *Service) UpdateArea(ctx context.Context, p access.Principal, id string, in AreaInput) (Area, error) {
	old, err := s.Area(ctx, p, id)
	if err != nil {
		return Area{}, err
	}
	if err := s.ownerCheck(ctx, p, id); err != nil {
		return Area{}, err
	}
	var errs validate.Errors
	g := checkArea(&errs, in)
	versionGiven(&errs, in.Version)
	t, err := s.prepare(ctx, p, old.Room, in.Marking, &errs)
	if err != nil {
		return Area{}, err
	}
	if err := errs.Err(); err != nil {
		return Area{}, err
	}
	rec := t.record(p, KindArea, id, trimmed(in.Title))
	v := Area{Item: t.common(p, rec, in.Version+1, old.CreatedAt), AreaKind: areaKind(in.AreaKind), Geometry: g, ValidFrom: in.ValidFrom, ValidTo: in.ValidTo}
	v.CreatedBy, v.UpdatedAt = old.CreatedBy, now()
	var c changes
	c.cmp("title", old.Title != v.Title)
	c.cmp("marking", !sameMarking(old.Marking, v.Marking))
	c.cmp("area_kind", old.AreaKind != v.AreaKind)
	c.cmp("geometry", !old.Geometry.Equal(g))
	c.cmp("valid", !sameTime(old.ValidFrom, v.ValidFrom) || !sameTime(old.ValidTo, v.ValidTo))
	err = s.write(ctx, p, rec, in.Version, c, v, func(tx *store.Tx) error {
		b := g.BBox()
		if _, err := tx.Exec(ctx, `UPDATE areas SET area_kind = ?, geometry = ?, min_lon = ?, min_lat = ?, max_lon = ?, max_lat = ?, valid_start = ?, valid_end = ?
			WHERE item_id = ?`, v.AreaKind, geomJSON(g), b.MinLon, b.MinLat, b.MaxLon, b.MaxLat, nullMicros(in.ValidFrom), nullMicros(in.ValidTo), id); err != nil {
			return err
		}
		return index(ctx, tx, id, &g)
	})
	v.UpdatedAt = rec.At
	return v, err
}

// Area returns one area the viewer may see.
func (s *Service) Area(ctx context.Context, p access.Principal, id string) (Area, error) {
	return getOne(ctx, s, p, areaSpec, id, scanArea)
}

// Areas returns a page of a room's areas the viewer may see.
func (s *Service) Areas(ctx context.Context, p access.Principal, slug, after string, limit int) ([]Area, error) {
	return listRoom(ctx, s, p, areaSpec, slug, after, limit, scanArea)
}

// ---- places ----

func checkPlace(errs *validate.Errors, in PlaceInput) {
	errs.Line("name", in.Name, true, 200)
	if in.Country != "" && (len(in.Country) != 2 || strings.ToUpper(in.Country) != in.Country) {
		errs.Add("country", "is an ISO 3166-1 alpha-2 code in upper case (e.g. SY)")
	}
	switch {
	case in.Lat == nil:
		errs.Add("lat", "is required")
	case *in.Lat < -90 || *in.Lat > 90:
		errs.Add("lat", "must be between -90 and 90")
	}
	switch {
	case in.Lon == nil:
		errs.Add("lon", "is required")
	case *in.Lon < -180 || *in.Lon > 180:
		errs.Add("lon", "must be between -180 and 180")
	}
}

func placePoint(v Place) *geo.Geometry {
	g := geo.Point{Lon: v.Lon, Lat: v.Lat}.Geometry()
	return &g
}

// CreatePlace adds a named place of the room's own, searched by place
// lookups beside the shipped gazetteer.
func (s *Service) CreatePlace(ctx context.Context, p access.Principal, slug string, in PlaceInput) (Place, error) {
	var errs validate.Errors
	checkPlace(&errs, in)
	t, err := s.prepare(ctx, p, slug, in.Marking, &errs)
	if err != nil {
		return Place{}, err
	}
	if err := errs.Err(); err != nil {
		return Place{}, err
	}
	rec := t.record(p, KindPlace, store.NewID(), trimmed(in.Name))
	rec.At = now()
	v := Place{Item: t.common(p, rec, 1, rec.At), Name: rec.Title, Country: in.Country, Lat: *in.Lat, Lon: *in.Lon}
	err = s.write(ctx, p, rec, 0, nil, v, func(tx *store.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO places (item_id, name, folded, country, lat, lon) VALUES (?, ?, ?, ?, ?, ?)`,
			rec.ID, v.Name, gazetteer.Fold(v.Name), v.Country, v.Lat, v.Lon); err != nil {
			return err
		}
		return index(ctx, tx, rec.ID, placePoint(v))
	})
	return v, err
}

// UpdatePlace replaces a room place (its owner partner's members only).
func (s *Service) UpdatePlace(ctx context.Context, p access.Principal, id string, in PlaceInput) (Place, error) {
	old, err := s.Place(ctx, p, id)
	if err != nil {
		return Place{}, err
	}
	if err := s.ownerCheck(ctx, p, id); err != nil {
		return Place{}, err
	}
	var errs validate.Errors
	checkPlace(&errs, in)
	versionGiven(&errs, in.Version)
	t, err := s.prepare(ctx, p, old.Room, in.Marking, &errs)
	if err != nil {
		return Place{}, err
	}
	if err := errs.Err(); err != nil {
		return Place{}, err
	}
	rec := t.record(p, KindPlace, id, trimmed(in.Name))
	v := Place{Item: t.common(p, rec, in.Version+1, old.CreatedAt), Name: rec.Title, Country: in.Country, Lat: *in.Lat, Lon: *in.Lon}
	v.CreatedBy, v.UpdatedAt = old.CreatedBy, now()
	var c changes
	c.cmp("name", old.Name != v.Name)
	c.cmp("marking", !sameMarking(old.Marking, v.Marking))
	c.cmp("country", old.Country != v.Country)
	c.cmp("position", old.Lat != v.Lat || old.Lon != v.Lon)
	err = s.write(ctx, p, rec, in.Version, c, v, func(tx *store.Tx) error {
		if _, err := tx.Exec(ctx, `UPDATE places SET name = ?, folded = ?, country = ?, lat = ?, lon = ? WHERE item_id = ?`,
			v.Name, gazetteer.Fold(v.Name), v.Country, v.Lat, v.Lon, id); err != nil {
			return err
		}
		return index(ctx, tx, id, placePoint(v))
	})
	v.UpdatedAt = rec.At
	return v, err
}

// Place returns one room place the viewer may see.
func (s *Service) Place(ctx context.Context, p access.Principal, id string) (Place, error) {
	return getOne(ctx, s, p, placeSpec, id, scanPlace)
}

// Places returns a page of a room's places the viewer may see.
func (s *Service) Places(ctx context.Context, p access.Principal, slug, after string, limit int) ([]Place, error) {
	return listRoom(ctx, s, p, placeSpec, slug, after, limit, scanPlace)
}

// ---- tracks ----

func checkTrack(errs *validate.Errors, in TrackInput) {
	errs.Line("title", in.Title, true, 500)
	errs.Line("uid", in.UID, true, 200)
	errs.Code("type", in.Type, 100)
	if in.StaleSeconds < 0 {
		errs.Add("stale_seconds", "must not be negative")
	}
}

// CreateTrack adds a track to a room, owned by the caller's partner.
func (s *Service) CreateTrack(ctx context.Context, p access.Principal, slug string, in TrackInput) (Track, error) {
	var errs validate.Errors
	checkTrack(&errs, in)
	t, err := s.prepare(ctx, p, slug, in.Marking, &errs)
	if err != nil {
		return Track{}, err
	}
	if err := errs.Err(); err != nil {
		return Track{}, err
	}
	rec := t.record(p, KindTrack, store.NewID(), trimmed(in.Title))
	rec.At = now()
	v := Track{Item: t.common(p, rec, 1, rec.At), UID: in.UID, Type: in.Type, StaleSeconds: in.StaleSeconds}
	err = s.write(ctx, p, rec, 0, nil, v, func(tx *store.Tx) error {
		seq, err := InsertTrackRow(ctx, tx, rec.ID, t.rm.ID, v.UID, v.Type, v.StaleSeconds)
		v.seq = seq
		return err
	})
	return v, err
}

// InsertTrackRow writes the picture's row of a track whose item itemID
// was just inserted in tx, and returns the track's number, the key of its
// positions. Writers are serialized (one SQLite writer; the audit head
// row on PostgreSQL, locked by item.Insert), so MAX+1 is safe.
func InsertTrackRow(ctx context.Context, tx *store.Tx, itemID, roomID, uid, typ string, staleSeconds int64) (int64, error) {
	var seq int64
	if err := store.Scan(tx.QueryRow(ctx, `SELECT COALESCE(MAX(seq), 0) + 1 FROM tracks`), &seq); err != nil {
		return 0, err
	}
	_, err := tx.Exec(ctx, `INSERT INTO tracks (item_id, seq, room_id, uid, type_code, stale_seconds) VALUES (?, ?, ?, ?, ?, ?)`,
		itemID, seq, roomID, uid, typ, staleSeconds)
	return seq, err
}

// UpdateTrack replaces a track's description (not its positions).
func (s *Service) UpdateTrack(ctx context.Context, p access.Principal, id string, in TrackInput) (Track, error) {
	old, err := s.Track(ctx, p, id)
	if err != nil {
		return Track{}, err
	}
	if err := s.ownerCheck(ctx, p, id); err != nil {
		return Track{}, err
	}
	var errs validate.Errors
	checkTrack(&errs, in)
	versionGiven(&errs, in.Version)
	t, err := s.prepare(ctx, p, old.Room, in.Marking, &errs)
	if err != nil {
		return Track{}, err
	}
	if err := errs.Err(); err != nil {
		return Track{}, err
	}
	rec := t.record(p, KindTrack, id, trimmed(in.Title))
	v := Track{Item: t.common(p, rec, in.Version+1, old.CreatedAt), UID: in.UID, Type: in.Type, StaleSeconds: in.StaleSeconds, seq: old.seq}
	v.CreatedBy, v.UpdatedAt = old.CreatedBy, now()
	var c changes
	c.cmp("title", old.Title != v.Title)
	c.cmp("marking", !sameMarking(old.Marking, v.Marking))
	c.cmp("uid", old.UID != v.UID)
	c.cmp("type", old.Type != v.Type)
	c.cmp("stale_seconds", old.StaleSeconds != v.StaleSeconds)
	err = s.write(ctx, p, rec, in.Version, c, v, func(tx *store.Tx) error {
		_, err := tx.Exec(ctx, `UPDATE tracks SET uid = ?, type_code = ?, stale_seconds = ? WHERE item_id = ?`, v.UID, v.Type, v.StaleSeconds, id)
		return err
	})
	v.UpdatedAt = rec.At
	return v, err
}

// Track returns one track the viewer may see (without positions).
func (s *Service) Track(ctx context.Context, p access.Principal, id string) (Track, error) {
	return getOne(ctx, s, p, trackSpec, id, scanTrack)
}

// Tracks returns a page of a room's tracks the viewer may see.
func (s *Service) Tracks(ctx context.Context, p access.Principal, slug, after string, limit int) ([]Track, error) {
	return listRoom(ctx, s, p, trackSpec, slug, after, limit, scanTrack)
}

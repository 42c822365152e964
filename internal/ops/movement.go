package ops

import (
	"context"
	"encoding/json"
	"errors"
	"maps"
	"slices"
	"strings"

	"github.com/opsroom/opsroom/internal/access"
	"github.com/opsroom/opsroom/internal/audit"
	"github.com/opsroom/opsroom/internal/geo"
	"github.com/opsroom/opsroom/internal/item"
	"github.com/opsroom/opsroom/internal/picture"
	"github.com/opsroom/opsroom/internal/store"
	"github.com/opsroom/opsroom/internal/timespan"
	"github.com/opsroom/opsroom/internal/validate"
)

// Notification statuses (movements and site notices).
const (
	Notified  = "notified"
	Withdrawn = "withdrawn"
)

// MaxCorridorWidth caps a movement's corridor (metres).
const MaxCorridorWidth = 100_000

// MovementInput notifies or changes a movement.
type MovementInput struct {
	Title         string          `json:"title"`
	Purpose       string          `json:"purpose"`                  // convoy, evacuation, ...
	Route         json.RawMessage `json:"route"`                    // GeoJSON LineString
	CorridorWidth float64         `json:"corridor_width,omitempty"` // metres, the whole width
	Window        timespan.Span   `json:"window"`
	Marking       item.Marking    `json:"marking"`
	Version       int             `json:"version,omitempty"` // updates only
}

// Movement is a notified route with a window: a record that a partner
// will move there and then, not a request for permission.
type Movement struct {
	item.Item
	Purpose       string          `json:"purpose"`
	Route         json.RawMessage `json:"route"`
	CorridorWidth float64         `json:"corridor_width"`
	Window        timespan.Span   `json:"window"`
	Status        string          `json:"status"`
}

func checkMovement(in *MovementInput) (part, error) {
	var errs validate.Errors
	in.Title = strings.TrimSpace(in.Title)
	errs.Line("title", in.Title, true, 300)
	errs.Text("purpose", in.Purpose, true, 300)
	var g geo.Geometry
	if len(in.Route) == 0 {
		errs.Add("route", "is required: a GeoJSON LineString")
	} else if d, err := geo.Decode(in.Route, geoOpts); err != nil {
		var ve *geo.ValidationError
		if errors.As(err, &ve) && ve.Path != "" {
			errs.Add("route."+ve.Path, "%s", ve.Msg)
		} else {
			errs.Add("route", "%s", err.Error())
		}
	} else if d.Kind != geo.KindLineString {
		errs.Add("route", "must be a LineString, not a %s", d.Kind)
	} else {
		g = d
	}
	if !(in.CorridorWidth >= 0 && in.CorridorWidth <= MaxCorridorWidth) {
		errs.Add("corridor_width", "must be from 0 to %d metres", MaxCorridorWidth)
	}
	checkWindow(&errs, "window", in.Window)
	return part{Kind: "movement", Raw: in.Route, Geom: g, HalfWidth: in.CorridorWidth / 2, Window: in.Window}, errs.Err()
}

// CreateMovement notifies a movement in a room and checks it against the
// other partners' operations, movements and protected sites.
func (s *Service) CreateMovement(ctx context.Context, p access.Principal, slug string, in MovementInput) (Movement, error) {
	rm, rv, err := s.memberRoom(ctx, p, slug)
	if err != nil {
		return Movement{}, err
	}
	var errs validate.Errors
	pt, err := checkMovement(&in)
	if err := mergeErr(&errs, err); err != nil {
		return Movement{}, err
	}
	m, shown, err := item.Resolve("marking", in.Marking, p.Viewer, rv, rm.DefaultTLP)
	if err := mergeErr(&errs, err); err != nil {
		return Movement{}, err
	}
	if err := errs.Err(); err != nil {
		return Movement{}, err
	}
	rec := &item.Record{ID: store.NewID(), RoomID: rm.ID, Room: rm.Slug, Kind: "movement", Title: in.Title, Marking: m, Shown: shown,
		Owner: p.PartnerID, Author: p.ID, At: s.at()}
	pt.ID = rec.ID
	err = s.db.Write(ctx, func(tx *store.Tx) error {
		mv := Movement{Item: item.Item{ID: rec.ID, Room: rm.Slug, Kind: "movement", Title: in.Title, Marking: shown, Owner: rv.PartnerCodes[p.PartnerID],
			CreatedBy: p.Username, CreatedAt: rec.At, UpdatedAt: rec.At, Version: 1},
			Purpose: in.Purpose, Route: in.Route, CorridorWidth: in.CorridorWidth, Window: in.Window, Status: Notified}
		if err := item.Insert(ctx, tx, s.bus, rec, audit.By(p), mv); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO movements (item_id, purpose, route, corridor_width, start_at, end_at, status) VALUES (?, ?, ?, ?, ?, ?, ?)`,
			rec.ID, in.Purpose, string(in.Route), in.CorridorWidth, store.Micros(in.Window.Start), store.Micros(in.Window.End), Notified); err != nil {
			return err
		}
		if err := addHistory(ctx, tx, rec.ID, p, rec.At, "submitted", "", Notified, ""); err != nil {
			return err
		}
		if err := setFootprints(ctx, tx, rec.ID, rm.ID, p.PartnerID, []part{pt}, true); err != nil {
			return err
		}
		return s.deconflict(ctx, tx, p, rec.ID)
	})
	if err != nil {
		return Movement{}, err
	}
	return s.Movement(ctx, p, rec.ID)
}

const mvColumns = item.Columns + `, mv.purpose, mv.route, mv.corridor_width, mv.start_at, mv.end_at, mv.status`
const mvFrom = ` FROM {items i} JOIN movements mv ON mv.item_id = i.id` + item.Joins

func scanMovement(sc interface{ Scan(...any) error }) (Movement, error) {
	var m Movement
	var route string
	var start, end int64
	err := item.Scan(sc, &m.Item, &m.Purpose, &route, &m.CorridorWidth, &start, &end, &m.Status)
	m.Route = json.RawMessage(route)
	m.Window = timespan.Span{Start: store.Time(start), End: store.Time(end)}
	return m, err
}

func readMovement(ctx context.Context, q querier, p access.Principal, id string) (Movement, error) {
	return scanMovement(item.For(p.Viewer).QueryRow(ctx, q, `SELECT `+mvColumns+mvFrom+` WHERE i.id = ? AND {visible i}`, id))
}

// Movement returns one movement p may see.
func (s *Service) Movement(ctx context.Context, p access.Principal, id string) (Movement, error) {
	m, err := readMovement(ctx, s.db, p, id)
	if err != nil {
		return m, item.NotFound(ctx, s.db, p, id, err)
	}
	return m, nil
}

// Movements lists a room's movements p may see, newest first.
func (s *Service) Movements(ctx context.Context, p access.Principal, slug, after string, limit int) ([]Movement, error) {
	rm, err := s.rooms.Room(ctx, p, slug)
	if err != nil {
		return nil, err
	}
	q := `SELECT ` + mvColumns + mvFrom + ` WHERE i.room_id = ? AND {visible i}`
	args := []any{rm.ID}
	if after != "" {
		q += ` AND i.id < ?`
		args = append(args, after)
	}
	rows, err := item.For(p.Viewer).Query(ctx, s.db, q+` ORDER BY i.id DESC LIMIT ?`, append(args, limit)...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Movement{}
	for rows.Next() {
		m, err := scanMovement(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

// UpdateMovement changes a notified movement (members of its partner);
// it is checked again, and conflicts it no longer has are resolved as
// adjusted.
func (s *Service) UpdateMovement(ctx context.Context, p access.Principal, id string, in MovementInput) (Movement, error) {
	var result Movement
	err := s.db.Write(ctx, func(tx *store.Tx) error {
		rec, err := load(ctx, tx, p, id, "movement")
		if err != nil {
			return err
		}
		old, err := readMovement(ctx, tx, p, id)
		if err != nil {
			return err
		}
		if p.PartnerID != rec.Owner {
			return access.ErrForbidden
		}
		if old.Status != Notified {
			return validate.Field("status", "a withdrawn movement no longer changes")
		}
		rv, err := s.rooms.View(ctx, rec.RoomID)
		if err != nil {
			return err
		}
		var errs validate.Errors
		if in.Version == 0 {
			errs.Add("version", "is required: the version you are changing")
		}
		pt, err := checkMovement(&in)
		if err := mergeErr(&errs, err); err != nil {
			return err
		}
		if in.Marking.TLP == "" {
			in.Marking = old.Marking
		}
		m, shown, err := item.Resolve("marking", in.Marking, p.Viewer, rv, access.Label(old.Marking.TLP))
		if err := mergeErr(&errs, err); err != nil {
			return err
		}
		if err := errs.Err(); err != nil {
			return err
		}
		pt.ID = id
		if _, err := tx.Exec(ctx, `UPDATE movements SET purpose = ?, route = ?, corridor_width = ?, start_at = ?, end_at = ? WHERE item_id = ?`,
			in.Purpose, string(in.Route), in.CorridorWidth, store.Micros(in.Window.Start), store.Micros(in.Window.End), id); err != nil {
			return err
		}
		if err := addHistory(ctx, tx, id, p, s.at(), "changed", Notified, Notified, ""); err != nil {
			return err
		}
		if err := setFootprints(ctx, tx, id, rec.RoomID, rec.Owner, []part{pt}, true); err != nil {
			return err
		}
		if err := s.deconflict(ctx, tx, p, id); err != nil {
			return err
		}
		if result, err = readMovement(ctx, tx, p, id); err != nil {
			return err
		}
		result.Title, result.Marking, result.Version, result.UpdatedAt = in.Title, shown, in.Version+1, s.at()
		rec.Title, rec.Marking, rec.Shown = in.Title, m, shown
		return item.Update(ctx, tx, s.bus, &rec.Record, in.Version, []string{"movement"}, audit.By(p), result)
	})
	return result, err
}

// SiteNoticeInput notifies a site of the picture as protected.
type SiteNoticeInput struct {
	Site    string       `json:"site"` // the site's item ID
	Note    string       `json:"note,omitempty"`
	Marking item.Marking `json:"marking"`
}

// SiteNotice is a partner's notification that a site is protected (a
// hospital, an aid warehouse). Operations and movements of other partners
// that overlap the site conflict with it while the notice stands.
type SiteNotice struct {
	item.Item
	Site   string `json:"site"`
	Note   string `json:"note,omitempty"`
	Status string `json:"status"`
}

// NotifySite records a partner's notice that a site it may see is
// protected, and checks the operations and movements around it.
func (s *Service) NotifySite(ctx context.Context, p access.Principal, slug string, in SiteNoticeInput) (SiteNotice, error) {
	rm, rv, err := s.memberRoom(ctx, p, slug)
	if err != nil {
		return SiteNotice{}, err
	}
	var errs validate.Errors
	errs.Text("note", in.Note, false, 4000)
	m, shown, err := item.Resolve("marking", in.Marking, p.Viewer, rv, rm.DefaultTLP)
	if err := mergeErr(&errs, err); err != nil {
		return SiteNotice{}, err
	}
	site, err := load(ctx, s.db, p, in.Site, "site")
	if errors.Is(err, store.ErrNotFound) || (err == nil && site.RoomID != rm.ID) {
		errs.Add("site", "is not a site of this room")
	} else if err != nil {
		return SiteNotice{}, err
	}
	if err := errs.Err(); err != nil {
		return SiteNotice{}, err
	}
	rec := &item.Record{ID: store.NewID(), RoomID: rm.ID, Room: rm.Slug, Kind: "site-notice", Title: "Protected site", Marking: m, Shown: shown,
		Owner: p.PartnerID, Author: p.ID, At: s.at()}
	err = s.db.Write(ctx, func(tx *store.Tx) error {
		n := SiteNotice{Item: item.Item{ID: rec.ID, Room: rm.Slug, Kind: "site-notice", Title: rec.Title, Marking: shown, Owner: rv.PartnerCodes[p.PartnerID],
			CreatedBy: p.Username, CreatedAt: rec.At, UpdatedAt: rec.At, Version: 1}, Site: in.Site, Note: in.Note, Status: Notified}
		// The title does not name the site, and the site is named to
		// those who may see it only.
		refs, err := item.RefsTo(ctx, tx, "site", in.Site)
		if err != nil {
			return err
		}
		if err := item.Insert(ctx, tx, s.bus, rec, audit.By(p), item.WithRefs(n, refs)); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO site_notices (item_id, site_item_id, note, status) VALUES (?, ?, ?, 'active')`, rec.ID, in.Site, in.Note); err != nil {
			return err
		}
		if err := addHistory(ctx, tx, rec.ID, p, rec.At, "submitted", "", Notified, ""); err != nil {
			return err
		}
		return s.recheckSite(ctx, tx, p, in.Site)
	})
	if err != nil {
		return SiteNotice{}, err
	}
	return s.SiteNotice(ctx, p, rec.ID)
}

// SiteChanged checks a site of the picture again after it was created or
// changed (its geometry, validity or protected flag), inside the change's
// transaction tx; the picture calls it through its OnSiteChange hook. A
// site that is protected (by its owner or a partner's notice) raises a
// conflict for each new overlap with another partner's operation, phase
// or movement, and the conflicts whose overlap is gone are resolved as
// adjusted. A site that is no longer protected has its open conflicts
// resolved as withdrawn.
func (s *Service) SiteChanged(ctx context.Context, tx *store.Tx, p access.Principal, siteID string) error {
	site, err := picture.SiteShapeOf(ctx, tx, siteID)
	if err != nil {
		return err
	}
	protected := site.Protected
	if !protected {
		var n int
		if err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM site_notices WHERE site_item_id = ? AND status = 'active'`, siteID).Scan(&n); err != nil {
			return err
		}
		protected = n > 0
	}
	if !protected {
		return s.closeConflicts(ctx, tx, p, siteID, ConflictWithdrawn, "the site is no longer protected")
	}
	return s.recheckSite(ctx, tx, p, siteID)
}

// recheckSite checks again every operation and movement whose box and
// window meet a site's, after the site became protected or stopped being
// so.
func (s *Service) recheckSite(ctx context.Context, tx *store.Tx, p access.Principal, siteID string) error {
	site, err := picture.SiteShapeOf(ctx, tx, siteID)
	if err != nil {
		return err
	}
	f, err := siteFootprint(site)
	if err != nil {
		return err
	}
	// Only the operations and movements found count here, so which other
	// sites a notice protects does not matter (nil).
	cands, err := s.candidates(ctx, tx, tx.Engine(), site.RoomID, site.Owner, f, nil)
	if err != nil {
		return err
	}
	ids := map[string]bool{}
	for _, c := range cands {
		if c.Kind != "site" {
			ids[c.ItemID] = true
		}
	}
	open, err := store.Strings(ctx, tx, `SELECT a_item_id FROM conflicts WHERE b_item_id = ? AND status = 'open'`, siteID)
	if err != nil {
		return err
	}
	for _, id := range open {
		ids[id] = true
	}
	for _, id := range slices.Sorted(maps.Keys(ids)) {
		if err := s.deconflict(ctx, tx, p, id); err != nil {
			return err
		}
	}
	return nil
}

// A notice names its site only to a reader who may see the site.
const noticeColumns = item.Columns + `, COALESCE(si.id, ''), n.note, n.status`
const noticeFrom = ` FROM {items i} JOIN site_notices n ON n.item_id = i.id LEFT JOIN {items si} ON si.id = n.site_item_id AND {visible si}` + item.Joins

func scanNotice(sc interface{ Scan(...any) error }) (SiteNotice, error) {
	var n SiteNotice
	err := item.Scan(sc, &n.Item, &n.Site, &n.Note, &n.Status)
	if n.Status == "active" {
		n.Status = Notified
	}
	return n, err
}

// SiteNotice returns one site notice p may see.
func (s *Service) SiteNotice(ctx context.Context, p access.Principal, id string) (SiteNotice, error) {
	n, err := scanNotice(item.For(p.Viewer).QueryRow(ctx, s.db, `SELECT `+noticeColumns+noticeFrom+` WHERE i.id = ? AND {visible i}`, id))
	if err != nil {
		return n, item.NotFound(ctx, s.db, p, id, err)
	}
	return n, nil
}

// SiteNotices lists a room's site notices p may see, newest first.
func (s *Service) SiteNotices(ctx context.Context, p access.Principal, slug, after string, limit int) ([]SiteNotice, error) {
	rm, err := s.rooms.Room(ctx, p, slug)
	if err != nil {
		return nil, err
	}
	q := `SELECT ` + noticeColumns + noticeFrom + ` WHERE i.room_id = ? AND {visible i}`
	args := []any{rm.ID}
	if after != "" {
		q += ` AND i.id < ?`
		args = append(args, after)
	}
	rows, err := item.For(p.Viewer).Query(ctx, s.db, q+` ORDER BY i.id DESC LIMIT ?`, append(args, limit)...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []SiteNotice{}
	for rows.Next() {
		n, err := scanNotice(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, n)
	}
	return out, rows.Err()
}

// noticeKind returns the kind of a notification (movement or site notice)
// p may see.
func noticeKind(ctx context.Context, q querier, p access.Principal, id string) (string, error) {
	var kind string
	err := store.Scan(item.For(p.Viewer).QueryRow(ctx, q, `SELECT i.kind FROM {items i} WHERE i.id = ? AND i.kind IN ('movement', 'site-notice') AND {visible i}`, id), &kind)
	return kind, err
}

// Seen records that p's partner has seen a notification (once per
// partner; seeing it again changes nothing).
func (s *Service) Seen(ctx context.Context, p access.Principal, id string) error {
	err := s.db.Write(ctx, func(tx *store.Tx) error {
		kind, err := noticeKind(ctx, tx, p, id)
		if err != nil {
			return err
		}
		rec, err := load(ctx, tx, p, id, kind)
		if err != nil {
			return err
		}
		var n int
		if err := store.Scan(tx.QueryRow(ctx, `SELECT COUNT(*) FROM ops_history WHERE item_id = ? AND partner_id = ? AND action = 'seen'`, id, p.PartnerID), &n); err != nil || n > 0 {
			return err
		}
		if err := addHistory(ctx, tx, id, p, s.at(), "seen", "", "", ""); err != nil {
			return err
		}
		_, err = item.Touch(ctx, tx, s.bus, rec.RoomID, kind, id, "seen", rec.Marking, audit.By(p), map[string]any{"seen_by": p.PartnerID}, map[string]string{"id": id, "seen_by": p.Username})
		return err
	})
	if err != nil {
		return item.NotFound(ctx, s.db, p, id, err)
	}
	return nil
}

// Withdraw withdraws a notification (members of the partner that
// submitted it): a movement leaves deconfliction, a site notice stops
// protecting the site (unless the site is protected by its owner or
// another notice), and the conflicts that no longer hold are resolved.
func (s *Service) Withdraw(ctx context.Context, p access.Principal, id string, in Action) error {
	in.Reason = strings.TrimSpace(in.Reason)
	var errs validate.Errors
	errs.Text("reason", in.Reason, false, 4000)
	if err := errs.Err(); err != nil {
		return err
	}
	err := s.db.Write(ctx, func(tx *store.Tx) error {
		kind, err := noticeKind(ctx, tx, p, id)
		if err != nil {
			return err
		}
		rec, err := load(ctx, tx, p, id, kind)
		if err != nil {
			return err
		}
		if rec.Owner != p.PartnerID {
			return access.ErrForbidden
		}
		table, active := "movements", Notified
		if kind == "site-notice" {
			table, active = "site_notices", "active"
		}
		res, err := tx.Exec(ctx, `UPDATE `+table+` SET status = ? WHERE item_id = ? AND status = ?`, Withdrawn, id, active)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return validate.Field("status", "the notification is withdrawn already")
		}
		if err := addHistory(ctx, tx, id, p, s.at(), "withdrawn", Notified, Withdrawn, in.Reason); err != nil {
			return err
		}
		if kind == "movement" {
			if _, err := tx.Exec(ctx, `UPDATE ops_footprints SET active = 0 WHERE item_id = ?`, id); err != nil {
				return err
			}
			if err := s.closeConflicts(ctx, tx, p, id, ConflictWithdrawn, "the movement was withdrawn"); err != nil {
				return err
			}
		} else {
			var site string
			if err := store.Scan(tx.QueryRow(ctx, `SELECT site_item_id FROM site_notices WHERE item_id = ?`, id), &site); err != nil {
				return err
			}
			if err := s.SiteChanged(ctx, tx, p, site); err != nil {
				return err
			}
		}
		_, err = item.Touch(ctx, tx, s.bus, rec.RoomID, kind, id, "withdraw", rec.Marking, audit.By(p), map[string]any{"status": Withdrawn}, map[string]string{"id": id, "status": Withdrawn})
		return err
	})
	if err != nil {
		return item.NotFound(ctx, s.db, p, id, err)
	}
	return nil
}

// SiteByTitle returns the ID of a site of the room with this title that p
// may see (for the demo and scripts that refer to sites by name).
func (s *Service) SiteByTitle(ctx context.Context, p access.Principal, slug, title string) (string, error) {
	rm, err := s.rooms.Room(ctx, p, slug)
	if err != nil {
		return "", err
	}
	return picture.SiteByTitle(ctx, item.For(p.Viewer), s.db, rm.ID, title)
}

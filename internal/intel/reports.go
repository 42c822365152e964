package intel

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/opsroom/opsroom/internal/access"
	"github.com/opsroom/opsroom/internal/audit"
	"github.com/opsroom/opsroom/internal/geo"
	"github.com/opsroom/opsroom/internal/item"
	"github.com/opsroom/opsroom/internal/store"
	"github.com/opsroom/opsroom/internal/timespan"
	"github.com/opsroom/opsroom/internal/validate"
)

// Place is a place a report is about: a GeoJSON point or area, optionally
// named.
type Place struct {
	Name     string          `json:"name,omitempty"`
	Geometry json.RawMessage `json:"geometry"`
}

// NewReport is the input to CreateReport, and with Version to
// UpdateReport.
type NewReport struct {
	Title  string `json:"title"`
	Text   string `json:"text"`
	Source string `json:"source"` // a source ID in the same room
	// Credibility is the Admiralty credibility of the information, 1..6.
	Credibility int `json:"credibility"`
	// Observed is when what the report describes happened: an interval
	// ("a few weeks before 2015-10-01"), an exact moment (start = end), or
	// null when unknown.
	Observed   timespan.Span `json:"observed"`
	ReportedAt *time.Time    `json:"reported_at,omitempty"`
	Places     []Place       `json:"places,omitempty"`
	Marking    item.Marking  `json:"marking"`
	// ID, when set, is the new report's ID (an importer keeping its IDs).
	ID string `json:"-"`
}

// ReportPatch replaces a report's content; Version is the version being
// replaced (a stale version is refused with 409).
type ReportPatch struct {
	NewReport
	Version int `json:"version"`
}

// SharedReport is a report as the API shows it. Source, SourceName and
// Reliability are empty when the caller may not see the source.
type SharedReport struct {
	ID          string        `json:"id"`
	Room        string        `json:"room"`
	Title       string        `json:"title"`
	Text        string        `json:"text"`
	Source      string        `json:"source,omitempty"`
	SourceName  string        `json:"source_name,omitempty"`
	Reliability string        `json:"reliability,omitempty"`
	Credibility int           `json:"credibility"`
	Grade       string        `json:"grade,omitempty"` // e.g. "F3"
	Observed    timespan.Span `json:"observed"`
	ReportedAt  *time.Time    `json:"reported_at,omitempty"`
	Places      []Place       `json:"places"`
	Marking     item.Marking  `json:"marking"`
	Owner       string        `json:"owner"`      // partner code
	CreatedBy   string        `json:"created_by"` // username
	CreatedAt   time.Time     `json:"created_at"`
	UpdatedAt   time.Time     `json:"updated_at"`
	Version     int           `json:"version"`
	EditedBy    string        `json:"edited_by"` // who wrote this version
}

// ReportVersion is one earlier version of a report.
type ReportVersion struct {
	Version     int           `json:"version"`
	Title       string        `json:"title"`
	Text        string        `json:"text"`
	Source      string        `json:"source"`
	Credibility int           `json:"credibility"`
	Observed    timespan.Span `json:"observed"`
	ReportedAt  *time.Time    `json:"reported_at,omitempty"`
	Places      []Place       `json:"places"`
	Marking     item.Marking  `json:"marking"`
	EditedBy    string        `json:"edited_by"`
	EditedAt    time.Time     `json:"edited_at"`
}

// reportBody is the items.body of a report (what the generic item API
// shows). Its source is kept in reports.source_id only: a body names no
// other item (item.RegisterAttach adds the source back, filtered).
type reportBody struct {
	Text        string        `json:"text"`
	Credibility int           `json:"credibility"`
	Observed    timespan.Span `json:"observed"`
	ReportedAt  *time.Time    `json:"reported_at,omitempty"`
	Places      []Place       `json:"places,omitempty"`
}

// checked is a validated report ready to write.
type checked struct {
	in      NewReport
	marking access.Marking
	shown   item.Marking
	box     geo.BBox
	places  string
	body    []byte
}

func (sc *Scope) checkReport(ctx context.Context, q queryer, in NewReport) (checked, error) {
	var errs validate.Errors
	errs.Line("title", in.Title, true, 500)
	errs.Text("text", in.Text, true, 200_000)
	if in.Source == "" {
		errs.Add("source", "is required: the ID of a source in this room")
	} else if _, err := sc.source(ctx, q, in.Source); errors.Is(err, store.ErrNotFound) {
		errs.Add("source", "no source %q in this room that you may see", in.Source)
	} else if err != nil {
		return checked{}, err
	}
	if in.Credibility < 1 || in.Credibility > 6 {
		errs.Add("credibility", "%d is not a credibility grade; want 1 (confirmed) to 6 (cannot be judged)", in.Credibility)
	}
	if !in.Observed.IsZero() && in.Observed.End.Before(in.Observed.Start) {
		errs.Add("observed", "ends before it starts")
	}
	box := geo.EmptyBBox()
	for i, p := range in.Places {
		errs.Line(fmt.Sprintf("places[%d].name", i), p.Name, false, 300)
		g, err := geo.Decode(p.Geometry, geo.Options{})
		if err != nil {
			errs.Add(fmt.Sprintf("places[%d].geometry", i), "%v", err)
			continue
		}
		box = box.Union(g.BBox())
	}
	if len(in.Places) > 100 {
		errs.Add("places", "at most 100 places")
	}
	m, shown, err := sc.resolveMarking(&errs, in.Marking)
	if err != nil {
		return checked{}, err
	}
	if err := errs.Err(); err != nil {
		return checked{}, err
	}
	in.Observed = timespan.Span{Start: in.Observed.Start.UTC().Truncate(time.Microsecond), End: in.Observed.End.UTC().Truncate(time.Microsecond)}
	if in.ReportedAt != nil {
		t := in.ReportedAt.UTC().Truncate(time.Microsecond)
		in.ReportedAt = &t
	}
	if in.Places == nil {
		in.Places = []Place{}
	}
	places, _ := json.Marshal(in.Places)
	body, _ := json.Marshal(reportBody{Text: in.Text, Credibility: in.Credibility, Observed: in.Observed, ReportedAt: in.ReportedAt, Places: in.Places})
	return checked{in: in, marking: m, shown: shown, box: box, places: string(places), body: body}, nil
}

func observedCols(sp timespan.Span) (sql.NullInt64, sql.NullInt64) {
	if sp.IsZero() {
		return sql.NullInt64{}, sql.NullInt64{}
	}
	return sql.NullInt64{Int64: store.Micros(sp.Start), Valid: true}, sql.NullInt64{Int64: store.Micros(sp.End), Valid: true}
}

func boxCols(b geo.BBox) []any {
	if b.IsEmpty() {
		return []any{nil, nil, nil, nil}
	}
	return []any{b.MinLon, b.MinLat, b.MaxLon, b.MaxLat}
}

func reportedCol(t *time.Time) sql.NullInt64 {
	if t == nil {
		return sql.NullInt64{}
	}
	return store.NullMicros(*t)
}

// CreateReport shares a report in a room.
func (s *Service) CreateReport(ctx context.Context, p access.Principal, slug string, in NewReport) (SharedReport, error) {
	sc, err := s.Scope(ctx, p, slug)
	if err != nil {
		return SharedReport{}, err
	}
	var id string
	if err := s.db.Write(ctx, func(tx *store.Tx) error {
		id, err = s.CreateReportTx(ctx, tx, sc, in)
		return err
	}); err != nil {
		return SharedReport{}, err
	}
	return s.Report(ctx, p, slug, id)
}

// CreateReportTx validates and writes a report inside tx (its items row,
// audit record, full-text index entry and live change) and returns its
// ID. It is the importer's bulk path: call it many times in one
// transaction with one Scope.
func (s *Service) CreateReportTx(ctx context.Context, tx *store.Tx, sc *Scope, in NewReport) (string, error) {
	c, err := sc.checkReport(ctx, tx, in)
	if err != nil {
		return "", err
	}
	rec := &item.Record{ID: in.ID, RoomID: sc.Room.ID, Room: sc.Room.Slug, Kind: ItemReport, Title: c.in.Title, Marking: c.marking, Shown: c.shown,
		Owner: sc.P.PartnerID, Author: sc.P.ID, Body: c.body}
	// The change published live is the report as the API shows it, so a
	// subscriber needs no second read.
	view := SharedReport{Room: sc.Room.Slug, Title: c.in.Title, Text: c.in.Text, Source: c.in.Source, Credibility: c.in.Credibility,
		Observed: c.in.Observed, ReportedAt: c.in.ReportedAt, Places: c.in.Places, Marking: c.shown,
		Owner: sc.View.PartnerCodes[sc.P.PartnerID], CreatedBy: sc.P.Username, Version: 1, EditedBy: sc.P.Username}
	if rec.ID == "" {
		rec.ID = store.NewID()
	}
	view.ID = rec.ID
	refs, err := item.RefsTo(ctx, tx, "source", c.in.Source)
	if err != nil {
		return "", err
	}
	if err := item.Insert(ctx, tx, s.bus, rec, audit.By(sc.P), item.WithRefs(&view, refs)); err != nil {
		return "", err
	}
	doc, err := s.nextDoc(ctx, tx)
	if err != nil {
		return "", err
	}
	start, end := observedCols(c.in.Observed)
	args := []any{rec.ID, sc.Room.ID, doc, c.in.Source, sc.P.ID, c.in.Credibility, c.in.Title, c.in.Text, start, end, reportedCol(c.in.ReportedAt), c.places}
	args = append(args, boxCols(c.box)...)
	if _, err := tx.ExecPrepared(ctx, `INSERT INTO reports (item_id, room_id, doc, source_id, editor, credibility, title, body, observed_start, observed_end, reported_at, places, min_lon, min_lat, max_lon, max_lat)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, args...); err != nil {
		return "", err
	}
	return rec.ID, s.reportCreated(ctx, tx, sc, rec.ID, c.in.Source, c.in.Credibility)
}

// UpdateReport replaces a report's content and marking. The version it
// replaces is kept in report_versions: nothing is silently overwritten.
// Only the partner that shared the report may edit it.
func (s *Service) UpdateReport(ctx context.Context, p access.Principal, slug, id string, in ReportPatch) (SharedReport, error) {
	sc, err := s.Scope(ctx, p, slug)
	if err != nil {
		return SharedReport{}, err
	}
	cur, err := s.Report(ctx, p, slug, id)
	if err != nil {
		return SharedReport{}, err
	}
	if sc.View.PartnerCodes[p.PartnerID] != cur.Owner {
		return SharedReport{}, access.ErrForbidden
	}
	if in.Version <= 0 {
		return SharedReport{}, validate.Field("version", "is required: the version you are replacing")
	}
	c, err := sc.checkReport(ctx, s.db, in.NewReport)
	if err != nil {
		return SharedReport{}, err
	}
	err = s.db.Write(ctx, func(tx *store.Tx) error {
		if err := s.flushIndex(ctx, tx); err != nil {
			return err
		}
		logged, err := s.reportLogged(ctx, tx, sc, id)
		if err != nil {
			return err
		}
		old, err := item.LoadMarking(ctx, tx, id)
		if err != nil {
			return err
		}
		policy, _ := json.Marshal(old)
		// Copy the current version before it is replaced; the version check
		// in item.Update below rolls this back if someone else edited first.
		if _, err := item.Server().Exec(ctx, tx, `INSERT INTO report_versions (report_id, version, title, body, source_id, credibility, observed_start, observed_end, reported_at, places, marking, policy, edited_by, edited_at)
			SELECT rp.item_id, i.version, rp.title, rp.body, rp.source_id, rp.credibility, rp.observed_start, rp.observed_end, rp.reported_at, rp.places, i.marking, ?, rp.editor, i.updated_at
			FROM reports rp JOIN {items i} ON i.id = rp.item_id WHERE rp.item_id = ? AND i.version = ?`, string(policy), id, in.Version); err != nil {
			return err
		}
		rec := &item.Record{ID: id, RoomID: sc.Room.ID, Room: sc.Room.Slug, Kind: ItemReport, Title: c.in.Title, Marking: c.marking, Shown: c.shown, Body: c.body}
		view := SharedReport{ID: id, Room: sc.Room.Slug, Title: c.in.Title, Text: c.in.Text, Source: c.in.Source, Credibility: c.in.Credibility,
			Observed: c.in.Observed, ReportedAt: c.in.ReportedAt, Places: c.in.Places, Marking: c.shown, Owner: cur.Owner, CreatedBy: cur.CreatedBy,
			CreatedAt: cur.CreatedAt, Version: in.Version + 1, EditedBy: p.Username}
		refs, err := item.RefsTo(ctx, tx, "source", c.in.Source)
		if err != nil {
			return err
		}
		if err := item.Update(ctx, tx, s.bus, rec, in.Version, changedFields(cur, c), audit.By(p), item.WithRefs(&view, refs)); err != nil {
			return err
		}
		start, end := observedCols(c.in.Observed)
		args := []any{c.in.Source, p.ID, c.in.Credibility, c.in.Title, c.in.Text, start, end, reportedCol(c.in.ReportedAt), c.places}
		args = append(append(args, boxCols(c.box)...), id)
		if _, err := tx.Exec(ctx, `UPDATE reports SET source_id = ?, editor = ?, credibility = ?, title = ?, body = ?, observed_start = ?, observed_end = ?, reported_at = ?, places = ?,
			min_lon = ?, min_lat = ?, max_lon = ?, max_lat = ? WHERE item_id = ?`, args...); err != nil {
			return err
		}
		return s.reportEdited(ctx, tx, sc, id, logged)
	})
	if err != nil {
		return SharedReport{}, err
	}
	return s.Report(ctx, p, slug, id)
}

func changedFields(cur SharedReport, c checked) []string {
	var out []string
	add := func(name string, changed bool) {
		if changed {
			out = append(out, name)
		}
	}
	add("title", cur.Title != c.in.Title)
	add("text", cur.Text != c.in.Text)
	add("source", cur.Source != c.in.Source)
	add("credibility", cur.Credibility != c.in.Credibility)
	add("observed", !cur.Observed.Start.Equal(c.in.Observed.Start) || !cur.Observed.End.Equal(c.in.Observed.End))
	oldPlaces, _ := json.Marshal(cur.Places)
	add("places", string(oldPlaces) != c.places)
	oldMarking, _ := json.Marshal(cur.Marking)
	newMarking, _ := json.Marshal(c.shown)
	add("marking", string(oldMarking) != string(newMarking))
	return out
}

// reportSelect reads reports with their source when the viewer may see
// it, and the extra columns after the usual ones; run it with item.For.
//
// On PostgreSQL the source is a LATERAL subquery read once per report
// (LIMIT keeps the planner from flattening it): as a plain join, the
// planner may check the source's releasability for every item in the
// table at once, hashing the whole releasability table to return one page.
func (s *Service) reportSelect(extra ...string) string {
	source, reliability := `LEFT JOIN {items si} ON si.id = rp.source_id AND {visible si}
		LEFT JOIN sources src ON src.item_id = si.id`, "src.reliability"
	if s.db.Engine() == store.Postgres {
		source, reliability = `LEFT JOIN LATERAL (SELECT si.id, si.title, src.reliability FROM {items si} LEFT JOIN sources src ON src.item_id = si.id
			WHERE si.id = rp.source_id AND {visible si} LIMIT 1) si ON true`, "si.reliability"
	}
	return `SELECT ` + item.Columns + `, CASE WHEN si.id IS NULL THEN '' ELSE rp.source_id END, COALESCE(si.title, ''), COALESCE(` + reliability + `, ''),
		rp.credibility, rp.body, rp.observed_start, rp.observed_end, rp.reported_at, rp.places, em.username` + strings.Join(append([]string{""}, extra...), ", ") + `
		FROM {items i} JOIN reports rp ON rp.item_id = i.id` + item.Joins + `
		JOIN members em ON em.id = rp.editor
		` + source
}

func scanReport(sc interface{ Scan(...any) error }, extra ...any) (SharedReport, error) {
	var it item.Item
	var r SharedReport
	var start, end, reported sql.NullInt64
	var places string
	dest := append([]any{&r.Source, &r.SourceName, &r.Reliability, &r.Credibility, &r.Text, &start, &end, &reported, &places, &r.EditedBy}, extra...)
	if err := item.Scan(sc, &it, dest...); err != nil {
		return r, err
	}
	r.ID, r.Room, r.Title, r.Marking, r.Owner, r.CreatedBy = it.ID, it.Room, it.Title, it.Marking, it.Owner, it.CreatedBy
	r.CreatedAt, r.UpdatedAt, r.Version = it.CreatedAt, it.UpdatedAt, it.Version
	if start.Valid {
		r.Observed = timespan.Span{Start: store.Time(start.Int64), End: store.Time(end.Int64)}
	}
	if reported.Valid {
		t := store.Time(reported.Int64)
		r.ReportedAt = &t
	}
	r.Places = []Place{}
	_ = json.Unmarshal([]byte(places), &r.Places)
	if r.Reliability != "" {
		r.Grade = fmt.Sprintf("%s%d", r.Reliability, r.Credibility)
	}
	return r, nil
}

// Report returns one report the caller may see.
func (s *Service) Report(ctx context.Context, p access.Principal, slug, id string) (SharedReport, error) {
	rm, err := s.readRoom(ctx, p, slug)
	if err != nil {
		return SharedReport{}, err
	}
	r, err := scanReport(item.For(p.Viewer).QueryRow(ctx, s.db, s.reportSelect()+` WHERE i.id = ? AND i.room_id = ? AND {visible i}`, id, rm.ID))
	if errors.Is(err, sql.ErrNoRows) {
		return r, item.NotFound(ctx, s.db, p, id, err)
	}
	return r, err
}

// Reports lists a room's reports the caller may see, newest first.
func (s *Service) Reports(ctx context.Context, p access.Principal, slug, after string, limit int) ([]SharedReport, error) {
	rm, err := s.readRoom(ctx, p, slug)
	if err != nil {
		return nil, err
	}
	where := ` WHERE i.room_id = ? AND i.kind = 'report' AND {visible i}`
	args := []any{rm.ID}
	if after != "" {
		where += ` AND i.id < ?`
		args = append(args, after)
	}
	rows, err := item.For(p.Viewer).Query(ctx, s.db, s.reportSelect()+where+` ORDER BY i.id DESC LIMIT ?`, append(args, limit)...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []SharedReport{}
	for rows.Next() {
		r, err := scanReport(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// Versions returns a report's earlier versions the caller may see (each
// under its own marking, which may have been narrower), oldest first,
// then the current one.
func (s *Service) Versions(ctx context.Context, p access.Principal, slug, id string) ([]ReportVersion, error) {
	cur, err := s.Report(ctx, p, slug, id)
	if err != nil {
		return nil, err
	}
	rm, err := s.readRoom(ctx, p, slug)
	if err != nil {
		return nil, err
	}
	rows, err := s.db.Query(ctx, `SELECT v.version, v.title, v.body, v.source_id, v.credibility, v.observed_start, v.observed_end, v.reported_at, v.places, v.marking, v.policy,
		COALESCE(m.username, ''), v.edited_at FROM report_versions v LEFT JOIN members m ON m.id = v.edited_by WHERE v.report_id = ? ORDER BY v.version`, id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []ReportVersion{}
	for rows.Next() {
		var v ReportVersion
		var start, end, reported sql.NullInt64
		var places, marking, policy string
		var at int64
		if err := rows.Scan(&v.Version, &v.Title, &v.Text, &v.Source, &v.Credibility, &start, &end, &reported, &places, &marking, &policy, &v.EditedBy, &at); err != nil {
			return nil, err
		}
		var pm access.Marking
		if err := json.Unmarshal([]byte(policy), &pm); err != nil || !access.CanSee(p.Viewer, rm.ID, pm) {
			continue
		}
		if start.Valid {
			v.Observed = timespan.Span{Start: store.Time(start.Int64), End: store.Time(end.Int64)}
		}
		if reported.Valid {
			t := store.Time(reported.Int64)
			v.ReportedAt = &t
		}
		_ = json.Unmarshal([]byte(places), &v.Places)
		_ = json.Unmarshal([]byte(marking), &v.Marking)
		v.EditedAt = store.Time(at)
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	// An earlier version's source is named only to a reader who may see it.
	srcs := make([]string, len(out))
	for i, v := range out {
		srcs[i] = v.Source
	}
	seen, err := item.Visible(ctx, s.db, p.Viewer, srcs)
	if err != nil {
		return nil, err
	}
	for i := range out {
		if !slices.Contains(seen, out[i].Source) {
			out[i].Source = ""
		}
	}
	out = append(out, ReportVersion{Version: cur.Version, Title: cur.Title, Text: cur.Text, Source: cur.Source, Credibility: cur.Credibility,
		Observed: cur.Observed, ReportedAt: cur.ReportedAt, Places: cur.Places, Marking: cur.Marking, EditedBy: cur.EditedBy, EditedAt: cur.UpdatedAt})
	return out, nil
}

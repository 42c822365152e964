package intel

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"strings"
	"time"

	"github.com/opsroom/opsroom/internal/access"
	"github.com/opsroom/opsroom/internal/audit"
	"github.com/opsroom/opsroom/internal/item"
	"github.com/opsroom/opsroom/internal/store"
	"github.com/opsroom/opsroom/internal/validate"
)

// NewSource is the input to CreateSource.
type NewSource struct {
	Name string `json:"name"`
	// Kind is one of SourceKinds (partner-collection, outlet, ...).
	Kind string `json:"kind"`
	// Behind names the outlet or organization behind the source.
	Behind string `json:"behind,omitempty"`
	// Partner is the code of the room partner behind the source, if any.
	Partner string `json:"partner,omitempty"`
	// CitedBy is the ID of the outlet source citing an unnamed source.
	CitedBy     string       `json:"cited_by,omitempty"`
	Reliability string       `json:"reliability"` // A..F
	Notes       string       `json:"notes,omitempty"`
	Marking     item.Marking `json:"marking"`
	// ID, when set, is the new source's ID (an importer keeping its IDs).
	ID string `json:"-"`
}

// SharedSource is a source as the API shows it.
type SharedSource struct {
	ID              string       `json:"id"`
	Room            string       `json:"room"`
	Name            string       `json:"name"`
	Kind            string       `json:"kind"`
	Behind          string       `json:"behind,omitempty"`
	Partner         string       `json:"partner,omitempty"`
	CitedBy         string       `json:"cited_by,omitempty"`
	Reliability     string       `json:"reliability"`
	ReliabilityText string       `json:"reliability_text"`
	Notes           string       `json:"notes,omitempty"`
	Marking         item.Marking `json:"marking"`
	Owner           string       `json:"owner"`
	CreatedBy       string       `json:"created_by"`
	CreatedAt       time.Time    `json:"created_at"`
	UpdatedAt       time.Time    `json:"updated_at"`
	Version         int          `json:"version"`
}

// GradeChange is one entry of a source's grade history.
type GradeChange struct {
	Reliability string    `json:"reliability"`
	Reason      string    `json:"reason,omitempty"`
	By          string    `json:"by"`
	At          time.Time `json:"at"`
}

// Regrade is the input to RegradeSource.
type Regrade struct {
	Reliability string `json:"reliability"`
	Reason      string `json:"reason"`
}

type sourceBody struct {
	Notes string `json:"notes,omitempty"`
}

// CreateSource shares a source in a room.
func (s *Service) CreateSource(ctx context.Context, p access.Principal, slug string, in NewSource) (SharedSource, error) {
	sc, err := s.Scope(ctx, p, slug)
	if err != nil {
		return SharedSource{}, err
	}
	var id string
	if err := s.db.Write(ctx, func(tx *store.Tx) error {
		id, err = s.CreateSourceTx(ctx, tx, sc, in)
		return err
	}); err != nil {
		return SharedSource{}, err
	}
	return s.Source(ctx, p, slug, id)
}

// CreateSourceTx validates and writes a source inside tx and returns its
// ID. Invalid input is validate.Errors naming the fields; nothing is
// written then.
func (s *Service) CreateSourceTx(ctx context.Context, tx *store.Tx, sc *Scope, in NewSource) (string, error) {
	var errs validate.Errors
	errs.Line("name", in.Name, true, 300)
	errs.Line("behind", in.Behind, false, 300)
	errs.Text("notes", in.Notes, false, 10_000)
	kind, kerr := ParseSourceKind(in.Kind)
	if kerr != nil {
		errs.Add("kind", "%s", strings.TrimPrefix(kerr.Error(), ErrInvalidSourceKind.Error()+": "))
	}
	rel, rerr := ParseReliability(in.Reliability)
	if rerr != nil {
		errs.Add("reliability", "%q is not a reliability grade; want one of A, B, C, D, E, F", in.Reliability)
	}
	var partnerID sql.NullString
	if in.Partner != "" {
		id, ok := sc.View.PartnerIDs[strings.ToUpper(in.Partner)]
		if !ok {
			errs.Add("partner", "%q is not a partner of this room", in.Partner)
		}
		partnerID = sql.NullString{String: id, Valid: ok}
	}
	switch {
	case kerr == nil && kind == KindUnnamedViaOutlet && in.CitedBy == "":
		errs.Add("cited_by", "is required for an unnamed source: name the outlet source that cites it")
	case kerr == nil && kind != KindUnnamedViaOutlet && in.CitedBy != "":
		errs.Add("cited_by", "is only for kind %s", KindUnnamedViaOutlet)
	case in.CitedBy != "":
		if _, err := sc.source(ctx, tx, in.CitedBy); errors.Is(err, store.ErrNotFound) {
			errs.Add("cited_by", "no source %q in this room that you may see", in.CitedBy)
		} else if err != nil {
			return "", err
		}
	}
	m, shown, err := sc.resolveMarking(&errs, in.Marking)
	if err != nil {
		return "", err
	}
	if err := errs.Err(); err != nil {
		return "", err
	}
	body, _ := json.Marshal(sourceBody{Notes: in.Notes})
	rec := &item.Record{ID: in.ID, RoomID: sc.Room.ID, Room: sc.Room.Slug, Kind: ItemSource, Title: in.Name, Marking: m, Shown: shown,
		Owner: sc.P.PartnerID, Author: sc.P.ID, Body: body}
	if err := item.Insert(ctx, tx, s.bus, rec, audit.By(sc.P), nil); err != nil {
		return "", err
	}
	citedBy := sql.NullString{String: in.CitedBy, Valid: in.CitedBy != ""}
	if _, err := tx.Exec(ctx, `INSERT INTO sources (item_id, source_kind, behind, partner_id, cited_by, reliability) VALUES (?, ?, ?, ?, ?, ?)`,
		rec.ID, string(kind), in.Behind, partnerID, citedBy, rel.String()); err != nil {
		return "", err
	}
	if _, err := tx.Exec(ctx, `INSERT INTO source_grades (source_id, seq, reliability, reason, graded_by, graded_at) VALUES (?, 1, ?, 'first grade', ?, ?)`,
		rec.ID, rel.String(), sc.P.ID, store.Micros(rec.At)); err != nil {
		return "", err
	}
	sc.sources[rec.ID] = rel.String()
	return rec.ID, nil
}

// source checks that id is a source in the scope's room the writer may
// see and returns its reliability (cached for the scope's lifetime).
func (sc *Scope) source(ctx context.Context, q queryer, id string) (string, error) {
	if rel, ok := sc.sources[id]; ok {
		return rel, nil
	}
	rows, err := item.For(sc.P.Viewer).Query(ctx, q, `SELECT s.reliability FROM {items i} JOIN sources s ON s.item_id = i.id WHERE i.id = ? AND i.room_id = ? AND {visible i}`,
		id, sc.Room.ID)
	if err != nil {
		return "", err
	}
	defer rows.Close()
	if !rows.Next() {
		if err := rows.Err(); err != nil {
			return "", err
		}
		return "", store.ErrNotFound
	}
	var rel string
	if err := rows.Scan(&rel); err != nil {
		return "", err
	}
	sc.sources[id] = rel
	return rel, nil
}

// The outlet citing an unnamed source is named only to a reader who may
// see it.
const sourceColumns = item.Columns + `, s.source_kind, s.behind, COALESCE(pp.code, ''), COALESCE(cs.id, ''), s.reliability`
const sourceJoins = ` JOIN sources s ON s.item_id = i.id` + item.Joins + ` LEFT JOIN partners pp ON pp.id = s.partner_id
	LEFT JOIN {items cs} ON cs.id = s.cited_by AND {visible cs}`

func scanSource(sc interface{ Scan(...any) error }) (SharedSource, error) {
	var it item.Item
	var out SharedSource
	if err := item.Scan(sc, &it, &out.Kind, &out.Behind, &out.Partner, &out.CitedBy, &out.Reliability); err != nil {
		return out, err
	}
	var b sourceBody
	_ = json.Unmarshal(it.Body, &b)
	out.ID, out.Room, out.Name, out.Notes, out.Marking, out.Owner, out.CreatedBy = it.ID, it.Room, it.Title, b.Notes, it.Marking, it.Owner, it.CreatedBy
	out.CreatedAt, out.UpdatedAt, out.Version = it.CreatedAt, it.UpdatedAt, it.Version
	if r, err := ParseReliability(out.Reliability); err == nil {
		out.ReliabilityText = r.Description()
	}
	return out, nil
}

// Source returns one source the caller may see.
func (s *Service) Source(ctx context.Context, p access.Principal, slug, id string) (SharedSource, error) {
	rm, err := s.readRoom(ctx, p, slug)
	if err != nil {
		return SharedSource{}, err
	}
	out, err := scanSource(item.For(p.Viewer).QueryRow(ctx, s.db, `SELECT `+sourceColumns+` FROM {items i}`+sourceJoins+` WHERE i.id = ? AND i.room_id = ? AND {visible i}`,
		id, rm.ID))
	if errors.Is(err, sql.ErrNoRows) {
		return out, item.NotFound(ctx, s.db, p, id, err)
	}
	return out, err
}

// Sources lists a room's sources the caller may see, by ID.
func (s *Service) Sources(ctx context.Context, p access.Principal, slug, after string, limit int) ([]SharedSource, error) {
	rm, err := s.readRoom(ctx, p, slug)
	if err != nil {
		return nil, err
	}
	rows, err := item.For(p.Viewer).Query(ctx, s.db, `SELECT `+sourceColumns+` FROM {items i}`+sourceJoins+` WHERE i.room_id = ? AND i.id > ? AND {visible i} ORDER BY i.id LIMIT ?`,
		rm.ID, after, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []SharedSource{}
	for rows.Next() {
		src, err := scanSource(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, src)
	}
	return out, rows.Err()
}

// RegradeSource changes a source's reliability and keeps the old grade in
// its history.
func (s *Service) RegradeSource(ctx context.Context, p access.Principal, slug, id string, in Regrade) (SharedSource, error) {
	var errs validate.Errors
	rel, err := ParseReliability(in.Reliability)
	if err != nil {
		errs.Add("reliability", "%q is not a reliability grade; want one of A, B, C, D, E, F", in.Reliability)
	}
	errs.Text("reason", in.Reason, true, 2000)
	if err := errs.Err(); err != nil {
		return SharedSource{}, err
	}
	sc, err := s.Scope(ctx, p, slug)
	if err != nil {
		return SharedSource{}, err
	}
	cur, err := s.Source(ctx, p, slug, id)
	if err != nil {
		return SharedSource{}, err
	}
	// A grade is the judgement of the partner that shared the source;
	// another partner that disagrees shares its own source entry.
	if sc.View.PartnerCodes[p.PartnerID] != cur.Owner {
		return SharedSource{}, access.ErrForbidden
	}
	m, err := item.LoadMarking(ctx, s.db, id)
	if err != nil {
		return SharedSource{}, err
	}
	err = s.db.Write(ctx, func(tx *store.Tx) error {
		if _, err := tx.Exec(ctx, `UPDATE sources SET reliability = ? WHERE item_id = ?`, rel.String(), id); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO source_grades (source_id, seq, reliability, reason, graded_by, graded_at)
			SELECT ?, COALESCE(MAX(seq), 0) + 1, ?, ?, ?, ? FROM source_grades WHERE source_id = ?`,
			id, rel.String(), in.Reason, p.ID, store.Micros(time.Now()), id); err != nil {
			return err
		}
		if err := s.logRegraded(ctx, tx, sc.Room, id, cur.Reliability, rel.String(), p); err != nil {
			return err
		}
		cur.Reliability, cur.ReliabilityText = rel.String(), rel.Description()
		refs, err := item.RefsTo(ctx, tx, "cited_by", cur.CitedBy)
		if err != nil {
			return err
		}
		_, err = item.Touch(ctx, tx, s.bus, sc.Room.ID, ItemSource, id, "regrade", m, audit.By(p),
			map[string]any{"fields": []string{"reliability"}}, item.WithRefs(cur, refs))
		return err
	})
	if err != nil {
		return SharedSource{}, err
	}
	return s.Source(ctx, p, slug, id)
}

// Grades returns a source's grade history, oldest first.
func (s *Service) Grades(ctx context.Context, p access.Principal, slug, id string) ([]GradeChange, error) {
	if _, err := s.Source(ctx, p, slug, id); err != nil {
		return nil, err
	}
	rows, err := s.db.Query(ctx, `SELECT g.reliability, g.reason, m.username, g.graded_at FROM source_grades g JOIN members m ON m.id = g.graded_by
		WHERE g.source_id = ? ORDER BY g.seq`, id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []GradeChange{}
	for rows.Next() {
		var g GradeChange
		var at int64
		if err := rows.Scan(&g.Reliability, &g.Reason, &g.By, &at); err != nil {
			return nil, err
		}
		g.At = store.Time(at)
		out = append(out, g)
	}
	return out, rows.Err()
}

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
	"github.com/opsroom/opsroom/internal/item"
	"github.com/opsroom/opsroom/internal/store"
	"github.com/opsroom/opsroom/internal/validate"
)

// NewClaim is the input to CreateClaim.
type NewClaim struct {
	Event       string       `json:"event"` // the event's item ID
	Actor       string       `json:"actor"` // who asserts: "RU MoD", "US", "rebel groups"
	Proposition string       `json:"proposition"`
	Stance      string       `json:"stance"` // asserts or denies
	Statement   string       `json:"statement,omitempty"`
	Supporting  []string     `json:"supporting,omitempty"`
	Disputing   []string     `json:"disputing,omitempty"`
	Marking     item.Marking `json:"marking"`
	// ID, when set, is the new claim's ID (an importer keeping its IDs).
	ID string `json:"-"`
}

// SharedClaim is a claim as the API shows it: only the reports the caller
// may see are listed.
type SharedClaim struct {
	ID          string         `json:"id"`
	Room        string         `json:"room"`
	Event       string         `json:"event"`
	Actor       string         `json:"actor"`
	Proposition string         `json:"proposition"`
	Stance      string         `json:"stance"`
	Statement   string         `json:"statement,omitempty"`
	Supporting  []string       `json:"supporting"`
	Disputing   []string       `json:"disputing"`
	Marking     item.Marking   `json:"marking"`
	Owner       string         `json:"owner"`
	CreatedBy   string         `json:"created_by"`
	CreatedAt   time.Time      `json:"created_at"`
	Version     int            `json:"version"`
	Corroborate *Corroboration `json:"corroboration,omitempty"`
}

// Board is an event's claims side by side, as the caller may see them,
// with each claim's independent corroboration. It never names a winner.
type Board struct {
	Event   string  `json:"event"`
	Contest Contest `json:"contest"`
	// Corroboration is each claim's independent corroboration, by claim ID.
	Corroboration map[string]Corroboration `json:"corroboration"`
}

func (c SharedClaim) core() Claim {
	return Claim{ID: c.ID, Event: c.Event, Actor: c.Actor, Proposition: c.Proposition, Stance: Stance(c.Stance), Statement: c.Statement,
		Supporting: c.Supporting, Disputing: c.Disputing}
}

// CreateClaim records a claim about an event.
func (s *Service) CreateClaim(ctx context.Context, p access.Principal, slug string, in NewClaim) (SharedClaim, error) {
	sc, err := s.Scope(ctx, p, slug)
	if err != nil {
		return SharedClaim{}, err
	}
	var id string
	if err := s.db.Write(ctx, func(tx *store.Tx) error {
		id, err = s.CreateClaimTx(ctx, tx, sc, in)
		return err
	}); err != nil {
		return SharedClaim{}, err
	}
	return s.Claim(ctx, p, slug, id)
}

// CreateClaimTx validates and writes a claim inside tx. The event and
// every report must be in the scope's room and visible to the writer.
func (s *Service) CreateClaimTx(ctx context.Context, tx *store.Tx, sc *Scope, in NewClaim) (string, error) {
	var errs validate.Errors
	errs.Line("actor", in.Actor, true, 300)
	errs.Text("proposition", in.Proposition, true, 1000)
	errs.Text("statement", in.Statement, false, 10_000)
	in.Proposition = strings.TrimSpace(in.Proposition)
	stance := Stance(strings.ToLower(strings.TrimSpace(in.Stance)))
	if stance.Validate() != nil {
		errs.Add("stance", "%q is not a stance; want asserts or denies", in.Stance)
	}
	in.Supporting, in.Disputing = dedupe(in.Supporting), dedupe(in.Disputing)
	if in.Event == "" {
		errs.Add("event", "is required: the ID of an event in this room")
	} else if ev, err := visibleOfKind(ctx, tx, sc.P.Viewer, sc.Room.ID, ItemEvent, []string{in.Event}); err != nil {
		return "", err
	} else if !ev[in.Event] {
		errs.Add("event", "no event %q in this room that you may see", in.Event)
	}
	vis, err := visibleOfKind(ctx, tx, sc.P.Viewer, sc.Room.ID, ItemReport, append(slices.Clone(in.Supporting), in.Disputing...))
	if err != nil {
		return "", err
	}
	for _, side := range []struct {
		name string
		ids  []string
	}{{"supporting", in.Supporting}, {"disputing", in.Disputing}} {
		for i, r := range side.ids {
			if !vis[r] {
				errs.Add(fmt.Sprintf("%s[%d]", side.name, i), "no report %q in this room that you may see", r)
			}
			if side.name == "disputing" && slices.Contains(in.Supporting, r) {
				errs.Add(fmt.Sprintf("%s[%d]", side.name, i), "report %q cannot both support and dispute the claim", r)
			}
		}
	}
	m, shown, err := sc.resolveMarking(&errs, in.Marking)
	if err != nil {
		return "", err
	}
	if err := errs.Err(); err != nil {
		return "", err
	}
	title := in.Actor + " " + string(stance) + ": " + in.Proposition
	if len(title) > 500 {
		title = title[:500]
	}
	// The event and the reports are kept in claims and claim_reports only:
	// the body names no other item (item.RegisterAttach adds them back,
	// filtered, for the generic endpoints).
	body, _ := json.Marshal(map[string]any{"actor": in.Actor, "proposition": in.Proposition, "stance": stance, "statement": in.Statement})
	rec := &item.Record{ID: in.ID, RoomID: sc.Room.ID, Room: sc.Room.Slug, Kind: ItemClaim, Title: title, Marking: m, Shown: shown,
		Owner: sc.P.PartnerID, Author: sc.P.ID, Body: body}
	if rec.ID == "" {
		rec.ID = store.NewID()
	}
	view := SharedClaim{ID: rec.ID, Room: sc.Room.Slug, Event: in.Event, Actor: in.Actor, Proposition: in.Proposition, Stance: string(stance),
		Statement: in.Statement, Supporting: in.Supporting, Disputing: in.Disputing, Marking: shown,
		Owner: sc.View.PartnerCodes[sc.P.PartnerID], CreatedBy: sc.P.Username, Version: 1}
	refs, err := item.RefsTo(ctx, tx, "event", in.Event)
	if err != nil {
		return "", err
	}
	for _, side := range []struct {
		path string
		ids  []string
	}{{"supporting[]", in.Supporting}, {"disputing[]", in.Disputing}} {
		r, err := item.RefsTo(ctx, tx, side.path, side.ids...)
		if err != nil {
			return "", err
		}
		refs = append(refs, r...)
	}
	if err := item.Insert(ctx, tx, s.bus, rec, audit.By(sc.P), item.WithRefs(&view, refs)); err != nil {
		return "", err
	}
	if _, err := tx.Exec(ctx, `INSERT INTO claims (item_id, event_id, actor, proposition, stance, statement) VALUES (?, ?, ?, ?, ?, ?)`,
		rec.ID, in.Event, in.Actor, in.Proposition, string(stance), in.Statement); err != nil {
		return "", err
	}
	for _, side := range []struct {
		role string
		ids  []string
	}{{"supporting", in.Supporting}, {"disputing", in.Disputing}} {
		for _, r := range side.ids {
			if _, err := tx.Exec(ctx, `INSERT INTO claim_reports (claim_id, report_id, role) VALUES (?, ?, ?)`, rec.ID, r, side.role); err != nil {
				return "", err
			}
		}
	}
	return rec.ID, s.logContested(ctx, tx, sc, rec.ID, in.Event, in.Actor, in.Proposition, stance)
}

const claimColumns = item.Columns + `, c.event_id, c.actor, c.proposition, c.stance, c.statement`
const claimJoins = ` JOIN claims c ON c.item_id = i.id` + item.Joins

func scanClaim(sc interface{ Scan(...any) error }) (SharedClaim, error) {
	var it item.Item
	var c SharedClaim
	if err := item.Scan(sc, &it, &c.Event, &c.Actor, &c.Proposition, &c.Stance, &c.Statement); err != nil {
		return c, err
	}
	c.ID, c.Room, c.Marking, c.Owner, c.CreatedBy, c.CreatedAt, c.Version = it.ID, it.Room, it.Marking, it.Owner, it.CreatedBy, it.CreatedAt, it.Version
	c.Supporting, c.Disputing = []string{}, []string{}
	return c, nil
}

// claimReports fills each claim's reports with those the viewer may see,
// and leaves out its event when the viewer may not see it.
func (s *Service) claimReports(ctx context.Context, v access.Viewer, claims []SharedClaim) error {
	if len(claims) == 0 {
		return nil
	}
	events := make([]string, len(claims))
	for i := range claims {
		events[i] = claims[i].Event
	}
	seen, err := item.Visible(ctx, s.db, v, events)
	if err != nil {
		return err
	}
	for i := range claims {
		if !slices.Contains(seen, claims[i].Event) {
			claims[i].Event = ""
		}
	}
	byID := make(map[string]*SharedClaim, len(claims))
	ids := make([]string, len(claims))
	for i := range claims {
		byID[claims[i].ID] = &claims[i]
		ids[i] = claims[i].ID
	}
	for _, chunk := range chunks(ids, 400) {
		args := make([]any, 0, len(chunk))
		for _, id := range chunk {
			args = append(args, id)
		}
		rows, err := item.For(v).Query(ctx, s.db, `SELECT cr.claim_id, cr.report_id, cr.role FROM claim_reports cr JOIN {items i} ON i.id = cr.report_id
			WHERE cr.claim_id IN (`+marks(len(chunk))+`) AND {visible i} ORDER BY cr.report_id`, args...)
		if err != nil {
			return err
		}
		for rows.Next() {
			var cid, rid, role string
			if err := rows.Scan(&cid, &rid, &role); err != nil {
				rows.Close()
				return err
			}
			c := byID[cid]
			if role == "supporting" {
				c.Supporting = append(c.Supporting, rid)
			} else {
				c.Disputing = append(c.Disputing, rid)
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
	}
	return nil
}

// Claim returns one claim the caller may see, with its corroboration
// computed over the reports and links the caller may see.
func (s *Service) Claim(ctx context.Context, p access.Principal, slug, id string) (SharedClaim, error) {
	rm, err := s.readRoom(ctx, p, slug)
	if err != nil {
		return SharedClaim{}, err
	}
	c, err := scanClaim(item.For(p.Viewer).QueryRow(ctx, s.db, `SELECT `+claimColumns+` FROM {items i}`+claimJoins+` WHERE i.id = ? AND i.room_id = ? AND {visible i}`,
		id, rm.ID))
	if errors.Is(err, sql.ErrNoRows) {
		return c, item.NotFound(ctx, s.db, p, id, err)
	}
	if err != nil {
		return c, err
	}
	cs := []SharedClaim{c}
	if err := s.claimReports(ctx, p.Viewer, cs); err != nil {
		return c, err
	}
	c = cs[0]
	w, err := s.upstream(ctx, p.Viewer, rm.ID, c.Supporting)
	if err != nil {
		return c, err
	}
	corr := Corroborate(w.sources, w.links, c.Supporting)
	c.Corroborate = &corr
	return c, nil
}

// EventClaims lists the claims about an event the caller may see. The
// event itself must be visible.
func (s *Service) EventClaims(ctx context.Context, p access.Principal, slug, event string) ([]SharedClaim, error) {
	rm, err := s.readRoom(ctx, p, slug)
	if err != nil {
		return nil, err
	}
	ev, err := visibleOfKind(ctx, s.db, p.Viewer, rm.ID, ItemEvent, []string{event})
	if err != nil {
		return nil, err
	}
	if !ev[event] {
		return nil, item.NotFound(ctx, s.db, p, event, store.ErrNotFound)
	}
	rows, err := item.For(p.Viewer).Query(ctx, s.db, `SELECT `+claimColumns+` FROM {items i}`+claimJoins+` WHERE c.event_id = ? AND i.room_id = ? AND {visible i} ORDER BY i.id`,
		event, rm.ID)
	if err != nil {
		return nil, err
	}
	out := []SharedClaim{}
	for rows.Next() {
		c, err := scanClaim(rows)
		if err != nil {
			rows.Close()
			return nil, err
		}
		out = append(out, c)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	return out, s.claimReports(ctx, p.Viewer, out)
}

// EventBoard lays an event's visible claims side by side with each one's
// independent corroboration. A viewer who sees only one side sees an
// uncontested event: saying otherwise would reveal a hidden claim.
func (s *Service) EventBoard(ctx context.Context, p access.Principal, slug, event string) (Board, error) {
	claims, err := s.EventClaims(ctx, p, slug, event)
	if err != nil {
		return Board{}, err
	}
	rm, err := s.readRoom(ctx, p, slug)
	if err != nil {
		return Board{}, err
	}
	var all []string
	core := make([]Claim, len(claims))
	for i, c := range claims {
		core[i] = c.core()
		all = append(all, c.Supporting...)
	}
	contest, err := SideBySide(core, nil)
	if err != nil {
		return Board{}, err
	}
	contest.Event = event
	w, err := s.upstream(ctx, p.Viewer, rm.ID, dedupe(all))
	if err != nil {
		return Board{}, err
	}
	b := Board{Event: event, Contest: contest, Corroboration: map[string]Corroboration{}}
	for _, c := range claims {
		b.Corroboration[c.ID] = Corroborate(w.sources, w.links, c.Supporting)
	}
	return b, nil
}

// graphView is the part of the provenance graph upstream of some reports, as
// one viewer may see it: the visible reports with their sources, and the
// links between them.
type graphView struct {
	sources map[string]string
	links   []Link
}

// upstream loads, level by level, the visible reports upstream of start
// and the links between visible reports. A report's origin is its source
// when the viewer may see the source; otherwise a placeholder unique to
// the report, so that a hidden source is neither named nor recognised as
// shared between reports (the viewer may over-count, never learn).
func (s *Service) upstream(ctx context.Context, v access.Viewer, roomID string, start []string) (graphView, error) {
	w := graphView{sources: map[string]string{}}
	read := item.For(v)
	frontier := dedupe(start)
	// tried holds every report already looked up, visible or not, so a
	// diamond or a hidden report is looked up once.
	tried := make(map[string]bool, len(frontier))
	for _, id := range frontier {
		tried[id] = true
	}
	for len(frontier) > 0 {
		var next []string
		for _, chunk := range chunks(frontier, 400) {
			args := make([]any, 0, len(chunk)+1)
			for _, id := range chunk {
				args = append(args, id)
			}
			args = append(args, roomID)
			rows, err := read.Query(ctx, s.db, `SELECT rp.item_id, rp.source_id, si.id IS NOT NULL FROM reports rp JOIN {items i} ON i.id = rp.item_id
				LEFT JOIN {items si} ON si.id = rp.source_id AND {visible si}
				WHERE rp.item_id IN (`+marks(len(chunk))+`) AND i.room_id = ? AND {visible i}`, args...)
			if err != nil {
				return w, err
			}
			var found []string
			for rows.Next() {
				var id, src string
				var srcVisible bool
				if err := rows.Scan(&id, &src, &srcVisible); err != nil {
					rows.Close()
					return w, err
				}
				if !srcVisible {
					src = "a source you cannot see (of report " + id + ")"
				}
				w.sources[id] = src
				found = append(found, id)
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				return w, err
			}
			if len(found) == 0 {
				continue
			}
			largs := make([]any, len(found))
			for i, id := range found {
				largs[i] = id
			}
			lrows, err := s.db.Query(ctx, `SELECT report_id, kind, target_id FROM report_links WHERE report_id IN (`+marks(len(found))+`)`, largs...)
			if err != nil {
				return w, err
			}
			for lrows.Next() {
				var l Link
				if err := lrows.Scan(&l.Report, &l.Kind, &l.Target); err != nil {
					lrows.Close()
					return w, err
				}
				// Links to hidden reports are kept: Corroborate ignores a link
				// whose target is not in sources, and the target is only ever
				// loaded below through the filter.
				w.links = append(w.links, l)
				next = append(next, l.Target)
			}
			lrows.Close()
			if err := lrows.Err(); err != nil {
				return w, err
			}
		}
		frontier = nil
		for _, id := range next {
			if !tried[id] {
				tried[id] = true
				frontier = append(frontier, id)
			}
		}
	}
	return w, nil
}

package ops

import (
	"context"
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
	"github.com/opsroom/opsroom/internal/room"
	"github.com/opsroom/opsroom/internal/store"
	"github.com/opsroom/opsroom/internal/timespan"
	"github.com/opsroom/opsroom/internal/validate"
)

// Operation statuses: draft -> proposed -> approved | rejected ->
// active -> completed | cancelled.
const (
	Draft     = "draft"
	Proposed  = "proposed"
	Approved  = "approved"
	Rejected  = "rejected"
	Active    = "active"
	Completed = "completed"
	Cancelled = "cancelled"
)

// Component is one participating partner's part in an operation, e.g. a
// ground offensive by IR, air support by RU.
type Component struct {
	Partner   string `json:"partner"`   // partner code
	Component string `json:"component"` // what it does
}

// Phase is a stage of an operation with its own area and window. ID is
// set by the server; send it back when changing an operation to keep the
// phase (and its conflicts) the same.
type Phase struct {
	ID     string          `json:"id,omitempty"`
	Name   string          `json:"name"`
	Area   json.RawMessage `json:"area"`
	Window timespan.Span   `json:"window"`
}

// OperationInput creates or replaces an operation.
type OperationInput struct {
	Name       string          `json:"name"`
	Lead       string          `json:"lead"` // partner code; default: the author's partner
	Components []Component     `json:"components,omitempty"`
	Area       json.RawMessage `json:"area"` // GeoJSON Polygon or MultiPolygon
	Window     timespan.Span   `json:"window"`
	Phases     []Phase         `json:"phases,omitempty"`
	Marking    item.Marking    `json:"marking"`
	// Version is the version being changed (updates only).
	Version int `json:"version,omitempty"`
}

// Decision is one authority's decision on the current proposal.
type Decision struct {
	By       string    `json:"by"` // username
	Decision string    `json:"decision"`
	Reason   string    `json:"reason,omitempty"`
	At       time.Time `json:"at"`
}

// Operation is an operation as the API shows it.
type Operation struct {
	item.Item
	Name       string          `json:"name"`
	Lead       string          `json:"lead"`
	Status     string          `json:"status"`
	Area       json.RawMessage `json:"area"`
	Window     timespan.Span   `json:"window"`
	Components []Component     `json:"components"`
	Phases     []Phase         `json:"phases"`
	// Round counts proposals; decisions belong to the current one.
	Round     int        `json:"round"`
	Decisions []Decision `json:"decisions"`
}

// Action is the body of a workflow step: a reason (required to reject,
// cancel and comment).
type Action struct {
	Reason string `json:"reason,omitempty"`
}

var geoOpts = geo.Options{}

// checkArea decodes a polygon area into errs under field.
func checkArea(errs *validate.Errors, field string, raw json.RawMessage) geo.Geometry {
	if len(raw) == 0 {
		errs.Add(field, "is required: a GeoJSON Polygon or MultiPolygon")
		return geo.Geometry{}
	}
	g, err := geo.Decode(raw, geoOpts)
	if err != nil {
		var ve *geo.ValidationError
		if errors.As(err, &ve) && ve.Path != "" {
			errs.Add(field+"."+ve.Path, "%s", ve.Msg)
		} else {
			errs.Add(field, "%s", err.Error())
		}
		return geo.Geometry{}
	}
	if g.Kind != geo.KindPolygon && g.Kind != geo.KindMultiPolygon {
		errs.Add(field, "must be a Polygon or MultiPolygon, not a %s", g.Kind)
		return geo.Geometry{}
	}
	return g
}

func checkWindow(errs *validate.Errors, field string, w timespan.Span) {
	if w.IsZero() {
		errs.Add(field, "is required: {\"start\": ..., \"end\": ...}")
	} else if w.End.Before(w.Start) {
		errs.Add(field, "ends before it starts")
	}
}

// part is one footprint an item takes part in deconfliction with.
type part struct {
	ID, Kind, Label string
	Raw             json.RawMessage
	Geom            geo.Geometry
	HalfWidth       float64
	Window          timespan.Span
}

// checkOperation validates an operation and returns its footprints (the
// whole area first, then each phase) and the lead partner's ID.
func checkOperation(in *OperationInput, rv room.View, p access.Principal, oldPhases []Phase) ([]part, string, error) {
	var errs validate.Errors
	in.Name = strings.TrimSpace(in.Name)
	errs.Line("name", in.Name, true, 300)
	lead := p.PartnerID
	if in.Lead != "" {
		id, ok := rv.PartnerIDs[strings.ToUpper(in.Lead)]
		if !ok {
			errs.Add("lead", "%q is not a partner of this room", in.Lead)
		}
		lead = id
	}
	in.Lead = rv.PartnerCodes[lead]
	if len(in.Components) > 50 {
		errs.Add("components", "at most 50 components")
	}
	for i, c := range in.Components {
		f := fmt.Sprintf("components[%d]", i)
		if _, ok := rv.PartnerIDs[strings.ToUpper(c.Partner)]; !ok {
			errs.Add(f+".partner", "%q is not a partner of this room", c.Partner)
		}
		in.Components[i].Partner = strings.ToUpper(c.Partner)
		errs.Line(f+".component", c.Component, true, 300)
	}
	area := checkArea(&errs, "area", in.Area)
	checkWindow(&errs, "window", in.Window)
	if len(in.Phases) > 50 {
		errs.Add("phases", "at most 50 phases")
	}
	parts := []part{{Kind: "operation", Raw: in.Area, Geom: area, Window: in.Window}}
	for i, ph := range in.Phases {
		f := fmt.Sprintf("phases[%d]", i)
		errs.Line(f+".name", ph.Name, true, 300)
		g := checkArea(&errs, f+".area", ph.Area)
		checkWindow(&errs, f+".window", ph.Window)
		if ph.ID == "" {
			in.Phases[i].ID = store.NewID()
		} else if !slices.ContainsFunc(oldPhases, func(o Phase) bool { return o.ID == ph.ID }) {
			errs.Add(f+".id", "is not a phase of this operation; leave it out for a new phase")
		}
		parts = append(parts, part{ID: in.Phases[i].ID, Kind: "phase", Label: ph.Name, Raw: ph.Area, Geom: g, Window: ph.Window})
	}
	if err := errs.Err(); err != nil {
		return nil, "", err
	}
	if in.Components == nil {
		in.Components = []Component{}
	}
	if in.Phases == nil {
		in.Phases = []Phase{}
	}
	return parts, lead, nil
}

// mergeErr appends validation errors from err to errs; other errors are
// returned.
func mergeErr(errs *validate.Errors, err error) error {
	var v validate.Errors
	if errors.As(err, &v) {
		*errs = append(*errs, v...)
		return nil
	}
	return err
}

// CreateOperation drafts an operation in a room and checks it against
// the other partners' operations, movements and protected sites.
func (s *Service) CreateOperation(ctx context.Context, p access.Principal, slug string, in OperationInput) (Operation, error) {
	rm, rv, err := s.memberRoom(ctx, p, slug)
	if err != nil {
		return Operation{}, err
	}
	var errs validate.Errors
	parts, lead, err := checkOperation(&in, rv, p, nil)
	if err := mergeErr(&errs, err); err != nil {
		return Operation{}, err
	}
	m, shown, err := item.Resolve("marking", in.Marking, p.Viewer, rv, rm.DefaultTLP)
	if err := mergeErr(&errs, err); err != nil {
		return Operation{}, err
	}
	if err := errs.Err(); err != nil {
		return Operation{}, err
	}
	rec := &item.Record{RoomID: rm.ID, Room: rm.Slug, Kind: "operation", Title: in.Name, Marking: m, Shown: shown,
		Owner: p.PartnerID, Author: p.ID, At: s.at()}
	rec.ID = store.NewID()
	parts[0].ID = rec.ID
	err = s.db.Write(ctx, func(tx *store.Tx) error {
		op := Operation{Item: item.Item{ID: rec.ID, Room: rm.Slug, Kind: "operation", Title: in.Name, Marking: shown,
			Owner: rv.PartnerCodes[p.PartnerID], CreatedBy: p.Username, CreatedAt: rec.At, UpdatedAt: rec.At, Version: 1},
			Name: in.Name, Lead: in.Lead, Status: Draft, Area: in.Area, Window: in.Window, Components: in.Components, Phases: in.Phases, Decisions: []Decision{}}
		if err := item.Insert(ctx, tx, s.bus, rec, audit.By(p), op); err != nil {
			return err
		}
		comps, _ := json.Marshal(in.Components)
		phases, _ := json.Marshal(in.Phases)
		if _, err := tx.Exec(ctx, `INSERT INTO operations (item_id, name, lead_partner_id, status, area, start_at, end_at, components, phases, round)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 0)`, rec.ID, in.Name, lead, Draft, string(in.Area),
			store.Micros(in.Window.Start), store.Micros(in.Window.End), string(comps), string(phases)); err != nil {
			return err
		}
		if err := addHistory(ctx, tx, rec.ID, p, rec.At, "create", "", Draft, ""); err != nil {
			return err
		}
		if err := setFootprints(ctx, tx, rec.ID, rm.ID, p.PartnerID, parts, true); err != nil {
			return err
		}
		return s.deconflict(ctx, tx, p, rec.ID)
	})
	if err != nil {
		return Operation{}, err
	}
	return s.Operation(ctx, p, rec.ID)
}

const opColumns = item.Columns + `, o.name, lp.code, o.lead_partner_id, o.status, o.area, o.start_at, o.end_at, o.components, o.phases, o.round`
const opFrom = ` FROM {items i} JOIN operations o ON o.item_id = i.id JOIN partners lp ON lp.id = o.lead_partner_id` + item.Joins

func scanOperation(sc interface{ Scan(...any) error }, op *Operation, leadID *string) error {
	var area, comps, phases string
	var start, end int64
	if err := item.Scan(sc, &op.Item, &op.Name, &op.Lead, leadID, &op.Status, &area, &start, &end, &comps, &phases, &op.Round); err != nil {
		return err
	}
	op.Area = json.RawMessage(area)
	op.Window = timespan.Span{Start: store.Time(start), End: store.Time(end)}
	if err := json.Unmarshal([]byte(comps), &op.Components); err != nil {
		return err
	}
	return json.Unmarshal([]byte(phases), &op.Phases)
}

// readOperation reads one operation p may see, with the decisions of its
// current round.
func readOperation(ctx context.Context, q querier, p access.Principal, id string) (Operation, string, error) {
	var op Operation
	var leadID string
	if err := scanOperation(item.For(p.Viewer).QueryRow(ctx, q, `SELECT `+opColumns+opFrom+` WHERE i.id = ? AND {visible i}`, id), &op, &leadID); err != nil {
		return op, "", err
	}
	rows, err := q.Query(ctx, `SELECT m.username, d.decision, d.reason, d.at FROM operation_decisions d JOIN members m ON m.id = d.member_id
		WHERE d.operation_id = ? AND d.round = ? ORDER BY d.at, m.username`, id, op.Round)
	if err != nil {
		return op, "", err
	}
	defer rows.Close()
	op.Decisions = []Decision{}
	for rows.Next() {
		var d Decision
		var at int64
		if err := rows.Scan(&d.By, &d.Decision, &d.Reason, &at); err != nil {
			return op, "", err
		}
		d.At = store.Time(at)
		op.Decisions = append(op.Decisions, d)
	}
	return op, leadID, rows.Err()
}

// Operation returns one operation p may see.
func (s *Service) Operation(ctx context.Context, p access.Principal, id string) (Operation, error) {
	op, _, err := readOperation(ctx, s.db, p, id)
	if err != nil {
		return op, item.NotFound(ctx, s.db, p, id, err)
	}
	return op, nil
}

// Operations lists a room's operations p may see, newest first; status
// narrows to one status.
func (s *Service) Operations(ctx context.Context, p access.Principal, slug, status, after string, limit int) ([]Operation, error) {
	rm, err := s.rooms.Room(ctx, p, slug)
	if err != nil {
		return nil, err
	}
	q := `SELECT ` + opColumns + opFrom + ` WHERE i.room_id = ? AND {visible i}`
	args := []any{rm.ID}
	if status != "" {
		q += ` AND o.status = ?`
		args = append(args, status)
	}
	if after != "" {
		q += ` AND i.id < ?`
		args = append(args, after)
	}
	rows, err := item.For(p.Viewer).Query(ctx, s.db, q+` ORDER BY i.id DESC LIMIT ?`, append(args, limit)...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Operation{}
	for rows.Next() {
		var op Operation
		var lead string
		if err := scanOperation(rows, &op, &lead); err != nil {
			return nil, err
		}
		op.Decisions = nil
		out = append(out, op)
	}
	return out, rows.Err()
}

// editable are the statuses in which an operation may still change.
var editable = []string{Draft, Proposed, Rejected, Approved, Active}

// UpdateOperation replaces an operation's name, lead, components, area,
// window, phases and marking (members of the owner or lead partner). A
// proposal under decision starts a new round; the change is checked
// again for conflicts, and conflicts it no longer has are resolved as
// adjusted.
func (s *Service) UpdateOperation(ctx context.Context, p access.Principal, id string, in OperationInput) (Operation, error) {
	var result Operation
	err := s.db.Write(ctx, func(tx *store.Tx) error {
		rec, err := load(ctx, tx, p, id, "operation")
		if err != nil {
			return err
		}
		old, leadID, err := readOperation(ctx, tx, p, id)
		if err != nil {
			return err
		}
		if p.PartnerID != rec.Owner && p.PartnerID != leadID {
			return access.ErrForbidden
		}
		if !slices.Contains(editable, old.Status) {
			return validate.Field("status", "a %s operation no longer changes", old.Status)
		}
		rv, err := s.rooms.View(ctx, rec.RoomID)
		if err != nil {
			return err
		}
		var rdefault access.Label = access.Label(old.Marking.TLP)
		var errs validate.Errors
		if in.Version == 0 {
			errs.Add("version", "is required: the version you are changing")
		}
		parts, lead, err := checkOperation(&in, rv, p, old.Phases)
		if err := mergeErr(&errs, err); err != nil {
			return err
		}
		if in.Marking.TLP == "" {
			in.Marking = old.Marking
		}
		m, shown, err := item.Resolve("marking", in.Marking, p.Viewer, rv, rdefault)
		if err := mergeErr(&errs, err); err != nil {
			return err
		}
		if err := errs.Err(); err != nil {
			return err
		}
		parts[0].ID = id
		round := old.Round
		if old.Status == Proposed {
			round++ // the authority decides on what is proposed now
		}
		comps, _ := json.Marshal(in.Components)
		phases, _ := json.Marshal(in.Phases)
		if _, err := tx.Exec(ctx, `UPDATE operations SET name = ?, lead_partner_id = ?, area = ?, start_at = ?, end_at = ?, components = ?, phases = ?, round = ? WHERE item_id = ?`,
			in.Name, lead, string(in.Area), store.Micros(in.Window.Start), store.Micros(in.Window.End), string(comps), string(phases), round, id); err != nil {
			return err
		}
		changed := changedFields(old, in, shown)
		rec.Title, rec.Marking, rec.Shown = in.Name, m, shown
		if err := addHistory(ctx, tx, id, p, s.at(), "change", old.Status, old.Status, strings.Join(changed, ", ")); err != nil {
			return err
		}
		// A rejected operation stays out of deconfliction until proposed again.
		if err := setFootprints(ctx, tx, id, rec.RoomID, rec.Owner, parts, old.Status != Rejected); err != nil {
			return err
		}
		if err := s.deconflict(ctx, tx, p, id); err != nil {
			return err
		}
		// The view published is the one after the change: the operation's
		// own row is written already, the items row is written next.
		result, _, err = readOperation(ctx, tx, p, id)
		if err != nil {
			return err
		}
		result.Title, result.Marking, result.Version, result.UpdatedAt = in.Name, shown, in.Version+1, s.at()
		return item.Update(ctx, tx, s.bus, &rec.Record, in.Version, changed, audit.By(p), result)
	})
	return result, err
}

func changedFields(old Operation, in OperationInput, shown item.Marking) []string {
	var c []string
	if old.Name != in.Name {
		c = append(c, "name")
	}
	if old.Lead != in.Lead {
		c = append(c, "lead")
	}
	if !slices.Equal(old.Components, in.Components) {
		c = append(c, "components")
	}
	if string(old.Area) != string(in.Area) {
		c = append(c, "area")
	}
	if !old.Window.Start.Equal(in.Window.Start) || !old.Window.End.Equal(in.Window.End) {
		c = append(c, "window")
	}
	a, _ := json.Marshal(old.Phases)
	b, _ := json.Marshal(in.Phases)
	if string(a) != string(b) {
		c = append(c, "phases")
	}
	x, _ := json.Marshal(old.Marking)
	y, _ := json.Marshal(shown)
	if string(x) != string(y) {
		c = append(c, "marking")
	}
	return c
}

// Workflow actions on an operation.
const (
	ActPropose  = "propose"
	ActApprove  = "approve"
	ActReject   = "reject"
	ActActivate = "activate"
	ActComplete = "complete"
	ActCancel   = "cancel"
	ActComment  = "comment"
)

// Actions lists the workflow actions, for the API.
var Actions = []string{ActPropose, ActApprove, ActReject, ActActivate, ActComplete, ActCancel, ActComment}

// ErrNoAuthority is returned when a room's command model names no one who
// may approve operations.
var ErrNoAuthority = validate.Field("command_model", "this room's command model is not reported: no one in it has authority to approve or reject operations")

// Act takes one workflow step on an operation p may see:
//
//   - propose (draft or rejected -> proposed): members of the owner or lead partner;
//   - approve, reject (proposed): the room's authority. In a director room
//     the director's approval approves; in a co-directors room every
//     co-director must approve and any one rejects; reject needs a reason;
//   - activate (approved -> active), complete (active -> completed): owner or lead;
//   - cancel (any open status -> cancelled, with a reason): owner, lead or authority;
//   - comment (with the reason as the text): any member who sees the operation.
func (s *Service) Act(ctx context.Context, p access.Principal, id, action string, in Action) (Operation, error) {
	var result Operation
	in.Reason = strings.TrimSpace(in.Reason)
	var errs validate.Errors
	errs.Text("reason", in.Reason, action == ActReject || action == ActCancel || action == ActComment, 4000)
	if !slices.Contains(Actions, action) {
		errs.Add("action", "unknown action %q; want one of %s", action, strings.Join(Actions, ", "))
	}
	if err := errs.Err(); err != nil {
		return result, err
	}
	err := s.db.Write(ctx, func(tx *store.Tx) error {
		rec, err := load(ctx, tx, p, id, "operation")
		if err != nil {
			return err
		}
		op, leadID, err := readOperation(ctx, tx, p, id)
		if err != nil {
			return err
		}
		model, auth, _, err := authorities(ctx, tx, rec.RoomID)
		if err != nil {
			return err
		}
		side := p.PartnerID == rec.Owner || p.PartnerID == leadID
		isAuth := slices.Contains(auth, p.ID)
		from, to := op.Status, op.Status
		need := func(ok bool, statuses ...string) error {
			if !ok {
				return access.ErrForbidden
			}
			if !slices.Contains(statuses, from) {
				return validate.Field("status", "cannot %s a %s operation", action, from)
			}
			return nil
		}
		round := op.Round
		now := s.at()
		switch action {
		case ActPropose:
			if err := need(side, Draft, Rejected); err != nil {
				return err
			}
			to, round = Proposed, round+1
		case ActApprove, ActReject:
			if model == room.Unspecified || len(auth) == 0 {
				return ErrNoAuthority
			}
			if err := need(isAuth, Proposed); err != nil {
				return err
			}
			decision := "approved"
			if action == ActReject {
				decision = "rejected"
			}
			if _, err := tx.Exec(ctx, `INSERT INTO operation_decisions (operation_id, round, member_id, decision, reason, at) VALUES (?, ?, ?, ?, ?, ?)`,
				id, round, p.ID, decision, in.Reason, store.Micros(now)); err != nil {
				if errors.Is(err, store.ErrConflict) {
					return validate.Field("status", "you have already decided on this proposal")
				}
				return err
			}
			if action == ActReject {
				to = Rejected
			} else {
				approved, err := store.Strings(ctx, tx, `SELECT member_id FROM operation_decisions WHERE operation_id = ? AND round = ? AND decision = 'approved'`, id, round)
				if err != nil {
					return err
				}
				all := true
				for _, a := range auth {
					all = all && slices.Contains(approved, a)
				}
				if model == room.Director || all {
					to = Approved
				}
			}
		case ActActivate:
			if err := need(side, Approved); err != nil {
				return err
			}
			to = Active
		case ActComplete:
			if err := need(side, Active); err != nil {
				return err
			}
			to = Completed
		case ActCancel:
			if err := need(side || isAuth, Draft, Proposed, Approved, Active, Rejected); err != nil {
				return err
			}
			to = Cancelled
		case ActComment:
		}
		if to != from || round != op.Round {
			if _, err := tx.Exec(ctx, `UPDATE operations SET status = ?, round = ? WHERE item_id = ?`, to, round, id); err != nil {
				return err
			}
		}
		if err := addHistory(ctx, tx, id, p, now, action, from, to, in.Reason); err != nil {
			return err
		}
		live := slices.Contains(editable, to) && to != Rejected
		if live != (slices.Contains(editable, from) && from != Rejected) {
			if _, err := tx.Exec(ctx, `UPDATE ops_footprints SET active = ? WHERE item_id = ?`, boolInt(live), id); err != nil {
				return err
			}
			if live {
				if err := s.deconflict(ctx, tx, p, id); err != nil {
					return err
				}
			} else if err := s.closeConflicts(ctx, tx, p, id, "withdrawn", "the operation is "+to); err != nil {
				return err
			}
		}
		if to != from && (to == Approved || to == Rejected || to == Active || to == Completed || to == Cancelled) {
			text := fmt.Sprintf("Operation %q %s by %s", op.Name, to, p.Username)
			if in.Reason != "" {
				text += ": " + in.Reason
			}
			if err := AutoLog(ctx, tx, s.bus, AutoEntry{RoomID: rec.RoomID, Text: text, Marking: rec.Marking, Shown: rec.Shown,
				Owner: p.PartnerID, Author: p.ID, SourceKind: "operation", SourceID: id}); err != nil {
				return err
			}
		}
		result, _, err = readOperation(ctx, tx, p, id)
		if err != nil {
			return err
		}
		_, err = item.Touch(ctx, tx, s.bus, rec.RoomID, "operation", id, action, rec.Marking, audit.By(p),
			map[string]any{"from": from, "to": to}, result)
		return err
	})
	return result, err
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

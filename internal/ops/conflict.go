package ops

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/opsroom/opsroom/internal/access"
	"github.com/opsroom/opsroom/internal/item"
	"github.com/opsroom/opsroom/internal/room"
	"github.com/opsroom/opsroom/internal/store"
	"github.com/opsroom/opsroom/internal/timespan"
	"github.com/opsroom/opsroom/internal/validate"
)

// Conflict statuses.
const (
	ConflictOpen      = "open"
	ConflictAdjusted  = "adjusted"
	ConflictAccepted  = "accepted"
	ConflictWithdrawn = "withdrawn"
)

// ConflictSide is one side of a conflict as the reader may see it. Of an
// item the reader may not see only its kind is shown.
type ConflictSide struct {
	Kind        string `json:"kind"` // operation, phase, movement, site
	Visible     bool   `json:"visible"`
	ItemID      string `json:"item_id,omitempty"`
	Title       string `json:"title,omitempty"`
	Partner     string `json:"partner,omitempty"` // owner partner code
	Phase       string `json:"phase,omitempty"`   // phase name, for a phase
	Description string `json:"description"`
}

// Conflict is an overlap in space and time between two partners' items:
// where (Region, GeoJSON) and when (Window) are shown to everyone the
// conflict is shown to; each side only as far as the reader may see it.
// Side 0 is the item whose creation or change found the overlap.
type Conflict struct {
	ID         string          `json:"id"`
	Room       string          `json:"room"`
	Status     string          `json:"status"`
	Region     json.RawMessage `json:"region"`
	Window     timespan.Span   `json:"window"`
	Sides      [2]ConflictSide `json:"sides"`
	Marking    item.Marking    `json:"marking"`
	Reason     string          `json:"reason,omitempty"`
	ResolvedBy string          `json:"resolved_by,omitempty"`
	ResolvedAt *time.Time      `json:"resolved_at,omitempty"`
	CreatedAt  time.Time       `json:"created_at"`
	UpdatedAt  time.Time       `json:"updated_at"`
	Version    int             `json:"version"`

	roomID string
}

func neutralSide(kind string) ConflictSide {
	return ConflictSide{Kind: kind, Description: article(kind) + " (fetch the conflict to see what you may of it)"}
}

func hiddenSide(kind string) ConflictSide {
	return ConflictSide{Kind: kind, Description: article(kind) + " that you may not see"}
}

// conflictSelect reads conflicts with each side joined only when the
// viewer may see it.
const conflictSelect = `SELECT c.item_id, i.room_id, rm.slug, c.status, c.region, c.start_at, c.end_at, c.reason, COALESCE(rb.username, ''), c.resolved_at,
		i.created_at, i.updated_at, i.version, c.a_kind, c.b_kind,
		ia.id, ia.title, pa.code, fa.label, ib.id, ib.title, pb.code, fb.label
		FROM {items i} JOIN conflicts c ON c.item_id = i.id JOIN rooms rm ON rm.id = i.room_id
		LEFT JOIN members rb ON rb.id = c.resolved_by
		LEFT JOIN {items ia} ON ia.id = c.a_item_id AND {visible ia}
		LEFT JOIN partners pa ON pa.id = ia.owner_partner_id
		LEFT JOIN ops_footprints fa ON fa.part_id = c.a_part AND fa.kind = 'phase' AND ia.id IS NOT NULL
		LEFT JOIN {items ib} ON ib.id = c.b_item_id AND {visible ib}
		LEFT JOIN partners pb ON pb.id = ib.owner_partner_id
		LEFT JOIN ops_footprints fb ON fb.part_id = c.b_part AND fb.kind = 'phase' AND ib.id IS NOT NULL`

func scanConflict(sc interface{ Scan(...any) error }) (Conflict, error) {
	var c Conflict
	var region string
	var start, end, created, updated int64
	var resolved sql.NullInt64
	var sides [2]struct{ id, title, partner, label sql.NullString }
	if err := sc.Scan(&c.ID, &c.roomID, &c.Room, &c.Status, &region, &start, &end, &c.Reason, &c.ResolvedBy, &resolved,
		&created, &updated, &c.Version, &c.Sides[0].Kind, &c.Sides[1].Kind,
		&sides[0].id, &sides[0].title, &sides[0].partner, &sides[0].label,
		&sides[1].id, &sides[1].title, &sides[1].partner, &sides[1].label); err != nil {
		return c, err
	}
	c.Region = json.RawMessage(region)
	c.Window = timespan.Span{Start: store.Time(start), End: store.Time(end)}
	c.CreatedAt, c.UpdatedAt = store.Time(created), store.Time(updated)
	if resolved.Valid {
		t := store.Time(resolved.Int64)
		c.ResolvedAt = &t
	}
	c.Marking = conflictShown
	for i, sd := range sides {
		kind := c.Sides[i].Kind
		if !sd.id.Valid {
			c.Sides[i] = hiddenSide(kind)
			continue
		}
		side := ConflictSide{Kind: kind, Visible: true, ItemID: sd.id.String, Title: sd.title.String, Partner: sd.partner.String, Phase: sd.label.String}
		side.Description = fmt.Sprintf("%s %q of %s", kindName(kind), side.Title, side.Partner)
		if side.Phase != "" {
			side.Description = fmt.Sprintf("phase %q of operation %q of %s", side.Phase, side.Title, side.Partner)
		}
		c.Sides[i] = side
	}
	return c, nil
}

func kindName(kind string) string {
	if kind == "site" {
		return "protected site"
	}
	return kind
}

// neutralConflict reads a conflict with both sides redacted, for the live
// stream (one payload for every subscriber), and its marking.
func neutralConflict(ctx context.Context, q querier, id string) (Conflict, access.Marking, error) {
	var c Conflict
	var region string
	var start, end, created, updated int64
	var resolved sql.NullInt64
	var a, b string
	err := store.Scan(item.Server().QueryRow(ctx, q, `SELECT c.item_id, i.room_id, rm.slug, c.status, c.region, c.start_at, c.end_at, c.reason, COALESCE(rb.username, ''), c.resolved_at,
		i.created_at, i.updated_at, i.version, c.a_kind, c.b_kind
		FROM {items i} JOIN conflicts c ON c.item_id = i.id JOIN rooms rm ON rm.id = i.room_id LEFT JOIN members rb ON rb.id = c.resolved_by WHERE c.item_id = ?`, id),
		&c.ID, &c.roomID, &c.Room, &c.Status, &region, &start, &end, &c.Reason, &c.ResolvedBy, &resolved, &created, &updated, &c.Version, &a, &b)
	if err != nil {
		return c, access.Marking{}, err
	}
	c.Region = json.RawMessage(region)
	c.Window = timespan.Span{Start: store.Time(start), End: store.Time(end)}
	c.CreatedAt, c.UpdatedAt = store.Time(created), store.Time(updated)
	if resolved.Valid {
		t := store.Time(resolved.Int64)
		c.ResolvedAt = &t
	}
	c.Marking = conflictShown
	c.Sides = [2]ConflictSide{neutralSide(a), neutralSide(b)}
	m, err := item.LoadMarking(ctx, q, id)
	return c, access.Marking{TLP: access.Amber, ReleasableTo: m.ReleasableTo}, err
}

// Conflict returns one conflict p may see, each side as far as p may see
// it.
func (s *Service) Conflict(ctx context.Context, p access.Principal, id string) (Conflict, error) {
	c, err := scanConflict(item.For(p.Viewer).QueryRow(ctx, s.db, conflictSelect+` WHERE {visible i} AND i.id = ?`, id))
	if err != nil {
		return c, item.NotFound(ctx, s.db, p, id, err)
	}
	return c, nil
}

// ConflictQuery selects a room's conflicts.
type ConflictQuery struct {
	Status string // "" for every status
	Item   string // only the conflicts of this item
	After  string
	Limit  int
}

// Conflicts lists a room's conflicts p may see, newest first.
func (s *Service) Conflicts(ctx context.Context, p access.Principal, slug string, cq ConflictQuery) ([]Conflict, error) {
	rm, err := s.rooms.Room(ctx, p, slug)
	if err != nil {
		return nil, err
	}
	where := []string{"i.room_id = ?", "{visible i}"}
	args := []any{rm.ID}
	if cq.Status != "" {
		where = append(where, "c.status = ?")
		args = append(args, cq.Status)
	}
	if cq.Item != "" {
		// Matching on a side's id is only allowed for a side the
		// reader sees, or the filter would confirm an invisible id.
		where = append(where, "(ia.id = ? OR ib.id = ?)")
		args = append(args, cq.Item, cq.Item)
	}
	if cq.After != "" {
		where = append(where, "i.id < ?")
		args = append(args, cq.After)
	}
	if cq.Limit <= 0 {
		cq.Limit = 50
	}
	rows, err := item.For(p.Viewer).Query(ctx, s.db, conflictSelect+` WHERE `+strings.Join(where, " AND ")+` ORDER BY i.id DESC LIMIT ?`, append(args, cq.Limit)...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Conflict{}
	for rows.Next() {
		c, err := scanConflict(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// AcceptConflict resolves an open conflict as accepted, with a reason:
// only the room's authority (director or a co-director) may, and only a
// conflict it may see.
func (s *Service) AcceptConflict(ctx context.Context, p access.Principal, id string, in Action) (Conflict, error) {
	in.Reason = strings.TrimSpace(in.Reason)
	var errs validate.Errors
	errs.Text("reason", in.Reason, true, 4000)
	if err := errs.Err(); err != nil {
		return Conflict{}, err
	}
	err := s.db.Write(ctx, func(tx *store.Tx) error {
		rec, err := load(ctx, tx, p, id, "conflict")
		if err != nil {
			return err
		}
		model, auth, _, err := authorities(ctx, tx, rec.RoomID)
		if err != nil {
			return err
		}
		if model == room.Unspecified || len(auth) == 0 {
			return ErrNoAuthority
		}
		if !slices.Contains(auth, p.ID) {
			return access.ErrForbidden
		}
		var status string
		if err := store.Scan(tx.QueryRow(ctx, `SELECT status FROM conflicts WHERE item_id = ?`, id), &status); err != nil {
			return err
		}
		if status != ConflictOpen {
			return validate.Field("status", "the conflict is %s already", status)
		}
		return s.resolve(ctx, tx, p, id, ConflictAccepted, in.Reason, s.at())
	})
	if err != nil {
		return Conflict{}, err
	}
	return s.Conflict(ctx, p, id)
}

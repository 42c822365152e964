// Package item stores the shared items of a room, whatever their kind
// (note, report, site, track, operation, ...), with the marking each one
// carries. Every kind's own table hangs off the items row, so the one
// need-to-know predicate (access.Filter) is written against one table,
// and the read layer (read.go: For, Server) is the only way any package
// reads that table: a query cannot name items without the predicate.
package item

import (
	"context"
	"encoding/json"

	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/opsroom/opsroom/internal/access"
	"github.com/opsroom/opsroom/internal/audit"
	"github.com/opsroom/opsroom/internal/live"
	"github.com/opsroom/opsroom/internal/room"
	"github.com/opsroom/opsroom/internal/store"
	"github.com/opsroom/opsroom/internal/validate"
)

// Marking is a marking as the API reads and shows it: partner codes and
// usernames rather than IDs.
type Marking struct {
	TLP          string   `json:"tlp"`
	ReleasableTo []string `json:"releasable_to,omitempty"`
	Recipients   []string `json:"recipients,omitempty"`
}

// Item is the common part of every shared item.
type Item struct {
	ID        string          `json:"id"`
	Room      string          `json:"room"` // slug
	RoomID    string          `json:"-"`
	Kind      string          `json:"kind"`
	Title     string          `json:"title"`
	Marking   Marking         `json:"marking"`
	Owner     string          `json:"owner"`      // partner code
	CreatedBy string          `json:"created_by"` // username
	CreatedAt time.Time       `json:"created_at"`
	UpdatedAt time.Time       `json:"updated_at"`
	Version   int             `json:"version"`
	Body      json.RawMessage `json:"body,omitempty"`
}

// Resolve checks an API marking against the room and the author and turns
// it into the policy's form (IDs). An empty label takes the room's
// default. Errors name fields under prefix.
func Resolve(prefix string, in Marking, author access.Viewer, rv room.View, defaultTLP access.Label) (access.Marking, Marking, error) {
	var errs validate.Errors
	label := defaultTLP
	if in.TLP != "" {
		l, ok := access.ParseLabel(in.TLP)
		if !ok {
			errs.Add(prefix+".tlp", "%q is not a TLP 2.0 label; want one of CLEAR, GREEN, AMBER, AMBER+STRICT, RED", in.TLP)
		}
		label = l
	}
	m := access.Marking{TLP: label}
	shown := Marking{TLP: string(label)}
	for i, code := range in.ReleasableTo {
		id, ok := rv.PartnerIDs[strings.ToUpper(code)]
		if !ok {
			errs.Add(fmt.Sprintf("%s.releasable_to[%d]", prefix, i), "%q is not a partner of this room", code)
			continue
		}
		if !slices.Contains(m.ReleasableTo, id) {
			m.ReleasableTo = append(m.ReleasableTo, id)
			shown.ReleasableTo = append(shown.ReleasableTo, strings.ToUpper(code))
		}
	}
	for i, name := range in.Recipients {
		id, ok := rv.MemberIDs[strings.ToLower(name)]
		if !ok {
			errs.Add(fmt.Sprintf("%s.recipients[%d]", prefix, i), "%q is not a member of this room", name)
			continue
		}
		if !slices.Contains(m.Recipients, id) {
			m.Recipients = append(m.Recipients, id)
			shown.Recipients = append(shown.Recipients, strings.ToLower(name))
		}
	}
	if err := errs.Err(); err != nil {
		return m, shown, err
	}
	slices.Sort(shown.ReleasableTo)
	slices.Sort(shown.Recipients)
	return m, shown, m.Validate(prefix, author, rv.RoomView)
}

// Record is what a kind's package hands to Insert.
type Record struct {
	ID      string // set by Insert when empty
	RoomID  string
	Room    string // slug, for the change's data
	Kind    string
	Title   string
	Marking access.Marking
	Shown   Marking
	Owner   string // partner ID
	Author  string // member ID
	Body    json.RawMessage
	At      time.Time
}

// Insert writes a new item inside tx with its audit record, and schedules
// its change for the room's live stream once tx commits. data is the item
// as the API shows it (nil: the common Item); it is encoded once and sent
// to every entitled subscriber.
func Insert(ctx context.Context, tx *store.Tx, bus *live.Bus, r *Record, actor audit.Record, data any) error {
	if r.ID == "" {
		r.ID = store.NewID()
	}
	if r.At.IsZero() {
		r.At = time.Now()
	}
	r.At = r.At.UTC().Truncate(time.Microsecond)
	if len(r.Body) == 0 {
		r.Body = json.RawMessage("{}")
	}
	shown, _ := json.Marshal(r.Shown)
	if _, err := tx.ExecPrepared(ctx, `INSERT INTO items (id, room_id, kind, title, tlp, rel_restricted, owner_partner_id, created_by, created_at, updated_at, version, marking, body)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?)`,
		r.ID, r.RoomID, r.Kind, r.Title, string(r.Marking.TLP), len(r.Marking.ReleasableTo) > 0, r.Owner, r.Author,
		store.Micros(r.At), store.Micros(r.At), string(shown), string(r.Body)); err != nil {
		return fmt.Errorf("insert item: %w", err)
	}
	if err := writeMarking(ctx, tx, r.ID, r.Marking); err != nil {
		return err
	}
	actor.Action, actor.RoomID, actor.Kind, actor.ObjectID = r.Kind+".create", r.RoomID, r.Kind, r.ID
	actor.Detail = audit.Detail(map[string]any{"tlp": r.Marking.TLP, "releasable_to": len(r.Marking.ReleasableTo), "recipients": len(r.Marking.Recipients)})
	rec, err := audit.Append(ctx, tx, actor)
	if err != nil {
		return err
	}
	if data == nil {
		data = r.item(1)
	}
	return publish(ctx, tx, bus, rec, r.RoomID, r.Kind, r.ID, "create", r.Marking, data)
}

// Update records a new version of an item inside tx: title, marking and
// body replace the old ones, the version increases, and the change is
// audited and published. changed names the fields that changed (for the
// audit trail; never their values).
func Update(ctx context.Context, tx *store.Tx, bus *live.Bus, r *Record, version int, changed []string, actor audit.Record, data any) error {
	shown, _ := json.Marshal(r.Shown)
	r.At = time.Now().UTC().Truncate(time.Microsecond)
	res, err := tx.Exec(ctx, `UPDATE items SET title = ?, tlp = ?, rel_restricted = ?, marking = ?, body = ?, updated_at = ?, version = version + 1
		WHERE id = ? AND version = ?`, r.Title, string(r.Marking.TLP), len(r.Marking.ReleasableTo) > 0, string(shown), string(r.Body),
		store.Micros(r.At), r.ID, version)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("%w: the item changed since version %d; reload it", store.ErrConflict, version)
	}
	if _, err := tx.Exec(ctx, `DELETE FROM item_releasability WHERE item_id = ?`, r.ID); err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, `DELETE FROM item_recipients WHERE item_id = ?`, r.ID); err != nil {
		return err
	}
	if err := writeMarking(ctx, tx, r.ID, r.Marking); err != nil {
		return err
	}
	hookActor := actor
	actor.Action, actor.RoomID, actor.Kind, actor.ObjectID = r.Kind+".update", r.RoomID, r.Kind, r.ID
	actor.Detail = audit.Detail(map[string]any{"fields": changed, "version": version + 1})
	rec, err := audit.Append(ctx, tx, actor)
	if err != nil {
		return err
	}

	if data == nil {
		data = r.item(version + 1)
	}
	if err := publish(ctx, tx, bus, rec, r.RoomID, r.Kind, r.ID, "update", r.Marking, data); err != nil {
		return err
	}
	// What describes this item narrows with it (published after it).
	return markingChanged(ctx, tx, bus, r.ID, r.Marking, hookActor)
}

// Touch audits and publishes a change to an item's own tables that does
// not change the items row (a new track position, an approval).
func Touch(ctx context.Context, tx *store.Tx, bus *live.Bus, roomID, kind, id, action string, m access.Marking, actor audit.Record, detail any, data any) (int64, error) {
	actor.Action, actor.RoomID, actor.Kind, actor.ObjectID = kind+"."+action, roomID, kind, id
	if detail != nil {
		actor.Detail = audit.Detail(detail)
	}
	rec, err := audit.Append(ctx, tx, actor)
	if err != nil {
		return 0, err
	}
	if err := publish(ctx, tx, bus, rec, roomID, kind, id, "update", m, data); err != nil {
		return 0, err
	}
	return rec.Seq, nil
}

func (r *Record) item(version int) Item {
	return Item{ID: r.ID, Room: r.Room, RoomID: r.RoomID, Kind: r.Kind, Title: r.Title, Marking: r.Shown, CreatedAt: r.At, UpdatedAt: r.At, Version: version, Body: r.Body}
}

func writeMarking(ctx context.Context, tx *store.Tx, id string, m access.Marking) error {
	for _, p := range m.ReleasableTo {
		if _, err := tx.ExecPrepared(ctx, `INSERT INTO item_releasability (item_id, partner_id) VALUES (?, ?)`, id, p); err != nil {
			return fmt.Errorf("insert releasability: %w", err)
		}
	}
	for _, mm := range m.Recipients {
		if _, err := tx.ExecPrepared(ctx, `INSERT INTO item_recipients (item_id, member_id) VALUES (?, ?)`, id, mm); err != nil {
			return fmt.Errorf("insert recipient: %w", err)
		}
	}
	return nil
}

func publish(ctx context.Context, tx *store.Tx, bus *live.Bus, rec audit.Record, roomID, kind, id, op string, m access.Marking, data any) error {
	if bus == nil {
		return nil
	}
	var refs []live.Ref
	if p, ok := data.(Published); ok {
		data, refs = p.Data, p.Refs
	}
	b, err := json.Marshal(data)
	if err != nil {
		b = nil
	}
	c := live.Change{Seq: rec.Seq, RoomID: roomID, Kind: kind, ItemID: id, Op: op, At: rec.At, Marking: m, Data: b, Refs: refs}
	// Kept in the same transaction as its audit record, for streams
	// resuming after a restart or on another instance.
	if err := live.Persist(ctx, tx, c); err != nil {
		return err
	}
	tx.AfterCommit(func() { bus.Publish(c) })
	return nil
}

// LoadMarking reads an item's marking in the policy's form, for
// decisions made in Go (the live stream, CoT fan-out).
func LoadMarking(ctx context.Context, q store.Reader, id string) (access.Marking, error) {
	var m access.Marking
	rows, err := Server().Query(ctx, q, `SELECT 't', i.tlp FROM {items i} WHERE i.id = ?
		UNION ALL SELECT 'p', partner_id FROM item_releasability WHERE item_id = ?
		UNION ALL SELECT 'm', member_id FROM item_recipients WHERE item_id = ?
		ORDER BY 1, 2`, id, id, id)
	if err != nil {
		return m, err
	}
	defer rows.Close()
	found := false
	for rows.Next() {
		var k, v string
		if err := rows.Scan(&k, &v); err != nil {
			return m, err
		}
		switch k {
		case "t":
			m.TLP, found = access.Label(v), true
		case "p":
			m.ReleasableTo = append(m.ReleasableTo, v)
		case "m":
			m.Recipients = append(m.Recipients, v)
		}
	}
	if err := rows.Err(); err != nil {
		return m, err
	}
	if !found {
		return m, store.ErrNotFound
	}
	slices.Sort(m.ReleasableTo)
	slices.Sort(m.Recipients)
	return m, nil
}

// Ownership is who an item belongs to, for deciding who may write under
// a reference to it (a device's uid): never shown to a client.
type Ownership struct {
	RoomID    string
	Kind      string
	PartnerID string // the owner partner
	AuthorID  string // the member who created it
	Version   int
}

// LoadOwnership reads an item's owner, or store.ErrNotFound. q may be a
// transaction. It applies no need-to-know.
func LoadOwnership(ctx context.Context, q store.Reader, id string) (Ownership, error) {
	rows, err := q.Query(ctx, `SELECT room_id, kind, owner_partner_id, created_by, version FROM items WHERE id = ?`, id)
	if err != nil {
		return Ownership{}, err
	}
	defer rows.Close()
	var o Ownership
	if !rows.Next() {
		if err := rows.Err(); err != nil {
			return o, err
		}
		return o, store.ErrNotFound
	}
	if err := rows.Scan(&o.RoomID, &o.Kind, &o.PartnerID, &o.AuthorID, &o.Version); err != nil {
		return o, err
	}
	return o, rows.Err()
}

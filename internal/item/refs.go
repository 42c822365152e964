package item

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/opsroom/opsroom/internal/access"
	"github.com/opsroom/opsroom/internal/audit"
	"github.com/opsroom/opsroom/internal/live"
	"github.com/opsroom/opsroom/internal/store"
)

// References between items (docs/ARCHITECTURE.md, References). An item
// that names another (a claim its reports, a conflict its two sides, an
// answer its report) keeps the reference in its kind's own table, never
// in items.body, and every path that shows it filters it for the reader:
// a reference to an item the reader may not see is left out, as if it
// were not there. No placeholder, no count.
//
//   - The generic endpoints (Get, List) ask the item's kind for its
//     references through the hook it registered (RegisterAttach), which
//     reads them through For(viewer).
//   - The live stream: the change names them (WithRefs, RefsTo) and the
//     bus removes the hidden ones per subscriber.
//   - A kind's own endpoints read them through For(viewer), or check a
//     list with Visible.

// Attach adds to items (all of one kind, all visible to r's viewer) the
// references their kind keeps in its own tables, as their kind's body
// fields, each read through r so that hidden targets are left out.
type Attach func(ctx context.Context, db *store.DB, r Read, items []*Item) error

var (
	attachMu sync.RWMutex
	attaches = map[string]Attach{}
)

// RegisterAttach registers the hook for kind (from the kind's package's
// init).
func RegisterAttach(kind string, fn Attach) {
	attachMu.Lock()
	defer attachMu.Unlock()
	attaches[kind] = fn
}

// attach runs the registered hooks over items.
func attach(ctx context.Context, db *store.DB, r Read, items []Item) error {
	byKind := map[string][]*Item{}
	for i := range items {
		byKind[items[i].Kind] = append(byKind[items[i].Kind], &items[i])
	}
	attachMu.RLock()
	defer attachMu.RUnlock()
	for kind, its := range byKind {
		if fn := attaches[kind]; fn != nil {
			if err := fn(ctx, db, r, its); err != nil {
				return err
			}
		}
	}
	return nil
}

// SetBody sets fields of it's JSON body (an object), keeping the others.
func (it *Item) SetBody(fields map[string]any) error {
	body := map[string]json.RawMessage{}
	if len(it.Body) > 0 {
		if err := json.Unmarshal(it.Body, &body); err != nil {
			return err
		}
	}
	for k, v := range fields {
		b, err := json.Marshal(v)
		if err != nil {
			return err
		}
		body[k] = b
	}
	b, err := json.Marshal(body)
	if err != nil {
		return err
	}
	it.Body = b
	return nil
}

// Visible returns the subset of ids the viewer may see (at most once
// each, in the order given).
func Visible(ctx context.Context, q Querier, v access.Viewer, ids []string) ([]string, error) {
	return visible(ctx, q, For(v), ids)
}

// Hidden returns the subset of ids that are items the viewer may not
// see (for records that name objects of any sort, such as the audit
// trail: an ID that is not an item is not in the answer).
func Hidden(ctx context.Context, q Querier, v access.Viewer, ids []string) (map[string]bool, error) {
	all, err := visible(ctx, q, Server(), ids)
	if err != nil || len(all) == 0 {
		return nil, err
	}
	seen, err := visible(ctx, q, For(v), all)
	if err != nil {
		return nil, err
	}
	out := map[string]bool{}
	for _, id := range all {
		if !slices.Contains(seen, id) {
			out[id] = true
		}
	}
	return out, nil
}

func visible(ctx context.Context, q Querier, r Read, ids []string) ([]string, error) {
	pred := " AND {visible i}"
	if r.server {
		pred = ""
	}
	seen := map[string]bool{}
	for start := 0; start < len(ids); start += 400 {
		chunk := ids[start:min(start+400, len(ids))]
		args := make([]any, len(chunk))
		for i, id := range chunk {
			args[i] = id
		}
		rows, err := r.Query(ctx, q, `SELECT i.id FROM {items i} WHERE i.id IN (`+placeholders(len(chunk))+`)`+pred, args...)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var id string
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return nil, err
			}
			seen[id] = true
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	out := []string{}
	for _, id := range ids {
		if seen[id] && !slices.Contains(out, id) {
			out = append(out, id)
		}
	}
	return out, nil
}

func placeholders(n int) string {
	return strings.TrimSuffix(strings.Repeat("?,", n), ",")
}

// Published is the data of a change with the items it names; pass it as
// the data of Insert, Update or Touch.
type Published struct {
	Data any
	Refs []live.Ref
}

// WithRefs returns data to publish with the references it makes.
func WithRefs(data any, refs []live.Ref) Published { return Published{Data: data, Refs: refs} }

// RefsTo returns references at path to the items ids, with their
// markings as q (the writing transaction) reads them. Empty IDs are
// skipped; an ID that is not an item is named with a TLP:RED marking
// with no recipients, which no one sees.
func RefsTo(ctx context.Context, q store.Reader, path string, ids ...string) ([]live.Ref, error) {
	var out []live.Ref
	for _, id := range ids {
		if id == "" {
			continue
		}
		m, err := LoadMarking(ctx, q, id)
		if err == store.ErrNotFound {
			m, err = access.Marking{TLP: access.Red}, nil
		}
		if err != nil {
			return nil, err
		}
		out = append(out, live.Ref{ID: id, Path: path, Marking: m})
	}
	return out, nil
}

// MarkingHook is told, inside the writing transaction, that an item's
// marking is now m: a kind whose records describe other items (the
// watch log's automatic entries) narrows them to stay no wider than what
// they describe.
type MarkingHook func(ctx context.Context, tx *store.Tx, bus *live.Bus, id string, m access.Marking, actor audit.Record) error

var (
	hookMu       sync.RWMutex
	markingHooks []MarkingHook
)

// OnMarkingChange registers fn (from a kind's package's init); Update
// calls it for every item whose marking it writes.
func OnMarkingChange(fn MarkingHook) {
	hookMu.Lock()
	defer hookMu.Unlock()
	markingHooks = append(markingHooks, fn)
}

func markingChanged(ctx context.Context, tx *store.Tx, bus *live.Bus, id string, m access.Marking, actor audit.Record) error {
	hookMu.RLock()
	hooks := markingHooks
	hookMu.RUnlock()
	for _, fn := range hooks {
		if err := fn(ctx, tx, bus, id, m, actor); err != nil {
			return err
		}
	}
	return nil
}

// Remark gives item id the marking m (shown: as the API shows it) inside
// tx, with a new version, audited as kind.remark and published with data
// (nil: the item's ID and marking).
func Remark(ctx context.Context, tx *store.Tx, bus *live.Bus, roomID, kind, id string, m access.Marking, shown Marking, actor audit.Record, data any) error {
	sb, _ := json.Marshal(shown)
	now := time.Now().UTC().Truncate(time.Microsecond)
	if _, err := tx.Exec(ctx, `UPDATE items SET tlp = ?, rel_restricted = ?, marking = ?, updated_at = ?, version = version + 1 WHERE id = ?`,
		string(m.TLP), len(m.ReleasableTo) > 0, string(sb), store.Micros(now), id); err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, `DELETE FROM item_releasability WHERE item_id = ?`, id); err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, `DELETE FROM item_recipients WHERE item_id = ?`, id); err != nil {
		return err
	}
	if err := writeMarking(ctx, tx, id, m); err != nil {
		return err
	}
	actor.Action, actor.RoomID, actor.Kind, actor.ObjectID = kind+".remark", roomID, kind, id
	actor.Detail = audit.Detail(map[string]any{"tlp": m.TLP, "releasable_to": len(m.ReleasableTo), "recipients": len(m.Recipients)})
	rec, err := audit.Append(ctx, tx, actor)
	if err != nil {
		return err
	}
	if data == nil {
		data = map[string]any{"id": id, "marking": shown}
	}
	return publish(ctx, tx, bus, rec, roomID, kind, id, "update", m, data)
}

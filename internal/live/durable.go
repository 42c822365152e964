package live

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"time"

	"github.com/opsroom/opsroom/internal/access"
	"github.com/opsroom/opsroom/internal/audit"
	"github.com/opsroom/opsroom/internal/store"
)

// Defaults of the durable log of changes.
const (
	// DefaultWindow is how long published changes are kept for resuming
	// streams (serve --stream-retention).
	DefaultWindow = 7 * 24 * time.Hour
	// DefaultMaxReplay is the most changes of a room one resume reads
	// from the log; a client that missed more receives them in several
	// resumes (see Resume.More).
	DefaultMaxReplay = 10_000
)

// Log is the durable record of published changes (the live_changes
// table): every change is written in the transaction of its audit record
// (Persist), so the audit trail's order is the log's, and a client that
// resumes after a restart, or on another instance, replays from it. The
// bus's in-memory rings stay a cache in front of it.
//
// A replayed change keeps the guarantees of a live one: it is sent only
// if its viewer may see it both as it was marked then and as its item is
// marked now, and the references it names are removed for a viewer who
// may not see them then or now.
type Log struct {
	DB *store.DB
	// Window is how long changes are kept (DefaultWindow when 0).
	Window time.Duration
	// MaxReplay bounds the changes one resume reads (DefaultMaxReplay
	// when 0).
	MaxReplay int
	// Marking reads an item's current marking, store.ErrNotFound when it
	// is not an item (item.LoadMarking). Without it a replay judges on
	// the markings the log holds: the newest change about an item or
	// naming it.
	Marking func(ctx context.Context, q store.Reader, id string) (access.Marking, error)
}

func (l *Log) window() time.Duration {
	if l.Window > 0 {
		return l.Window
	}
	return DefaultWindow
}

func (l *Log) maxReplay() int {
	if l.MaxReplay > 0 {
		return l.MaxReplay
	}
	return DefaultMaxReplay
}

// Persist writes c to the durable log inside tx, the transaction that
// appended its audit record; changes sharing a seq are numbered in the
// order they are written, as the bus numbers them on delivery.
func Persist(ctx context.Context, tx *store.Tx, c Change) error {
	mk, err := json.Marshal(c.Marking)
	if err != nil {
		return fmt.Errorf("encode the change's marking: %w", err)
	}
	var refs any
	if len(c.Refs) > 0 {
		b, err := json.Marshal(c.Refs)
		if err != nil {
			return fmt.Errorf("encode the change's refs: %w", err)
		}
		refs = string(b)
	}
	var data any
	if len(c.Data) > 0 {
		data = string(c.Data)
	}
	var idx int
	if err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM live_changes WHERE seq = ?`, c.Seq).Scan(&idx); err != nil {
		return fmt.Errorf("number the change in the live log: %w", err)
	}
	_, err = tx.Exec(ctx, `INSERT INTO live_changes (seq, idx, room_id, kind, item_id, op, at, marking, data, refs)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		c.Seq, idx, c.RoomID, c.Kind, c.ItemID, c.Op, store.Micros(c.At), string(mk), data, refs)
	if err != nil {
		return fmt.Errorf("write the change to the live log: %w", err)
	}
	return nil
}

// Floor returns the position after which every change is in the log.
func (l *Log) Floor(ctx context.Context) (Pos, error) {
	var p Pos
	err := store.Scan(l.DB.QueryRow(ctx, `SELECT seq, idx FROM live_floor WHERE id = 1`), &p.Seq, &p.Idx)
	return p, err
}

// Prune deletes the changes made before now less the window, and moves
// the floor past them. It returns how many it deleted.
func (l *Log) Prune(ctx context.Context, now time.Time) (int64, error) {
	cutoff := store.Micros(now.Add(-l.window()))
	var n int64
	err := l.DB.Write(ctx, func(tx *store.Tx) error {
		var top sql.NullInt64
		if err := tx.QueryRow(ctx, `SELECT MAX(seq) FROM live_changes WHERE at < ?`, cutoff).Scan(&top); err != nil {
			return err
		}
		if !top.Valid {
			return nil
		}
		seq := top.Int64
		var idx int
		if err := tx.QueryRow(ctx, `SELECT MAX(idx) FROM live_changes WHERE seq = ?`, seq).Scan(&idx); err != nil {
			return err
		}
		// Whole seqs go: the floor says exactly which positions are gone.
		res, err := tx.Exec(ctx, `DELETE FROM live_changes WHERE seq <= ?`, seq)
		if err != nil {
			return err
		}
		n, _ = res.RowsAffected()
		_, err = tx.Exec(ctx, `UPDATE live_floor SET seq = ?, idx = ? WHERE id = 1 AND (seq < ? OR (seq = ? AND idx < ?))`,
			seq, idx, seq, seq, idx)
		return err
	})
	return n, err
}

// PruneEvery prunes the log every interval until ctx ends.
func (l *Log) PruneEvery(ctx context.Context, every time.Duration, log *slog.Logger) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		if _, err := l.Prune(ctx, time.Now()); err != nil && ctx.Err() == nil {
			log.Warn("live: prune the live log", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// durableReplay is what the log holds after a position for one viewer.
type durableReplay struct {
	changes []Change // those the viewer may see, redacted for it
	upTo    Pos      // every change of the room up to here is accounted for
	reset   bool     // the position is before the log's floor
	more    bool     // there are more changes after upTo than one replay reads
}

// read returns the changes of roomID after the position that v may see,
// judged on the markings then and now.
func (l *Log) read(ctx context.Context, roomID string, after Pos, v access.Viewer) (durableReplay, error) {
	var out durableReplay
	floor, err := l.Floor(ctx)
	if err != nil {
		return out, fmt.Errorf("read the live log's floor: %w", err)
	}
	if after.Less(floor) {
		out.reset = true
		return out, nil
	}
	// Every change up to the audit head read now has committed (the head
	// row is locked until commit), so the log holds all of them.
	head, _, err := audit.Head(ctx, l.DB)
	if err != nil {
		return out, err
	}
	out.upTo = Pos{Seq: head, Idx: math.MaxInt32}
	all, more, err := l.changes(ctx, roomID, after, head)
	if err != nil {
		return out, err
	}
	if more {
		out.more, out.upTo = true, all[len(all)-1].Pos()
	}
	// A prune between the two reads may have taken some of the changes
	// after the position: then they are beyond the window after all.
	if floor, err = l.Floor(ctx); err != nil {
		return out, fmt.Errorf("read the live log's floor: %w", err)
	}
	if after.Less(floor) {
		return durableReplay{reset: true}, nil
	}
	newest, err := l.newest(ctx, all)
	if err != nil {
		return out, err
	}
	for _, c := range all {
		if !access.CanSee(v, roomID, c.Marking) || !newest.canSee(v, roomID, c.ItemID) {
			continue
		}
		if hidden := hiddenRefs(v, &c, newest); len(hidden) > 0 {
			c = redact(c, hidden)
		}
		out.changes = append(out.changes, c)
	}
	return out, nil
}

// changes reads the room's changes in (after, head], at most MaxReplay
// of them; more says there are others after those.
func (l *Log) changes(ctx context.Context, roomID string, after Pos, head int64) (out []Change, more bool, err error) {
	limit := l.maxReplay()
	rows, err := l.DB.Query(ctx, `SELECT seq, idx, kind, item_id, op, at, marking, data, refs FROM live_changes
		WHERE room_id = ? AND (seq > ? OR (seq = ? AND idx > ?)) AND seq <= ? ORDER BY seq, idx LIMIT ?`,
		roomID, after.Seq, after.Seq, after.Idx, head, limit+1)
	if err != nil {
		return nil, false, fmt.Errorf("read the live log: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		if len(out) == limit {
			return out, true, nil
		}
		c := Change{RoomID: roomID}
		var at int64
		var mk string
		var data, refs *string
		if err := rows.Scan(&c.Seq, &c.idx, &c.Kind, &c.ItemID, &c.Op, &at, &mk, &data, &refs); err != nil {
			return nil, false, err
		}
		c.At = store.Time(at)
		if err := json.Unmarshal([]byte(mk), &c.Marking); err != nil {
			return nil, false, fmt.Errorf("live log change %s: marking: %w", c.Pos(), err)
		}
		if data != nil {
			c.Data = json.RawMessage(*data)
		}
		if refs != nil {
			if err := json.Unmarshal([]byte(*refs), &c.Refs); err != nil {
				return nil, false, fmt.Errorf("live log change %s: refs: %w", c.Pos(), err)
			}
		}
		out = append(out, c)
	}
	return out, false, rows.Err()
}

// newest returns the newest marking of every item the changes are about
// or name: the item's current one when Marking reads it, else the last
// the changes carry.
func (l *Log) newest(ctx context.Context, cs []Change) (marks, error) {
	m := marks{}
	set := func(id string, mk access.Marking) {
		if id != "" {
			m[id] = &refMark{m: mk, n: 1}
		}
	}
	for _, c := range cs {
		set(c.ItemID, c.Marking)
		for _, r := range c.Refs {
			set(r.ID, r.Marking)
		}
	}
	if l.Marking == nil {
		return m, nil
	}
	for id := range m {
		mk, err := l.Marking(ctx, l.DB, id)
		switch {
		case errors.Is(err, store.ErrNotFound):
			continue
		case err != nil:
			return nil, fmt.Errorf("read the marking of %s: %w", id, err)
		}
		m[id].m = mk
	}
	return m, nil
}

package item

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"sync"
	"time"

	"github.com/opsroom/opsroom/internal/access"
	"github.com/opsroom/opsroom/internal/audit"
	"github.com/opsroom/opsroom/internal/store"
)

// The refused-read audit. A read that finds nothing the viewer may see
// answers store.ErrNotFound at once, whether the id is hidden or does not
// exist: the request never asks which. The refusal is queued, and a
// background writer (one per database) later looks the id up and appends
// an access.refused record to the audit trail when the item exists, many
// refusals in one transaction. So a hidden id and a missing id take the
// same steps, in the same time, on the request's path.
//
// Nothing queued is dropped: when the queue is full the request waits
// for room (a missing id waits exactly as a hidden one does). Close,
// called by serve's graceful shutdown and by store.DB.Close, writes
// everything queued before it returns. What a crash (a killed process,
// a lost machine) can lose is bounded: the refusals still in the queue
// and the batch being gathered or written, at most refusalQueue +
// refusalBatch records, in practice those of the last 100 ms
// (refusalDelay).

const (
	refusalQueue = 4096 // refusals waiting for the writer
	refusalBatch = 256  // refusals written in one transaction at most
	// refusalDelay is how long the writer gathers refusals before it
	// writes them.
	refusalDelay = 100 * time.Millisecond
)

// NotFound is how every read of an item by id answers a miss: when err
// says nothing was found (store.ErrNotFound or sql.ErrNoRows), it queues
// the refusal audit for p and id and returns store.ErrNotFound; any other
// error is returned as it is.
func NotFound(ctx context.Context, db *store.DB, p access.Principal, id string, err error) error {
	if !errors.Is(err, store.ErrNotFound) && !errors.Is(err, sql.ErrNoRows) {
		return err
	}
	refusalsOf(db).add(ctx, refusal{p: p, id: id, at: time.Now()})
	return store.ErrNotFound
}

// FlushRefusals returns once every refusal queued before the call is in
// the audit trail (tests, and serve's shutdown through Close).
func FlushRefusals(ctx context.Context, db *store.DB) error {
	return refusalsOf(db).flush(ctx)
}

// CloseRefusals writes every queued refusal and stops the writer; later
// refusals are written in the request. serve calls it when it shuts down,
// after the HTTP server has finished its requests.
func CloseRefusals(ctx context.Context, db *store.DB) error {
	return refusalsOf(db).Close(ctx)
}

type refusal struct {
	p     access.Principal
	id    string
	at    time.Time
	flush chan error // a flush marker: answered once everything before it is written
}

type refusalsKey struct{}

// refusals is the queue and its writer for one database.
type refusals struct {
	db   *store.DB
	q    chan refusal
	mu   sync.RWMutex // held for reading while adding, for writing by Close
	done chan struct{}
	shut bool
}

func refusalsOf(db *store.DB) *refusals {
	return db.Attach(refusalsKey{}, func() any {
		r := &refusals{db: db, q: make(chan refusal, refusalQueue), done: make(chan struct{})}
		go r.run()
		return r
	}).(*refusals)
}

func (r *refusals) add(ctx context.Context, f refusal) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	if r.shut {
		_ = r.write(context.WithoutCancel(ctx), []refusal{f})
		return
	}
	r.q <- f
}

func (r *refusals) flush(ctx context.Context) error {
	r.mu.RLock()
	if r.shut {
		r.mu.RUnlock()
		return nil
	}
	m := refusal{flush: make(chan error, 1)}
	r.q <- m
	r.mu.RUnlock()
	select {
	case err := <-m.flush:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Close implements store.Closer.
func (r *refusals) Close(ctx context.Context) error {
	r.mu.Lock()
	if r.shut {
		r.mu.Unlock()
		return nil
	}
	r.shut = true
	close(r.q)
	r.mu.Unlock()
	select {
	case <-r.done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// run writes the queue in batches until it is closed and empty. A batch
// that cannot be written is tried again (the database may be restarting),
// so the queue backs up rather than losing records.
func (r *refusals) run() {
	defer close(r.done)
	ctx := context.Background()
	for f := range r.q {
		// Gather for refusalDelay (or a full batch, or a flush): the
		// write then happens on the writer's own schedule, not right
		// after the request that queued it, where it would slow that
		// caller's next request and tell it the id existed.
		batch := []refusal{f}
		timer := time.NewTimer(refusalDelay)
	gather:
		for len(batch) < refusalBatch && f.flush == nil {
			select {
			case g, ok := <-r.q:
				if !ok {
					break gather
				}
				batch = append(batch, g)
				f = g
			case <-timer.C:
				break gather
			}
		}
		timer.Stop()
		var recs []refusal
		var markers []chan error
		for _, f := range batch {
			if f.flush != nil {
				markers = append(markers, f.flush)
			} else {
				recs = append(recs, f)
			}
		}
		var err error
		for wait := 50 * time.Millisecond; ; wait = min(2*wait, 5*time.Second) {
			if err = r.write(ctx, recs); err == nil || errors.Is(err, sql.ErrConnDone) {
				break
			}
			time.Sleep(wait)
		}
		for _, m := range markers {
			m <- err
		}
	}
}

// write appends the refusals of ids that exist to the audit trail, in one
// transaction, each with the time it was refused.
func (r *refusals) write(ctx context.Context, batch []refusal) error {
	if len(batch) == 0 {
		return nil
	}
	ids := make([]any, 0, len(batch))
	for _, f := range batch {
		ids = append(ids, f.id)
	}
	type where struct{ room, kind string }
	return r.db.Write(ctx, func(tx *store.Tx) error {
		rows, err := Server().Query(ctx, tx, `SELECT i.id, i.room_id, i.kind FROM {items i} WHERE i.id IN (?`+strings.Repeat(", ?", len(ids)-1)+`)`, ids...)
		if err != nil {
			return err
		}
		found := map[string]where{}
		for rows.Next() {
			var id string
			var w where
			if err := rows.Scan(&id, &w.room, &w.kind); err != nil {
				rows.Close()
				return err
			}
			found[id] = w
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for _, f := range batch {
			w, ok := found[f.id]
			if !ok {
				continue // asking for an unknown id is not a refusal
			}
			rec := audit.Of(f.p, "access.refused", w.room, w.kind, f.id, nil)
			rec.At = f.at
			if _, err := audit.Append(ctx, tx, rec); err != nil {
				return err
			}
		}
		return nil
	})
}

package intel

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"sync"

	"github.com/opsroom/opsroom/internal/access"
	"github.com/opsroom/opsroom/internal/item"
	"github.com/opsroom/opsroom/internal/live"
	"github.com/opsroom/opsroom/internal/room"
	"github.com/opsroom/opsroom/internal/store"
	"github.com/opsroom/opsroom/internal/validate"
)

// The kinds of shared item this package stores (items.kind).
const (
	ItemSource = "source"
	ItemReport = "report"
	ItemClaim  = "claim"
	// ItemEvent is the picture's kind for events; claims point at them.
	ItemEvent = "event"
)

// Service stores sources, reports, provenance links and claims, and
// answers corroboration, claims boards and search, always through the
// need-to-know policy. Every write has a ...Tx form that runs inside a
// caller's transaction, so an importer can write thousands of records in
// one.
type Service struct {
	db    *store.DB
	rooms *room.Service
	items *item.Service
	bus   *live.Bus

	// OnSignificant, when set, is called inside the transaction of a
	// change the room's watch log should record (a report at or above
	// the room's log grade, an event becoming contested); an error rolls
	// the change back. The composition root sets it; this package does
	// not know the watch log.
	OnSignificant func(ctx context.Context, tx *store.Tx, e Significant) error

	// mu guards docs.
	mu sync.Mutex
	// docs holds, per open transaction that created reports, the
	// full-text row ids it assigned and has not indexed yet.
	docs map[*store.Tx]*docRange
}

// docRange is [first, next) of the doc numbers a transaction assigned.
type docRange struct{ first, next int64 }

// NewService returns the intelligence service.
func NewService(db *store.DB, rooms *room.Service, items *item.Service, bus *live.Bus) *Service {
	return &Service{db: db, rooms: rooms, items: items, bus: bus, docs: map[*store.Tx]*docRange{}}
}

// Scope is who writes in which room: resolved once, reused for every
// record written in one transaction (an import writes thousands).
type Scope struct {
	P    access.Principal
	Room room.Room
	View room.View
	// sources caches the sources already checked visible in this scope,
	// by ID, with their reliability.
	sources map[string]string
}

// Scope resolves the room a member writes in. Only members of the room
// share in it (an admin administers rooms but does not share in them).
func (s *Service) Scope(ctx context.Context, p access.Principal, slug string) (*Scope, error) {
	rm, rv, err := item.WritingRoom(ctx, s.rooms, p, slug)
	if err != nil {
		return nil, err
	}
	return &Scope{P: p, Room: rm, View: rv, sources: map[string]string{}}, nil
}

// readRoom resolves a room for reading: a room the caller may not see is
// not found.
func (s *Service) readRoom(ctx context.Context, p access.Principal, slug string) (room.Room, error) {
	rm, err := s.rooms.Room(ctx, p, slug)
	if err != nil {
		return rm, err
	}
	if !p.Viewer.Rooms[rm.ID] {
		return rm, store.ErrNotFound
	}
	return rm, nil
}

// resolveMarking turns an API marking into the policy's form, adding its
// field errors to errs.
func (sc *Scope) resolveMarking(errs *validate.Errors, in item.Marking) (access.Marking, item.Marking, error) {
	m, shown, err := item.Resolve("marking", in, sc.P.Viewer, sc.View, sc.Room.DefaultTLP)
	var verrs validate.Errors
	if errors.As(err, &verrs) {
		*errs = append(*errs, verrs...)
		return m, shown, nil
	}
	return m, shown, err
}

// queryer is what reads need: the reader pool or a write transaction.
type queryer interface {
	Query(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// visibleOfKind returns the subset of ids that are items of kind in room
// roomID the viewer may see (need-to-know inside the query).
func visibleOfKind(ctx context.Context, q queryer, v access.Viewer, roomID, kind string, ids []string) (map[string]bool, error) {
	out := map[string]bool{}
	for _, chunk := range chunks(ids, 400) {
		args := []any{roomID, kind}
		for _, id := range chunk {
			args = append(args, id)
		}
		rows, err := item.For(v).Query(ctx, q, `SELECT i.id FROM {items i} WHERE i.room_id = ? AND i.kind = ? AND i.id IN (`+marks(len(chunk))+`) AND {visible i}`, args...)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var id string
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return nil, err
			}
			out[id] = true
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// marks returns n comma-separated placeholders.
func marks(n int) string {
	if n <= 0 {
		return "NULL"
	}
	return strings.TrimSuffix(strings.Repeat("?,", n), ",")
}

func chunks(ids []string, n int) [][]string {
	var out [][]string
	for len(ids) > n {
		out = append(out, ids[:n])
		ids = ids[n:]
	}
	if len(ids) > 0 {
		out = append(out, ids)
	}
	return out
}

func dedupe(ids []string) []string {
	seen := make(map[string]bool, len(ids))
	out := make([]string, 0, len(ids))
	for _, id := range ids {
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}

// nextDoc assigns a report's full-text row id inside tx. The first report
// of a transaction reads the highest id; later ones count on from it.
// Writers are serialized (SQLite has one writer; on PostgreSQL the audit
// head row, locked by item.Insert before this is called, is held until
// commit), so no two transactions can be handed the same id.
//
// On SQLite the transaction's new reports are added to the full-text
// index in one statement just before it commits.
func (s *Service) nextDoc(ctx context.Context, tx *store.Tx) (int64, error) {
	s.mu.Lock()
	r := s.docs[tx]
	s.mu.Unlock()
	if r == nil {
		var last int64
		rows, err := tx.Query(ctx, `SELECT COALESCE(MAX(doc), 0) FROM reports`)
		if err != nil {
			return 0, err
		}
		for rows.Next() {
			if err := rows.Scan(&last); err != nil {
				rows.Close()
				return 0, err
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return 0, err
		}
		r = &docRange{first: last + 1, next: last + 1}
		s.mu.Lock()
		// Only one writer gets here at a time (see above), so any other
		// entry belongs to a transaction that rolled back (a committed one
		// removes its own): drop them.
		clear(s.docs)
		s.docs[tx] = r
		s.mu.Unlock()
		tx.BeforeCommit(func() error {
			s.mu.Lock()
			delete(s.docs, tx)
			s.mu.Unlock()
			return s.indexDocs(ctx, tx, r)
		})
	}
	d := r.next
	r.next++
	return d, nil
}

// flushIndex indexes the reports tx has created so far, before an edit in
// the same transaction (the edit trigger expects the old row indexed).
func (s *Service) flushIndex(ctx context.Context, tx *store.Tx) error {
	s.mu.Lock()
	r := s.docs[tx]
	s.mu.Unlock()
	if r == nil {
		return nil
	}
	return s.indexDocs(ctx, tx, r)
}

func (s *Service) indexDocs(ctx context.Context, tx *store.Tx, r *docRange) error {
	if tx.Engine() != store.SQLite || r.first >= r.next {
		return nil
	}
	if _, err := tx.Exec(ctx, `INSERT INTO report_fts(rowid, title, body, terms) SELECT doc, title, body, terms FROM reports WHERE doc >= ? AND doc < ?`, r.first, r.next); err != nil {
		return err
	}
	r.first = r.next
	return nil
}

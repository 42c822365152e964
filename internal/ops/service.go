package ops

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"github.com/opsroom/opsroom/internal/access"
	"github.com/opsroom/opsroom/internal/item"
	"github.com/opsroom/opsroom/internal/live"
	"github.com/opsroom/opsroom/internal/room"
	"github.com/opsroom/opsroom/internal/store"
)

// Service keeps a room's operations, movements, site notices, conflicts,
// watch log and requests for information.
type Service struct {
	db    *store.DB
	rooms *room.Service
	bus   *live.Bus
	now   func() time.Time
}

// New returns the operations service.
func New(db *store.DB, rooms *room.Service, bus *live.Bus) *Service {
	return &Service{db: db, rooms: rooms, bus: bus, now: time.Now}
}

// querier is what reads need: the reader pool or a write transaction.
type querier interface {
	Query(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRow(ctx context.Context, query string, args ...any) *sql.Row
}

// memberRoom returns the room and its view for a member acting in it.
// Admins administer rooms; only members act in them.
func (s *Service) memberRoom(ctx context.Context, p access.Principal, slug string) (room.Room, room.View, error) {
	return item.WritingRoom(ctx, s.rooms, p, slug)
}

// record is the items row of one item as a writer needs it.
type record struct {
	item.Record
	Version int
	Created time.Time
}

// load reads an item of kind that p may see, with its marking in both
// forms. An item p may not see is store.ErrNotFound.
func load(ctx context.Context, q querier, p access.Principal, id, kind string) (record, error) {
	var r record
	var shown, body string
	var created int64
	err := store.Scan(item.For(p.Viewer).QueryRow(ctx, q, `SELECT i.id, i.room_id, rm.slug, i.kind, i.title, i.owner_partner_id, i.created_by, i.version, i.marking, i.body, i.created_at
		FROM {items i} JOIN rooms rm ON rm.id = i.room_id WHERE i.id = ? AND i.kind = ? AND {visible i}`, id, kind),
		&r.ID, &r.RoomID, &r.Room, &r.Kind, &r.Title, &r.Owner, &r.Author, &r.Version, &shown, &body, &created)
	if err != nil {
		return r, err
	}
	r.Created = store.Time(created)
	r.Body = json.RawMessage(body)
	if err := json.Unmarshal([]byte(shown), &r.Shown); err != nil {
		return r, fmt.Errorf("item %s marking: %w", id, err)
	}
	r.Marking, err = item.LoadMarking(ctx, q, id)
	return r, err
}

// History is one step in the life of an item of this package: who did
// what, when and why.
type History struct {
	At      time.Time `json:"at"`
	By      string    `json:"by"`      // username
	Partner string    `json:"partner"` // partner code
	Action  string    `json:"action"`
	From    string    `json:"from,omitempty"`
	To      string    `json:"to,omitempty"`
	Reason  string    `json:"reason,omitempty"`
}

// addHistory records a step inside tx.
func addHistory(ctx context.Context, tx *store.Tx, itemID string, p access.Principal, at time.Time, action, from, to, reason string) error {
	_, err := tx.Exec(ctx, `INSERT INTO ops_history (id, item_id, at, member_id, partner_id, action, from_status, to_status, reason) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		store.NewID(), itemID, store.Micros(at), p.ID, p.PartnerID, action, from, to, reason)
	return err
}

// History returns the history of an item of this package that p may see,
// oldest first.
func (s *Service) History(ctx context.Context, p access.Principal, id string) ([]History, error) {
	var n int
	if err := store.Scan(item.For(p.Viewer).QueryRow(ctx, s.db, `SELECT COUNT(*) FROM {items i} WHERE i.id = ? AND i.kind IN ('operation','movement','site-notice','rfi') AND {visible i}`,
		id), &n); err != nil {
		return nil, err
	}
	if n == 0 {
		return nil, item.NotFound(ctx, s.db, p, id, store.ErrNotFound)
	}
	rows, err := s.db.Query(ctx, `SELECT h.at, m.username, pa.code, h.action, h.from_status, h.to_status, h.reason FROM ops_history h
		JOIN members m ON m.id = h.member_id JOIN partners pa ON pa.id = h.partner_id WHERE h.item_id = ? ORDER BY h.id`, id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []History{}
	for rows.Next() {
		var h History
		var at int64
		if err := rows.Scan(&at, &h.By, &h.Partner, &h.Action, &h.From, &h.To, &h.Reason); err != nil {
			return nil, err
		}
		h.At = store.Time(at)
		out = append(out, h)
	}
	return out, rows.Err()
}

// authorities returns the members holding command authority in a room and
// the room's command model (room.Authorities).
func authorities(ctx context.Context, q querier, roomID string) (model string, ids []string, partners []string, err error) {
	return room.Authorities(ctx, q, roomID)
}

func (s *Service) at() time.Time { return s.now().UTC().Truncate(time.Microsecond) }

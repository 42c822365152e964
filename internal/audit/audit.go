// Package audit keeps opsroom's tamper-evident audit trail: every change,
// login, token use and refused access is one record, appended in the same
// transaction as the change it describes and chained to the record before
// it by a SHA-256 hash, so that editing or deleting any record breaks the
// chain from that record on and Verify names it.
package audit

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"

	"fmt"
	"strings"
	"time"

	"github.com/opsroom/opsroom/internal/access"
	"github.com/opsroom/opsroom/internal/store"
)

// Record is one entry of the trail. Detail holds metadata only (names of
// changed fields, counts, reasons), never the content of a marked item, so
// that reading the trail reveals nothing a reader may not see.
type Record struct {
	Seq       int64           `json:"seq"`
	At        time.Time       `json:"at"`
	ActorID   string          `json:"actor_id,omitempty"`
	PartnerID string          `json:"partner_id,omitempty"`
	Action    string          `json:"action"`
	RoomID    string          `json:"room_id,omitempty"`
	Kind      string          `json:"kind,omitempty"`
	ObjectID  string          `json:"object_id,omitempty"`
	Detail    json.RawMessage `json:"detail,omitempty"`
	PrevHash  string          `json:"prev_hash"`
	Hash      string          `json:"hash"`
}

// Hash computes a record's hash from the previous hash and every field
// but Hash itself. Each field is length-prefixed so that no two different
// records encode alike.
func (r Record) computeHash() string {
	h := sha256.New()
	var n [8]byte
	put := func(s string) {
		binary.BigEndian.PutUint64(n[:], uint64(len(s)))
		h.Write(n[:])
		h.Write([]byte(s))
	}
	binary.BigEndian.PutUint64(n[:], uint64(r.Seq))
	h.Write(n[:])
	binary.BigEndian.PutUint64(n[:], uint64(r.At.UnixMicro()))
	h.Write(n[:])
	for _, s := range []string{r.PrevHash, r.ActorID, r.PartnerID, r.Action, r.RoomID, r.Kind, r.ObjectID, string(r.detailOrEmpty())} {
		put(s)
	}
	return hex.EncodeToString(h.Sum(nil))
}

func (r Record) detailOrEmpty() json.RawMessage {
	if len(r.Detail) == 0 {
		return json.RawMessage("{}")
	}
	return r.Detail
}

// Detail marshals v for Record.Detail; it panics only on values that
// cannot be JSON (a programming error).
func Detail(v any) json.RawMessage {
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("audit detail: %v", err))
	}
	return b
}

// Append adds r to the chain inside tx and returns it with Seq, At and the
// hashes set. The head row is locked for the rest of the transaction, so
// records are appended one at a time in commit order on both engines; the
// sequence number therefore also orders the room's live changes.
//
// The head is read (and locked) by the transaction's first Append and kept
// with the transaction; the head row is written once, just before the
// transaction commits. A bulk import appending thousands of records in one
// transaction thus writes one audit row per record and nothing more, and
// every record is still chained to the one before it.
func Append(ctx context.Context, tx *store.Tx, r Record) (Record, error) {
	h, _ := tx.Value(headKey{}).(*head)
	if h == nil {
		lock := ""
		if tx.Engine() == store.Postgres {
			lock = " FOR UPDATE"
		}
		h = &head{}
		if err := tx.QueryRow(ctx, `SELECT seq, hash FROM audit_head WHERE id = 1`+lock).Scan(&h.seq, &h.hash); err != nil {
			return r, fmt.Errorf("read audit head: %w", err)
		}
		tx.SetValue(headKey{}, h)
	}
	r.Seq = h.seq + 1
	if r.At.IsZero() {
		r.At = time.Now()
	}
	r.At = r.At.UTC().Truncate(time.Microsecond)
	r.PrevHash = h.hash
	r.Detail = r.detailOrEmpty()
	r.Hash = r.computeHash()
	// Prepared once per transaction: a bulk import appends thousands.
	if _, err := tx.ExecPrepared(ctx, `INSERT INTO audit (seq, at, actor_id, partner_id, action, room_id, kind, object_id, detail, prev_hash, hash)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		r.Seq, store.Micros(r.At), r.ActorID, r.PartnerID, r.Action, r.RoomID, r.Kind, r.ObjectID, string(r.Detail), r.PrevHash, r.Hash); err != nil {
		return r, fmt.Errorf("append audit record: %w", err)
	}
	h.seq, h.hash = r.Seq, r.Hash
	if !h.pending {
		// A hook that appends after this one ran registers another.
		h.pending = true
		tx.BeforeCommit(func() error {
			h.pending = false
			if _, err := tx.Exec(ctx, `UPDATE audit_head SET seq = ?, hash = ? WHERE id = 1`, h.seq, h.hash); err != nil {
				return fmt.Errorf("advance audit head: %w", err)
			}
			return nil
		})
	}
	return r, nil
}

// headKey keys a transaction's head of the chain (store.Tx.Value).
type headKey struct{}

// head is the chain's head as a transaction has advanced it; pending is
// set while the head row has yet to be written.
type head struct {
	seq     int64
	hash    string
	pending bool
}

// Log appends r in a transaction of its own: for events that change
// nothing else (a failed login, a refused access, a token use).
func Log(ctx context.Context, db *store.DB, r Record) error {
	return db.Write(ctx, func(tx *store.Tx) error {
		_, err := Append(ctx, tx, r)
		return err
	})
}

// BrokenError names the first record at which the chain does not verify.
type BrokenError struct {
	Seq    int64
	Reason string
}

func (e *BrokenError) Error() string {
	return fmt.Sprintf("audit record %d: %s", e.Seq, e.Reason)
}

// Verify recomputes the whole chain and returns the number of records
// checked, or a *BrokenError naming the first record that was changed,
// removed or inserted.
func Verify(ctx context.Context, db *store.DB) (int64, error) {
	rows, err := db.Query(ctx, `SELECT seq, at, actor_id, partner_id, action, room_id, kind, object_id, detail, prev_hash, hash FROM audit ORDER BY seq`)
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	var n, want int64
	prev := ""
	for rows.Next() {
		r, err := scan(rows)
		if err != nil {
			return n, err
		}
		want++
		switch {
		case r.Seq != want:
			return n, &BrokenError{Seq: want, Reason: fmt.Sprintf("missing (next record is %d)", r.Seq)}
		case r.PrevHash != prev:
			return n, &BrokenError{Seq: r.Seq, Reason: "does not follow the record before it (prev_hash differs)"}
		case r.computeHash() != r.Hash:
			return n, &BrokenError{Seq: r.Seq, Reason: "was changed after it was written (hash differs)"}
		}
		prev = r.Hash
		n++
	}
	if err := rows.Err(); err != nil {
		return n, err
	}
	var headSeq int64
	var headHash string
	if err := store.Scan(db.QueryRow(ctx, `SELECT seq, hash FROM audit_head WHERE id = 1`), &headSeq, &headHash); err != nil {
		return n, err
	}
	if headSeq != want || headHash != prev {
		return n, &BrokenError{Seq: headSeq, Reason: "the chain ends before its recorded head (records were removed from the end)"}
	}
	return n, nil
}

type scanner interface{ Scan(...any) error }

func scan(s scanner) (Record, error) {
	var r Record
	var at int64
	var detail string
	err := s.Scan(&r.Seq, &at, &r.ActorID, &r.PartnerID, &r.Action, &r.RoomID, &r.Kind, &r.ObjectID, &detail, &r.PrevHash, &r.Hash)
	r.At = store.Time(at)
	r.Detail = json.RawMessage(detail)
	return r, err
}

// Query selects records for the audit API.
type Query struct {
	RoomID string // only this room's records ("" for all)
	Before int64  // records with seq below this (0: from the newest)
	After  int64  // records with seq above this, oldest first (live changes)
	Limit  int
}

// List returns records newest first (or, with After, oldest first).
func List(ctx context.Context, db *store.DB, q Query) ([]Record, error) {
	var where []string
	var args []any
	if q.RoomID != "" {
		where = append(where, "room_id = ?")
		args = append(args, q.RoomID)
	}
	order := "DESC"
	if q.After > 0 {
		where = append(where, "seq > ?")
		args = append(args, q.After)
		order = "ASC"
	} else if q.Before > 0 {
		where = append(where, "seq < ?")
		args = append(args, q.Before)
	}
	if q.Limit <= 0 || q.Limit > 1000 {
		q.Limit = 100
	}
	sql := `SELECT seq, at, actor_id, partner_id, action, room_id, kind, object_id, detail, prev_hash, hash FROM audit`
	if len(where) > 0 {
		sql += " WHERE " + strings.Join(where, " AND ")
	}
	sql += " ORDER BY seq " + order + " LIMIT ?"
	args = append(args, q.Limit)
	rows, err := db.Query(ctx, sql, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Record
	for rows.Next() {
		r, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// By returns a record with p as its actor, for the change helpers that set
// the rest.
func By(p access.Principal) Record {
	return Record{ActorID: p.ID, PartnerID: p.PartnerID}
}

// Of returns a record of p doing action to an object; detail (metadata
// only, never an item's content) may be nil.
func Of(p access.Principal, action, roomID, kind, objectID string, detail any) Record {
	r := Record{ActorID: p.ID, PartnerID: p.PartnerID, Action: action, RoomID: roomID, Kind: kind, ObjectID: objectID}
	if detail != nil {
		r.Detail = Detail(detail)
	}
	return r
}

// Head returns the chain's recorded head: the last record's sequence
// number and hash (0 and "" for an empty trail).
func Head(ctx context.Context, db *store.DB) (int64, string, error) {
	var seq int64
	var hash string
	err := store.Scan(db.QueryRow(ctx, `SELECT seq, hash FROM audit_head WHERE id = 1`), &seq, &hash)
	return seq, hash, err
}

// CountActions returns how many records in (after, upTo] have one of the
// actions.
func CountActions(ctx context.Context, db *store.DB, after, upTo int64, actions ...string) (int, error) {
	if len(actions) == 0 {
		return 0, nil
	}
	args := []any{after, upTo}
	for _, a := range actions {
		args = append(args, a)
	}
	var n int
	err := store.Scan(db.QueryRow(ctx, `SELECT COUNT(*) FROM audit WHERE seq > ? AND seq <= ? AND action IN (?`+strings.Repeat(`, ?`, len(actions)-1)+`)`, args...), &n)
	return n, err
}

// RoomSeqs returns, oldest first, the seqs of a room's records in
// (after, before) but those of the kinds and actions left out.
func RoomSeqs(ctx context.Context, db *store.DB, roomID string, after, before int64, notKinds []string, notAction string) ([]int64, error) {
	q := `SELECT seq FROM audit WHERE room_id = ? AND seq > ? AND seq < ?`
	args := []any{roomID, after, before}
	if len(notKinds) > 0 {
		q += ` AND kind NOT IN (?` + strings.Repeat(`, ?`, len(notKinds)-1) + `)`
		for _, k := range notKinds {
			args = append(args, k)
		}
	}
	if notAction != "" {
		q += ` AND action <> ?`
		args = append(args, notAction)
	}
	return store.Column[int64](ctx, db, q+` ORDER BY seq`, args...)
}

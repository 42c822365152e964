package picture

import (
	"context"
	"database/sql"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/opsroom/opsroom/internal/access"
	"github.com/opsroom/opsroom/internal/audit"
	"github.com/opsroom/opsroom/internal/item"
	"github.com/opsroom/opsroom/internal/store"
	"github.com/opsroom/opsroom/internal/validate"
)

func checkPositions(errs *validate.Errors, ps []Position) {
	if len(ps) == 0 {
		errs.Add("positions", "is required: at least one position")
	}
	if len(ps) > MaxBatch {
		errs.Add("positions", "has more than %d positions; send several batches", MaxBatch)
		return
	}
	for k, p := range ps {
		f := "positions[" + strconv.Itoa(k) + "]."
		if p.At.IsZero() {
			errs.Add(f+"at", "is required (RFC 3339)")
		}
		if !(p.Lon >= -180 && p.Lon <= 180) {
			errs.Add(f+"lon", "must be between -180 and 180")
		}
		if !(p.Lat >= -90 && p.Lat <= 90) {
			errs.Add(f+"lat", "must be between -90 and 90")
		}
		if p.Course != nil && !(*p.Course >= 0 && *p.Course < 360) {
			errs.Add(f+"course", "must be in [0, 360) degrees")
		}
		if p.Speed != nil && !(*p.Speed >= 0 && !math.IsInf(*p.Speed, 0)) {
			errs.Add(f+"speed", "must be zero or more metres per second")
		}
		if p.Accuracy != nil && !(*p.Accuracy >= 0 && !math.IsInf(*p.Accuracy, 0)) {
			errs.Add(f+"accuracy", "must be zero or more metres")
		}
		if p.HAE != nil && (math.IsNaN(*p.HAE) || math.IsInf(*p.HAE, 0)) {
			errs.Add(f+"hae", "must be a finite number of metres")
		}
		if p.Stale != nil && !p.Stale.After(p.At) {
			errs.Add(f+"stale", "must be after at")
		}
	}
}

// rtreeTime is a time in the unit the SQLite R*Tree indexes positions
// in: hours. The R*-tree's split and placement heuristics compare areas
// and margins across dimensions, so time must be on a scale like the
// degrees beside it: in seconds the time axis dwarfs the others and the
// tree groups positions by time alone, so a small box over an hour reads
// every position of that hour. In float32 an hour value near 2015 is
// exact to about two minutes, rounded outward: still a candidate filter.
func rtreeTime(us int64) float64 { return float64(us) / 3.6e9 }

// AppendPositions adds a batch of positions to a track, in one
// transaction with one audit record. Only members of the track's owner
// partner may report its positions.
func (s *Service) AppendPositions(ctx context.Context, p access.Principal, id string, in PositionBatch) (BatchResult, error) {
	tr, err := s.Track(ctx, p, id)
	if err != nil {
		return BatchResult{}, err
	}
	if err := s.ownerCheck(ctx, p, id); err != nil {
		return BatchResult{}, err
	}
	var errs validate.Errors
	checkPositions(&errs, in.Positions)
	if err := errs.Err(); err != nil {
		return BatchResult{}, err
	}
	m, err := item.LoadMarking(ctx, s.db, id)
	if err != nil {
		return BatchResult{}, err
	}
	for k := range in.Positions {
		in.Positions[k].At = in.Positions[k].At.UTC().Truncate(time.Microsecond)
		if st := in.Positions[k].Stale; st != nil {
			t := st.UTC().Truncate(time.Microsecond)
			in.Positions[k].Stale = &t
		}
	}
	err = s.db.Write(ctx, func(tx *store.Tx) error {
		if err := insertPositions(ctx, tx, tr.seq, in.Positions); err != nil {
			return err
		}
		_, err := item.Touch(ctx, tx, s.bus, tr.RoomID, KindTrack, id, "positions", m, audit.By(p),
			map[string]int{"positions": len(in.Positions)}, map[string]any{"id": id, "positions": in.Positions})
		return err
	})
	if err != nil {
		return BatchResult{}, err
	}
	return BatchResult{Appended: len(in.Positions)}, nil
}

func nullFloat(f *float64) sql.NullFloat64 {
	if f == nil {
		return sql.NullFloat64{}
	}
	return sql.NullFloat64{Float64: *f, Valid: true}
}

// insertPositions writes positions of the track numbered seq.
func insertPositions(ctx context.Context, tx *store.Tx, seq int64, ps []Position) error {
	w, err := NewPositionWriter(ctx, tx)
	if err != nil {
		return err
	}
	for _, p := range ps {
		if err := w.Add(ctx, seq, p); err != nil {
			return err
		}
	}
	return nil
}

// PositionWriter adds rows to the track positions of a transaction, with
// their entries in the spatial index. It is the one way positions are
// written: the picture's API and the TAK listeners' batches use it. Its
// statements are prepared once per transaction (store.Tx.ExecPrepared).
type PositionWriter struct {
	tx   *store.Tx
	next int64 // SQLite: the next row key, shared with the R*Tree entry
}

// NewPositionWriter starts writing positions in tx. Writers are
// serialized (one SQLite writer; the audit head row on PostgreSQL), so the
// keys it hands out are not taken by another transaction.
func NewPositionWriter(ctx context.Context, tx *store.Tx) (*PositionWriter, error) {
	w := &PositionWriter{tx: tx}
	if tx.Engine() != store.SQLite {
		return w, nil
	}
	if err := store.Scan(tx.QueryRow(ctx, `SELECT COALESCE(MAX(id), 0) + 1 FROM track_positions`), &w.next); err != nil {
		return nil, err
	}
	return w, nil
}

// Add writes one position of the track numbered seq (see InsertTrackRow).
// Its times must already be truncated to microseconds.
func (w *PositionWriter) Add(ctx context.Context, seq int64, p Position) error {
	at := store.Micros(p.At)
	if w.tx.Engine() != store.SQLite {
		if _, err := w.tx.ExecPrepared(ctx, `INSERT INTO track_positions (track_seq, at, lon, lat, hae, course, speed, accuracy, stale) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			seq, at, p.Lon, p.Lat, nullFloat(p.HAE), nullFloat(p.Course), nullFloat(p.Speed), nullFloat(p.Accuracy), nullMicros(p.Stale)); err != nil {
			return fmt.Errorf("insert position: %w", err)
		}
		return nil
	}
	id := w.next
	w.next++
	if _, err := w.tx.ExecPrepared(ctx, `INSERT INTO track_positions (id, track_seq, at, lon, lat, hae, course, speed, accuracy, stale) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		id, seq, at, p.Lon, p.Lat, nullFloat(p.HAE), nullFloat(p.Course), nullFloat(p.Speed), nullFloat(p.Accuracy), nullMicros(p.Stale)); err != nil {
		return fmt.Errorf("insert position: %w", err)
	}
	if _, err := w.tx.ExecPrepared(ctx, `INSERT INTO track_positions_rtree (id, min_lon, max_lon, min_lat, max_lat, min_t, max_t) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		id, p.Lon, p.Lon, p.Lat, p.Lat, rtreeTime(at), rtreeTime(at)); err != nil {
		return fmt.Errorf("index position: %w", err)
	}
	return nil
}

// posCols are a position's columns from track_positions aliased p.
const posCols = `p.id, p.at, p.lon, p.lat, p.hae, p.course, p.speed, p.accuracy, p.stale`

// posRow receives posCols.
type posRow struct {
	id, at                  int64
	lon, lat                float64
	hae, course, speed, acc sql.NullFloat64
	stale                   sql.NullInt64
}

func (r *posRow) dest() []any {
	return []any{&r.id, &r.at, &r.lon, &r.lat, &r.hae, &r.course, &r.speed, &r.acc, &r.stale}
}

func (r *posRow) position() Position {
	v := Position{At: store.Time(r.at), Lon: r.lon, Lat: r.lat, Stale: optTime(r.stale)}
	for _, f := range []struct {
		n   sql.NullFloat64
		dst **float64
	}{{r.hae, &v.HAE}, {r.course, &v.Course}, {r.speed, &v.Speed}, {r.acc, &v.Accuracy}} {
		if f.n.Valid {
			x := f.n.Float64
			*f.dst = &x
		}
	}
	return v
}

// HistoryQuery selects a page of a track's positions in time order.
type HistoryQuery struct {
	From, To time.Time // zero: unbounded
	Cursor   string    // from the previous page
	Limit    int
}

// History is a page of a track's positions, oldest first.
type History struct {
	Track      Track      `json:"track"`
	Positions  []Position `json:"positions"`
	NextCursor string     `json:"next_cursor,omitempty"`
}

// TrackHistory returns a track's positions in time order, a page at a time.
func (s *Service) TrackHistory(ctx context.Context, p access.Principal, id string, q HistoryQuery) (History, error) {
	tr, err := s.Track(ctx, p, id)
	if err != nil {
		return History{}, err
	}
	if q.Limit <= 0 || q.Limit > MaxPositions {
		q.Limit = DefaultPositions
	}
	where := []string{"p.track_seq = ?"}
	args := []any{tr.seq}
	if !q.From.IsZero() {
		where, args = append(where, "p.at >= ?"), append(args, store.Micros(q.From))
	}
	if !q.To.IsZero() {
		where, args = append(where, "p.at <= ?"), append(args, store.Micros(q.To))
	}
	if q.Cursor != "" {
		at, pid, ok := parseCursor(q.Cursor)
		if !ok {
			return History{}, validate.Field("cursor", "is not a cursor this server gave")
		}
		where = append(where, "(p.at > ? OR (p.at = ? AND p.id > ?))")
		args = append(args, at, at, pid)
	}
	rows, err := s.db.Query(ctx, `SELECT `+posCols+` FROM track_positions p WHERE `+strings.Join(where, " AND ")+` ORDER BY p.at, p.id LIMIT ?`,
		append(args, q.Limit+1)...)
	if err != nil {
		return History{}, err
	}
	defer rows.Close()
	h := History{Track: tr, Positions: []Position{}}
	var lastID int64
	for rows.Next() {
		var pt posRow
		if err := rows.Scan(pt.dest()...); err != nil {
			return History{}, err
		}
		v, pid := pt.position(), pt.id
		if len(h.Positions) == q.Limit {
			last := h.Positions[len(h.Positions)-1]
			h.NextCursor = strconv.FormatInt(store.Micros(last.At), 10) + "." + strconv.FormatInt(lastID, 10)
			break
		}
		h.Positions, lastID = append(h.Positions, v), pid
	}
	return h, rows.Err()
}

func parseCursor(c string) (at, id int64, ok bool) {
	a, b, found := strings.Cut(c, ".")
	if !found {
		return 0, 0, false
	}
	at, err1 := strconv.ParseInt(a, 10, 64)
	id, err2 := strconv.ParseInt(b, 10, 64)
	return at, id, err1 == nil && err2 == nil
}

// staleAt is when a position stops being current for a track whose
// default is staleSeconds; ok is false when it never does.
func staleAt(p Position, staleSeconds int64) (time.Time, bool) {
	if p.Stale != nil {
		return *p.Stale, true
	}
	if staleSeconds > 0 {
		return p.At.Add(time.Duration(staleSeconds) * time.Second), true
	}
	return time.Time{}, false
}

// currentAt reports whether position p (taken at or before t) still stands
// at t: a position is current until its stale time, exclusive.
func currentAt(p Position, staleSeconds int64, t time.Time) bool {
	st, ok := staleAt(p, staleSeconds)
	return !ok || t.Before(st)
}

// Package bench holds the workloads behind opsroom's headline figures, so
// that `go test -bench` and the `opsroom bench` command measure the same
// code on the same data. Each workload builds its own world in the
// database it is given.
package bench

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/opsroom/opsroom/internal/access"
	"github.com/opsroom/opsroom/internal/account"
	"github.com/opsroom/opsroom/internal/audit"
	"github.com/opsroom/opsroom/internal/item"
	"github.com/opsroom/opsroom/internal/live"
	"github.com/opsroom/opsroom/internal/room"
	"github.com/opsroom/opsroom/internal/store"
)

// Result is one measured figure.
type Result struct {
	Name      string
	N         int
	PerSecond float64       // throughput, where it applies
	P50, P95  time.Duration // latency, where it applies
	P99       time.Duration
}

func (r Result) String() string {
	s := fmt.Sprintf("%-44s n=%-7d", r.Name, r.N)
	if r.PerSecond > 0 {
		s += fmt.Sprintf(" %10.0f /s", r.PerSecond)
	}
	if r.P50 > 0 {
		s += fmt.Sprintf("  p50 %-9v p95 %-9v p99 %v", r.P50.Round(time.Microsecond), r.P95.Round(time.Microsecond), r.P99.Round(time.Microsecond))
	}
	return s
}

// Latencies summarises samples.
func Latencies(name string, samples []time.Duration) Result {
	s := slices.Clone(samples)
	slices.Sort(s)
	q := func(p float64) time.Duration { return s[min(len(s)-1, int(p*float64(len(s))))] }
	return Result{Name: name, N: len(s), P50: q(0.50), P95: q(0.95), P99: q(0.99)}
}

// World is a room with partners and members, for the item workloads.
type World struct {
	DB      *store.DB
	Members *account.Service
	Rooms   *room.Service
	Items   *item.Service
	Bus     *live.Bus
	Room    room.Room
	View    room.View
	People  []access.Principal
}

// NewWorld makes 4 partners with 3 members each, all in one room.
func NewWorld(ctx context.Context, db *store.DB) (*World, error) {
	bus := live.NewBus()
	rooms := room.NewService(db)
	w := &World{DB: db, Members: account.NewService(db), Rooms: rooms, Items: item.NewService(db, rooms, bus), Bus: bus}
	sys := access.System
	var codes []string
	for i := range 4 {
		code := fmt.Sprintf("B%d", i)
		codes = append(codes, code)
		if _, err := rooms.CreatePartner(ctx, sys, room.NewPartner{Code: code, Name: code, Kind: "agency"}); err != nil {
			return nil, err
		}
	}
	r, err := rooms.CreateRoom(ctx, sys, room.NewRoom{Slug: "bench", Name: "bench", Purpose: "bench", CommandModel: room.Unspecified, Partners: codes})
	if err != nil {
		return nil, err
	}
	w.Room = r
	for i := range 12 {
		name := fmt.Sprintf("bench%d", i)
		if _, err := w.Members.CreateMember(ctx, sys, account.NewMember{Partner: codes[i%4], Username: name, Kind: access.Device}); err != nil {
			return nil, err
		}
		if err := rooms.SetMember(ctx, sys, "bench", name, room.RoleMember); err != nil {
			return nil, err
		}
	}
	return w, w.open(ctx)
}

// OpenWorld returns the world NewWorld made earlier in db (a data set kept
// between benchmark runs).
func OpenWorld(ctx context.Context, db *store.DB) (*World, error) {
	bus := live.NewBus()
	rooms := room.NewService(db)
	w := &World{DB: db, Members: account.NewService(db), Rooms: rooms, Items: item.NewService(db, rooms, bus), Bus: bus}
	var err error
	if w.Room, err = rooms.Room(ctx, access.System, "bench"); err != nil {
		return nil, fmt.Errorf("no benchmark world here: %w", err)
	}
	return w, w.open(ctx)
}

// open signs the members in and reads the room's view.
func (w *World) open(ctx context.Context) error {
	for i := range 12 {
		p, err := w.Members.AsMember(ctx, fmt.Sprintf("bench%d", i), "bench")
		if err != nil {
			return err
		}
		w.People = append(w.People, p)
	}
	var err error
	w.View, err = w.Rooms.View(ctx, w.Room.ID)
	return err
}

// RandomMarking is a marking its author may share: a quarter of each of
// GREEN, AMBER released to the author's partner and one other, AMBER, and
// RED to the author and one other member.
func (w *World) RandomMarking(rng *rand.Rand, author access.Principal) item.Marking {
	switch rng.IntN(4) {
	case 0:
		return item.Marking{TLP: "GREEN"}
	case 1:
		other := w.People[rng.IntN(len(w.People))].Partner
		return item.Marking{TLP: "AMBER", ReleasableTo: []string{author.Partner, other}}
	case 2:
		return item.Marking{TLP: "AMBER"}
	default:
		other := w.People[rng.IntN(len(w.People))].Username
		return item.Marking{TLP: "RED", Recipients: []string{author.Username, other}}
	}
}

// CreateNotes creates n notes one request at a time (each its own
// transaction with its audit record) and returns the throughput.
func (w *World) CreateNotes(ctx context.Context, rng *rand.Rand, n int) (Result, error) {
	start := time.Now()
	for i := range n {
		p := w.People[rng.IntN(len(w.People))]
		if _, err := w.Items.CreateNote(ctx, p, "bench", item.NewNote{Title: fmt.Sprintf("note %d", i), Text: "benchmark note", Marking: w.RandomMarking(rng, p)}); err != nil {
			return Result{}, err
		}
	}
	d := time.Since(start)
	return Result{Name: "create item (one transaction each)", N: n, PerSecond: float64(n) / d.Seconds()}, nil
}

// Seed bulk-loads items until the room holds n, 1,000 per transaction.
func (w *World) Seed(ctx context.Context, rng *rand.Rand, n int) error {
	var have int
	if err := item.Server().QueryRow(ctx, w.DB, `SELECT COUNT(*) FROM {items i} WHERE i.room_id = ?`, w.Room.ID).Scan(&have); err != nil {
		return err
	}
	for have < n {
		batch := min(1000, n-have)
		err := w.DB.Write(ctx, func(tx *store.Tx) error {
			for i := range batch {
				p := w.People[rng.IntN(len(w.People))]
				m, shown, err := item.Resolve("marking", w.RandomMarking(rng, p), p.Viewer, w.View, access.Amber)
				if err != nil {
					return err
				}
				rec := &item.Record{RoomID: w.Room.ID, Room: "bench", Kind: "note", Title: fmt.Sprintf("seeded %d", have+i),
					Marking: m, Shown: shown, Owner: p.PartnerID, Author: p.ID}
				if err := item.Insert(ctx, tx, nil, rec, audit.By(p), struct{}{}); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
		have += batch
	}
	// Fresh planner statistics, as autovacuum would gather after a load.
	if w.DB.Engine() == store.Postgres {
		if err := w.DB.Write(ctx, func(tx *store.Tx) error {
			_, err := tx.Exec(ctx, `ANALYZE`)
			return err
		}); err != nil {
			return err
		}
	}
	return nil
}

// ListVisible measures listing a page of the visible items of the room,
// as random members, iters times; deep pages start at a random cursor.
func (w *World) ListVisible(ctx context.Context, rng *rand.Rand, iters int, deep bool) (Result, error) {
	var cursors []string
	if deep {
		rows, err := item.Server().Query(ctx, w.DB, `SELECT i.id FROM {items i} WHERE i.room_id = ? ORDER BY i.id`, w.Room.ID)
		if err != nil {
			return Result{}, err
		}
		for rows.Next() {
			var id string
			rows.Scan(&id)
			cursors = append(cursors, id)
		}
		rows.Close()
	}
	samples := make([]time.Duration, 0, iters)
	for range iters {
		p := w.People[rng.IntN(len(w.People))]
		q := item.ListQuery{Limit: 51}
		if deep {
			q.After = cursors[rng.IntN(len(cursors))]
		}
		t := time.Now()
		its, err := w.Items.List(ctx, p, "bench", q)
		if err != nil {
			return Result{}, err
		}
		samples = append(samples, time.Since(t))
		if len(its) == 0 && !deep {
			return Result{}, fmt.Errorf("%s sees nothing", p.Username)
		}
	}
	name := "list visible items, first page of 50"
	if deep {
		name = "list visible items, page at a random cursor"
	}
	return Latencies(name, samples), nil
}

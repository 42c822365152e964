package live

import (
	"context"
	"io"
	"log/slog"
	"slices"
	"testing"
	"time"

	"github.com/opsroom/opsroom/internal/audit"
	"github.com/opsroom/opsroom/internal/store"
	"github.com/opsroom/opsroom/internal/store/storetest"
)

// TestClusterOrders checks the cluster's sequencer without NATS: changes
// of a room that arrive out of order are delivered in seq order, records
// that publish nothing (the room's own records) are not waited for, and a
// change that never arrives is given up after Wait with the room's
// streams reset.
func TestClusterOrders(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		// Audit records 1..7: room r's notes, except 3 (a membership record,
		// which publishes no change) and 5 (another room).
		kinds := map[int64][2]string{3: {"r", "member"}, 5: {"other", "note"}}
		if err := db.Write(ctx, func(tx *store.Tx) error {
			for s := int64(1); s <= 7; s++ {
				room, kind := "r", "note"
				if k, ok := kinds[s]; ok {
					room, kind = k[0], k[1]
				}
				if _, err := audit.Append(ctx, tx, audit.Record{Action: kind + ".update", RoomID: room, Kind: kind, ObjectID: "i"}); err != nil {
					return err
				}
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		bus := NewBus()
		sub := bus.Subscribe("r", viewer, 64)
		c := &Cluster{db: db, bus: bus, log: slog.New(slog.NewTextHandler(io.Discard, nil)), Wait: 100 * time.Millisecond,
			rooms: map[string]*sequence{}}
		sq := &sequence{}
		c.rooms["r"] = sq
		got := func() []int64 {
			var out []int64
			for len(sub.C) > 0 {
				out = append(out, (<-sub.C).Seq)
			}
			return out
		}
		offer := func(seqs ...int64) []int64 {
			for _, s := range seqs {
				sq.pending = slices.Insert(sq.pending, insertAt(sq.pending, s), change(s))
			}
			c.drain("r", sq)
			return got()
		}
		for _, step := range []struct {
			offer, want []int64
		}{
			{[]int64{4}, nil},              // 1 and 2 are missing
			{[]int64{2}, nil},              // 1 still missing
			{[]int64{1}, []int64{1, 2, 4}}, // 3 publishes nothing
			{[]int64{7, 6}, []int64{6, 7}}, // 5 is another room's
			{[]int64{7}, []int64{7}},       // a second change of a batch
		} {
			if g := offer(step.offer...); !slices.Equal(g, step.want) {
				t.Fatalf("offered %v: delivered %v, want %v", step.offer, g, step.want)
			}
		}
		// A change whose predecessor never comes: 8 is published, 9 is not
		// (its instance died), 10 arrives.
		if err := db.Write(ctx, func(tx *store.Tx) error {
			for range 3 {
				if _, err := audit.Append(ctx, tx, audit.Record{Action: "note.update", RoomID: "r", Kind: "note", ObjectID: "i"}); err != nil {
					return err
				}
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		if g := offer(10, 8); !slices.Equal(g, []int64{8}) {
			t.Fatalf("delivered %v, want [8] while 9 is awaited", g)
		}
		time.Sleep(150 * time.Millisecond)
		c.drain("r", sq)
		if _, ok := <-sub.C; ok || sub.Reason() != EndReset {
			t.Fatalf("after giving 9 up the room's streams end with a reset; reason %q", sub.Reason())
		}
		after := Pos{Seq: 9}
		s2, res := bus.SubscribeFrom("r", viewer, 8, &after)
		if res.Reset || len(res.Replay) != 1 || res.Replay[0].Seq != 10 {
			t.Fatalf("resuming from the reset's id: reset %v replay %v", res.Reset, ids(res.Replay))
		}
		s2.Close()
		if g := offer(9); g != nil || c.Dropped.Load() != 1 {
			t.Fatalf("a change arriving after it was given up: delivered %v, dropped %d", g, c.Dropped.Load())
		}
	})
}

package item_test

import (
	"context"
	"math/rand/v2"
	"os"
	"strconv"
	"testing"

	"github.com/opsroom/opsroom/internal/bench"
	"github.com/opsroom/opsroom/internal/item"
	"github.com/opsroom/opsroom/internal/store"
	"github.com/opsroom/opsroom/internal/store/storetest"
)

// roomSize is the number of items in the listing benchmarks' room
// (OPSROOM_BENCH_ITEMS, default 100,000).
func roomSize() int {
	if n, err := strconv.Atoi(os.Getenv("OPSROOM_BENCH_ITEMS")); err == nil && n > 0 {
		return n
	}
	return 100_000
}

func eachEngine(b *testing.B, fn func(b *testing.B, db *store.DB)) {
	for _, e := range storetest.Engines() {
		b.Run(string(e), func(b *testing.B) { fn(b, storetest.Open(b, e)) })
	}
}

// BenchmarkCreateNote: one shared item per transaction, with its
// marking, audit record and change publication.
func BenchmarkCreateNote(b *testing.B) {
	eachEngine(b, func(b *testing.B, db *store.DB) {
		ctx := context.Background()
		w, err := bench.NewWorld(ctx, db)
		if err != nil {
			b.Fatal(err)
		}
		rng := rand.New(rand.NewPCG(1, 2))
		b.ResetTimer()
		for i := 0; b.Loop(); i++ {
			p := w.People[i%len(w.People)]
			if _, err := w.Items.CreateNote(ctx, p, "bench", item.NewNote{Title: "note", Marking: w.RandomMarking(rng, p)}); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "items/s")
	})
}

// BenchmarkListVisible: the first page of the items a member may see in a
// room holding roomSize() items with mixed markings.
func BenchmarkListVisible(b *testing.B) {
	eachEngine(b, func(b *testing.B, db *store.DB) {
		ctx := context.Background()
		w, err := bench.NewWorld(ctx, db)
		if err != nil {
			b.Fatal(err)
		}
		rng := rand.New(rand.NewPCG(1, 2))
		if err := w.Seed(ctx, rng, roomSize()); err != nil {
			b.Fatal(err)
		}
		b.ResetTimer()
		for i := 0; b.Loop(); i++ {
			if _, err := w.Items.List(ctx, w.People[i%len(w.People)], "bench", item.ListQuery{Limit: 51}); err != nil {
				b.Fatal(err)
			}
		}
	})
}

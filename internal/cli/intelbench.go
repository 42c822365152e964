package cli

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/opsroom/opsroom/internal/bench"
	"github.com/opsroom/opsroom/internal/bench/intelload"
	"github.com/opsroom/opsroom/internal/store"
)

func init() {
	RegisterBench("intel", "import 1,000,000 reports (10,000 per transaction, search index and audit included); search them (intelload.World.Searches), and a small room beside them", benchIntel)
}

// benchIntel loads scale x 1,000,000 generated reports through the
// importer's bulk path, then times 512 searches of the mixed workload
// (two viewers of different partners, rare and common words, filters)
// after one untimed pass over its 64 queries. A small room of 2,000
// reports, opened first (its reports are the oldest), gets 128 searches
// of its own: a room's search must not read the large room's reports.
func benchIntel(ctx context.Context, env *Env, db *store.DB, scale float64) ([]bench.Result, error) {
	n := max(10_000, int(1_000_000*scale))
	w, err := intelload.New(ctx, db, 2)
	if err != nil {
		return nil, err
	}
	if err := w.SmallRoom(ctx, 2_000); err != nil {
		return nil, err
	}
	var load time.Duration
	for done := 0; done < n; done += 10_000 {
		reps := w.Reports(min(10_000, n-done))
		t0 := time.Now()
		if err := w.Import(ctx, reps); err != nil {
			return nil, err
		}
		load += time.Since(t0)
		if (done/10_000)%10 == 9 {
			fmt.Fprintf(env.Stderr, "imported %d reports (%.0f/s)\n", done+len(reps), float64(done+len(reps))/load.Seconds())
		}
	}
	out := []bench.Result{{Name: "import reports (10,000 per transaction)", N: n, PerSecond: float64(n) / load.Seconds()}}
	// As autovacuum would after a bulk load (PostgreSQL).
	if err := db.Vacuum(ctx); err != nil {
		return nil, err
	}
	measure := func(searches []intelload.Search, runs int) (all []time.Duration, byKind map[string][]time.Duration, best []time.Duration, err error) {
		// One untimed pass first: a server answers from a warm cache.
		for _, s := range searches {
			if _, err := w.Svc.Search(ctx, s.As, s.Room, s.Q); err != nil {
				return nil, nil, nil, fmt.Errorf("search %q: %w", s.Q.Text, err)
			}
		}
		byKind = map[string][]time.Duration{}
		fastest := map[int]time.Duration{}
		for i := range runs * len(searches) {
			s := searches[i%len(searches)]
			t0 := time.Now()
			if _, err := w.Svc.Search(ctx, s.As, s.Room, s.Q); err != nil {
				return nil, nil, nil, fmt.Errorf("search %q: %w", s.Q.Text, err)
			}
			d := time.Since(t0)
			all = append(all, d)
			byKind[s.Kind] = append(byKind[s.Kind], d)
			if m, ok := fastest[i%len(searches)]; !ok || d < m {
				fastest[i%len(searches)] = d
			}
		}
		return all, byKind, slices.Collect(maps.Values(fastest)), nil
	}
	all, byKind, best, err := measure(w.Searches(64), 8)
	if err != nil {
		return nil, err
	}
	out = append(out, bench.Latencies(fmt.Sprintf("search, first page of 20 (%d reports)", n), all))
	// Each query's fastest of its 8 runs: on a shared machine, an estimate
	// of what a search costs without waiting for a core.
	out = append(out, bench.Latencies("search, each query's best of 8 runs", best))
	for _, k := range slices.Sorted(maps.Keys(byKind)) {
		out = append(out, bench.Latencies("  "+k, byKind[k]))
	}
	all, byKind, _, err = measure(w.SmallSearches(16), 8)
	if err != nil {
		return nil, err
	}
	out = append(out, bench.Latencies("search in a room of 2,000 reports beside them", all))
	for _, k := range slices.Sorted(maps.Keys(byKind)) {
		out = append(out, bench.Latencies("  "+k, byKind[k]))
	}
	return out, nil
}

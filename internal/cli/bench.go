package cli

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"sort"
	"strings"

	"github.com/opsroom/opsroom/internal/bench"
	"github.com/opsroom/opsroom/internal/store"
)

// A workload measures headline figures on a fresh database.
type workload struct {
	summary string
	run     func(ctx context.Context, env *Env, db *store.DB, scale float64) ([]bench.Result, error)
}

var workloads = map[string]workload{
	"items": {"create items; list the visible items of a room holding 100,000", benchItems},
}

// RegisterBench adds a workload to `opsroom bench`.
func RegisterBench(name, summary string, run func(ctx context.Context, env *Env, db *store.DB, scale float64) ([]bench.Result, error)) {
	workloads[name] = workload{summary, run}
}

func cmdBench(ctx context.Context, env *Env, args []string) error {
	fs := newFlags(env, "bench", "bench [--db postgres://...] [--scale 1] [WORKLOAD ...]   (default: every workload)")
	dbURL := fs.String("db", "", "measure on this PostgreSQL database (a fresh schema is made and dropped) instead of a temporary SQLite")
	scale := fs.Float64("scale", 1, "multiply data sizes by this (0.1 for a quick look)")
	var sync string
	registerSync(fs, env, &sync)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if err := checkSync(sync); err != nil {
		return err
	}
	names := fs.Args()
	if len(names) == 0 {
		for n := range workloads {
			names = append(names, n)
		}
		sort.Strings(names)
	}
	for _, name := range names {
		w, ok := workloads[name]
		if !ok {
			var known []string
			for n := range workloads {
				known = append(known, n)
			}
			sort.Strings(known)
			return fmt.Errorf("unknown workload %q; known: %s", name, strings.Join(known, ", "))
		}
		db, cleanup, err := benchDB(ctx, *dbURL, sync)
		if err != nil {
			return err
		}
		mode := ""
		if db.Engine() == store.SQLite {
			mode = " (synchronous=" + sync + ")"
		}
		fmt.Fprintf(env.Stdout, "== %s on %s%s: %s\n", name, db.Engine(), mode, w.summary)
		results, err := w.run(ctx, env, db, *scale)
		cleanup()
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		for _, r := range results {
			fmt.Fprintln(env.Stdout, r)
		}
	}
	return nil
}

// benchDB opens a throw-away database: SQLite in a temporary directory,
// or a fresh schema on the PostgreSQL server given.
func benchDB(ctx context.Context, url, sync string) (*store.DB, func(), error) {
	if url == "" {
		dir, err := os.MkdirTemp("", "opsroom-bench-")
		if err != nil {
			return nil, nil, err
		}
		db, err := store.Open(ctx, store.Options{Dir: dir, SQLiteSync: sync})
		if err != nil {
			os.RemoveAll(dir)
			return nil, nil, err
		}
		return db, func() { db.Close(); os.RemoveAll(dir) }, nil
	}
	return store.OpenScratch(ctx, url)
}

func benchItems(ctx context.Context, env *Env, db *store.DB, scale float64) ([]bench.Result, error) {
	rng := rand.New(rand.NewPCG(1, 2))
	w, err := bench.NewWorld(ctx, db)
	if err != nil {
		return nil, err
	}
	created, err := w.CreateNotes(ctx, rng, int(2000*scale)+1)
	if err != nil {
		return nil, err
	}
	n := int(100_000 * scale)
	fmt.Fprintf(env.Stderr, "seeding %d items...\n", n)
	if err := w.Seed(ctx, rng, n); err != nil {
		return nil, err
	}
	first, err := w.ListVisible(ctx, rng, 500, false)
	if err != nil {
		return nil, err
	}
	deep, err := w.ListVisible(ctx, rng, 500, true)
	if err != nil {
		return nil, err
	}
	if created.N == 0 {
		return nil, errors.New("nothing measured")
	}
	first.Name += fmt.Sprintf(" (room of %d)", n)
	deep.Name += fmt.Sprintf(" (room of %d)", n)
	return []bench.Result{created, first, deep}, nil
}

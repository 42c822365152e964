package storetest

import (
	"context"
	"errors"
	"testing"

	"github.com/opsroom/opsroom/internal/store"
)

func TestOpenMigratesAndMapsErrors(t *testing.T) {
	Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		if db.SchemaVersion() < 1 {
			t.Fatal("no migrations applied")
		}
		insert := func() error {
			return db.Write(ctx, func(tx *store.Tx) error {
				_, err := tx.Exec(ctx, `INSERT INTO partners (id, code, name, kind, created_at) VALUES (?, ?, ?, ?, ?)`, "p1", "RU", "Russia", "state", 1)
				return err
			})
		}
		if err := insert(); err != nil {
			t.Fatal(err)
		}
		if err := insert(); !errors.Is(err, store.ErrConflict) {
			t.Fatalf("duplicate insert: %v, want ErrConflict", err)
		}
		var code string
		if err := store.Scan(db.QueryRow(ctx, `SELECT code FROM partners WHERE id = ?`, "nope"), &code); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("missing row: %v, want ErrNotFound", err)
		}
		// A failed transaction writes nothing.
		err := db.Write(ctx, func(tx *store.Tx) error {
			if _, err := tx.Exec(ctx, `INSERT INTO partners (id, code, name, kind, created_at) VALUES (?, ?, ?, ?, ?)`, "p2", "IR", "Iran", "state", 1); err != nil {
				return err
			}
			return errors.New("boom")
		})
		if err == nil {
			t.Fatal("want the error back")
		}
		var n int
		if err := db.QueryRow(ctx, `SELECT COUNT(*) FROM partners`).Scan(&n); err != nil || n != 1 {
			t.Fatalf("partners = %d (%v), want 1", n, err)
		}
	})
}

func TestNewerSchemaIsRefused(t *testing.T) {
	for _, e := range Engines() {
		t.Run(string(e), func(t *testing.T) {
			if e == store.Postgres {
				t.Skip("checked on SQLite; the check is engine-independent")
			}
			dir := t.TempDir()
			ctx := context.Background()
			db, err := store.Open(ctx, store.Options{Dir: dir})
			if err != nil {
				t.Fatal(err)
			}
			if err := db.Write(ctx, func(tx *store.Tx) error {
				_, err := tx.Exec(ctx, `INSERT INTO schema_migrations (version, name, applied_at) VALUES (9999, 'future', 0)`)
				return err
			}); err != nil {
				t.Fatal(err)
			}
			db.Close()
			if _, err := store.Open(ctx, store.Options{Dir: dir}); !errors.Is(err, store.ErrSchemaTooNew) {
				t.Fatalf("open: %v, want ErrSchemaTooNew", err)
			}
		})
	}
}

func TestBatchCommitsAllOrNothing(t *testing.T) {
	Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		add := func(ctx context.Context, id, code string) error {
			return db.Write(ctx, func(tx *store.Tx) error {
				_, err := tx.Exec(ctx, `INSERT INTO partners (id, code, name, kind, created_at) VALUES (?, ?, ?, ?, 1)`, id, code, code, "state")
				return err
			})
		}
		count := func(ctx context.Context) int {
			var n int
			if err := db.QueryRow(ctx, `SELECT COUNT(*) FROM partners`).Scan(&n); err != nil {
				t.Fatal(err)
			}
			return n
		}
		hooks := 0
		err := db.Batch(ctx, func(ctx context.Context) error {
			if err := add(ctx, "a", "AA"); err != nil {
				return err
			}
			if n := count(ctx); n != 1 { // reads inside the batch see its writes
				t.Fatalf("inside the batch: %d partners", n)
			}
			if err := db.Write(ctx, func(tx *store.Tx) error { tx.AfterCommit(func() { hooks++ }); return nil }); err != nil {
				return err
			}
			return add(ctx, "b", "AA") // a duplicate code: the whole batch fails
		})
		if !errors.Is(err, store.ErrConflict) {
			t.Fatalf("batch: %v", err)
		}
		if n := count(ctx); n != 0 || hooks != 0 {
			t.Fatalf("after a failed batch: %d partners, %d hooks run", n, hooks)
		}
		if err := db.Batch(ctx, func(ctx context.Context) error { return add(ctx, "c", "CC") }); err != nil || count(ctx) != 1 {
			t.Fatalf("good batch: %v", err)
		}
	})
}

// TestDurableByDefault: SQLite syncs every commit (synchronous=FULL)
// unless the faster mode is asked for by name; PostgreSQL commits
// synchronously.
func TestDurableByDefault(t *testing.T) {
	ctx := context.Background()
	for _, c := range []struct {
		mode string
		want int
	}{{"", 2}, {store.SyncFull, 2}, {store.SyncNormal, 1}} {
		db, err := store.Open(ctx, store.Options{Dir: t.TempDir(), SQLiteSync: c.mode})
		if err != nil {
			t.Fatal(err)
		}
		var got int
		if err := db.Write(ctx, func(tx *store.Tx) error {
			return tx.QueryRow(ctx, `PRAGMA synchronous`).Scan(&got)
		}); err != nil || got != c.want {
			t.Errorf("mode %q: the writer's synchronous is %d (%v), want %d", c.mode, got, err, c.want)
		}
		db.Close()
	}
	if _, err := store.Open(ctx, store.Options{Dir: t.TempDir(), SQLiteSync: "off"}); err == nil {
		t.Error("synchronous=off accepted")
	}
	if PostgresURL() == "" {
		return
	}
	db := Open(t, store.Postgres)
	var sc string
	if err := db.QueryRow(ctx, `SHOW synchronous_commit`).Scan(&sc); err != nil || sc != "on" {
		t.Errorf("PostgreSQL synchronous_commit %q (%v), want on", sc, err)
	}
}

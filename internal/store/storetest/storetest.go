// Package storetest opens fresh, migrated databases for tests: embedded
// SQLite in a temporary directory always, and PostgreSQL when
// OPSROOM_TEST_POSTGRES holds a connection URL (each test gets a schema of
// its own, dropped afterwards). Run the same test body on both with Each.
package storetest

import (
	"context"
	"os"
	"testing"

	"github.com/opsroom/opsroom/internal/store"
)

// PostgresURL is the test server's URL, or "" when PostgreSQL tests are
// off.
func PostgresURL() string { return os.Getenv("OPSROOM_TEST_POSTGRES") }

// Engines lists the engines tests run on here.
func Engines() []store.Engine {
	if PostgresURL() != "" {
		return []store.Engine{store.SQLite, store.Postgres}
	}
	return []store.Engine{store.SQLite}
}

// Open returns a fresh migrated database on engine, closed and removed
// when the test ends. A PostgreSQL test without OPSROOM_TEST_POSTGRES is
// skipped with a message saying how to run it.
func Open(t testing.TB, engine store.Engine) *store.DB {
	t.Helper()
	ctx := context.Background()
	switch engine {
	case store.SQLite:
		db, err := store.Open(ctx, store.Options{Dir: t.TempDir()})
		if err != nil {
			t.Fatalf("open sqlite: %v", err)
		}
		t.Cleanup(func() { db.Close() })
		return db
	case store.Postgres:
		base := PostgresURL()
		if base == "" {
			t.Skip("PostgreSQL tests are off: set OPSROOM_TEST_POSTGRES=postgres://user@127.0.0.1:5432/test to run them")
		}
		db, cleanup, err := store.OpenScratch(ctx, base)
		if err != nil {
			t.Fatalf("open postgres: %v", err)
		}
		t.Cleanup(cleanup)
		return db
	}
	t.Fatalf("unknown engine %q", engine)
	return nil
}

// Each runs fn as a subtest on every engine available.
func Each(t *testing.T, fn func(t *testing.T, db *store.DB)) {
	for _, e := range Engines() {
		t.Run(string(e), func(t *testing.T) { fn(t, Open(t, e)) })
	}
}

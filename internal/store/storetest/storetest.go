// Package storetest opens fresh, migrated databases for tests: embedded
// SQLite in a temporary directory always, and PostgreSQL when
// OPSROOM_TEST_POSTGRES holds a connection URL (each test gets a schema of
// its own, dropped afterwards). Run the same test body on both with Each.
package storetest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib"

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
		schema := "t_" + randomHex(8)
		admin, err := sql.Open("pgx", base)
		if err != nil {
			t.Fatalf("open postgres: %v", err)
		}
		if _, err := admin.ExecContext(ctx, "CREATE SCHEMA "+schema); err != nil {
			admin.Close()
			t.Fatalf("create schema: %v", err)
		}
		u, err := url.Parse(base)
		if err != nil {
			t.Fatalf("OPSROOM_TEST_POSTGRES: %v", err)
		}
		q := u.Query()
		q.Set("search_path", schema)
		u.RawQuery = q.Encode()
		db, err := store.Open(ctx, store.Options{URL: u.String()})
		if err != nil {
			admin.ExecContext(ctx, "DROP SCHEMA "+schema+" CASCADE")
			admin.Close()
			t.Fatalf("open postgres: %v", err)
		}
		t.Cleanup(func() {
			db.Close()
			admin.ExecContext(context.Background(), "DROP SCHEMA "+schema+" CASCADE")
			admin.Close()
		})
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

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// Package storetest opens fresh, migrated databases for tests: embedded
// SQLite in a temporary directory always, and PostgreSQL when
// OPSROOM_TEST_POSTGRES holds a connection URL (each test gets a schema of
// its own, dropped afterwards). Run the same test body on both with Each.
package storetest

import (
	"context"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
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

// GoSources calls fn for every non-test Go file under the repository's
// cmd and internal folders (node_modules and testdata left out), with its
// path relative to root in slash form, for tests that scan the source
// (the read layer's, the table owners'). root is the repository, e.g.
// "../.." from a package under internal. It fails t when fewer than 50
// files were seen: the root is then wrong.
func GoSources(t testing.TB, root string, fn func(rel, path string)) {
	t.Helper()
	root, err := filepath.Abs(root)
	if err != nil {
		t.Fatal(err)
	}
	seen := 0
	for _, top := range []string{"cmd", "internal"} {
		err := filepath.WalkDir(filepath.Join(root, top), func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() {
				if d.Name() == "node_modules" || d.Name() == "testdata" {
					return filepath.SkipDir
				}
				return nil
			}
			if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
				return nil
			}
			rel, _ := filepath.Rel(root, path)
			seen++
			fn(filepath.ToSlash(rel), path)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if seen < 50 {
		t.Fatalf("only %d files seen under %s: is the repository root right?", seen, root)
	}
}

// GoConstants parses the Go file at path and calls fn with the line and
// the text of each of its string constants: a literal, or a + chain of
// them taken as one (a chain's parts that are not constant left out). It
// returns the parsed file, for scans that look at more than strings.
func GoConstants(t testing.TB, path string, fn func(line int, s string)) (*ast.File, *token.FileSet) {
	t.Helper()
	src, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, path, src, 0)
	if err != nil {
		t.Fatal(err)
	}
	ast.Inspect(f, func(n ast.Node) bool {
		switch n.(type) {
		case *ast.BinaryExpr, *ast.BasicLit:
			if ss, ok := constStrings(n.(ast.Expr)); ok {
				fn(fset.Position(n.Pos()).Line, strings.Join(ss, ""))
				return false
			}
		}
		return true
	})
	return f, fset
}

// constStrings folds a string literal, or a + chain of them; in a chain
// with parts that are not constant, the constant parts stand alone.
func constStrings(e ast.Expr) ([]string, bool) {
	switch e := e.(type) {
	case *ast.BasicLit:
		if e.Kind != token.STRING {
			return nil, false
		}
		s, err := strconv.Unquote(e.Value)
		return []string{s}, err == nil
	case *ast.BinaryExpr:
		if e.Op != token.ADD {
			return nil, false
		}
		a, ok1 := constStrings(e.X)
		b, ok2 := constStrings(e.Y)
		switch {
		case ok1 && ok2:
			return append(a, b...), true
		case ok1:
			return a, true
		case ok2:
			return b, true
		}
	case *ast.ParenExpr:
		return constStrings(e.X)
	}
	return nil, false
}

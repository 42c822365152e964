package cli

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/opsroom/opsroom/internal/demo"
	"github.com/opsroom/opsroom/internal/store"
)

// TestServeDemoLoadsOnce: --demo loads the scenario into an empty server
// and prints the logins; started again on the same data it loads nothing
// and prints them again.
func TestServeDemoLoadsOnce(t *testing.T) {
	ctx := context.Background()
	db, err := store.Open(ctx, store.Options{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	svc := NewServices(db)
	var first, again bytes.Buffer
	if err := loadDemo(ctx, &Env{Stdout: &first}, svc); err != nil {
		t.Fatal(err)
	}
	before := tableCounts(t, db)
	if err := loadDemo(ctx, &Env{Stdout: &again}, svc); err != nil {
		t.Fatal(err)
	}
	if after := tableCounts(t, db); after != before {
		t.Fatalf("the second start wrote: %s -> %s", before, after)
	}
	for _, out := range []string{first.String(), again.String()} {
		for _, l := range demo.Logins() {
			if !strings.Contains(out, l.Username) || !strings.Contains(out, "password "+demo.Password) {
				t.Fatalf("logins not printed:\n%s", out)
			}
		}
		if !strings.Contains(out, "ru.general     partner RU  director of damascus") {
			t.Fatalf("ru.general's role not printed:\n%s", out)
		}
	}
}

// TestImportScenarioFile: `opsroom import internal/demo/scenario.json`
// on an empty server gives what --demo gives, operations aside; a second
// import is refused naming the first member and writes nothing.
func TestImportScenarioFile(t *testing.T) {
	dir := t.TempDir()
	env := map[string]string{"OPSROOM_DATA": dir}
	file := filepath.Join("..", "demo", "scenario.json")
	code, out, errs := run(t, env, "import", file)
	if code != 0 || !strings.Contains(out, "imported ") {
		t.Fatalf("import: exit %d\n%s%s", code, out, errs)
	}
	code, out, errs = run(t, env, "import", file)
	if code != 1 || !strings.Contains(errs, `nothing was imported: members[0] (ru.general): username: "ru.general" is taken`) {
		t.Fatalf("second import: exit %d\n%s%s", code, out, errs)
	}

	ctx := context.Background()
	imported, err := store.Open(ctx, store.Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer imported.Close()
	served, err := store.Open(ctx, store.Options{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer served.Close()
	if err := loadDemo(ctx, &Env{Stdout: &bytes.Buffer{}}, NewServices(served)); err != nil {
		t.Fatal(err)
	}
	for _, l := range demo.Logins() {
		a, b := sections(t, NewServices(imported), l.Username), sections(t, NewServices(served), l.Username)
		if a != b {
			t.Errorf("%s sees after import %s, after --demo %s", l.Username, a, b)
		}
	}
}

// sections counts the records of each section of what username may see.
func sections(t *testing.T, s *Services, username string) string {
	t.Helper()
	ctx := context.Background()
	p, err := s.Members.AsMember(ctx, username, "test")
	if err != nil {
		t.Fatal(err)
	}
	d, err := s.Exchanger().Export(ctx, p, nil)
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Sprint(len(d.Partners), len(d.Members), len(d.Rooms), len(d.Places), len(d.Sites), len(d.Sources),
		len(d.Reports), len(d.Provenance), len(d.Events), len(d.Claims))
}

func tableCounts(t *testing.T, db *store.DB) string {
	t.Helper()
	var parts []string
	for _, table := range []string{"partners", "members", "rooms", "items", "audit"} {
		var n int
		if err := db.QueryRow(context.Background(), `SELECT COUNT(*) FROM `+table).Scan(&n); err != nil {
			t.Fatal(err)
		}
		parts = append(parts, fmt.Sprintf("%s=%d", table, n))
	}
	return strings.Join(parts, " ")
}

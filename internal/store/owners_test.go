package store_test

import (
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/opsroom/opsroom/internal/store/storetest"
)

// tableOwners names, for every table the migrations create, the one
// package whose SQL may name it. Everyone else reads and writes it through
// that package's exported functions. Listed by hand, with the reason where
// the owner is not the migration's name, so that a new table fails the
// test below until someone says whose it is.
var tableOwners = map[string]string{
	// 0001_base: the policy's world.
	"partners":      "room", // partners are created and listed with the rooms they share
	"rooms":         "room",
	"room_partners": "room",
	"room_members":  "room",
	"members":       "account", // accounts: members, their tokens and sessions
	"tokens":        "account",
	"sessions":      "account",
	// Items of every kind and their markings: only the read layer and the
	// write helpers name them (see internal/item/readlayer_test.go).
	"items":              "item",
	"item_releasability": "item",
	"item_recipients":    "item",
	"audit":              "audit",
	"audit_head":         "audit",

	// 0002_picture.
	"sites":                 "picture",
	"events":                "picture",
	"event_links":           "picture",
	"areas":                 "picture",
	"places":                "picture",
	"picture_shapes":        "picture",
	"picture_rtree":         "picture",
	"tracks":                "picture",
	"track_positions":       "picture",
	"track_positions_rtree": "picture",

	// 0003_intel, 0008, 0009.
	"sources":         "intel",
	"source_grades":   "intel",
	"reports":         "intel",
	"report_fts":      "intel",
	"report_versions": "intel",
	"report_links":    "intel",
	"claims":          "intel",
	"claim_reports":   "intel",

	// 0004_ops.
	"operations":          "ops",
	"operation_decisions": "ops",
	"ops_history":         "ops",
	"movements":           "ops",
	"site_notices":        "ops",
	"ops_footprints":      "ops",
	"ops_footprint_rtree": "ops",
	"conflicts":           "ops",
	"log_entries":         "ops",
	"log_entry_about":     "ops",
	"rfis":                "ops",
	"rfi_answers":         "ops",

	// 0006_tak.
	"tak_uids": "tak",

	// 0011_live_changes: the durable log of published changes.
	"live_changes": "live",
	"live_floor":   "live",
}

// directory is the who's who: partners, their members, the rooms and who
// is in them. Every package may read it (FROM, JOIN) to name the room,
// partner or member of its own rows and to check a membership, as
// item.Joins does for every kind; only its owner writes it.
var directory = map[string]bool{"partners": true, "members": true, "rooms": true, "room_members": true}

// allowed are the few places where a package names another's table for a
// reason of its own, each with the reason: package -> table -> why.
var allowed = map[string]map[string]string{
	"access": {
		// policy.go: the need-to-know predicate is the policy written in
		// SQL, beside its Go form; it is run only by item's read layer.
		"room_members":       "the need-to-know predicate",
		"item_releasability": "the need-to-know predicate",
		"item_recipients":    "the need-to-know predicate",
	},
}

var createsTable = regexp.MustCompile(`(?i)CREATE\s+(?:VIRTUAL\s+|UNLOGGED\s+)?TABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?([a-z_][a-z0-9_]*)`)

// TestEveryTableHasAnOwner: the list above names every table the
// migrations create, on both engines, and nothing else.
func TestEveryTableHasAnOwner(t *testing.T) {
	created := map[string]bool{}
	for _, engine := range []string{"sqlite", "postgres"} {
		files, err := filepath.Glob(filepath.Join("migrations", engine, "*.sql"))
		if err != nil || len(files) == 0 {
			t.Fatalf("no migrations for %s: %v", engine, err)
		}
		for _, f := range files {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			for _, m := range createsTable.FindAllStringSubmatch(string(b), -1) {
				created[m[1]] = true
				if _, ok := tableOwners[m[1]]; !ok {
					t.Errorf("%s creates table %s, which has no owner in tableOwners", f, m[1])
				}
			}
		}
	}
	for name := range tableOwners {
		if !created[name] {
			t.Errorf("tableOwners names %s, which no migration creates", name)
		}
	}
}

// TestNoPackageNamesAnotherPackagesTables scans the repository's non-test
// Go source: the SQL in a package's string constants names only its own
// tables. A package that needs another's rows calls that package's
// exported functions, so that the owner keeps its query shapes, indexes
// and need-to-know rules in one place.
func TestNoPackageNamesAnotherPackagesTables(t *testing.T) {
	storetest.GoSources(t, "../..", func(rel, path string) {
		pkg := packageOf(rel)
		for _, f := range tablesNamed(t, path) {
			owner := tableOwners[f.table]
			switch {
			case owner == pkg, allowed[pkg][f.table] != "":
			case directory[f.table] && !f.write:
			case directory[f.table]:
				t.Errorf("%s:%d: package %s writes table %s, which only package %s writes (call its exported functions): %s", rel, f.line, pkg, f.table, owner, f.text)
			default:
				t.Errorf("%s:%d: package %s names table %s, which belongs to package %s (call its exported functions): %s", rel, f.line, pkg, f.table, owner, f.text)
			}
		}
	})
}

// packageOf is the package a file belongs to for ownership: the folder
// under internal/ (a sub-folder counts as its parent, e.g. a package's
// testutil), or cmd.
func packageOf(rel string) string {
	parts := strings.Split(rel, "/")
	if parts[0] == "internal" && len(parts) > 2 {
		return parts[1]
	}
	return parts[0]
}

type tableUse struct {
	line  int
	table string
	write bool // INSERT INTO, UPDATE, DELETE FROM, CREATE/ALTER/DROP TABLE
	text  string
}

// tableNames is every table of tableOwners, longest first so that
// track_positions_rtree is not read as track_positions.
func tableNames() string {
	names := make([]string, 0, len(tableOwners))
	for n := range tableOwners {
		names = append(names, n)
	}
	sort.Slice(names, func(i, j int) bool {
		return len(names[i]) > len(names[j]) || len(names[i]) == len(names[j]) && names[i] < names[j]
	})
	return strings.Join(names, "|")
}

// namesTable matches SQL naming a table: after FROM, JOIN, INTO, UPDATE
// or TABLE (upper case, as all of opsroom's SQL is written, so that a
// sentence "from sources" is not taken for SQL), or as a further table of
// a comma join (", sites s WHERE", not a column list's ", places,"). The read
// layer's token {items i} is not a table name here: it is the item
// package's SQL, expanded there.
var namesTable = regexp.MustCompile(`\b(DELETE\s+FROM|FROM|JOIN|INTO|UPDATE|TABLE)\s+(` + tableNames() + `)\b|,\s*(` + tableNames() + `)\s+[a-z]\w*\s*(?:,|\)|$|\b(?:WHERE|ON|JOIN|CROSS|LEFT|INNER|ORDER|GROUP|LIMIT)\b)`)

// tablesNamed returns the tables named by the SQL in a Go file's string
// constants (adjacent literals joined with + taken as one).
func tablesNamed(t *testing.T, path string) []tableUse {
	t.Helper()
	var out []tableUse
	storetest.GoConstants(t, path, func(line int, s string) {
		for _, m := range namesTable.FindAllStringSubmatch(s, -1) {
			verb := strings.Join(strings.Fields(m[1]), " ")
			write := verb != "" && verb != "FROM" && verb != "JOIN"
			out = append(out, tableUse{line, m[2] + m[3], write, strings.Join(strings.Fields(s), " ")})
		}
	})
	return out
}

// TestScanFindsAnotherPackagesTable: the scan sees a table named in a
// constant split over a + chain, in a comma join and in a subquery, a
// write, and not a word in a sentence.
func TestScanFindsAnotherPackagesTable(t *testing.T) {
	path := filepath.Join(t.TempDir(), "leak.go")
	src := "package leak\n\n" +
		"const a = `SELECT s.item_id FROM ` +\n\t\"sites s WHERE s.protected\"\n" +
		"const b = `SELECT 1 FROM ops_footprints f, picture_rtree t WHERE f.rid = t.id`\n" +
		"const c = `x AND EXISTS (SELECT 1 FROM site_notices n WHERE n.status = 'active')`\n" +
		"var d = \"the report comes from sources we trust\"\n" +
		"const e = `DELETE FROM members WHERE id = ?`\n"
	if err := os.WriteFile(path, []byte(src), 0o600); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, u := range tablesNamed(t, path) {
		if u.write {
			u.table += "(write)"
		}
		got = append(got, u.table)
	}
	if want := "sites ops_footprints picture_rtree site_notices members(write)"; strings.Join(got, " ") != want {
		t.Fatalf("scan found %v, want %s", got, want)
	}
}

package ops

import (
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/opsroom/opsroom/internal/access"
)

func TestShorten(t *testing.T) {
	long := strings.Repeat("word ", 40)
	for _, tc := range []struct {
		in   string
		max  int
		want string
	}{
		{"short", 120, "short"},
		{long, 12, "word word…"},
		{strings.Repeat("x", 20), 10, strings.Repeat("x", 10) + "…"},
		{strings.Repeat("é", 10), 5, "éé…"},
	} {
		got := shorten(tc.in, tc.max)
		if got != tc.want || !utf8.ValidString(got) {
			t.Errorf("shorten(%.20q, %d) = %q, want %q", tc.in, tc.max, got, tc.want)
		}
	}
}

func TestMeet(t *testing.T) {
	amber := func(rel ...string) access.Marking { return access.Marking{TLP: access.Amber, ReleasableTo: rel} }
	red := func(rcp ...string) access.Marking { return access.Marking{TLP: access.Red, Recipients: rcp} }
	for _, tc := range []struct {
		name string
		in   []access.Marking
		want access.Marking
		ok   bool
	}{
		{"highest label", []access.Marking{{TLP: access.Green}, amber()}, amber(), true},
		{"one restricted", []access.Marking{{TLP: access.Clear}, amber("IR", "RU")}, amber("IR", "RU"), true},
		{"common partners", []access.Marking{amber("IR", "RU", "SY"), amber("SY", "IR")}, amber("IR", "SY"), true},
		{"no common partner", []access.Marking{amber("IR"), {TLP: access.Green}, amber("RU")}, access.Marking{}, false},
		{"common recipients", []access.Marking{red("a", "b"), amber("IR"), red("b", "c")}, access.Marking{TLP: access.Red, ReleasableTo: []string{"IR"}, Recipients: []string{"b"}}, true},
		{"no common recipient", []access.Marking{red("a"), red("b")}, access.Marking{}, false},
		{"unknown label", []access.Marking{{TLP: "PURPLE"}}, access.Marking{}, false},
		{"nothing", nil, access.Marking{}, false},
	} {
		got, ok := Meet(tc.in...)
		if ok != tc.ok || (ok && !reflect.DeepEqual(got, tc.want)) {
			t.Errorf("%s: Meet = %+v, %v; want %+v, %v", tc.name, got, ok, tc.want, tc.ok)
		}
	}
}

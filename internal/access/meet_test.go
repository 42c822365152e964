package access

import (
	"reflect"
	"testing"
)

func TestMeet(t *testing.T) {
	amber := func(rel ...string) Marking { return Marking{TLP: Amber, ReleasableTo: rel} }
	red := func(rcp ...string) Marking { return Marking{TLP: Red, Recipients: rcp} }
	for _, tc := range []struct {
		name string
		in   []Marking
		want Marking
		ok   bool
	}{
		{"highest label", []Marking{{TLP: Green}, amber()}, amber(), true},
		{"one restricted", []Marking{{TLP: Clear}, amber("IR", "RU")}, amber("IR", "RU"), true},
		{"common partners", []Marking{amber("IR", "RU", "SY"), amber("SY", "IR")}, amber("IR", "SY"), true},
		{"no common partner", []Marking{amber("IR"), {TLP: Green}, amber("RU")}, Marking{}, false},
		{"common recipients", []Marking{red("a", "b"), amber("IR"), red("b", "c")}, Marking{TLP: Red, ReleasableTo: []string{"IR"}, Recipients: []string{"b"}}, true},
		{"no common recipient", []Marking{red("a"), red("b")}, Marking{}, false},
		{"unknown label", []Marking{{TLP: "PURPLE"}}, Marking{}, false},
		{"nothing", nil, Marking{}, false},
	} {
		got, ok := Meet(tc.in...)
		if ok != tc.ok || (ok && !reflect.DeepEqual(got, tc.want)) {
			t.Errorf("%s: Meet = %+v, %v; want %+v, %v", tc.name, got, ok, tc.want, tc.ok)
		}
	}
}

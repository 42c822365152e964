package intel

import (
	"fmt"
	"reflect"
	"testing"
)

func TestCorroborateCases(t *testing.T) {
	tests := []struct {
		name       string
		sources    map[string]string
		links      []Link
		supporting []string
		want       []Origin
	}{
		{
			name:    "nothing supports",
			sources: map[string]string{"a": "S"},
			want:    []Origin{},
		},
		{
			name:       "one original",
			sources:    map[string]string{"a": "S"},
			supporting: []string{"a"},
			want:       []Origin{{"S", []string{"a"}, []string{}}},
		},
		{
			name:       "two originals from one source count once",
			sources:    map[string]string{"a": "S", "b": "S"},
			supporting: []string{"a", "b"},
			want:       []Origin{{"S", []string{"a", "b"}, []string{}}},
		},
		{
			name:       "root that does not itself support is still the origin",
			sources:    map[string]string{"r2": "alrai", "r3": "now"},
			links:      []Link{{"r3", Repeats, "r2"}},
			supporting: []string{"r3"},
			want:       []Origin{{"alrai", []string{"r2"}, []string{"r3"}}},
		},
		{
			name:       "an echo with several parents and no supporting ancestor rests on all of them",
			sources:    map[string]string{"r1": "alakhbar", "r2": "alrai", "r3": "now"},
			links:      []Link{{"r3", Repeats, "r2"}, {"r3", Repeats, "r1"}},
			supporting: []string{"r3"},
			want: []Origin{
				{"alakhbar", []string{"r1"}, []string{"r3"}},
				{"alrai", []string{"r2"}, []string{"r3"}},
			},
		},
		{
			name:       "an echo of a supporting report is not credited to its other parents",
			sources:    map[string]string{"r1": "alakhbar", "r2": "alrai", "r3": "now"},
			links:      []Link{{"r3", Repeats, "r2"}, {"r3", Repeats, "r1"}},
			supporting: []string{"r2", "r3"},
			want:       []Origin{{"alrai", []string{"r2"}, []string{"r3"}}},
		},
		{
			name:       "diamond",
			sources:    map[string]string{"a": "S", "b": "T", "c": "U", "d": "V"},
			links:      []Link{{"b", Repeats, "a"}, {"c", Cites, "a"}, {"d", Repeats, "b"}, {"d", Repeats, "c"}},
			supporting: []string{"d", "b", "c"},
			want:       []Origin{{"S", []string{"a"}, []string{"b", "c", "d"}}},
		},
		{
			name:       "two roots of one source behind a diamond",
			sources:    map[string]string{"a1": "S", "a2": "S", "d": "V"},
			links:      []Link{{"d", Repeats, "a1"}, {"d", Repeats, "a2"}},
			supporting: []string{"d"},
			want:       []Origin{{"S", []string{"a1", "a2"}, []string{"d"}}},
		},
		{
			name:       "hidden parent: the echo counts as its own root",
			sources:    map[string]string{"r3": "now"},
			links:      []Link{{"r3", Repeats, "r2"}},
			supporting: []string{"r3", "r2"},
			want:       []Origin{{"now", []string{"r3"}, []string{}}},
		},
		{
			name:       "hidden middle of a chain cuts it",
			sources:    map[string]string{"a": "S", "c": "U"},
			links:      []Link{{"c", Repeats, "b"}, {"b", Repeats, "a"}},
			supporting: []string{"a", "c"},
			want:       []Origin{{"S", []string{"a"}, []string{}}, {"U", []string{"c"}, []string{}}},
		},
		{
			name:       "self-link and duplicate links are harmless",
			sources:    map[string]string{"a": "S", "b": "T"},
			links:      []Link{{"a", Repeats, "a"}, {"b", Repeats, "a"}, {"b", Cites, "a"}},
			supporting: []string{"b", "b"},
			want:       []Origin{{"S", []string{"a"}, []string{"b"}}},
		},
		{
			name:       "a cycle that slipped through still terminates",
			sources:    map[string]string{"a": "S", "b": "T", "c": "U"},
			links:      []Link{{"a", Repeats, "b"}, {"b", Repeats, "c"}, {"c", Repeats, "a"}},
			supporting: []string{"a"},
			// Walking from a: a -> b -> c, and c -> a closes the cycle and
			// is dropped, so c is the root.
			want: []Origin{{"U", []string{"c"}, []string{"a"}}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Corroborate(tt.sources, tt.links, tt.supporting)
			if got.Independent != len(tt.want) || !reflect.DeepEqual(got.Origins, tt.want) {
				t.Errorf("Corroborate = %d %+v\nwant %d %+v", got.Independent, got.Origins, len(tt.want), tt.want)
			}
		})
	}
}

func TestCorroborateLongChain(t *testing.T) {
	const n = 200_000
	sources := make(map[string]string, n)
	var links []Link
	for i := range n {
		id := fmt.Sprintf("r%06d", i)
		sources[id] = fmt.Sprintf("s%d", i%7)
		if i > 0 {
			links = append(links, Link{id, Repeats, fmt.Sprintf("r%06d", i-1)})
		}
	}
	got := Corroborate(sources, links, []string{fmt.Sprintf("r%06d", n-1)})
	if got.Independent != 1 || got.Origins[0].Roots[0] != "r000000" {
		t.Errorf("long chain: %d origins %+v", got.Independent, got.Origins)
	}
}

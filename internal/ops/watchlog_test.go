package ops

import (
	"strings"
	"testing"
	"unicode/utf8"
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

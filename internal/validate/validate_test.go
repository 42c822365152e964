package validate

import "testing"

func TestTextAndLine(t *testing.T) {
	for _, c := range []struct {
		v          string
		text, line bool // accepted by Text, by Line
	}{
		{"Damascus joint operations room", true, true},
		{"حمص — Ḩamāh", true, true},
		{"two\nlines\tand a tab\r\n", true, false},
		{"nul\x00", false, false},
		{"bell\a", false, false},
		{"esc\x1b[31m", false, false},
		{"del\x7f", false, false},
		{"c1\u0085", false, false},
		{"lre\u202a", false, false},
		{"rlo\u202e", false, false},
		{"lri\u2066", false, false},
		{"pdi\u2069", false, false},
		{"lrm\u200e is a mark, not an override", true, true},
		{"bad \xff", false, false},
		{"   ", false, false}, // required
	} {
		var te, le Errors
		te.Text("f", c.v, true, 100)
		le.Line("f", c.v, true, 100)
		if (te == nil) != c.text || (le == nil) != c.line {
			t.Errorf("%q: Text %v, Line %v; want accepted %v, %v", c.v, te, le, c.text, c.line)
		}
	}
}

package access

import "testing"

func FuzzParseLabel(f *testing.F) {
	for _, s := range []string{"TLP:AMBER+STRICT", "amber", "WHITE", "tlp:red", " GREEN ", "", "TLP:"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		l, ok := ParseLabel(s)
		if ok != (l.Rank() >= 0) {
			t.Fatalf("ParseLabel(%q) = %q, %v", s, l, ok)
		}
		if ok {
			if again, ok2 := ParseLabel(string(l)); !ok2 || again != l {
				t.Fatalf("label %q does not parse back", l)
			}
		}
	})
}

package gazetteer

import (
	"slices"
	"testing"
	"unicode/utf8"
)

// FuzzLookup checks that folding and lookup take any input without
// panicking, that folding is deterministic and yields valid UTF-8, and that
// the ranking is stable and ordered.
func FuzzLookup(f *testing.F) {
	for _, s := range []string{"Hama", "Al-Rastan", "ar-Rastan", "Salamiyeh", "حمص", "الرستن", "Ḩimş",
		"Arrastan", "ash-shsh", "aaaaaa", "ال", "  ", "\xff\xfe", "iah", "eh", "Tripoli", "Ma‘arrat an Nu‘mān"} {
		f.Add(s)
	}
	if err := Default().Warm(); err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, q string) {
		k := Fold(q)
		if !utf8.ValidString(k) && utf8.ValidString(q) {
			t.Fatalf("Fold(%q) = %q: invalid UTF-8", q, k)
		}
		if Fold(q) != k {
			t.Fatalf("Fold(%q) not deterministic", q)
		}
		extra := []Place{{ID: "x", Name: q, Lat: 1, Lon: 2}}
		a := LookupWith(q, extra, 7)
		b := LookupWith(q, extra, 7)
		if !slices.Equal(a, b) {
			t.Fatalf("%q: ranking not stable:\n%+v\n%+v", q, a, b)
		}
		if len(a) > 7 {
			t.Fatalf("%q: %d matches over limit", q, len(a))
		}
		// A room place named exactly as the query is always found, and
		// nothing outranks it.
		if k != "" && (len(a) == 0 || a[0].Score < scoreExactMain) {
			t.Fatalf("%q: room place with the same name not first: %+v", q, a)
		}
		checkOrder(t, q, a)
	})
}

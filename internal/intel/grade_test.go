package intel

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

func TestParseGrade(t *testing.T) {
	tests := []struct {
		in   string
		want Grade
		ok   bool
	}{
		{"B2", Grade{ReliabilityB, Credibility2}, true},
		{"b2", Grade{ReliabilityB, Credibility2}, true},
		{" F6 ", Grade{ReliabilityF, Credibility6}, true},
		{"A1", Grade{ReliabilityA, Credibility1}, true},
		{"G1", Grade{}, false},
		{"A0", Grade{}, false},
		{"A7", Grade{}, false},
		{"2B", Grade{}, false},
		{"B", Grade{}, false},
		{"B22", Grade{}, false},
		{"", Grade{}, false},
	}
	for _, tt := range tests {
		got, err := ParseGrade(tt.in)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("ParseGrade(%q) = %v, %v; want %v ok=%v", tt.in, got, err, tt.want, tt.ok)
		}
		if err != nil && !errors.Is(err, ErrInvalidGrade) {
			t.Errorf("ParseGrade(%q) error %v does not wrap ErrInvalidGrade", tt.in, err)
		}
	}
}

func TestParseParts(t *testing.T) {
	if r, err := ParseReliability("b"); err != nil || r != ReliabilityB {
		t.Errorf(`ParseReliability("b") = %v, %v`, r, err)
	}
	if c, err := ParseCredibility("2"); err != nil || c != Credibility2 {
		t.Errorf(`ParseCredibility("2") = %v, %v`, c, err)
	}
	for _, bad := range []string{"", "G", "1", "AB", "@", "\xc1"} {
		if _, err := ParseReliability(bad); err == nil || !strings.Contains(err.Error(), "A, B, C, D, E, F") {
			t.Errorf("ParseReliability(%q) error %v should name the allowed values", bad, err)
		}
	}
	for _, bad := range []string{"", "0", "7", "A", "12"} {
		if _, err := ParseCredibility(bad); err == nil || !strings.Contains(err.Error(), "1, 2, 3, 4, 5, 6") {
			t.Errorf("ParseCredibility(%q) error %v should name the allowed values", bad, err)
		}
	}
}

func TestGradeStringsAndDescriptions(t *testing.T) {
	g := Grade{ReliabilityB, Credibility2}
	if g.String() != "B2" {
		t.Errorf("String = %q", g.String())
	}
	if got := g.Description(); got != "usually reliable, probably true" {
		t.Errorf("Description = %q", got)
	}
	want := map[Reliability]string{
		ReliabilityA: "completely reliable", ReliabilityE: "unreliable", ReliabilityF: "reliability cannot be judged",
	}
	for r, d := range want {
		if r.Description() != d {
			t.Errorf("%v.Description() = %q, want %q", r, r.Description(), d)
		}
	}
	if Credibility1.Description() != "confirmed by other sources" || Credibility5.Description() != "improbable" || Credibility6.Description() != "truth cannot be judged" {
		t.Error("credibility descriptions")
	}
	if Reliability(9).String() != "Reliability(9)" || Reliability(9).Description() != "" || Reliability(0).String() != "" {
		t.Error("invalid reliability should print visibly")
	}
	if err := (Grade{}).Validate(); err == nil || !strings.Contains(err.Error(), "reliability is required") || !strings.Contains(err.Error(), "credibility is required") {
		t.Errorf("zero Grade.Validate() = %v; want both parts named", err)
	}
}

func TestGradeJSON(t *testing.T) {
	type doc struct {
		G Grade       `json:"g"`
		R Reliability `json:"r"`
		C Credibility `json:"c"`
	}
	in := doc{Grade{ReliabilityC, Credibility3}, ReliabilityE, Credibility5}
	b, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	if string(b) != `{"g":"C3","r":"E","c":5}` {
		t.Errorf("Marshal = %s", b)
	}
	var out doc
	if err := json.Unmarshal(b, &out); err != nil || out != in {
		t.Errorf("round trip = %+v, %v", out, err)
	}
	if err := json.Unmarshal([]byte(`{"g":"c3","r":"e","c":"5"}`), &out); err != nil || out != in {
		t.Errorf("lenient forms = %+v, %v", out, err)
	}
	b, _ = json.Marshal(doc{})
	if string(b) != `{"g":null,"r":null,"c":null}` {
		t.Errorf("zero Marshal = %s", b)
	}
	if err := json.Unmarshal(b, &out); err != nil || out != (doc{}) {
		t.Errorf("null round trip = %+v, %v", out, err)
	}
	for _, bad := range []string{`{"g":"Z9"}`, `{"r":"G"}`, `{"c":7}`, `{"c":"x"}`, `{"r":3}`, `{"g":12}`} {
		if err := json.Unmarshal([]byte(bad), &out); err == nil || !errors.Is(err, ErrInvalidGrade) {
			t.Errorf("Unmarshal(%s) = %v; want ErrInvalidGrade", bad, err)
		}
	}
	if _, err := json.Marshal(Reliability(7)); err == nil {
		t.Error("Marshal of an out-of-range grade should fail")
	}
	if _, err := json.Marshal(Grade{Reliability: ReliabilityA}); err == nil {
		t.Error("Marshal of a half grade should fail")
	}
}

// FuzzParseGrade checks that the parser never panics, accepts exactly a
// letter A-F and a digit 1-6 (after trimming) and round-trips.
func FuzzParseGrade(f *testing.F) {
	for _, s := range []string{"B2", "b2", " a1", "F6", "G7", "", "\x00", "é1", "A１"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		g, err := ParseGrade(s)
		trimmed := strings.TrimSpace(s)
		valid := len(trimmed) == 2 && strings.ContainsRune("ABCDEFabcdef", rune(trimmed[0])) && trimmed[1] >= '1' && trimmed[1] <= '6'
		if valid != (err == nil) {
			t.Fatalf("ParseGrade(%q) = %v, %v; valid=%v", s, g, err, valid)
		}
		if err != nil {
			if !errors.Is(err, ErrInvalidGrade) {
				t.Fatalf("error %v does not wrap ErrInvalidGrade", err)
			}
			return
		}
		if g.Validate() != nil || !strings.EqualFold(g.String(), trimmed) {
			t.Fatalf("ParseGrade(%q) = %v, not a valid round trip", s, g)
		}
		again, err := ParseGrade(g.String())
		if err != nil || again != g {
			t.Fatalf("reparse of %q = %v, %v", g.String(), again, err)
		}
		r, rerr := ParseReliability(s)
		if (rerr == nil) != (len(trimmed) == 1 && strings.ContainsRune("ABCDEFabcdef", rune(trimmed[0]))) {
			t.Fatalf("ParseReliability(%q) = %v, %v", s, r, rerr)
		}
	})
}

func TestSourceKind(t *testing.T) {
	for _, k := range SourceKinds {
		if err := k.Validate(); err != nil {
			t.Errorf("%s: %v", k, err)
		}
	}
	if k, err := ParseSourceKind(" Party_On_Ground "); err != nil || k != KindPartyOnGround {
		t.Errorf("ParseSourceKind = %v, %v", k, err)
	}
	err := SourceKind("newspaper").Validate()
	if !errors.Is(err, ErrInvalidSourceKind) || !strings.Contains(err.Error(), "partner-collection, outlet, unnamed-via-outlet, official-statement, social-media, government, party-on-ground, other") {
		t.Errorf("error %v should name every allowed value", err)
	}
	var v struct{ K SourceKind }
	if err := json.Unmarshal([]byte(`{"K":"blog"}`), &v); !errors.Is(err, ErrInvalidSourceKind) {
		t.Errorf("decoding a bad kind = %v", err)
	}
}

func TestSourceValidate(t *testing.T) {
	ok := Source{ID: "alrai-unnamed", Name: "Al-Rai's unnamed source", Kind: KindUnnamedViaOutlet, Reliability: ReliabilityF, CitedBy: "alrai"}
	if err := ok.Validate(); err != nil {
		t.Errorf("valid source: %v", err)
	}
	bad := ok
	bad.CitedBy = ""
	if err := bad.Validate(); err == nil || !strings.Contains(err.Error(), "cited_by is required") {
		t.Errorf("unnamed source without outlet: %v", err)
	}
	bad = Source{Kind: KindOutlet, CitedBy: "x"}
	err := bad.Validate()
	for _, want := range []string{"id is required", "name is required", "reliability is required", "cited_by is only"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Validate() = %v; want it to mention %q", err, want)
		}
	}
	r := Report{ID: "r1", Source: "alakhbar", Text: "alliance formed", Credibility: Credibility3}
	if err := r.Validate(); err != nil {
		t.Errorf("valid report: %v", err)
	}
	if g := r.Grade(Source{Reliability: ReliabilityC}); g.String() != "C3" {
		t.Errorf("Report.Grade = %v", g)
	}
	if err := (Report{}).Validate(); err == nil {
		t.Error("empty report should not validate")
	}
}

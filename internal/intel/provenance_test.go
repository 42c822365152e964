package intel

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
)

func TestCheckLinkRefusesCycles(t *testing.T) {
	existing := []Link{
		{"r3", Cites, "r1"},
		{"r3", Repeats, "r2"},
		{"r2", Repeats, "r4"},
		{"r4", Cites, "r5"},
	}
	tests := []struct {
		name     string
		proposed Link
		want     string // "" means accepted
	}{
		{"self link", Link{"r1", Repeats, "r1"}, "provenance cycle: r1 repeats r1"},
		{"two-step cycle", Link{"r1", Repeats, "r3"}, "provenance cycle: r1 repeats r3 which cites r1"},
		{"long cycle", Link{"r5", Cites, "r3"}, "provenance cycle: r5 cites r3 which repeats r2 which repeats r4 which cites r5"},
		{"parallel link is no cycle", Link{"r3", Cites, "r4"}, ""},
		{"new root", Link{"r1", Repeats, "r9"}, ""},
		{"diamond is no cycle", Link{"r2", Cites, "r5"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := CheckLink(existing, tt.proposed)
			if tt.want == "" {
				if err != nil {
					t.Fatalf("CheckLink = %v, want nil", err)
				}
				return
			}
			if err == nil || err.Error() != tt.want {
				t.Fatalf("CheckLink = %v, want %q", err, tt.want)
			}
			var ce *CycleError
			if !errors.Is(err, ErrCycle) || !errors.As(err, &ce) {
				t.Fatalf("error %T does not match ErrCycle / *CycleError", err)
			}
			if ce.Path[0] != tt.proposed {
				t.Errorf("path should start with the proposed link: %v", ce.Path)
			}
		})
	}
}

func TestCheckLinkValidates(t *testing.T) {
	for _, l := range []Link{{"", Repeats, "r1"}, {"r1", "", "r2"}, {"r1", "quotes", "r2"}, {"r1", Cites, ""}} {
		err := CheckLink(nil, l)
		if !errors.Is(err, ErrInvalidLink) {
			t.Errorf("CheckLink(%v) = %v, want ErrInvalidLink", l, err)
		}
	}
	if err := Cites.Validate(); err != nil {
		t.Error(err)
	}
	if err := LinkKind("quotes").Validate(); err == nil || !strings.Contains(err.Error(), "repeats, cites") {
		t.Errorf("kind error should name allowed values: %v", err)
	}
}

func TestCycleErrorRedacted(t *testing.T) {
	proposed := Link{"r1", Repeats, "r3"}
	closes := "provenance cycle: r1 repeats r3 would close a cycle, because r3 already derives from r1 through reports of this room"
	refusal := func(links []Link, visible func(string) bool) string {
		t.Helper()
		var ce *CycleError
		if err := CheckLink(links, proposed); !errors.As(err, &ce) {
			t.Fatalf("want a cycle, got %v", err)
		}
		return ce.Redacted(visible)
	}
	notH := func(id string) bool { return !strings.HasPrefix(id, "h") }
	one := refusal([]Link{{"h1", Cites, "r1"}, {"r3", Repeats, "h1"}}, notH)
	three := refusal([]Link{{"h1", Cites, "r1"}, {"h2", Repeats, "h1"}, {"h3", Cites, "h2"}, {"r3", Repeats, "h3"}}, notH)
	if one != closes || three != closes {
		t.Errorf("Redacted with 1 hidden = %q, with 3 = %q; want both %q", one, three, closes)
	}
	for _, got := range []string{one, three} {
		if strings.Contains(got, "h1") || strings.Contains(got, "h2") || strings.Contains(got, "h3") || strings.Contains(got, "cannot see") {
			t.Errorf("hidden report leaked: %q", got)
		}
	}
	// Every report visible: the path is named.
	all := func(string) bool { return true }
	if got, want := refusal([]Link{{"r2", Cites, "r1"}, {"r3", Repeats, "r2"}}, all), "provenance cycle: r1 repeats r3 which repeats r2 which cites r1"; got != want {
		t.Errorf("Redacted = %q, want %q", got, want)
	}
}

// TestCheckLinkRandom checks, on random graphs built only through CheckLink,
// that a link is refused exactly when its target can already reach its
// report (brute-force reachability), and that every refused link's path is
// a real cycle of existing links.
func TestCheckLinkRandom(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for round := range 300 {
		n := 2 + rng.IntN(10)
		var links []Link
		for range 3 * n {
			l := Link{fmt.Sprintf("r%d", rng.IntN(n)), []LinkKind{Repeats, Cites}[rng.IntN(2)], fmt.Sprintf("r%d", rng.IntN(n))}
			err := CheckLink(links, l)
			wantCycle := l.Report == l.Target || reaches(links, l.Target, l.Report)
			if wantCycle != (err != nil) {
				t.Fatalf("round %d: CheckLink(%v) = %v, brute force cycle=%v; links %v", round, l, err, wantCycle, links)
			}
			if err == nil {
				links = append(links, l)
				continue
			}
			var ce *CycleError
			if !errors.As(err, &ce) {
				t.Fatalf("not a CycleError: %v", err)
			}
			p := ce.Path
			if p[0] != l || p[len(p)-1].Target != l.Report {
				t.Fatalf("path %v is not a cycle through %v", p, l)
			}
			for i := 1; i < len(p); i++ {
				if p[i].Report != p[i-1].Target || !containsLink(links, p[i]) {
					t.Fatalf("path %v step %d is not an existing link", p, i)
				}
			}
		}
	}
}

func reaches(links []Link, from, to string) bool {
	seen := map[string]bool{from: true}
	stack := []string{from}
	for len(stack) > 0 {
		cur := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if cur == to {
			return true
		}
		for _, l := range links {
			if l.Report == cur && !seen[l.Target] {
				seen[l.Target] = true
				stack = append(stack, l.Target)
			}
		}
	}
	return false
}

func containsLink(links []Link, l Link) bool {
	for _, x := range links {
		if x == l {
			return true
		}
	}
	return false
}

package intel

import (
	"errors"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
)

func claimIDs(cs []Claim) []string {
	out := []string{}
	for _, c := range cs {
		out = append(out, c.ID)
	}
	return out
}

// The air campaign's first day: RU MoD says its strikes hit IS; rebels,
// the US and France say RU did not strike IS.
func TestSideBySideAirCampaign(t *testing.T) {
	const p = "RU strikes on 2015-09-30 hit IS targets"
	claims := []Claim{
		{ID: "c1", Event: "e-campaign", Actor: "RU MoD", Proposition: p, Stance: Asserts, Statement: "hit 8 IS targets"},
		{ID: "c2", Event: "e-campaign", Actor: "rebel groups", Proposition: p, Stance: Denies, Statement: "RU did not strike IS"},
		{ID: "c3", Event: "e-campaign", Actor: "US", Proposition: p, Stance: Denies},
		{ID: "c4", Event: "e-campaign", Actor: "France", Proposition: p, Stance: Denies},
	}
	got, err := SideBySide(claims, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !got.Contested || got.Event != "e-campaign" || len(got.Questions) != 1 {
		t.Fatalf("got %+v", got)
	}
	q := got.Questions[0]
	if !q.Contested || !reflect.DeepEqual(claimIDs(q.Asserting), []string{"c1"}) || !reflect.DeepEqual(claimIDs(q.Denying), []string{"c4", "c3", "c2"}) {
		t.Errorf("sides: asserting %v denying %v (want denying sorted by actor: France, US, rebel groups)", claimIDs(q.Asserting), claimIDs(q.Denying))
	}

	// A viewer who sees only RU MoD's claim sees no contest: telling them
	// otherwise would reveal that a hidden claim exists.
	only, err := SideBySide(claims[:1], nil)
	if err != nil || only.Contested {
		t.Errorf("one side only: %+v, %v", only, err)
	}
}

// Syrian state TV said the strikes hit IS in Rastan, Talbiseh and near
// Salamiyah. Others said IS is not present in Rastan or Talbiseh, but that
// it does hold lines near Salamiyah, which supports Syrian TV there.
func TestSideBySideSyrianTV(t *testing.T) {
	const (
		rastan    = "IS present at Rastan"
		talbiseh  = "IS present at Talbiseh"
		salamiyah = "IS present near Salamiyah"
	)
	claims := []Claim{
		{ID: "tv-r", Event: "e-tv", Actor: "Syrian state TV", Proposition: rastan, Stance: Asserts, Statement: "IS targets in Rastan"},
		{ID: "tv-t", Event: "e-tv", Actor: "Syrian state TV", Proposition: talbiseh, Stance: Asserts, Statement: "IS targets in Talbiseh"},
		{ID: "tv-s", Event: "e-tv", Actor: "Syrian state TV", Proposition: salamiyah, Stance: Asserts, Statement: "IS targets near Salamiyah"},
		{ID: "o-r", Event: "e-tv", Actor: "activists", Proposition: rastan, Stance: Denies, Statement: "IS not present in Rastan"},
		{ID: "o-t", Event: "e-tv", Actor: "activists", Proposition: talbiseh, Stance: Denies, Statement: "IS not present in Talbiseh"},
		{ID: "o-s", Event: "e-tv", Actor: "activists", Proposition: salamiyah, Stance: Asserts, Statement: "IS holds lines near Salamiyah"},
	}
	got, err := SideBySide(claims, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !got.Contested {
		t.Error("event should be contested")
	}
	want := map[string]struct {
		contested bool
		asserting []string
		denying   []string
	}{
		rastan:    {true, []string{"tv-r"}, []string{"o-r"}},
		talbiseh:  {true, []string{"tv-t"}, []string{"o-t"}},
		salamiyah: {false, []string{"tv-s", "o-s"}, []string{}},
	}
	if len(got.Questions) != 3 {
		t.Fatalf("questions: %+v", got.Questions)
	}
	for _, q := range got.Questions {
		w := want[q.Proposition]
		// Within a side: by actor, so "Syrian state TV" after "activists".
		if w.contested != q.Contested || !reflect.DeepEqual(claimIDs(q.Asserting), sortedByActor(w.asserting, claims)) || !reflect.DeepEqual(claimIDs(q.Denying), w.denying) {
			t.Errorf("%s: contested=%v asserting %v denying %v", q.Proposition, q.Contested, claimIDs(q.Asserting), claimIDs(q.Denying))
		}
	}
}

func sortedByActor(ids []string, claims []Claim) []string {
	var cs []Claim
	for _, id := range ids {
		for _, c := range claims {
			if c.ID == id {
				cs = append(cs, c)
			}
		}
	}
	out := claimIDs(cs)
	// Two entries at most in these tests: order by actor.
	if len(cs) == 2 && cs[0].Actor > cs[1].Actor {
		out[0], out[1] = out[1], out[0]
	}
	return out
}

// Latamneh: activists say it is not an IS stronghold; RU MoD's claim is
// about IS targets in general. The propositions differ, so only a user's
// contradiction mark makes the event contested.
func TestSideBySideMarkedContradiction(t *testing.T) {
	claims := []Claim{
		{ID: "ru", Event: "e-latamneh", Actor: "RU MoD", Proposition: "the strikes hit IS targets", Stance: Asserts},
		{ID: "act", Event: "e-latamneh", Actor: "activists", Proposition: "Latamneh is an IS stronghold", Stance: Denies},
	}
	got, err := SideBySide(claims, nil)
	if err != nil || got.Contested {
		t.Fatalf("without a mark: %+v, %v", got, err)
	}
	marks := []Contradiction{
		{A: "ru", B: "act", Note: "Latamneh was among the targets"},
		{A: "act", B: "ru"},          // the same pair again
		{A: "ru", B: "hidden-claim"}, // names a claim the viewer cannot see
		{A: "ru", B: "ru"},           // invalid
	}
	got, err = SideBySide(claims, marks)
	if err != nil || !got.Contested {
		t.Fatalf("with a mark: %+v, %v", got, err)
	}
	if want := []Contradiction{{A: "act", B: "ru", Note: "Latamneh was among the targets"}}; !reflect.DeepEqual(got.Contradictions, want) {
		t.Errorf("contradictions = %+v, want %+v", got.Contradictions, want)
	}
	for _, q := range got.Questions {
		if q.Contested {
			t.Errorf("%s should not be contested by itself", q.Proposition)
		}
	}
}

func TestSideBySideErrors(t *testing.T) {
	ok := Claim{ID: "a", Event: "e", Actor: "x", Proposition: "p", Stance: Asserts}
	tests := []struct {
		name   string
		claims []Claim
		want   string
	}{
		{"mixed events", []Claim{ok, {ID: "b", Event: "f", Actor: "x", Proposition: "p", Stance: Denies}}, "events e and f"},
		{"duplicate id", []Claim{ok, ok}, "passed twice"},
		{"bad stance", []Claim{{ID: "b", Event: "e", Actor: "x", Proposition: "p", Stance: "maybe"}}, "want one of asserts, denies"},
		{"missing actor", []Claim{{ID: "b", Event: "e", Proposition: "p", Stance: Asserts}}, "actor is required"},
		{"report on both sides", []Claim{{ID: "b", Event: "e", Actor: "x", Proposition: "p", Stance: Asserts, Supporting: []string{"r1"}, Disputing: []string{"r1"}}}, "both supports and disputes"},
	}
	for _, tt := range tests {
		_, err := SideBySide(tt.claims, nil)
		if err == nil || !errors.Is(err, ErrInvalidClaim) || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: %v, want ErrInvalidClaim mentioning %q", tt.name, err, tt.want)
		}
	}
	empty, err := SideBySide(nil, nil)
	if err != nil || empty.Contested || empty.Questions == nil || empty.Contradictions == nil {
		t.Errorf("no claims: %+v, %v", empty, err)
	}
}

// TestSideBySideProperties: on random claim sets, the layout does not depend
// on input order, keeps every claim exactly once, and calls the event
// contested exactly when a proposition is both asserted and denied or a
// mark joins two of the claims.
func TestSideBySideProperties(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 9))
	props := []string{"p1", "p2", "p3"}
	actors := []string{"RU MoD", "US", "France", "rebels"}
	for round := range 2000 {
		var claims []Claim
		for i := range rng.IntN(8) {
			claims = append(claims, Claim{
				ID: string(rune('a' + i)), Event: "e", Actor: actors[rng.IntN(len(actors))],
				Proposition: props[rng.IntN(len(props))], Stance: []Stance{Asserts, Denies}[rng.IntN(2)],
			})
		}
		var marks []Contradiction
		for range rng.IntN(3) {
			marks = append(marks, Contradiction{A: string(rune('a' + rng.IntN(10))), B: string(rune('a' + rng.IntN(10)))})
		}
		got, err := SideBySide(claims, marks)
		if err != nil {
			t.Fatal(err)
		}
		shuffled := append([]Claim{}, claims...)
		rng.Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
		again, _ := SideBySide(shuffled, marks)
		if !reflect.DeepEqual(got, again) {
			t.Fatalf("round %d: order-dependent", round)
		}
		count := 0
		for _, q := range got.Questions {
			count += len(q.Asserting) + len(q.Denying)
		}
		if count != len(claims) {
			t.Fatalf("round %d: %d claims laid out, %d passed", round, count, len(claims))
		}
		want := false
		for _, a := range claims {
			for _, b := range claims {
				if a.Proposition == b.Proposition && a.Stance != b.Stance {
					want = true
				}
			}
		}
		for _, m := range marks {
			inA, inB := false, false
			for _, c := range claims {
				inA = inA || c.ID == m.A
				inB = inB || c.ID == m.B
			}
			want = want || (inA && inB && m.A != m.B)
		}
		if got.Contested != want {
			t.Fatalf("round %d: contested=%v, want %v; claims %+v marks %+v", round, got.Contested, want, claims, marks)
		}
	}
}

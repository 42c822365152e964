package intel

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strings"
)

// Stance is what a claim says about its proposition.
type Stance string

// The stances. There is deliberately no "true" or "false": a claim is what
// an actor says, and opsroom records it without ruling on it.
const (
	Asserts Stance = "asserts"
	Denies  Stance = "denies"
)

// ErrInvalidClaim is wrapped by every claim and contradiction validation
// error.
var ErrInvalidClaim = errors.New("invalid claim")

// Validate returns an error naming the allowed values.
func (s Stance) Validate() error {
	switch s {
	case Asserts, Denies:
		return nil
	case "":
		return fmt.Errorf("%w: stance is required; want one of asserts, denies", ErrInvalidClaim)
	}
	return fmt.Errorf("%w: stance %q: want one of asserts, denies", ErrInvalidClaim, string(s))
}

// UnmarshalText validates, so a bad stance fails at decoding.
func (s *Stance) UnmarshalText(b []byte) error {
	v := Stance(strings.ToLower(strings.TrimSpace(string(b))))
	if err := v.Validate(); err != nil {
		return err
	}
	*s = v
	return nil
}

// Claim is an assertion about an event made by someone: "RU MoD asserts
// that its strikes hit IS targets". The Proposition is the thing asserted or
// denied, worded neutrally and shared by every claim about it, so that
// "the strikes hit IS targets" asserted by one actor and denied by another
// are recognised as the same question. Propositions compare exactly; the
// UI offers the event's existing propositions to keep them shared.
type Claim struct {
	ID          string `json:"id"`
	Event       string `json:"event"`
	Actor       string `json:"actor"` // who asserts: "RU MoD", "US", "rebel groups"
	Proposition string `json:"proposition"`
	Stance      Stance `json:"stance"`
	// Statement is the claim in the actor's terms, for display ("hit 8 IS
	// targets"); it may say more than the proposition.
	Statement  string   `json:"statement,omitempty"`
	Supporting []string `json:"supporting"` // reports that carry the claim
	Disputing  []string `json:"disputing"`  // reports that contradict it
}

// Validate reports every problem with c.
func (c Claim) Validate() error {
	var errs []error
	for _, f := range []struct{ name, v string }{
		{"id", c.ID}, {"event", c.Event}, {"actor", c.Actor}, {"proposition", c.Proposition},
	} {
		if strings.TrimSpace(f.v) == "" {
			errs = append(errs, fmt.Errorf("%w: %s is required", ErrInvalidClaim, f.name))
		}
	}
	if err := c.Stance.Validate(); err != nil {
		errs = append(errs, err)
	}
	// A report on both sides is a data-entry slip, and left in it would
	// count towards the claim's corroboration while disputing it.
	for _, r := range c.Supporting {
		if slices.Contains(c.Disputing, r) {
			errs = append(errs, fmt.Errorf("%w: report %s both supports and disputes the claim", ErrInvalidClaim, r))
		}
	}
	return errors.Join(errs...)
}

// Contradiction records that users judged two claims to contradict each
// other although their propositions differ, such as "the strikes hit IS
// targets" against "Latamneh is not an IS stronghold".
type Contradiction struct {
	A    string `json:"a"`
	B    string `json:"b"`
	Note string `json:"note,omitempty"`
}

// Validate refuses a claim contradicting itself or a missing side.
func (x Contradiction) Validate() error {
	switch {
	case x.A == "" || x.B == "":
		return fmt.Errorf("%w: a contradiction needs two claims", ErrInvalidClaim)
	case x.A == x.B:
		return fmt.Errorf("%w: claim %s cannot contradict itself", ErrInvalidClaim, x.A)
	}
	return nil
}

// Question is one proposition of an event with its claims side by side.
type Question struct {
	Proposition string `json:"proposition"`
	// Contested is true when some claim asserts the proposition and another
	// denies it.
	Contested bool    `json:"contested"`
	Asserting []Claim `json:"asserting"`
	Denying   []Claim `json:"denying"`
}

// Contest is an event's claims laid out side by side. It never says which
// side is right; weighing them is the reader's job, helped by each claim's
// reports and their corroboration.
type Contest struct {
	Event string `json:"event"`
	// Contested is true when any question is contested or users marked two
	// of the claims as contradicting.
	Contested bool `json:"contested"`
	// Questions are sorted by proposition; within a side, claims are sorted
	// by actor, then ID.
	Questions []Question `json:"questions"`
	// Contradictions are the user marks between the claims passed in, with
	// A < B, sorted, one per pair (a pair marked twice keeps a mark with a
	// note, the first by note text).
	Contradictions []Contradiction `json:"contradictions"`
}

// SideBySide lays out one event's claims and says whether the event is
// contested.
//
// Pass the claims the viewer may see and the contradiction marks; marks
// naming a claim that is not passed in are ignored, so, as with
// Corroborate, the answer is the one for the world restricted to what the
// viewer sees. A viewer who sees only one side sees an uncontested event:
// saying otherwise would reveal that a hidden claim exists.
//
// It returns an error for an invalid claim, a repeated claim ID or claims of
// different events, all of which mean the caller passed the wrong slice.
func SideBySide(claims []Claim, marks []Contradiction) (Contest, error) {
	out := Contest{Questions: []Question{}, Contradictions: []Contradiction{}}
	seen := make(map[string]bool, len(claims))
	for i, c := range claims {
		if err := c.Validate(); err != nil {
			return Contest{}, fmt.Errorf("claim %s: %w", c.ID, err)
		}
		if seen[c.ID] {
			return Contest{}, fmt.Errorf("%w: claim %s passed twice", ErrInvalidClaim, c.ID)
		}
		seen[c.ID] = true
		if i == 0 {
			out.Event = c.Event
		} else if c.Event != out.Event {
			return Contest{}, fmt.Errorf("%w: claims of events %s and %s passed together", ErrInvalidClaim, out.Event, c.Event)
		}
	}

	sorted := slices.Clone(claims)
	slices.SortFunc(sorted, func(a, b Claim) int {
		return cmp.Or(cmp.Compare(a.Proposition, b.Proposition), cmp.Compare(a.Actor, b.Actor), cmp.Compare(a.ID, b.ID))
	})
	for _, c := range sorted {
		if n := len(out.Questions); n == 0 || out.Questions[n-1].Proposition != c.Proposition {
			out.Questions = append(out.Questions, Question{Proposition: c.Proposition, Asserting: []Claim{}, Denying: []Claim{}})
		}
		q := &out.Questions[len(out.Questions)-1]
		if c.Stance == Asserts {
			q.Asserting = append(q.Asserting, c)
		} else {
			q.Denying = append(q.Denying, c)
		}
	}
	for i := range out.Questions {
		q := &out.Questions[i]
		q.Contested = len(q.Asserting) > 0 && len(q.Denying) > 0
		out.Contested = out.Contested || q.Contested
	}

	for _, m := range marks {
		if m.Validate() != nil || !seen[m.A] || !seen[m.B] {
			continue
		}
		if m.B < m.A {
			m.A, m.B = m.B, m.A
		}
		out.Contradictions = append(out.Contradictions, m)
	}
	slices.SortFunc(out.Contradictions, func(a, b Contradiction) int {
		return cmp.Or(cmp.Compare(a.A, b.A), cmp.Compare(a.B, b.B), notesFirst(a.Note, b.Note), cmp.Compare(a.Note, b.Note))
	})
	out.Contradictions = slices.CompactFunc(out.Contradictions, func(a, b Contradiction) bool { return a.A == b.A && a.B == b.B })
	out.Contested = out.Contested || len(out.Contradictions) > 0
	return out, nil
}

// notesFirst orders a mark with a note before one without, so that
// deduplicating keeps the explanation.
func notesFirst(a, b string) int {
	switch {
	case a != "" && b == "":
		return -1
	case a == "" && b != "":
		return 1
	}
	return 0
}

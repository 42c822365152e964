package intel

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// Reliability is the Admiralty grade of a source, A to F. It grades the
// source's track record, not the report in hand, which is why it lives on the
// source and Credibility lives on the report.
//
// The zero value is "not graded" and is invalid; F is the explicit grade for
// "cannot be judged", so a missing grade is never mistaken for a judgement.
type Reliability uint8

// The six Admiralty reliability grades.
const (
	ReliabilityA Reliability = iota + 1 // completely reliable
	ReliabilityB                        // usually reliable
	ReliabilityC                        // fairly reliable
	ReliabilityD                        // not usually reliable
	ReliabilityE                        // unreliable
	ReliabilityF                        // reliability cannot be judged
)

var reliabilityText = [...]string{
	ReliabilityA: "completely reliable",
	ReliabilityB: "usually reliable",
	ReliabilityC: "fairly reliable",
	ReliabilityD: "not usually reliable",
	ReliabilityE: "unreliable",
	ReliabilityF: "reliability cannot be judged",
}

// Credibility is the Admiralty grade of one report's information, 1 to 6.
// The zero value is "not graded" and is invalid; 6 is the explicit grade for
// "cannot be judged".
type Credibility uint8

// The six Admiralty credibility grades.
const (
	Credibility1 Credibility = iota + 1 // confirmed by other sources
	Credibility2                        // probably true
	Credibility3                        // possibly true
	Credibility4                        // doubtful
	Credibility5                        // improbable
	Credibility6                        // truth cannot be judged
)

var credibilityText = [...]string{
	Credibility1: "confirmed by other sources",
	Credibility2: "probably true",
	Credibility3: "possibly true",
	Credibility4: "doubtful",
	Credibility5: "improbable",
	Credibility6: "truth cannot be judged",
}

// ErrInvalidGrade is wrapped by every grade parsing and validation error, so
// the API layer can map all of them to one "invalid field" response.
var ErrInvalidGrade = errors.New("invalid grade")

// Valid reports whether r is one of A to F.
func (r Reliability) Valid() bool { return r >= ReliabilityA && r <= ReliabilityF }

// Validate returns nil for A to F and otherwise an error naming the allowed
// values.
func (r Reliability) Validate() error {
	if r.Valid() {
		return nil
	}
	if r == 0 {
		return fmt.Errorf("%w: source reliability is required; want one of A, B, C, D, E, F", ErrInvalidGrade)
	}
	return fmt.Errorf("%w: source reliability %d is out of range; want one of A, B, C, D, E, F", ErrInvalidGrade, uint8(r))
}

// String returns the letter ("B"), or "" for the zero value; an out-of-range
// value prints as "Reliability(9)" so a bug shows rather than hides.
func (r Reliability) String() string {
	switch {
	case r == 0:
		return ""
	case r.Valid():
		return string(rune('A' + r - 1))
	default:
		return fmt.Sprintf("Reliability(%d)", uint8(r))
	}
}

// Description returns the standard wording ("usually reliable"), or "" for an
// invalid grade.
func (r Reliability) Description() string {
	if !r.Valid() {
		return ""
	}
	return reliabilityText[r]
}

// ParseReliability reads one letter A to F, either case, surrounding spaces
// ignored ("b" is B).
func ParseReliability(s string) (Reliability, error) {
	t := strings.TrimSpace(s)
	if len(t) == 1 {
		c := t[0] | 0x20 // ASCII lower case; non-letters fall outside a..f below
		if c >= 'a' && c <= 'f' {
			return Reliability(c-'a') + ReliabilityA, nil
		}
	}
	return 0, fmt.Errorf("%w: source reliability %q: want one of A, B, C, D, E, F", ErrInvalidGrade, s)
}

// MarshalText writes the letter; it refuses an invalid grade rather than
// write something no parser would read back.
func (r Reliability) MarshalText() ([]byte, error) {
	if err := r.Validate(); err != nil {
		return nil, err
	}
	return []byte(r.String()), nil
}

// UnmarshalText reads what ParseReliability reads.
func (r *Reliability) UnmarshalText(b []byte) error {
	v, err := ParseReliability(string(b))
	if err != nil {
		return err
	}
	*r = v
	return nil
}

// MarshalJSON writes "B", and null for the zero value so an ungraded source
// round-trips as ungraded.
func (r Reliability) MarshalJSON() ([]byte, error) {
	if r == 0 {
		return []byte("null"), nil
	}
	b, err := r.MarshalText()
	if err != nil {
		return nil, err
	}
	return json.Marshal(string(b))
}

// UnmarshalJSON reads "B" (either case) or null.
func (r *Reliability) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*r = 0
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("%w: source reliability: want a string, one of A, B, C, D, E, F", ErrInvalidGrade)
	}
	return r.UnmarshalText([]byte(s))
}

// Valid reports whether c is one of 1 to 6.
func (c Credibility) Valid() bool { return c >= Credibility1 && c <= Credibility6 }

// Validate returns nil for 1 to 6 and otherwise an error naming the allowed
// values.
func (c Credibility) Validate() error {
	if c.Valid() {
		return nil
	}
	if c == 0 {
		return fmt.Errorf("%w: information credibility is required; want one of 1, 2, 3, 4, 5, 6", ErrInvalidGrade)
	}
	return fmt.Errorf("%w: information credibility %d is out of range; want one of 1, 2, 3, 4, 5, 6", ErrInvalidGrade, uint8(c))
}

// String returns the digit ("2"), or "" for the zero value.
func (c Credibility) String() string {
	switch {
	case c == 0:
		return ""
	case c.Valid():
		return string(rune('0' + c))
	default:
		return fmt.Sprintf("Credibility(%d)", uint8(c))
	}
}

// Description returns the standard wording ("probably true"), or "" for an
// invalid grade.
func (c Credibility) Description() string {
	if !c.Valid() {
		return ""
	}
	return credibilityText[c]
}

// ParseCredibility reads one digit 1 to 6, surrounding spaces ignored.
func ParseCredibility(s string) (Credibility, error) {
	t := strings.TrimSpace(s)
	if len(t) == 1 && t[0] >= '1' && t[0] <= '6' {
		return Credibility(t[0] - '0'), nil
	}
	return 0, fmt.Errorf("%w: information credibility %q: want one of 1, 2, 3, 4, 5, 6", ErrInvalidGrade, s)
}

// MarshalText writes the digit; it refuses an invalid grade.
func (c Credibility) MarshalText() ([]byte, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	return []byte(c.String()), nil
}

// UnmarshalText reads what ParseCredibility reads.
func (c *Credibility) UnmarshalText(b []byte) error {
	v, err := ParseCredibility(string(b))
	if err != nil {
		return err
	}
	*c = v
	return nil
}

// MarshalJSON writes a JSON number (2), and null for the zero value. A number
// because that is how the grade is written and sorted everywhere else.
func (c Credibility) MarshalJSON() ([]byte, error) {
	if c == 0 {
		return []byte("null"), nil
	}
	if err := c.Validate(); err != nil {
		return nil, err
	}
	return []byte(c.String()), nil
}

// UnmarshalJSON reads 2, "2" or null; the string form is accepted because
// forms and spreadsheets send it.
func (c *Credibility) UnmarshalJSON(b []byte) error {
	s := string(b)
	if s == "null" {
		*c = 0
		return nil
	}
	if len(b) > 0 && b[0] == '"' {
		if err := json.Unmarshal(b, &s); err != nil {
			return fmt.Errorf("%w: information credibility: want one of 1, 2, 3, 4, 5, 6", ErrInvalidGrade)
		}
	}
	return c.UnmarshalText([]byte(s))
}

// Grade is the two-part Admiralty grade of a report as shown to a reader:
// its source's reliability and its own credibility, written "B2".
type Grade struct {
	Reliability Reliability
	Credibility Credibility
}

// Validate checks both parts and reports every problem, not just the first.
func (g Grade) Validate() error {
	return errors.Join(g.Reliability.Validate(), g.Credibility.Validate())
}

// String returns "B2", or "" for the zero Grade.
func (g Grade) String() string { return g.Reliability.String() + g.Credibility.String() }

// Description returns "usually reliable, probably true".
func (g Grade) Description() string {
	return g.Reliability.Description() + ", " + g.Credibility.Description()
}

// ParseGrade reads a letter A to F followed by a digit 1 to 6 ("B2", "b2"),
// surrounding spaces ignored.
func ParseGrade(s string) (Grade, error) {
	t := strings.TrimSpace(s)
	if len(t) == 2 {
		r, rerr := ParseReliability(t[:1])
		c, cerr := ParseCredibility(t[1:])
		if rerr == nil && cerr == nil {
			return Grade{r, c}, nil
		}
	}
	return Grade{}, fmt.Errorf("%w: %q: want a letter A-F and a digit 1-6, such as B2", ErrInvalidGrade, s)
}

// MarshalText writes "B2"; it refuses an incomplete or invalid grade.
func (g Grade) MarshalText() ([]byte, error) {
	if err := g.Validate(); err != nil {
		return nil, err
	}
	return []byte(g.String()), nil
}

// UnmarshalText reads what ParseGrade reads.
func (g *Grade) UnmarshalText(b []byte) error {
	v, err := ParseGrade(string(b))
	if err != nil {
		return err
	}
	*g = v
	return nil
}

// MarshalJSON writes "B2", and null for the zero Grade.
func (g Grade) MarshalJSON() ([]byte, error) {
	if g == (Grade{}) {
		return []byte("null"), nil
	}
	b, err := g.MarshalText()
	if err != nil {
		return nil, err
	}
	return json.Marshal(string(b))
}

// UnmarshalJSON reads "B2" or null.
func (g *Grade) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*g = Grade{}
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("%w: want a string such as \"B2\"", ErrInvalidGrade)
	}
	return g.UnmarshalText([]byte(s))
}

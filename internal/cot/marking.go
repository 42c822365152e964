package cot

import "strings"

// Marking is the handling information carried in an event's attributes.
// opsroom writes a TLP label in Access (and Caveat) and the partners an
// item may be released to in ReleaseableTo; this package attaches no
// meaning to them, the access policy does.
type Marking struct {
	Access        string
	Caveat        string
	ReleaseableTo []string // partner codes
}

// Marking returns the event's marking attributes.
func (e *Event) Marking() Marking {
	return Marking{
		Access:        e.Access,
		Caveat:        e.Caveat,
		ReleaseableTo: SplitReleaseableTo(e.ReleaseableTo),
	}
}

// SetMarking replaces the event's marking attributes.
func (e *Event) SetMarking(m Marking) {
	e.Access = m.Access
	e.Caveat = m.Caveat
	e.ReleaseableTo = JoinReleaseableTo(m.ReleaseableTo)
}

// SplitReleaseableTo splits a comma-separated releaseableTo attribute into
// its codes, trimming white space and dropping empty entries.
func SplitReleaseableTo(s string) []string {
	var codes []string
	for c := range strings.SplitSeq(s, ",") {
		if c = strings.TrimSpace(c); c != "" {
			codes = append(codes, c)
		}
	}
	return codes
}

// JoinReleaseableTo is the inverse of SplitReleaseableTo. Codes are written
// as given; commas inside a code cannot be represented and are dropped.
func JoinReleaseableTo(codes []string) string {
	var b strings.Builder
	for _, c := range codes {
		c = strings.TrimSpace(strings.ReplaceAll(c, ",", ""))
		if c == "" {
			continue
		}
		if b.Len() > 0 {
			b.WriteByte(',')
		}
		b.WriteString(c)
	}
	return b.String()
}

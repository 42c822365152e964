package intel

import (
	"errors"
	"fmt"
	"slices"
	"strings"
)

// LinkKind is how one report derives from another. Both kinds mean the later
// report adds no independent corroboration; they are kept apart because a
// reader weighs "NOW repeats Al-Rai" differently from "the blog cites
// Al-Mustaqbal and says it cannot verify it".
type LinkKind string

// The provenance link kinds.
const (
	Repeats LinkKind = "repeats"
	Cites   LinkKind = "cites"
)

// ErrInvalidLink is wrapped by every validation error of a Link.
var ErrInvalidLink = errors.New("invalid provenance link")

// Validate returns an error naming the allowed values.
func (k LinkKind) Validate() error {
	switch k {
	case Repeats, Cites:
		return nil
	case "":
		return fmt.Errorf("%w: kind is required; want one of repeats, cites", ErrInvalidLink)
	}
	return fmt.Errorf("%w: kind %q: want one of repeats, cites", ErrInvalidLink, string(k))
}

// UnmarshalText validates, so a bad kind fails at decoding.
func (k *LinkKind) UnmarshalText(b []byte) error {
	v := LinkKind(strings.ToLower(strings.TrimSpace(string(b))))
	if err := v.Validate(); err != nil {
		return err
	}
	*k = v
	return nil
}

// Link says that Report repeats or cites Target: Target is the earlier
// report, the parent in the provenance graph.
type Link struct {
	Report string   `json:"report"`
	Kind   LinkKind `json:"kind"`
	Target string   `json:"target"`
}

// String reads as a sentence: "r3 repeats r2".
func (l Link) String() string { return l.Report + " " + string(l.Kind) + " " + l.Target }

// Validate checks the fields, not the graph; see CheckLink for cycles.
func (l Link) Validate() error {
	var errs []error
	if l.Report == "" {
		errs = append(errs, fmt.Errorf("%w: report is required", ErrInvalidLink))
	}
	if l.Target == "" {
		errs = append(errs, fmt.Errorf("%w: target is required", ErrInvalidLink))
	}
	if err := l.Kind.Validate(); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// ErrCycle is matched (errors.Is) by every *CycleError.
var ErrCycle = errors.New("provenance cycle")

// CycleError refuses a link that would close a provenance cycle. A cycle
// would make "which report is the origin" meaningless (every report in it
// would be an echo of another), so none may exist.
type CycleError struct {
	// Path is the cycle as links: the proposed link first, then the
	// existing links leading from its target back to its report. A
	// self-link is a path of one.
	Path []Link
}

// Error reads "provenance cycle: r1 repeats r3 which cites r1".
func (e *CycleError) Error() string { return "provenance cycle: " + e.describe() }

// Is makes errors.Is(err, ErrCycle) true.
func (e *CycleError) Is(target error) bool { return target == ErrCycle }

// Redacted is the message for a proposer who may see only the reports
// visible says yes to. The cycle check runs over all links, hidden ones
// included (otherwise a partner could close a cycle through a report it
// cannot see), so the path found may pass through reports the proposer
// must not learn about. When the proposer may see every report on the
// path, the message names the path, as Error does; otherwise it is
// Closes's message, which names no report but the two of the proposed
// link, and neither how many reports the chain has nor which, nor the
// kinds of its links.
func (e *CycleError) Redacted(visible func(report string) bool) string {
	for _, l := range e.Path {
		if !visible(l.Report) || !visible(l.Target) {
			return Closes(e.Path[0])
		}
	}
	return e.Error()
}

// Closes is the refusal of a proposed link that closes a cycle whose path
// the proposer may not be shown: only that the target already derives
// from the report through reports of the room. It is the same sentence
// whatever the chain between them, one hidden report or many.
func Closes(proposed Link) string {
	return "provenance cycle: " + proposed.Report + " " + string(proposed.Kind) + " " + proposed.Target +
		" would close a cycle, because " + proposed.Target + " already derives from " + proposed.Report + " through reports of this room"
}

func (e *CycleError) describe() string {
	if len(e.Path) == 0 {
		return "(empty)"
	}
	var b strings.Builder
	b.WriteString(e.Path[0].Report)
	for i, l := range e.Path {
		if i > 0 {
			b.WriteString(" which")
		}
		b.WriteString(" " + string(l.Kind) + " " + l.Target)
	}
	return b.String()
}

// CheckLink validates proposed and refuses it, with a *CycleError, if it
// would close a cycle with the existing links (a self-link included).
// Pass every link in the room, not only the proposer's visible ones.
// A link duplicating an existing one is not refused here; uniqueness is the
// store's constraint.
func CheckLink(existing []Link, proposed Link) error {
	byReport := make(map[string][]Link)
	for _, l := range existing {
		byReport[l.Report] = append(byReport[l.Report], l)
	}
	return CheckLinkWalk(proposed, func(report string) []Link { return byReport[report] })
}

// CheckLinkWalk is CheckLink for a store that would rather not load every
// link: linksOf returns the links whose Report is the given report (that
// report's parents), and it is called only for reports upstream of the
// proposed target.
//
// The cycle reported is a shortest one, and ties are broken by report ID,
// so the message is stable.
func CheckLinkWalk(proposed Link, linksOf func(report string) []Link) error {
	if err := proposed.Validate(); err != nil {
		return err
	}
	if proposed.Report == proposed.Target {
		return &CycleError{Path: []Link{proposed}}
	}
	// Breadth-first from the target up its parents, looking for the
	// proposed report: a path target -> ... -> report plus the new link
	// report -> target is the cycle.
	via := map[string]Link{proposed.Target: {}} // how each report was reached
	queue := []string{proposed.Target}
	for len(queue) > 0 {
		cur := queue[0]
		queue = queue[1:]
		out := slices.Clone(linksOf(cur))
		slices.SortFunc(out, func(a, b Link) int {
			if c := strings.Compare(a.Target, b.Target); c != 0 {
				return c
			}
			return strings.Compare(string(a.Kind), string(b.Kind))
		})
		for _, l := range out {
			if l.Report != cur {
				continue // a lookup that returns stray links must not bend the walk
			}
			if _, seen := via[l.Target]; seen {
				continue
			}
			via[l.Target] = l
			if l.Target == proposed.Report {
				path := []Link{proposed}
				var back []Link
				for id := l.Target; id != proposed.Target; id = via[id].Report {
					back = append(back, via[id])
				}
				slices.Reverse(back)
				return &CycleError{Path: append(path, back...)}
			}
			queue = append(queue, l.Target)
		}
	}
	return nil
}

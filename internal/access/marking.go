// Package access decides who may see what. It holds the marking every
// shared item carries (a TLP 2.0 label, an optional releasability list, the
// named recipients of TLP:RED), the one need-to-know policy in its two
// equivalent forms (CanSee for a value in memory, Filter for a SQL
// predicate evaluated inside the database), and the caller the policy is
// asked about (Principal, Viewer). It keeps no state and opens no
// database; members and their credentials live in package account.
package access

import (
	"slices"
	"strings"

	"github.com/opsroom/opsroom/internal/validate"
)

// Label is a TLP 2.0 label.
type Label string

// The TLP 2.0 labels (FIRST), least to most restricted.
const (
	Clear       Label = "CLEAR"
	Green       Label = "GREEN"
	Amber       Label = "AMBER"
	AmberStrict Label = "AMBER+STRICT"
	Red         Label = "RED"
)

// Labels lists the labels in order of restriction.
var Labels = []Label{Clear, Green, Amber, AmberStrict, Red}

// ParseLabel accepts "TLP:AMBER", "amber", "AMBER+STRICT", and TLP 1.0's
// WHITE as CLEAR.
func ParseLabel(s string) (Label, bool) {
	s = strings.ToUpper(strings.TrimSpace(s))
	s = strings.TrimPrefix(s, "TLP:")
	if s == "WHITE" {
		s = "CLEAR"
	}
	for _, l := range Labels {
		if string(l) == s {
			return l, true
		}
	}
	return "", false
}

// Rank orders labels by restriction (CLEAR 0 … RED 4).
func (l Label) Rank() int { return slices.Index(Labels, l) }

// Marking is the handling restriction of one shared item. Partner and
// member references are IDs inside the server; the API shows codes and
// usernames.
type Marking struct {
	TLP Label
	// ReleasableTo, when not empty, narrows visibility to members of these
	// partners, whatever the label.
	ReleasableTo []string
	// Recipients are the members a TLP:RED item is for.
	Recipients []string
}

// Validate checks a marking against the room it is shared in: the label is
// known, RED names recipients, everyone named is in the room, and the
// author can see the item it shares (sharing what you may not see is
// always a mistake). Fields are reported under prefix (e.g. "marking").
func (m Marking) Validate(prefix string, author Viewer, room RoomView) error {
	var errs validate.Errors
	if m.TLP.Rank() < 0 {
		errs.Add(prefix+".tlp", "%q is not a TLP 2.0 label; want one of CLEAR, GREEN, AMBER, AMBER+STRICT, RED", string(m.TLP))
	}
	if m.TLP == Red && len(m.Recipients) == 0 {
		errs.Add(prefix+".recipients", "TLP:RED needs at least one named recipient")
	}
	if m.TLP != Red && len(m.Recipients) > 0 {
		errs.Add(prefix+".recipients", "only TLP:RED names recipients; use releasable_to to narrow %s", string(m.TLP))
	}
	for i, p := range m.ReleasableTo {
		if !room.HasPartner(p) {
			errs.Add(prefix+".releasable_to", "entry %d is not a partner of this room", i)
		}
	}
	for i, r := range m.Recipients {
		if !room.HasMember(r) {
			errs.Add(prefix+".recipients", "entry %d is not a member of this room", i)
		}
	}
	if len(errs) == 0 && !CanSee(author, room.ID, m) {
		errs.Add(prefix, "you would not be able to see what you share: include your own partner in releasable_to and yourself in recipients")
	}
	return errs.Err()
}

// RoomView is what Validate needs to know of a room.
type RoomView struct {
	ID       string
	Partners map[string]bool // partner IDs
	Members  map[string]bool // member IDs
}

// HasPartner reports whether the partner takes part in the room.
func (r RoomView) HasPartner(id string) bool { return r.Partners[id] }

// HasMember reports whether the member belongs to the room.
func (r RoomView) HasMember(id string) bool { return r.Members[id] }

// Meet returns the marking of something that names everything marked ms
// (a watch-log entry about several items): it is visible to exactly those
// members who may see every one of them (the highest label, the common
// releasability, the common TLP:RED recipients). ok is false when no one
// could see them all.
func Meet(ms ...Marking) (m Marking, ok bool) {
	if len(ms) == 0 {
		return Marking{}, false
	}
	red := false
	for i, x := range ms {
		if x.TLP.Rank() < 0 {
			return Marking{}, false
		}
		if i == 0 || x.TLP.Rank() > m.TLP.Rank() {
			m.TLP = x.TLP
		}
		if len(x.ReleasableTo) > 0 {
			if len(m.ReleasableTo) == 0 {
				m.ReleasableTo = slices.Clone(x.ReleasableTo)
			} else {
				m.ReleasableTo = slices.DeleteFunc(m.ReleasableTo, func(id string) bool { return !slices.Contains(x.ReleasableTo, id) })
				if len(m.ReleasableTo) == 0 {
					return Marking{}, false
				}
			}
		}
		if x.TLP == Red {
			if !red {
				m.Recipients, red = slices.Clone(x.Recipients), true
			} else {
				m.Recipients = slices.DeleteFunc(m.Recipients, func(id string) bool { return !slices.Contains(x.Recipients, id) })
			}
			if len(m.Recipients) == 0 {
				return Marking{}, false
			}
		}
	}
	slices.Sort(m.ReleasableTo)
	slices.Sort(m.Recipients)
	return m, true
}

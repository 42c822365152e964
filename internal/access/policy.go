package access

import "slices"

// Viewer is who is asking: a member of one partner, and the rooms the
// member belongs to. A server admin or a room director reads with exactly
// these rights: authority over accounts or operations gives no right to
// read.
type Viewer struct {
	MemberID  string
	PartnerID string
	// Rooms holds the IDs of the rooms the member belongs to.
	Rooms map[string]bool
}

// CanSee is the need-to-know policy for one item shared in room roomID
// with marking m. Access is the intersection of every restriction: the
// viewer must belong to the room, the releasability list (if any) must
// name the viewer's partner, and TLP:RED must name the viewer. CLEAR,
// GREEN, AMBER and AMBER+STRICT differ in what a recipient may pass on
// (the table of labels in docs/USER-GUIDE.md), not in who in the room
// reads them.
//
// Filter is the same rule as a SQL predicate; the property tests check the
// two agree with a plain reading of that table.
func CanSee(v Viewer, roomID string, m Marking) bool {
	if v.MemberID == "" || !v.Rooms[roomID] {
		return false
	}
	if m.TLP.Rank() < 0 {
		return false // an unknown label is never shown
	}
	if len(m.ReleasableTo) > 0 && !slices.Contains(m.ReleasableTo, v.PartnerID) {
		return false
	}
	if m.TLP == Red && !slices.Contains(m.Recipients, v.MemberID) {
		return false
	}
	return true
}

// Filter returns a SQL predicate (with ? placeholders) that is true for
// exactly the rows of the items table, aliased as alias, that v may see,
// and its arguments. The read layer (item.For) puts it into every query
// of items, so that filtering happens inside the database.
func Filter(alias string, v Viewer) (string, []any) {
	a := alias + "."
	pred := "(" + a + "room_id IN (SELECT rm.room_id FROM room_members rm WHERE rm.member_id = ?)" +
		" AND " + a + "tlp IN ('CLEAR','GREEN','AMBER','AMBER+STRICT','RED')" +
		" AND (" + a + "rel_restricted = ? OR EXISTS (SELECT 1 FROM item_releasability ir WHERE ir.item_id = " + a + "id AND ir.partner_id = ?))" +
		" AND (" + a + "tlp <> 'RED' OR EXISTS (SELECT 1 FROM item_recipients ic WHERE ic.item_id = " + a + "id AND ic.member_id = ?)))"
	return pred, []any{v.MemberID, false, v.PartnerID, v.MemberID}
}

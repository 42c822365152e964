package intel

import (
	"context"
	"fmt"

	"github.com/opsroom/opsroom/internal/access"
	"github.com/opsroom/opsroom/internal/item"
	"github.com/opsroom/opsroom/internal/room"
	"github.com/opsroom/opsroom/internal/store"
)

// Significant is a change the room's watch log records automatically: a
// report graded at or above the room's log grade, an event that became
// contested. About holds the markings of every item its text names; the
// entry must be shown only to those who may see all of them.
type Significant struct {
	RoomID string
	Text   string
	About  []access.Marking
	// AboutIDs are the items About are the markings of: the entry
	// narrows whenever one of them does.
	AboutIDs []string
	Owner    string // partner ID of who made the change
	Author   string // member ID
	Kind     string // the kind of the item it is about (report, event)
	ID       string // and its ID
}

// logReport tells OnSignificant about a report whose grade is at or above
// the threshold now, naming its grade, source and title: the entry is
// about the report and its source (the grade's reliability is the
// source's), so it carries both markings.
func (s *Service) logReport(ctx context.Context, tx *store.Tx, roomID, threshold, reportID string, p access.Principal) error {
	var title, source, rel string
	var cred int
	var sourceID string
	if err := store.Scan(item.Server().QueryRow(ctx, tx, `SELECT i.title, rp.credibility, rp.source_id, si.title, src.reliability FROM reports rp
		JOIN {items i} ON i.id = rp.item_id JOIN {items si} ON si.id = rp.source_id JOIN sources src ON src.item_id = rp.source_id
		WHERE rp.item_id = ?`, reportID), &title, &cred, &sourceID, &source, &rel); err != nil {
		return err
	}
	if !room.LogGradeMet(threshold, rel, cred) {
		return nil
	}
	rm, err := item.LoadMarking(ctx, tx, reportID)
	if err != nil {
		return err
	}
	sm, err := item.LoadMarking(ctx, tx, sourceID)
	if err != nil {
		return err
	}
	return s.OnSignificant(ctx, tx, Significant{RoomID: roomID, Text: fmt.Sprintf("Report %s%d from %s: %s", rel, cred, source, title),
		About: []access.Marking{rm, sm}, AboutIDs: []string{reportID, sourceID}, Owner: p.PartnerID, Author: p.ID, Kind: ItemReport, ID: reportID})
}

// reportGradeMet reports whether a report's current grade in tx is at or
// above the threshold.
func reportGradeMet(ctx context.Context, tx *store.Tx, threshold, reportID string) (bool, error) {
	var rel string
	var cred int
	err := store.Scan(tx.QueryRow(ctx, `SELECT src.reliability, rp.credibility FROM reports rp JOIN sources src ON src.item_id = rp.source_id WHERE rp.item_id = ?`,
		reportID), &rel, &cred)
	return room.LogGradeMet(threshold, rel, cred), err
}

// logRegraded tells OnSignificant about each report of a source that a
// new reliability grade lifted to the room's log grade.
func (s *Service) logRegraded(ctx context.Context, tx *store.Tx, rm room.Room, sourceID, oldRel, newRel string, p access.Principal) error {
	if s.OnSignificant == nil || rm.LogGrade == "" || room.LogGradeMet(rm.LogGrade, oldRel, 1) || !room.LogGradeMet(rm.LogGrade, newRel, 1) {
		return nil
	}
	ids, err := store.Strings(ctx, tx, `SELECT item_id FROM reports WHERE source_id = ? AND credibility <= ? ORDER BY item_id`, sourceID, int(rm.LogGrade[1]-'0'))
	if err != nil {
		return err
	}
	for _, id := range ids {
		if err := s.logReport(ctx, tx, rm.ID, rm.LogGrade, id, p); err != nil {
			return err
		}
	}
	return nil
}

// logContested tells OnSignificant when a new claim makes its event
// contested: the event's claims had no proposition both asserted and
// denied before, and the new claim's is now. It is told once per
// transition, judged over all the event's claims. The entry names the
// event, the proposition and the two actors, so it carries the markings
// of the event, the new claim and the opposing claim it names (the first
// whose marking leaves someone able to see all three).
func (s *Service) logContested(ctx context.Context, tx *store.Tx, sc *Scope, claimID, event, actor, proposition string, stance Stance) error {
	if s.OnSignificant == nil {
		return nil
	}
	var n int
	if err := store.Scan(tx.QueryRow(ctx, `SELECT COUNT(*) FROM claims a JOIN claims b ON b.event_id = a.event_id AND b.proposition = a.proposition AND b.stance <> a.stance
		WHERE a.event_id = ? AND a.item_id <> ? AND b.item_id <> ?`, event, claimID, claimID), &n); err != nil {
		return err
	}
	if n > 0 {
		return nil // contested already
	}
	opposing, err := store.Strings(ctx, tx, `SELECT item_id FROM claims WHERE event_id = ? AND proposition = ? AND stance <> ? AND item_id <> ? ORDER BY item_id`,
		event, proposition, string(stance), claimID)
	if err != nil || len(opposing) == 0 {
		return err
	}
	var title string
	if err := store.Scan(item.Server().QueryRow(ctx, tx, `SELECT i.title FROM {items i} WHERE i.id = ?`, event), &title); err != nil {
		return err
	}
	em, err := item.LoadMarking(ctx, tx, event)
	if err != nil {
		return err
	}
	cm, err := item.LoadMarking(ctx, tx, claimID)
	if err != nil {
		return err
	}
	for _, id := range opposing {
		om, err := item.LoadMarking(ctx, tx, id)
		if err != nil {
			return err
		}
		if _, ok := access.Meet(em, cm, om); !ok {
			continue
		}
		var other string
		if err := store.Scan(tx.QueryRow(ctx, `SELECT actor FROM claims WHERE item_id = ?`, id), &other); err != nil {
			return err
		}
		asserts, denies := actor, other
		if stance == Denies {
			asserts, denies = other, actor
		}
		return s.OnSignificant(ctx, tx, Significant{RoomID: sc.Room.ID,
			Text:  fmt.Sprintf("Event %s is now contested: %q is asserted by %s and denied by %s", title, proposition, asserts, denies),
			About: []access.Marking{em, cm, om}, AboutIDs: []string{event, claimID, id}, Owner: sc.P.PartnerID, Author: sc.P.ID, Kind: ItemEvent, ID: event})
	}
	return nil
}

// reportCreated tells OnSignificant about a new report graded at or above
// the room's log grade.
func (s *Service) reportCreated(ctx context.Context, tx *store.Tx, sc *Scope, id, source string, credibility int) error {
	if s.OnSignificant == nil || sc.Room.LogGrade == "" {
		return nil
	}
	// The source's grade is cached from the report's validation.
	if rel, err := sc.source(ctx, tx, source); err != nil || !room.LogGradeMet(sc.Room.LogGrade, rel, credibility) {
		return err
	}
	return s.logReport(ctx, tx, sc.Room.ID, sc.Room.LogGrade, id, sc.P)
}

// reportLogged reports whether a report's grade is at or above the room's
// log grade before an edit (true when nothing is logged: no threshold or
// no watch log), so that reportEdited logs only a rise to it.
func (s *Service) reportLogged(ctx context.Context, tx *store.Tx, sc *Scope, id string) (bool, error) {
	if s.OnSignificant == nil || sc.Room.LogGrade == "" {
		return true, nil
	}
	return reportGradeMet(ctx, tx, sc.Room.LogGrade, id)
}

// reportEdited tells OnSignificant about an edited report whose grade rose
// to the room's log grade.
func (s *Service) reportEdited(ctx context.Context, tx *store.Tx, sc *Scope, id string, loggedBefore bool) error {
	if loggedBefore {
		return nil
	}
	return s.logReport(ctx, tx, sc.Room.ID, sc.Room.LogGrade, id, sc.P)
}

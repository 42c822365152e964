package ops

import (
	"context"
	"strings"
	"testing"

	"github.com/opsroom/opsroom/internal/item"
	"github.com/opsroom/opsroom/internal/store"
	"github.com/opsroom/opsroom/internal/store/storetest"
	"github.com/opsroom/opsroom/internal/validate"
)

// The Erbil aid site, notified as protected, and an operation of another
// partner whose area and window cover it: a conflict both partners see.
func TestOperationCoveringErbilAidSiteConflicts(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		w := newWorld(t, db)
		ru, ir, sy := w.as(t, "ru.general"), w.as(t, "ir.commander"), w.as(t, "sy.officer")
		site := w.addSite(t, ru, "baghdad", "Erbil aid distribution site", point(44.009, 36.191), false, item.Marking{})
		n, err := w.s.NotifySite(ctx, ru, "baghdad", SiteNoticeInput{Site: site, Note: "foodstuffs, blankets, generators, tents"})
		if err != nil {
			t.Fatal(err)
		}
		op, err := w.s.CreateOperation(ctx, ir, "baghdad", OperationInput{Name: "Erbil sweep", Area: square(43.9, 36.1, 0.2), Window: window(20, 25)})
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range []struct {
			name string
			cs   func() ([]Conflict, error)
		}{
			{"RU", func() ([]Conflict, error) {
				return w.s.Conflicts(ctx, ru, "baghdad", ConflictQuery{Status: ConflictOpen})
			}},
			{"IR", func() ([]Conflict, error) {
				return w.s.Conflicts(ctx, ir, "baghdad", ConflictQuery{Status: ConflictOpen})
			}},
		} {
			cs, err := p.cs()
			if err != nil || len(cs) != 1 {
				t.Fatalf("%s sees %d conflicts (%v)", p.name, len(cs), err)
			}
			c := cs[0]
			if c.Sides[0].ItemID != op.ID || c.Sides[1].Kind != "site" || c.Sides[1].ItemID != site || !strings.Contains(string(c.Region), "44.009") {
				t.Fatalf("%s sees %+v region %s", p.name, c.Sides, c.Region)
			}
		}
		// SY is a member of neither side and no authority in Baghdad.
		if cs, _ := w.s.Conflicts(ctx, sy, "baghdad", ConflictQuery{}); len(cs) != 0 {
			t.Fatalf("SY sees %+v", cs)
		}
		log, err := w.s.Entries(ctx, ir, "baghdad", "", 50)
		if err != nil || len(log) != 1 || !strings.HasPrefix(log[0].Text, "Conflict raised") {
			t.Fatalf("IR's watch log: %+v %v", log, err)
		}
		// RU sees the notice's history; IR records it has seen it.
		if err := w.s.Seen(ctx, ir, n.ID); err != nil {
			t.Fatal(err)
		}
		if err := w.s.Seen(ctx, ir, n.ID); err != nil {
			t.Fatal(err)
		}
		h, err := w.s.History(ctx, ru, n.ID)
		if err != nil || len(h) != 2 || h[0].Action != "submitted" || h[1].Action != "seen" || h[1].Partner != "IR" {
			t.Fatalf("notice history %+v %v", h, err)
		}
		// Withdrawing the notice lifts the protection: the conflict closes.
		if err := w.s.Withdraw(ctx, ru, n.ID, Action{Reason: "distribution finished"}); err != nil {
			t.Fatal(err)
		}
		if cs, _ := w.s.Conflicts(ctx, ir, "baghdad", ConflictQuery{Status: ConflictOpen}); len(cs) != 0 {
			t.Fatalf("open after withdrawal: %+v", cs)
		}
		// Notifying it again raises it again, the operation being there first.
		if _, err := w.s.NotifySite(ctx, ru, "baghdad", SiteNoticeInput{Site: site}); err != nil {
			t.Fatal(err)
		}
		cs, _ := w.s.Conflicts(ctx, ir, "baghdad", ConflictQuery{Status: ConflictOpen})
		if len(cs) != 1 {
			t.Fatalf("after notifying again: %+v", cs)
		}
		// The room's co-director accepts it with a reason.
		if _, err := w.s.AcceptConflict(ctx, ir, cs[0].ID, Action{}); !validate.Names(err, "reason") {
			t.Fatalf("accepting without reason: %v", err)
		}
		iq := w.as(t, "iq.commander")
		got, err := w.s.AcceptConflict(ctx, iq, cs[0].ID, Action{Reason: "the sweep avoids the site's compound"})
		if err != nil || got.Status != ConflictAccepted || got.ResolvedBy != "iq.commander" {
			t.Fatalf("accepted: %+v %v", got, err)
		}
	})
}

func TestStrikeThroughKeepsTheOriginal(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		w := newWorld(t, db)
		sy, hz, ru := w.as(t, "sy.officer"), w.as(t, "hz.officer"), w.as(t, "ru.general")
		e, err := w.s.AddEntry(ctx, sy, "damascus", NewLogEntry{Text: "Convoy left Hama 06:10"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.s.Strike(ctx, hz, e.ID, Action{Reason: "wrong"}); err == nil {
			t.Fatal("another member struck the entry")
		}
		if _, err := w.s.Strike(ctx, sy, e.ID, Action{}); !validate.Names(err, "reason") {
			t.Fatalf("strike without reason: %v", err)
		}
		got, err := w.s.Strike(ctx, sy, e.ID, Action{Reason: "it left at 07:10"})
		if err != nil {
			t.Fatal(err)
		}
		if !got.Struck || got.Text != "Convoy left Hama 06:10" || got.Reason != "it left at 07:10" || got.StruckBy != "sy.officer" {
			t.Fatalf("struck entry %+v", got)
		}
		if _, err := w.s.Strike(ctx, ru, e.ID, Action{Reason: "again"}); !validate.Names(err, "struck") {
			t.Fatalf("striking twice: %v", err)
		}
		log, err := w.s.Entries(ctx, hz, "damascus", "", 10)
		if err != nil || len(log) != 1 || log[0].Text != "Convoy left Hama 06:10" || !log[0].Struck {
			t.Fatalf("log %+v %v", log, err)
		}
	})
}

func TestRFIWorkflow(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		w := newWorld(t, db)
		ru, ir, sy := w.as(t, "ru.general"), w.as(t, "ir.commander"), w.as(t, "sy.officer")
		r, err := w.s.AskRFI(ctx, ru, "damascus", RFIInput{Question: "Is IS present in Rastan?", Assignee: "SY", Deadline: day(1)})
		if err != nil {
			t.Fatal(err)
		}
		if !r.Overdue || r.Status != RFIOpen {
			t.Fatalf("asked %+v", r)
		}
		report, err := w.s.AddEntry(ctx, sy, "damascus", NewLogEntry{Text: "SY observation: no IS in Rastan", Marking: item.Marking{TLP: "AMBER", ReleasableTo: []string{"SY"}}})
		if err != nil {
			t.Fatal(err)
		}
		open, err := w.s.AddEntry(ctx, sy, "damascus", NewLogEntry{Text: "SY summary for all"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.s.AnswerRFI(ctx, ir, r.ID, RFIAnswerInput{Items: []string{open.ID}}); err == nil {
			t.Fatal("a partner not assigned answered")
		}
		if _, err := w.s.AnswerRFI(ctx, sy, r.ID, RFIAnswerInput{Items: []string{"nope"}}); !validate.Names(err, "items[0]") {
			t.Fatalf("answer with an unknown item: %v", err)
		}
		got, err := w.s.AnswerRFI(ctx, sy, r.ID, RFIAnswerInput{Items: []string{report.ID, open.ID}})
		if err != nil || got.Status != RFIAnswered || got.Overdue || len(got.Answers) != 2 {
			t.Fatalf("answered %+v %v", got, err)
		}
		// The asker sees only the answers it may see.
		got, err = w.s.RFI(ctx, ru, r.ID)
		if err != nil || len(got.Answers) != 1 || got.Answers[0].Item != open.ID {
			t.Fatalf("the asker sees %+v %v", got.Answers, err)
		}
		if got, err = w.s.ReopenRFI(ctx, ru, r.ID, Action{Reason: "need imagery"}); err != nil || got.Status != RFIReopened || !got.Overdue {
			t.Fatalf("reopened %+v %v", got, err)
		}
		if _, err := w.s.AcceptRFI(ctx, ru, r.ID); !validate.Names(err, "status") {
			t.Fatalf("accepting a reopened request: %v", err)
		}
		if _, err := w.s.AnswerRFI(ctx, sy, r.ID, RFIAnswerInput{Items: []string{open.ID}}); err != nil {
			t.Fatal(err)
		}
		if _, err := w.s.AcceptRFI(ctx, sy, r.ID); err == nil {
			t.Fatal("someone other than the asker accepted")
		}
		if got, err = w.s.AcceptRFI(ctx, ru, r.ID); err != nil || got.Status != RFIAccepted {
			t.Fatalf("accepted %+v %v", got, err)
		}
	})
}

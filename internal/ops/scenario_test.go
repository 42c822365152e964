package ops

import (
	"context"
	"errors"
	"testing"

	"github.com/opsroom/opsroom/internal/access"
	"github.com/opsroom/opsroom/internal/item"
	"github.com/opsroom/opsroom/internal/store"
	"github.com/opsroom/opsroom/internal/store/storetest"
	"github.com/opsroom/opsroom/internal/validate"
)

func TestDamascusDirectorApprovesAlone(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		w := newWorld(t, db)
		ir, ru, sy := w.as(t, "ir.commander"), w.as(t, "ru.general"), w.as(t, "sy.officer")
		op, err := w.s.CreateOperation(ctx, ir, "damascus", OperationInput{Name: "North-west ground offensive", Lead: "IR",
			Components: []Component{{"IR", "ground offensive"}, {"RU", "air support"}}, Area: square(36.4, 35.1, 0.5), Window: window(1, 20)})
		if err != nil {
			t.Fatal(err)
		}
		if op.Status != Draft || op.Lead != "IR" || len(op.Components) != 2 {
			t.Fatalf("created %+v", op)
		}
		if _, err := w.s.Act(ctx, ru, op.ID, ActApprove, Action{}); !validate.Names(err, "status") {
			t.Fatalf("approving a draft: %v", err)
		}
		if _, err := w.s.Act(ctx, sy, op.ID, ActPropose, Action{}); !errors.Is(err, access.ErrForbidden) {
			t.Fatalf("a member of neither side proposes: %v", err)
		}
		if _, err := w.s.Act(ctx, ir, op.ID, ActPropose, Action{}); err != nil {
			t.Fatal(err)
		}
		if _, err := w.s.Act(ctx, sy, op.ID, ActApprove, Action{}); !errors.Is(err, access.ErrForbidden) {
			t.Fatalf("a member approves: %v", err)
		}
		if _, err := w.s.Act(ctx, sy, op.ID, ActComment, Action{Reason: "SY units hold the road north of Hama"}); err != nil {
			t.Fatalf("a member comments: %v", err)
		}
		got, err := w.s.Act(ctx, ru, op.ID, ActApprove, Action{})
		if err != nil {
			t.Fatal(err)
		}
		if got.Status != Approved || len(got.Decisions) != 1 || got.Decisions[0].By != "ru.general" {
			t.Fatalf("after the director's approval: %s %+v", got.Status, got.Decisions)
		}
		h, err := w.s.History(ctx, sy, op.ID)
		if err != nil {
			t.Fatal(err)
		}
		var actions []string
		for _, x := range h {
			actions = append(actions, x.Action+":"+x.By)
		}
		want := []string{"create:ir.commander", "propose:ir.commander", "comment:sy.officer", "approve:ru.general"}
		if len(actions) != len(want) {
			t.Fatalf("history %v, want %v", actions, want)
		}
		for i := range want {
			if actions[i] != want[i] {
				t.Fatalf("history %v, want %v", actions, want)
			}
		}
		log, err := w.s.Entries(ctx, sy, "damascus", "", 50)
		if err != nil || len(log) != 1 || !log[0].Automatic {
			t.Fatalf("watch log after approval: %+v %v", log, err)
		}
	})
}

func TestBaghdadNeedsBothCoDirectors(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		w := newWorld(t, db)
		ir, iq, ru := w.as(t, "ir.commander"), w.as(t, "iq.commander"), w.as(t, "ru.general")
		mk := func(name string) Operation {
			op, err := w.s.CreateOperation(ctx, ru, "baghdad", OperationInput{Name: name, Components: []Component{{"RU", "ISR flights"}, {"IQ", "ground liaison"}},
				Area: square(43.5, 34.0, 1), Window: window(5, 30)})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := w.s.Act(ctx, ru, op.ID, ActPropose, Action{}); err != nil {
				t.Fatal(err)
			}
			return op
		}
		op := mk("ISR tasking over Anbar")
		got, err := w.s.Act(ctx, ir, op.ID, ActApprove, Action{})
		if err != nil || got.Status != Proposed {
			t.Fatalf("one co-director's approval: %s %v", got.Status, err)
		}
		if _, err := w.s.Act(ctx, ir, op.ID, ActApprove, Action{}); !validate.Names(err, "status") {
			t.Fatalf("deciding twice: %v", err)
		}
		if got, err = w.s.Act(ctx, iq, op.ID, ActApprove, Action{}); err != nil || got.Status != Approved {
			t.Fatalf("both co-directors approved: %s %v", got.Status, err)
		}

		op2 := mk("Second tasking")
		if _, err := w.s.Act(ctx, ir, op2.ID, ActApprove, Action{}); err != nil {
			t.Fatal(err)
		}
		if _, err := w.s.Act(ctx, iq, op2.ID, ActReject, Action{}); !validate.Names(err, "reason") {
			t.Fatalf("a rejection without reason: %v", err)
		}
		if got, err = w.s.Act(ctx, iq, op2.ID, ActReject, Action{Reason: "duplicates the Anbar tasking"}); err != nil || got.Status != Rejected {
			t.Fatalf("one rejection: %s %v", got.Status, err)
		}

		// The 2014 room's command model is not reported: no one approves.
		op3, err := w.s.CreateOperation(ctx, ru, "anti-is-iraq-2014", OperationInput{Name: "Training", Area: square(44.3, 33.2, 0.1), Window: window(1, 2)})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.s.Act(ctx, ru, op3.ID, ActPropose, Action{}); err != nil {
			t.Fatal(err)
		}
		if _, err := w.s.Act(ctx, ru, op3.ID, ActApprove, Action{}); !validate.Names(err, "command_model") {
			t.Fatalf("approval in an unspecified room: %v", err)
		}
	})
}

func TestAuthorityDoesNotWidenReading(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		w := newWorld(t, db)
		ir, ru := w.as(t, "ir.commander"), w.as(t, "ru.general")
		op, err := w.s.CreateOperation(ctx, ir, "damascus", OperationInput{Name: "IR only", Area: square(36, 35, 0.2), Window: window(1, 2),
			Marking: item.Marking{TLP: "AMBER", ReleasableTo: []string{"IR"}}})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.s.Act(ctx, ir, op.ID, ActPropose, Action{}); err != nil {
			t.Fatal(err)
		}
		for _, a := range []string{ActApprove, ActReject, ActComment} {
			if _, err := w.s.Act(ctx, ru, op.ID, a, Action{Reason: "x"}); !errors.Is(err, store.ErrNotFound) {
				t.Fatalf("the director %s an operation it may not see: %v", a, err)
			}
		}
		if _, err := w.s.Operation(ctx, ru, op.ID); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("the director reads it: %v", err)
		}
	})
}

func TestOperationsOfTwoPartnersConflict(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		w := newWorld(t, db)
		ir, sy, hz, ru := w.as(t, "ir.commander"), w.as(t, "sy.officer"), w.as(t, "hz.officer"), w.as(t, "ru.general")
		a, err := w.s.CreateOperation(ctx, ir, "damascus", OperationInput{Name: "IR secret", Area: square(36, 35, 1), Window: window(1, 10),
			Marking: item.Marking{TLP: "AMBER", ReleasableTo: []string{"IR"}}})
		if err != nil {
			t.Fatal(err)
		}
		sub := w.bus.Subscribe(a.RoomID, sy.Viewer, 64)
		defer sub.Close()
		b, err := w.s.CreateOperation(ctx, sy, "damascus", OperationInput{Name: "SY sweep", Area: square(36.5, 35.5, 1), Window: window(10, 12)})
		if err != nil {
			t.Fatal(err)
		}
		cs, err := w.s.Conflicts(ctx, sy, "damascus", ConflictQuery{Status: ConflictOpen})
		if err != nil || len(cs) != 1 {
			t.Fatalf("SY's conflicts: %+v %v", cs, err)
		}
		c := cs[0]
		if !c.Sides[0].Visible || c.Sides[0].ItemID != b.ID || c.Sides[1].Visible || c.Sides[1].ItemID != "" || c.Sides[1].Title != "" || c.Sides[1].Partner != "" {
			t.Fatalf("SY sees %+v", c.Sides)
		}
		if c.Window.Start != day(10) || c.Window.End != day(10) {
			t.Fatalf("window %v", c.Window)
		}
		if ci, err := w.s.Conflict(ctx, ir, c.ID); err != nil || !ci.Sides[0].Visible || !ci.Sides[1].Visible {
			t.Fatalf("IR sees %+v %v", ci.Sides, err)
		}
		if _, err := w.s.Conflict(ctx, hz, c.ID); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("a third partner sees the conflict: %v", err)
		}
		if cr, err := w.s.Conflict(ctx, ru, c.ID); err != nil || cr.Sides[0].Visible != true || cr.Sides[1].Visible {
			t.Fatalf("the director sees %+v %v", cr.Sides, err)
		}
		var kinds []string
	drain:
		for {
			select {
			case ch := <-sub.C:
				kinds = append(kinds, ch.Kind)
			default:
				break drain
			}
		}
		if !containsStr(kinds, "conflict") {
			t.Fatalf("SY's live stream: %v", kinds)
		}
		// Moving SY's window away resolves the conflict as adjusted.
		in := OperationInput{Name: "SY sweep", Area: square(36.5, 35.5, 1), Window: window(11, 12), Version: b.Version}
		if _, err := w.s.UpdateOperation(ctx, sy, b.ID, in); err != nil {
			t.Fatal(err)
		}
		got, err := w.s.Conflict(ctx, sy, c.ID)
		if err != nil || got.Status != ConflictAdjusted {
			t.Fatalf("after adjusting: %+v %v", got, err)
		}
	})
}

func containsStr(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

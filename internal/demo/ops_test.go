package demo

import (
	"testing"

	"github.com/opsroom/opsroom/internal/access"
	"github.com/opsroom/opsroom/internal/ops"
	"github.com/opsroom/opsroom/internal/store"
	"github.com/opsroom/opsroom/internal/store/storetest"
)

// TestDemoOperations checks the scenario's operations: the Damascus
// offensive approved by the director alone, the Baghdad ISR tasking
// waiting for the second co-director, and the IQ operation covering the
// notified Erbil aid site in conflict with it, seen by both sides.
func TestDemoOperations(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(db)
		w.load(t)
		ctx, members, o := t.Context(), w.members, w.ops
		as := func(u string) access.Principal {
			p, err := members.AsMember(ctx, u, "cli")
			if err != nil {
				t.Fatal(err)
			}
			return p
		}
		status := map[string]string{}
		for _, slug := range []string{Damascus, Baghdad} {
			list, err := o.Operations(ctx, as("ir.commander"), slug, "", "", 50)
			if err != nil {
				t.Fatal(err)
			}
			for _, op := range list {
				status[op.Name] = op.Status
			}
		}
		if status[OpNorthWest] != ops.Approved || status[OpISR] != ops.Proposed || status[OpErbil] != ops.Draft {
			t.Fatalf("operations' statuses: %v", status)
		}
		for _, u := range []string{"ru.general", "iq.commander"} {
			cs, err := o.Conflicts(ctx, as(u), Baghdad, ops.ConflictQuery{Status: ops.ConflictOpen})
			if err != nil || len(cs) != 1 || cs[0].Sides[1].Kind != "site" || cs[0].Sides[1].Title != "Erbil aid distribution site" {
				t.Fatalf("%s's Baghdad conflicts: %+v %v", u, cs, err)
			}
		}
		cs, err := o.Conflicts(ctx, as("sy.officer"), Damascus, ops.ConflictQuery{Status: ops.ConflictOpen})
		if err != nil || len(cs) != 1 || cs[0].Sides[0].Kind != "movement" {
			t.Fatalf("SY's Damascus conflicts: %+v %v", cs, err)
		}
	})
}

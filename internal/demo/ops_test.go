package demo

import (
	"context"
	"strings"
	"testing"

	"github.com/opsroom/opsroom/internal/access"
	"github.com/opsroom/opsroom/internal/intel"
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

// TestDemoWatchLog checks the automatic entries the demo's watch logs
// start with, with intelligence wired to the watch log as serve wires it:
// the reports at or above the rooms' log grade (C3) and the events whose
// claims contradict each other.
func TestDemoWatchLog(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(db)
		w.im.Intel.OnSignificant = func(ctx context.Context, tx *store.Tx, e intel.Significant) error {
			m, ok := access.Meet(e.About...)
			if !ok {
				return nil
			}
			return ops.AutoLog(ctx, tx, nil, ops.AutoEntry{RoomID: e.RoomID, Text: e.Text, Marking: m, Owner: e.Owner, Author: e.Author, SourceKind: e.Kind, SourceID: e.ID})
		}
		w.pic.OnSiteChange = w.ops.SiteChanged
		w.load(t)
		for _, tc := range []struct {
			user, room string
			want       []string
		}{
			{"sy.officer", Damascus, []string{
				"Report C3 from NOW (Lebanon): NOW reports the joint operations rooms",
				`Event RU air campaign begins is now contested: "The strikes hit IS targets" is asserted by RU MoD and denied by Rebel groups and activists`,
				`Event Air strikes on Latamneh, north-west of Hama is now contested: `,
				`Event Strikes on Rastan reported by Syrian state TV is now contested: `,
				`Event Strikes on Talbiseh reported by Syrian state TV is now contested: `,
			}},
			{"iq.commander", AntiIS2014, []string{"Report C3 from TASS: TASS: RU supplies IQ and SY with weapons"}},
		} {
			log, err := w.ops.Entries(t.Context(), w.as(t, tc.user), tc.room, "", 100)
			if err != nil {
				t.Fatal(err)
			}
			var texts []string
			for _, e := range log {
				if e.Automatic && (strings.HasPrefix(e.Text, "Report ") || strings.HasPrefix(e.Text, "Event ")) {
					texts = append(texts, e.Text)
				}
			}
			if len(texts) != len(tc.want) {
				t.Fatalf("%s's %s log: %q", tc.user, tc.room, texts)
			}
			for i, want := range tc.want {
				if !strings.HasPrefix(texts[i], want) {
					t.Errorf("%s's %s log entry %d: %q, want %q...", tc.user, tc.room, i, texts[i], want)
				}
			}
		}
	})
}

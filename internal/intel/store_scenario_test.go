package intel_test

import (
	"context"
	"testing"

	"github.com/opsroom/opsroom/internal/access"
	"github.com/opsroom/opsroom/internal/account"
	"github.com/opsroom/opsroom/internal/demo"
	"github.com/opsroom/opsroom/internal/exchange"
	"github.com/opsroom/opsroom/internal/intel"
	"github.com/opsroom/opsroom/internal/item"
	"github.com/opsroom/opsroom/internal/live"
	"github.com/opsroom/opsroom/internal/picture"
	"github.com/opsroom/opsroom/internal/room"
	"github.com/opsroom/opsroom/internal/store"
	"github.com/opsroom/opsroom/internal/store/storetest"
)

// loadedDemo is the demo loaded into a fresh database.
type loadedDemo struct {
	db      *store.DB
	members *account.Service
	svc     *intel.Service
	ids     demo.IntelIDs
}

func loadDemo(t *testing.T, db *store.DB) loadedDemo {
	t.Helper()
	ctx := t.Context()
	bus := live.NewBus()
	members, rooms := account.NewService(db), room.NewService(db)
	pic := picture.NewService(db, rooms, bus)
	svc := intel.NewService(db, rooms, item.NewService(db, rooms, bus), bus)
	ids, err := demo.Import(ctx, &exchange.Importer{DB: db, Members: members, Rooms: rooms, Picture: pic, Intel: svc})
	if err != nil {
		t.Fatal(err)
	}
	return loadedDemo{db: db, members: members, svc: svc, ids: ids}
}

func as(t *testing.T, members *account.Service, user string) access.Principal {
	t.Helper()
	p, err := members.AsMember(context.Background(), user, "cli")
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestScenarioThroughTheStore checks the reference scenario's acceptance questions on
// the demo as stored, on both engines.
func TestScenarioThroughTheStore(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		d := loadDemo(t, db)
		ctx := t.Context()
		for _, c := range []struct {
			name, room, user, claim string
			want                    int
			echoes                  []string
		}{
			{"2015 rooms: Al-Rai's unnamed source, echoed by NOW", demo.Damascus, "sy.officer", "rooms-2015", 1, []string{"r3"}},
			{"2014 anti-IS room: Al-Mustaqbal's Iraqi sources, echoed twice", demo.AntiIS2014, "iq.commander", "antiis-2014", 1, []string{"r6", "r7"}},
		} {
			t.Run(c.name, func(t *testing.T) {
				cl, err := d.svc.Claim(ctx, as(t, d.members, c.user), c.room, d.ids.Claims[c.claim])
				if err != nil {
					t.Fatal(err)
				}
				got := cl.Corroborate
				if got == nil || got.Independent != c.want || len(got.Origins) != 1 {
					t.Fatalf("corroboration %+v; want %d independent origin", got, c.want)
				}
				var want []string
				for _, k := range c.echoes {
					want = append(want, d.ids.Reports[k])
				}
				if e := got.Origins[0].Echoes; len(e) != len(want) {
					t.Errorf("echoes %v; want %v", e, want)
				}
			})
		}
		for _, c := range []struct {
			event     string
			contested bool
		}{
			{demo.EventLatamnehStrike, true},
			{demo.EventRastanStrike, true},
			{demo.EventTalbisehStrike, true},
			{demo.EventAirCampaign, true},
			{demo.EventSalamiyahStrike, false},
			{demo.EventNorthHomsStrike, false},
		} {
			b, err := d.svc.EventBoard(ctx, as(t, d.members, "ru.general"), demo.Damascus, d.ids.Events[c.event])
			if err != nil {
				t.Fatal(err)
			}
			if b.Contest.Contested != c.contested {
				t.Errorf("%s: contested = %v; want %v (%+v)", c.event, b.Contest.Contested, c.contested, b.Contest)
			}
		}
		// r4 and its claim are released to IR, SY and HZ only: RU sees
		// neither, and the event's board shows it no claim.
		b, err := d.svc.EventBoard(ctx, as(t, d.members, "ru.general"), demo.Damascus, d.ids.Events[demo.EventIRTroopsArrive])
		if err != nil {
			t.Fatal(err)
		}
		if len(b.Contest.Questions) != 0 || len(b.Corroboration) != 0 {
			t.Errorf("RU sees the IR troops board %+v; want it empty", b)
		}
		if _, err := d.svc.Report(ctx, as(t, d.members, "ru.general"), demo.Damascus, d.ids.Reports["r4"]); err != store.ErrNotFound {
			t.Errorf("RU reading r4: %v; want not found", err)
		}
		// Search finds the rooms report for a partner that may see it.
		page, err := d.svc.Search(ctx, as(t, d.members, "hz.officer"), demo.Damascus, intel.SearchQuery{Text: "joint operations rooms"})
		if err != nil {
			t.Fatal(err)
		}
		if len(page.Hits) < 2 {
			t.Errorf("search for the rooms found %d reports; want r2 and r3", len(page.Hits))
		}
		contested, err := d.svc.Search(ctx, as(t, d.members, "sy.officer"), demo.Damascus, intel.SearchQuery{Contested: true})
		if err != nil {
			t.Fatal(err)
		}
		if len(contested.Hits) == 0 {
			t.Error("no report behind a contested event")
		}
	})
}

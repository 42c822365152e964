package ops

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/opsroom/opsroom/internal/access"
	"github.com/opsroom/opsroom/internal/geo"
	"github.com/opsroom/opsroom/internal/item"
	"github.com/opsroom/opsroom/internal/live"
	"github.com/opsroom/opsroom/internal/store"
	"github.com/opsroom/opsroom/internal/store/storetest"
	"github.com/opsroom/opsroom/internal/timespan"
)

var users = []string{"ru.general", "ir.commander", "iq.commander", "sy.officer", "hz.officer"}

// gen draws shapes on a coarse grid (0.1 degree) so that shared borders,
// shared corners and back-to-back windows happen often.
type gen struct{ r *rand.Rand }

func (g gen) xy() (float64, float64) {
	return 36 + float64(g.r.IntN(8))/10, 35 + float64(g.r.IntN(8))/10
}

func (g gen) area() json.RawMessage {
	lon, lat := g.xy()
	w, h := float64(1+g.r.IntN(3))/10, float64(1+g.r.IntN(3))/10
	if g.r.IntN(3) == 0 { // a triangle
		return json.RawMessage(fmt.Sprintf(`{"type":"Polygon","coordinates":[[[%g,%g],[%g,%g],[%g,%g],[%g,%g]]]}`,
			lon, lat, lon+w, lat, lon, lat+h, lon, lat))
	}
	return json.RawMessage(fmt.Sprintf(`{"type":"Polygon","coordinates":[[[%g,%g],[%g,%g],[%g,%g],[%g,%g],[%g,%g]]]}`,
		lon, lat, lon+w, lat, lon+w, lat+h, lon, lat+h, lon, lat))
}

func (g gen) route() json.RawMessage {
	a, b := g.xy()
	c, d := g.xy()
	for c == a && d == b {
		c, d = g.xy()
	}
	return json.RawMessage(fmt.Sprintf(`{"type":"LineString","coordinates":[[%g,%g],[%g,%g]]}`, a, b, c, d))
}

func (g gen) site() json.RawMessage {
	if g.r.IntN(2) == 0 {
		lon, lat := g.xy()
		return point(lon, lat)
	}
	return g.area()
}

// window: 0 to 3 days from a day in 1..6; a third are zero-width.
func (g gen) window() timespan.Span {
	a := 1 + g.r.IntN(6)
	n := g.r.IntN(4)
	if g.r.IntN(3) == 0 {
		n = 0
	}
	return window(a, a+n)
}

// refPart is the test's own record of one footprint.
type refPart struct {
	id, item, owner string
	f               geo.Footprint
	site, active    bool
}

func mustDecode(t testing.TB, raw json.RawMessage) geo.Geometry {
	g, err := geo.Decode(raw, geo.Options{})
	if err != nil {
		t.Fatalf("%s: %v", raw, err)
	}
	return g
}

func pairKey(a, b string) string {
	if a > b {
		a, b = b, a
	}
	return a + "|" + b
}

// expected is the brute-force answer: every pair of active parts of
// different partners, not both sites, that meet in space and time.
func expected(parts []refPart) []string {
	var out []string
	for i, a := range parts {
		for _, b := range parts[i+1:] {
			if a.owner == b.owner || !a.active || !b.active || (a.site && b.site) {
				continue
			}
			if a.f.Conflicts(b.f) {
				out = append(out, pairKey(a.id, b.id))
			}
		}
	}
	slices.Sort(out)
	return out
}

func recorded(t testing.TB, db *store.DB) []string {
	rows, err := db.Query(context.Background(), `SELECT a_part, b_part FROM conflicts WHERE status = 'open'`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var a, b string
		if err := rows.Scan(&a, &b); err != nil {
			t.Fatal(err)
		}
		out = append(out, pairKey(a, b))
	}
	slices.Sort(out)
	return out
}

func diff(want, got []string) string {
	var b strings.Builder
	for _, w := range want {
		if !slices.Contains(got, w) {
			fmt.Fprintf(&b, " missing %s;", w)
		}
	}
	for _, g := range got {
		if !slices.Contains(want, g) {
			fmt.Fprintf(&b, " extra %s;", g)
		}
	}
	if len(got) != len(slices.Compact(slices.Clone(got))) {
		b.WriteString(" duplicates;")
	}
	return b.String()
}

// TestOverlapsMatchBruteForce builds random worlds of protected sites,
// operations with phases and movements with corridors, checks the open
// conflicts against a brute-force reference, then changes, cancels and
// withdraws items and checks again.
func TestOverlapsMatchBruteForce(t *testing.T) {
	worlds := 3
	if testing.Short() {
		worlds = 1
	}
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		w := newWorld(t, db)
		ps := map[string]access.Principal{}
		for _, u := range users {
			ps[u] = w.as(t, u)
		}
		for seed := range worlds {
			g := gen{rand.New(rand.NewPCG(uint64(seed), 5))}
			slug := "damascus"
			if seed%2 == 1 {
				slug = "baghdad"
			}
			var parts []refPart
			for range 6 {
				u := users[g.r.IntN(len(users))]
				raw := g.site()
				prot := g.r.IntN(3) > 0
				id := w.addSite(t, ps[u], slug, "site", raw, prot, item.Marking{})
				if !prot && g.r.IntN(2) == 0 {
					if _, err := w.s.NotifySite(ctx, ps[users[g.r.IntN(len(users))]], slug, SiteNoticeInput{Site: id}); err != nil {
						t.Fatal(err)
					}
					prot = true
				}
				parts = append(parts, refPart{id: id, item: id, owner: ps[u].PartnerID, site: true, active: prot,
					f: geo.Footprint{Geometry: mustDecode(t, raw), When: always}})
			}
			type made struct {
				id, user string
				op       bool
				version  int
				phases   []Phase
			}
			var items []made
			setParts := func(itemID string, ps []refPart) {
				parts = slices.DeleteFunc(parts, func(p refPart) bool { return p.item == itemID })
				parts = append(parts, ps...)
			}
			opParts := func(op Operation, owner string) []refPart {
				out := []refPart{{id: op.ID, item: op.ID, owner: owner, active: true, f: geo.Footprint{Geometry: mustDecode(t, op.Area), When: op.Window}}}
				for _, ph := range op.Phases {
					out = append(out, refPart{id: ph.ID, item: op.ID, owner: owner, active: true, f: geo.Footprint{Geometry: mustDecode(t, ph.Area), When: ph.Window}})
				}
				return out
			}
			opInput := func() OperationInput {
				in := OperationInput{Name: "op", Area: g.area(), Window: g.window()}
				for range g.r.IntN(3) {
					in.Phases = append(in.Phases, Phase{Name: "phase", Area: g.area(), Window: g.window()})
				}
				return in
			}
			mvInput := func() MovementInput {
				return MovementInput{Title: "mv", Purpose: "convoy", Route: g.route(), CorridorWidth: []float64{0, 0, 4000, 12000}[g.r.IntN(4)], Window: g.window()}
			}
			for range 14 {
				u := users[g.r.IntN(len(users))]
				p := ps[u]
				if g.r.IntN(3) > 0 {
					op, err := w.s.CreateOperation(ctx, p, slug, opInput())
					if err != nil {
						t.Fatal(err)
					}
					setParts(op.ID, opParts(op, p.PartnerID))
					items = append(items, made{op.ID, u, true, op.Version, op.Phases})
				} else {
					in := mvInput()
					mv, err := w.s.CreateMovement(ctx, p, slug, in)
					if err != nil {
						t.Fatal(err)
					}
					setParts(mv.ID, []refPart{{id: mv.ID, item: mv.ID, owner: p.PartnerID, active: true,
						f: geo.Footprint{Geometry: mustDecode(t, in.Route), HalfWidth: in.CorridorWidth / 2, When: in.Window}}})
					items = append(items, made{mv.ID, u, false, mv.Version, nil})
				}
			}
			want := expected(parts)
			if len(want) < 5 {
				t.Fatalf("seed %d: only %d overlaps; the random world tests too little", seed, len(want))
			}
			if d := diff(want, recorded(t, db)); d != "" {
				t.Fatalf("seed %d after creation:%s", seed, d)
			}
			t.Logf("seed %d: %d overlaps", seed, len(want))
			// Change, cancel and withdraw items after their conflicts were raised.
			for i, it := range items {
				p := ps[it.user]
				switch g.r.IntN(4) {
				case 0: // change area, window and phases (keeping the first phase's id)
					if it.op {
						in := opInput()
						in.Version = it.version
						if len(it.phases) > 0 && len(in.Phases) > 0 {
							in.Phases[0].ID = it.phases[0].ID
						}
						op, err := w.s.UpdateOperation(ctx, p, it.id, in)
						if err != nil {
							t.Fatal(err)
						}
						setParts(op.ID, opParts(op, p.PartnerID))
						items[i].version, items[i].phases = op.Version, op.Phases
					} else {
						in := mvInput()
						in.Version = it.version
						mv, err := w.s.UpdateMovement(ctx, p, it.id, in)
						if err != nil {
							t.Fatal(err)
						}
						setParts(mv.ID, []refPart{{id: mv.ID, item: mv.ID, owner: p.PartnerID, active: true,
							f: geo.Footprint{Geometry: mustDecode(t, in.Route), HalfWidth: in.CorridorWidth / 2, When: in.Window}}})
						items[i].version = mv.Version
					}
				case 1: // cancel or withdraw
					var err error
					if it.op {
						_, err = w.s.Act(ctx, p, it.id, ActCancel, Action{Reason: "test"})
					} else {
						err = w.s.Withdraw(ctx, p, it.id, Action{})
					}
					if err != nil {
						t.Fatal(err)
					}
					for j := range parts {
						if parts[j].item == it.id {
							parts[j].active = false
						}
					}
				}
			}
			if d := diff(expected(parts), recorded(t, db)); d != "" {
				t.Fatalf("seed %d after changes:%s", seed, d)
			}
			// Clean the room's slate for the next world: cancel and withdraw all.
			for _, it := range items {
				if it.op {
					_, _ = w.s.Act(ctx, ps[it.user], it.id, ActCancel, Action{Reason: "next world"})
				} else {
					_ = w.s.Withdraw(ctx, ps[it.user], it.id, Action{})
				}
			}
			if err := db.Write(ctx, func(tx *store.Tx) error {
				_, err := tx.Exec(ctx, `UPDATE sites SET protected = ? WHERE 1 = 1`, false)
				if err == nil {
					_, err = tx.Exec(ctx, `UPDATE site_notices SET status = 'withdrawn'`)
				}
				if err == nil {
					_, err = tx.Exec(ctx, `UPDATE conflicts SET status = 'withdrawn'`)
				}
				return err
			}); err != nil {
				t.Fatal(err)
			}
		}
	})
}

// TestConflictsRevealNothingHidden builds random worlds with random
// markings and checks, for every member and every conflict it is shown
// (by list, by id and on the live stream), that nothing of a side's item
// the member may not see appears.
func TestConflictsRevealNothingHidden(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		w := newWorld(t, db)
		ps := map[string]access.Principal{}
		var partnerCodes = map[string]string{}
		for _, u := range users {
			ps[u] = w.as(t, u)
			partnerCodes[ps[u].PartnerID] = strings.ToUpper(u[:2])
		}
		const slug = "damascus"
		rm, err := w.rooms.Room(ctx, ps["ru.general"], slug)
		if err != nil {
			t.Fatal(err)
		}
		subs := map[string]*live.Subscription{}
		for _, u := range users {
			subs[u] = w.bus.Subscribe(rm.ID, ps[u].Viewer, 10_000)
			defer subs[u].Close()
		}
		g := gen{rand.New(rand.NewPCG(7, 11))}
		marking := func(author string) item.Marking {
			switch g.r.IntN(4) {
			case 0:
				return item.Marking{TLP: "AMBER"}
			case 1:
				return item.Marking{TLP: "RED", Recipients: []string{author}}
			default:
				rel := []string{strings.ToUpper(author[:2])}
				for _, u := range users {
					if g.r.IntN(3) == 0 && !slices.Contains(rel, strings.ToUpper(u[:2])) {
						rel = append(rel, strings.ToUpper(u[:2]))
					}
				}
				return item.Marking{TLP: "AMBER", ReleasableTo: rel}
			}
		}
		// secrets holds, per item, what must not show to those who may not see it.
		secrets := map[string][]string{}
		for i := range 24 {
			u := users[g.r.IntN(len(users))]
			p := ps[u]
			token := fmt.Sprintf("secret-%d-%x", i, g.r.Uint64())
			if g.r.IntN(3) > 0 {
				in := OperationInput{Name: token, Area: g.area(), Window: g.window(), Marking: marking(u)}
				if g.r.IntN(2) == 0 {
					in.Phases = []Phase{{Name: token + "-phase", Area: g.area(), Window: g.window()}}
				}
				op, err := w.s.CreateOperation(ctx, p, slug, in)
				if err != nil {
					t.Fatal(err)
				}
				secrets[op.ID] = []string{op.ID, token}
			} else {
				mv, err := w.s.CreateMovement(ctx, p, slug, MovementInput{Title: token, Purpose: token + "-purpose", Route: g.route(), Window: g.window(), Marking: marking(u)})
				if err != nil {
					t.Fatal(err)
				}
				secrets[mv.ID] = []string{mv.ID, token}
			}
		}
		var sides []struct{ id, a, b string }
		rows, err := db.Query(ctx, `SELECT item_id, a_item_id, b_item_id FROM conflicts`)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var s struct{ id, a, b string }
			if err := rows.Scan(&s.id, &s.a, &s.b); err != nil {
				t.Fatal(err)
			}
			sides = append(sides, s)
		}
		rows.Close()
		if len(sides) < 5 {
			t.Fatalf("only %d conflicts in the random world; the test needs more", len(sides))
		}
		shownHidden := 0
		for _, u := range users {
			p := ps[u]
			list, err := w.s.Conflicts(ctx, p, slug, ConflictQuery{Limit: 500})
			if err != nil {
				t.Fatal(err)
			}
			listed := map[string]Conflict{}
			for _, c := range list {
				listed[c.ID] = c
			}
			for _, s := range sides {
				cm, err := item.LoadMarking(ctx, db, s.id)
				if err != nil {
					t.Fatal(err)
				}
				c, ok := listed[s.id]
				if ok != access.CanSee(p.Viewer, rm.ID, cm) {
					t.Fatalf("%s: conflict listed %v, policy says %v", u, ok, !ok)
				}
				if !ok {
					continue
				}
				byID, err := w.s.Conflict(ctx, p, s.id)
				if err != nil {
					t.Fatal(err)
				}
				for k, sideID := range []string{s.a, s.b} {
					m, err := item.LoadMarking(ctx, db, sideID)
					if err != nil {
						t.Fatal(err)
					}
					if access.CanSee(p.Viewer, rm.ID, m) {
						if !c.Sides[k].Visible || c.Sides[k].ItemID != sideID {
							t.Fatalf("%s may see side %d of %s but is not shown it: %+v", u, k, s.id, c.Sides[k])
						}
						continue
					}
					shownHidden++
					sd := c.Sides[k]
					if sd.Visible || sd.ItemID != "" || sd.Title != "" || sd.Partner != "" || sd.Phase != "" {
						t.Fatalf("%s is shown hidden side %d of %s: %+v", u, k, s.id, sd)
					}
					for _, view := range []Conflict{c, byID} {
						b, _ := json.Marshal(view)
						for _, secret := range secrets[sideID] {
							if strings.Contains(string(b), secret) {
								t.Fatalf("%s sees %q of a hidden side in %s", u, secret, b)
							}
						}
					}
				}
			}
		}
		// The generic item paths show conflicts and their log entries
		// filed under the room's authority (RU in Damascus), and nothing of
		// a hidden side.
		items := item.NewService(db, w.rooms, w.bus)
		for _, u := range users {
			for _, kind := range []string{"conflict", "log-entry"} {
				list, err := items.List(ctx, ps[u], slug, item.ListQuery{Kind: kind, Limit: 1000})
				if err != nil {
					t.Fatal(err)
				}
				for _, it := range list {
					if it.Owner != "RU" || it.CreatedBy != "ru.general" {
						t.Fatalf("%s is filed under %s/%s", it.Title, it.Owner, it.CreatedBy)
					}
					b, _ := json.Marshal(it)
					for _, sec := range secrets {
						for _, s := range sec {
							if strings.Contains(string(b), s) {
								t.Fatalf("%s's item list shows %q in %s", u, s, b)
							}
						}
					}
				}
			}
		}
		if shownHidden == 0 {
			t.Fatal("no conflict showed anyone a side it may not see; the random world tests nothing")
		}
		// Live: conflict changes and the automatic log entries about them
		// name neither side.
		for _, u := range users {
		drain:
			for {
				select {
				case ch := <-subs[u].C:
					if ch.Kind != "conflict" && !strings.Contains(string(ch.Data), `"source_kind":"conflict"`) {
						continue
					}
					for _, sec := range secrets {
						for _, s := range sec {
							if strings.Contains(string(ch.Data), s) {
								t.Fatalf("%s's stream shows %q in %s", u, s, ch.Data)
							}
						}
					}
				default:
					break drain
				}
			}
		}
	})
}

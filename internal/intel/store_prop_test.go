package intel

import (
	"cmp"
	"context"
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/opsroom/opsroom/internal/access"
	"github.com/opsroom/opsroom/internal/account"
	"github.com/opsroom/opsroom/internal/audit"
	"github.com/opsroom/opsroom/internal/item"
	"github.com/opsroom/opsroom/internal/live"
	"github.com/opsroom/opsroom/internal/room"
	"github.com/opsroom/opsroom/internal/store"
	"github.com/opsroom/opsroom/internal/store/storetest"
	"github.com/opsroom/opsroom/internal/timespan"
)

// fixture is a room "r" with partners A and B, member a of A (who writes
// everything) and member b of B (the viewer), and one event.
type fixture struct {
	db    *store.DB
	svc   *Service
	a, b  access.Principal
	event string
}

func newFixture(t testing.TB, db *store.DB) fixture {
	t.Helper()
	ctx := context.Background()
	bus := live.NewBus()
	members, rooms := account.NewService(db), room.NewService(db)
	sys := access.System
	for _, code := range []string{"A", "B"} {
		if _, err := rooms.CreatePartner(ctx, sys, room.NewPartner{Code: code, Name: "Partner " + code, Kind: "state"}); err != nil {
			t.Fatal(err)
		}
		if _, err := members.CreateMember(ctx, sys, account.NewMember{Partner: code, Username: strings.ToLower(code), DisplayName: code, Password: "correct horse battery"}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := rooms.CreateRoom(ctx, sys, room.NewRoom{Slug: "r", Name: "Room", Purpose: "tests", CommandModel: room.Director, Partners: []string{"A", "B"}}); err != nil {
		t.Fatal(err)
	}
	for _, u := range []string{"a", "b"} {
		if err := rooms.SetMember(ctx, sys, "r", u, room.RoleMember); err != nil {
			t.Fatal(err)
		}
	}
	f := fixture{db: db, svc: NewService(db, rooms, item.NewService(db, rooms, bus), bus)}
	var err error
	if f.a, err = members.AsMember(ctx, "a", "cli"); err != nil {
		t.Fatal(err)
	}
	if f.b, err = members.AsMember(ctx, "b", "cli"); err != nil {
		t.Fatal(err)
	}
	sc, err := f.svc.Scope(ctx, f.a, "r")
	if err != nil {
		t.Fatal(err)
	}
	err = db.Write(ctx, func(tx *store.Tx) error {
		rec := &item.Record{RoomID: sc.Room.ID, Room: "r", Kind: ItemEvent, Title: "an event", Marking: access.Marking{TLP: access.Green},
			Shown: item.Marking{TLP: "GREEN"}, Owner: f.a.PartnerID, Author: f.a.ID}
		if err := item.Insert(ctx, tx, nil, rec, audit.By(f.a), nil); err != nil {
			return err
		}
		f.event = rec.ID
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// hiddenFromB is a marking only partner A's members may see.
var hiddenFromB = item.Marking{TLP: "AMBER", ReleasableTo: []string{"A"}}

// TestStoredCorroborationMatchesReference writes random provenance graphs
// through the service (hidden reports released to A only) and checks that
// the corroboration b gets equals the brute-force reference on the world
// restricted to what b may see.
func TestStoredCorroborationMatchesReference(t *testing.T) {
	worlds := 12
	if testing.Short() {
		worlds = 4
	}
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ctx := t.Context()
		rng := rand.New(rand.NewPCG(7, uint64(len(db.Engine()))))
		for wi := range worlds {
			w := randomWorld(rng)
			sc, err := f.svc.Scope(ctx, f.a, "r")
			if err != nil {
				t.Fatal(err)
			}
			ids := map[string]string{}   // world report -> stored ID
			names := map[string]string{} // stored ID -> world report or source
			srcIDs := map[string]string{}
			var claimID string
			err = db.Write(ctx, func(tx *store.Tx) error {
				for _, s := range slices.Sorted(mapValues(w.sources)) {
					if _, ok := srcIDs[s]; ok {
						continue
					}
					id, err := f.svc.CreateSourceTx(ctx, tx, sc, NewSource{Name: s, Kind: "outlet", Reliability: "C", Marking: item.Marking{TLP: "CLEAR"}})
					if err != nil {
						return err
					}
					srcIDs[s], names[id] = id, s
				}
				// Create reports in an order where every link target exists
				// first (the world's links only point to earlier reports).
				order := topo(w)
				for _, r := range order {
					m := item.Marking{TLP: "GREEN"}
					if !w.visible[r] {
						m = hiddenFromB
					}
					id, err := f.svc.CreateReportTx(ctx, tx, sc, NewReport{Title: r, Text: "report " + r, Source: srcIDs[w.sources[r]], Credibility: 3, Marking: m})
					if err != nil {
						return err
					}
					ids[r], names[id] = id, r
				}
				for _, l := range w.links {
					if _, err := f.svc.CreateLinkTx(ctx, tx, sc, ids[l.Report], NewLink{Kind: string(l.Kind), Target: ids[l.Target]}); err != nil {
						return fmt.Errorf("link %v: %w", l, err)
					}
				}
				var sup []string
				for _, r := range w.supporting {
					sup = append(sup, ids[r])
				}
				claimID, err = f.svc.CreateClaimTx(ctx, tx, sc, NewClaim{Event: f.event, Actor: "x", Proposition: fmt.Sprintf("p%d", wi), Stance: "asserts",
					Supporting: sup, Marking: item.Marking{TLP: "GREEN"}})
				return err
			})
			if err != nil {
				t.Fatalf("world %d: %v", wi, err)
			}
			c, err := f.svc.Claim(ctx, f.b, "r", claimID)
			if err != nil {
				t.Fatal(err)
			}
			got := rename(*c.Corroborate, names)
			want := reference(w.restrict())
			if got.Independent != want.Independent || !reflect.DeepEqual(got.Origins, want.Origins) {
				t.Errorf("world %d (%d reports, %d links): stored %+v\nreference %+v", wi, len(w.sources), len(w.links), got, want)
			}
		}
	})
}

func mapValues(m map[string]string) func(func(string) bool) {
	return func(yield func(string) bool) {
		for _, v := range m {
			if !yield(v) {
				return
			}
		}
	}
}

// topo orders a world's reports so that every link's target comes before
// its report.
func topo(w world) []string {
	parents := map[string][]string{}
	for _, l := range w.links {
		parents[l.Report] = append(parents[l.Report], l.Target)
	}
	done := map[string]bool{}
	var out []string
	var visit func(string)
	visit = func(r string) {
		if done[r] {
			return
		}
		done[r] = true
		for _, p := range parents[r] {
			visit(p)
		}
		out = append(out, r)
	}
	for _, r := range slices.Sorted(mapKeys(w.sources)) {
		visit(r)
	}
	return out
}

func mapKeys(m map[string]string) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// rename maps stored IDs back to the world's names and sorts as
// Corroborate does.
func rename(c Corroboration, names map[string]string) Corroboration {
	out := Corroboration{Independent: c.Independent, Supporting: []string{}, Origins: []Origin{}}
	for _, s := range c.Supporting {
		out.Supporting = append(out.Supporting, names[s])
	}
	slices.Sort(out.Supporting)
	for _, o := range c.Origins {
		n := Origin{Source: names[o.Source], Roots: []string{}, Echoes: []string{}}
		for _, r := range o.Roots {
			n.Roots = append(n.Roots, names[r])
		}
		for _, r := range o.Echoes {
			n.Echoes = append(n.Echoes, names[r])
		}
		slices.Sort(n.Roots)
		slices.Sort(n.Echoes)
		out.Origins = append(out.Origins, n)
	}
	slices.SortFunc(out.Origins, func(a, b Origin) int { return cmp.Compare(a.Source, b.Source) })
	return out
}

// TestSearchIgnoresHiddenReports builds random worlds twice: once with
// every report, once with only those b may see (same IDs and content).
// b's searches must give the same hits, in the same order, with the same
// ranks, page by page: a hidden report can be neither returned, nor
// counted, nor change the ranking.
func TestSearchIgnoresHiddenReports(t *testing.T) {
	vocab := []string{"strike", "convoy", "airfield", "hotel", "experts", "rooms", "troops", "aid", "helicopters", "ministry"}
	worlds := 4
	if testing.Short() {
		worlds = 2
	}
	for _, engine := range storetest.Engines() {
		t.Run(string(engine), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(11, 3))
			for wi := range worlds {
				full, only := newFixture(t, storetest.Open(t, engine)), newFixture(t, storetest.Open(t, engine))
				type rep struct {
					id, title, text string
					cred            int
					hidden          bool
					lon, lat        float64
				}
				n := 20 + rng.IntN(30)
				reps := make([]rep, n)
				for i := range reps {
					words := func(k int) string {
						var ws []string
						for range k {
							ws = append(ws, vocab[rng.IntN(len(vocab))])
						}
						return strings.Join(ws, " ")
					}
					reps[i] = rep{id: store.NewID(), title: words(1 + rng.IntN(3)), text: words(3 + rng.IntN(12)), cred: 1 + rng.IntN(6),
						hidden: rng.IntN(2) == 0, lon: 30 + rng.Float64()*10, lat: 30 + rng.Float64()*10}
				}
				for fi, f := range []fixture{full, only} {
					sc, err := f.svc.Scope(t.Context(), f.a, "r")
					if err != nil {
						t.Fatal(err)
					}
					err = f.db.Write(t.Context(), func(tx *store.Tx) error {
						src, err := f.svc.CreateSourceTx(t.Context(), tx, sc, NewSource{ID: "00000000-0000-7000-8000-000000000001", Name: "s", Kind: "outlet", Reliability: "B", Marking: item.Marking{TLP: "CLEAR"}})
						if err != nil {
							return err
						}
						for _, r := range reps {
							if fi == 1 && r.hidden {
								continue
							}
							m := item.Marking{TLP: "GREEN"}
							if r.hidden {
								m = hiddenFromB
							}
							_, err := f.svc.CreateReportTx(t.Context(), tx, sc, NewReport{ID: r.id, Title: r.title, Text: r.text, Source: src, Credibility: r.cred,
								Observed: timespan.At(time.Date(2015, 9, 30, 0, 0, 0, 0, time.UTC)), Places: []Place{{Geometry: fmt.Appendf(nil, `{"type":"Point","coordinates":[%v,%v]}`, r.lon, r.lat)}}, Marking: m})
							if err != nil {
								return err
							}
						}
						return nil
					})
					if err != nil {
						t.Fatal(err)
					}
				}
				queries := []SearchQuery{
					{Text: vocab[rng.IntN(len(vocab))]},
					{Text: vocab[rng.IntN(len(vocab))] + " " + vocab[rng.IntN(len(vocab))]},
					{Text: vocab[rng.IntN(len(vocab))], MaxCredibility: 3},
					{Text: vocab[rng.IntN(len(vocab))], BBox: &[4]float64{30, 30, 35, 35}},
					{Text: vocab[rng.IntN(len(vocab))], Reliability: []Reliability{ReliabilityB}, Partner: "A"},
					{},
				}
				for qi, q := range queries {
					q.Limit = 1 + rng.IntN(5)
					a, b := pages(t, full, q), pages(t, only, q)
					if !reflect.DeepEqual(a, b) {
						t.Errorf("world %d query %d %+v:\nwith hidden reports    %v\nwithout hidden reports %v", wi, qi, q, a, b)
					}
				}
			}
		})
	}
}

// pages runs a search as b through every page and returns "id rank" per
// hit.
func pages(t *testing.T, f fixture, q SearchQuery) []string {
	t.Helper()
	var out []string
	for range 1000 {
		p, err := f.svc.Search(t.Context(), f.b, "r", q)
		if err != nil {
			t.Fatal(err)
		}
		for _, h := range p.Hits {
			out = append(out, fmt.Sprintf("%s %g", h.Report.ID, h.Rank))
		}
		if p.NextCursor == "" {
			return out
		}
		q.After = p.NextCursor
	}
	t.Fatal("search pages do not end")
	return nil
}

package picture

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/opsroom/opsroom/internal/access"
	"github.com/opsroom/opsroom/internal/bench"
	"github.com/opsroom/opsroom/internal/item"
	"github.com/opsroom/opsroom/internal/room"
	"github.com/opsroom/opsroom/internal/store"
	"github.com/opsroom/opsroom/internal/store/storetest"
)

// made is one item of a random world with what the policy needs.
type made struct {
	id, kind, roomID, slug, name string
	marking                      access.Marking
	links                        []string
}

// randomWorld fills the bench room and a second, smaller room with items
// of every kind under random markings by random authors. Events link to
// earlier items of their room that their author may see.
func randomWorld(t *testing.T, db *store.DB, seed uint64, n int) (*bench.World, *Service, []access.Principal, []made) {
	t.Helper()
	ctx := t.Context()
	w, s := newWorld(t, db)
	rng := rand.New(rand.NewPCG(seed, 7))
	if _, err := w.Rooms.CreateRoom(ctx, access.System, room.NewRoom{Slug: "other", Name: "other", Purpose: "p", CommandModel: room.Unspecified,
		Partners: []string{"B0", "B1"}}); err != nil {
		t.Fatal(err)
	}
	for _, u := range []string{"bench0", "bench1", "bench4"} {
		if err := w.Rooms.SetMember(ctx, access.System, "other", u, room.RoleMember); err != nil {
			t.Fatal(err)
		}
	}
	var people []access.Principal
	for k := range 12 {
		p, err := w.Members.AsMember(ctx, fmt.Sprintf("bench%d", k), "test")
		if err != nil {
			t.Fatal(err)
		}
		people = append(people, p)
	}
	w.People = people
	otherWorld := *w
	otherWorld.People = []access.Principal{people[0], people[1], people[4]}
	var items []made
	kinds := []string{KindSite, KindEvent, KindArea, KindPlace, KindTrack}
	for k := range n {
		slug, ww := "bench", w
		if k%4 == 3 {
			slug, ww = "other", &otherWorld
		}
		p := ww.People[rng.IntN(len(ww.People))]
		mk := ww.RandomMarking(rng, p)
		kind := kinds[k%len(kinds)]
		lon, lat := 36+rng.Float64(), 34+rng.Float64()
		name := fmt.Sprintf("Village%c%d", 'a'+rune(k%26), k)
		var id string
		var links []string
		var err error
		switch kind {
		case KindSite:
			var v Site
			v, err = s.CreateSite(ctx, p, slug, SiteInput{Title: name, Marking: mk, Geometry: point(lon, lat)})
			id = v.ID
		case KindEvent:
			var cands []string
			for _, it := range items {
				if it.slug == slug && access.CanSee(p.Viewer, it.roomID, it.marking) && rng.IntN(3) == 0 {
					cands = append(cands, it.id)
				}
			}
			var v Event
			v, err = s.CreateEvent(ctx, p, slug, EventInput{Title: name, Marking: mk, EventKind: "strike", Start: t0, End: t0.Add(time.Hour),
				Geometry: box(lon, lat, lon+0.1, lat+0.1), Links: cands})
			id, links = v.ID, cands
		case KindArea:
			var v Area
			v, err = s.CreateArea(ctx, p, slug, AreaInput{Title: name, Marking: mk, Geometry: box(lon, lat, lon+0.2, lat+0.2)})
			id = v.ID
		case KindPlace:
			var v Place
			v, err = s.CreatePlace(ctx, p, slug, PlaceInput{Name: name, Marking: mk, Lat: &lat, Lon: &lon})
			id = v.ID
		case KindTrack:
			var v Track
			v, err = s.CreateTrack(ctx, p, slug, TrackInput{Title: name, Marking: mk, UID: name, Type: "a-f-G", StaleSeconds: 3600})
			if err == nil {
				_, err = s.AppendPositions(ctx, p, v.ID, PositionBatch{Positions: []Position{{At: t0, Lon: lon, Lat: lat}, {At: t0.Add(time.Minute), Lon: lon, Lat: lat}}})
			}
			id = v.ID
		}
		if err != nil {
			t.Fatalf("create %s: %v", kind, err)
		}
		m, err := item.LoadMarking(ctx, db, id)
		if err != nil {
			t.Fatal(err)
		}
		rm, err := w.Rooms.Room(ctx, access.System, slug)
		if err != nil {
			t.Fatal(err)
		}
		items = append(items, made{id: id, kind: kind, roomID: rm.ID, slug: slug, name: name, marking: m, links: links})
	}
	return w, s, people, items
}

// TestNeedToKnow checks every read path (list, get, picture in a window
// and at a moment, track history, place lookup, both exports, event
// links) against access.CanSee on random worlds.
func TestNeedToKnow(t *testing.T) {
	seeds := []uint64{1, 2}
	if testing.Short() {
		seeds = seeds[:1]
	}
	for _, e := range storetest.Engines() {
		for _, seed := range seeds {
			t.Run(fmt.Sprintf("%s/seed%d", e, seed), func(t *testing.T) { needToKnow(t, storetest.Open(t, e), seed) })
		}
	}
}

func needToKnow(t *testing.T, db *store.DB, seed uint64) {
	ctx := t.Context()
	_, s, people, items := randomWorld(t, db, seed, 40)
	seen, hidden := 0, 0
	for _, p := range people {
		want := map[string]map[string][]string{} // slug -> kind -> ids
		visible := map[string]bool{}
		for _, it := range items {
			if want[it.slug] == nil {
				want[it.slug] = map[string][]string{}
			}
			if access.CanSee(p.Viewer, it.roomID, it.marking) {
				want[it.slug][it.kind] = append(want[it.slug][it.kind], it.id)
				visible[it.id] = true
				seen++
			} else {
				hidden++
			}
		}
		for _, slug := range []string{"bench", "other"} {
			member := slug == "bench" || slices.Contains([]string{"bench0", "bench1", "bench4"}, p.Username)
			lists := map[string]func() ([]string, error){
				KindSite:  func() ([]string, error) { v, err := s.Sites(ctx, p, slug, "", 500); return ids(v), err },
				KindEvent: func() ([]string, error) { v, err := s.Events(ctx, p, slug, "", 500); return ids(v), err },
				KindArea:  func() ([]string, error) { v, err := s.Areas(ctx, p, slug, "", 500); return ids(v), err },
				KindPlace: func() ([]string, error) { v, err := s.Places(ctx, p, slug, "", 500); return ids(v), err },
				KindTrack: func() ([]string, error) { v, err := s.Tracks(ctx, p, slug, "", 500); return ids(v), err },
			}
			for kind, list := range lists {
				got, err := list()
				if !member {
					if !errors.Is(err, store.ErrNotFound) {
						t.Errorf("%s lists %s of %s, a room it is not in: %v", p.Username, kind, slug, err)
					}
					continue
				}
				if err != nil {
					t.Fatal(err)
				}
				exp := slices.Sorted(slices.Values(want[slug][kind]))
				if exp == nil {
					exp = []string{}
				}
				if !slices.Equal(got, exp) {
					t.Errorf("seed %d %s list %s of %s: got %v, want %v", seed, p.Username, kind, slug, got, exp)
				}
			}
			if !member {
				continue
			}
			for _, q := range []Query{{From: t0.Add(-time.Hour), To: t0.Add(time.Hour)}, {At: t0.Add(30 * time.Minute)}} {
				pic, err := s.Picture(ctx, p, slug, q)
				if err != nil {
					t.Fatal(err)
				}
				got := map[string][]string{KindSite: ids(pic.Sites), KindEvent: ids(pic.Events), KindArea: ids(pic.Areas), KindPlace: ids(pic.Places), KindTrack: ids(pic.Tracks)}
				for kind, g := range got {
					exp := slices.Sorted(slices.Values(want[slug][kind]))
					if exp == nil {
						exp = []string{}
					}
					if !slices.Equal(g, exp) {
						t.Errorf("seed %d %s picture %+v %s of %s: got %v, want %v", seed, p.Username, q, kind, slug, g, exp)
					}
				}
				for _, ev := range pic.Events {
					for _, l := range ev.Links {
						if !visible[l] {
							t.Errorf("%s sees a link to %s, which it may not see", p.Username, l)
						}
					}
				}
				var gj, kml bytes.Buffer
				if err := pic.WriteGeoJSON(&gj); err != nil {
					t.Fatal(err)
				}
				if err := pic.WriteKML(&kml); err != nil {
					t.Fatal(err)
				}
				var fc struct {
					Features []struct {
						ID string `json:"id"`
					} `json:"features"`
				}
				if err := json.Unmarshal(gj.Bytes(), &fc); err != nil {
					t.Fatal(err)
				}
				n := 0
				for _, f := range fc.Features {
					if !visible[f.ID] {
						t.Errorf("%s's GeoJSON export holds %s", p.Username, f.ID)
					}
					n++
				}
				if exp := len(pic.Sites) + len(pic.Events) + len(pic.Areas) + len(pic.Places) + len(pic.Tracks); n != exp {
					t.Errorf("GeoJSON export has %d features, picture %d", n, exp)
				}
				for _, it := range items {
					if !visible[it.id] && (strings.Contains(kml.String(), it.id) || strings.Contains(gj.String(), it.id)) {
						t.Errorf("%s's export holds %s", p.Username, it.id)
					}
				}
			}
		}
		for _, it := range items {
			var err error
			switch it.kind {
			case KindSite:
				_, err = s.Site(ctx, p, it.id)
			case KindEvent:
				var ev Event
				ev, err = s.Event(ctx, p, it.id)
				if err == nil {
					var exp []string
					for _, l := range it.links {
						if visible[l] {
							exp = append(exp, l)
						}
					}
					slices.Sort(exp)
					if fmt.Sprint(ev.Links) != fmt.Sprint(nonNil(exp)) {
						t.Errorf("%s sees links %v of %s, want %v", p.Username, ev.Links, it.id, exp)
					}
				}
			case KindArea:
				_, err = s.Area(ctx, p, it.id)
			case KindPlace:
				_, err = s.Place(ctx, p, it.id)
				ms, lerr := s.LookupPlaces(ctx, p, it.name, "", 5)
				if lerr != nil {
					t.Fatal(lerr)
				}
				found := slices.ContainsFunc(ms, func(m PlaceMatch) bool { return m.ID == it.id })
				if found != visible[it.id] {
					t.Errorf("%s looks up %s: found %v, may see %v", p.Username, it.name, found, visible[it.id])
				}
			case KindTrack:
				_, err = s.Track(ctx, p, it.id)
				_, herr := s.TrackHistory(ctx, p, it.id, HistoryQuery{})
				if (herr == nil) != visible[it.id] || (herr != nil && !errors.Is(herr, store.ErrNotFound)) {
					t.Errorf("%s history of %s: %v, may see %v", p.Username, it.id, herr, visible[it.id])
				}
			}
			if (err == nil) != visible[it.id] || (err != nil && !errors.Is(err, store.ErrNotFound)) {
				t.Errorf("%s get %s %s: %v, may see %v", p.Username, it.kind, it.id, err, visible[it.id])
			}
		}
	}
	if seen == 0 || hidden == 0 {
		t.Fatalf("a degenerate world: %d visible and %d hidden (viewer, item) pairs", seen, hidden)
	}
}

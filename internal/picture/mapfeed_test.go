package picture

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/opsroom/opsroom/internal/item"
	"github.com/opsroom/opsroom/internal/store"
	"github.com/opsroom/opsroom/internal/store/storetest"
)

// TestMapItems: a room's map items are those the viewer may see, of the
// kinds asked, with a site's geometry and a track's latest position; a
// track whose latest position is stale is left out when Now is given.
func TestMapItems(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := t.Context()
		w, s := newWorld(t, db)
		p := w.People[0] // partner B0; People[1] is of B1
		site := must[Site](t)(s.CreateSite(ctx, p, "bench", SiteInput{Title: "site", Geometry: point(36.5, 35)}))
		hidden := must[Site](t)(s.CreateSite(ctx, p, "bench", SiteInput{Title: "B0 only", Geometry: point(36.6, 35),
			Marking: item.Marking{TLP: "AMBER", ReleasableTo: []string{"B0"}}}))
		tr := must[Track](t)(s.CreateTrack(ctx, p, "bench", TrackInput{Title: "unit", UID: "unit-1", Type: "a-f-G"}))
		stale := must[Track](t)(s.CreateTrack(ctx, p, "bench", TrackInput{Title: "gone", UID: "unit-2", Type: "a-f-G"}))
		now := time.Now().UTC().Truncate(time.Microsecond)
		for _, pos := range []Position{{At: now.Add(-2 * time.Minute), Lon: 36, Lat: 35}, {At: now.Add(-time.Minute), Lon: 36.1, Lat: 35.1, Stale: tp(now.Add(time.Hour))}} {
			must[BatchResult](t)(s.AppendPositions(ctx, p, tr.ID, PositionBatch{Positions: []Position{pos}}))
		}
		must[BatchResult](t)(s.AppendPositions(ctx, p, stale.ID, PositionBatch{Positions: []Position{{At: now.Add(-time.Hour), Lon: 36, Lat: 35, Stale: tp(now.Add(-time.Minute))}}}))

		kinds := []string{KindSite, KindTrack}
		got := func(viewer int, q MapQuery) map[string]MapItem {
			t.Helper()
			vs, err := s.MapItems(ctx, w.People[viewer], w.Room.ID, q)
			if err != nil {
				t.Fatal(err)
			}
			out := map[string]MapItem{}
			for _, v := range vs {
				out[v.ID] = v
			}
			return out
		}
		keys := func(m map[string]MapItem) []string {
			var ks []string
			for k := range m {
				ks = append(ks, k)
			}
			slices.Sort(ks)
			return ks
		}
		want := []string{site.ID, hidden.ID, tr.ID, stale.ID}
		slices.Sort(want)
		all := got(0, MapQuery{Kinds: kinds})
		if !slices.Equal(keys(all), want) {
			t.Fatalf("B0 reads %v, want %v", keys(all), want)
		}
		if v := all[tr.ID]; v.Track == nil || v.Track.UID != "unit-1" || v.Track.Latest == nil || v.Track.Latest.Lat != 35.1 {
			t.Errorf("track: %+v, want unit-1 at its latest position", v.Track)
		}
		if v := all[site.ID]; len(v.Geometry) == 0 || v.Track != nil {
			t.Errorf("site: geometry %s track %v", v.Geometry, v.Track)
		}
		want = []string{site.ID, tr.ID}
		slices.Sort(want)
		if k := keys(got(1, MapQuery{Kinds: kinds, Now: now})); !slices.Equal(k, want) {
			t.Errorf("B1 now reads %v, want %v (no B0-only site, no stale track)", k, want)
		}
		if k := keys(got(1, MapQuery{Kinds: kinds, ItemID: hidden.ID})); len(k) != 0 {
			t.Errorf("B1 reads the B0-only site by id: %v", k)
		}
		if k := keys(got(0, MapQuery{Kinds: []string{KindSite}})); len(k) != 2 {
			t.Errorf("sites only: %v", k)
		}

		ref, err := TrackByUID(ctx, db, w.Room.ID, "unit-1")
		if err != nil || ref.ItemID != tr.ID || ref.PartnerID != p.PartnerID || ref.AuthorID != p.ID || ref.Seq == 0 {
			t.Errorf("TrackByUID: %+v %v", ref, err)
		}
		if _, err := TrackByUID(ctx, db, w.Room.ID, "nobody"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("unknown uid: %v, want not found", err)
		}
	})
}

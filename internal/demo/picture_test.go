package demo

import (
	"testing"

	"github.com/opsroom/opsroom/internal/gazetteer"
	"github.com/opsroom/opsroom/internal/geo"
	"github.com/opsroom/opsroom/internal/store"
	"github.com/opsroom/opsroom/internal/store/storetest"
)

// TestScenarioPlacesResolve checks that the scenario's places resolve
// within 10 km of the scenario's published coordinates: the cities from the shipped
// gazetteer, Latamneh and Talbiseh from the demo room's own places.
func TestScenarioPlacesResolve(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(db)
		w.load(t)
		ctx, members, pic := t.Context(), w.members, w.pic
		sy, err := members.AsMember(ctx, "sy.officer", "cli")
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range []struct {
			name, source string
			lat, lon     float64
		}{
			{"Damascus", gazetteer.SourceGeoNames, 33.514, 36.277},
			{"Baghdad", gazetteer.SourceGeoNames, 33.315, 44.366},
			{"Hama", gazetteer.SourceGeoNames, 35.13, 36.75},
			{"Homs", gazetteer.SourceGeoNames, 34.73, 36.71},
			{"Rastan", gazetteer.SourceGeoNames, 34.926, 36.733},
			{"Salamiyah", gazetteer.SourceGeoNames, 35.011, 37.053},
			{"Erbil", gazetteer.SourceGeoNames, 36.191, 44.009},
			{"Latamneh", gazetteer.SourceRoom, 35.321, 36.623},
			{"Talbiseh", gazetteer.SourceRoom, 34.840, 36.731},
		} {
			ms, err := pic.LookupPlaces(ctx, sy, c.name, Damascus, 5)
			if err != nil {
				t.Fatal(err)
			}
			if len(ms) == 0 {
				t.Errorf("%s: no match", c.name)
				continue
			}
			m := ms[0]
			d := geo.Haversine(geo.Point{Lon: c.lon, Lat: c.lat}, geo.Point{Lon: m.Lon, Lat: m.Lat})
			if d > 10_000 || m.Source != c.source {
				t.Errorf("%s: best match %s (%s) at %.3f,%.3f is %.1f km away; want %s within 10 km", c.name, m.Name, m.Source, m.Lat, m.Lon, d/1000, c.source)
			}
		}
		d, err := Scenario()
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range d.Events {
			title, slug := e.Title, e.Room
			ev, err := pic.EventByTitle(ctx, sy, slug, title)
			if slug == AntiIS2014 {
				// SY is not in the 2014 room: it sees none of its events.
				if err == nil {
					t.Errorf("%s: SY sees an event of a room it is not in", title)
				}
				continue
			}
			if err != nil {
				t.Errorf("%s: %v", title, err)
				continue
			}
			if ev.Start.IsZero() || ev.End.Before(ev.Start) {
				t.Errorf("%s: bad interval %v..%v", title, ev.Start, ev.End)
			}
		}
		iq, err := members.AsMember(ctx, "iq.commander", "cli")
		if err != nil {
			t.Fatal(err)
		}
		sites, err := pic.Sites(ctx, iq, Baghdad, "", 10)
		if err != nil || len(sites) != 1 || !sites[0].Protected || sites[0].Title != SiteErbilAid {
			t.Fatalf("Baghdad room's sites = %+v, %v; want the protected Erbil aid site", sites, err)
		}
	})
}

package demo

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/opsroom/opsroom/internal/access"
	"github.com/opsroom/opsroom/internal/gazetteer"
	"github.com/opsroom/opsroom/internal/geo"
	"github.com/opsroom/opsroom/internal/picture"
)

// Titles of the scenario's events, stable so that other parts of the demo
// (claims, reports) can find them with picture.Service.EventByTitle in
// the room EventRoom names.
const (
	EventAirCampaign     = "RU air campaign begins"
	EventLatamnehStrike  = "Air strikes on Latamneh, north-west of Hama"
	EventNorthHomsStrike = "Air strikes north of Homs"
	EventRastanStrike    = "Strikes on Rastan reported by Syrian state TV"
	EventTalbisehStrike  = "Strikes on Talbiseh reported by Syrian state TV"
	EventSalamiyahStrike = "Strikes near Salamiyah reported by Syrian state TV"
	EventIRTroopsArrive  = "IR troops arrive in Syria"
	EventMi35Delivery    = "Third consignment of Mi-35M helicopters delivered to IQ"
	EventAidFlight       = "Humanitarian aid flight, 37 tonnes"
	EventErbilAid        = "Aid to displaced Kurds in Erbil"
)

// Titles of the scenario's sites.
const (
	SiteAlRasheed      = "Al Rasheed hotel, Green Zone"
	SiteBaghdadAirport = "Baghdad airport"
	SiteErbilAid       = "Erbil aid distribution site"
)

// EventRoom is the demo room each event is recorded in.
var EventRoom = map[string]string{
	EventAirCampaign: Damascus, EventLatamnehStrike: Damascus, EventNorthHomsStrike: Damascus,
	EventRastanStrike: Damascus, EventTalbisehStrike: Damascus, EventSalamiyahStrike: Damascus,
	EventIRTroopsArrive: Damascus,
	EventMi35Delivery:   AntiIS2014, EventAidFlight: AntiIS2014, EventErbilAid: AntiIS2014,
}

// place is a scenario place: its coordinates come from the gazetteer (or
// the room's places) when a match for name lies within 25 km of the
// scenario's approximate ones. Places the gazetteer should not be asked
// about (a hotel, a region) have no name.
type place struct {
	name     string
	lat, lon float64
}

func (p place) point(extra []gazetteer.Place) geo.Point {
	want := geo.Point{Lon: p.lon, Lat: p.lat}
	if p.name == "" {
		return want
	}
	for _, m := range gazetteer.LookupWith(p.name, extra, 3) {
		got := geo.Point{Lon: m.Lon, Lat: m.Lat}
		if geo.Haversine(want, got) <= 25_000 {
			return got
		}
	}
	return want
}

func pointJSON(p geo.Point) json.RawMessage {
	b, _ := p.Geometry().MarshalJSON()
	return b
}

func day(y int, m time.Month, d int) (time.Time, time.Time) {
	start := time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
	return start, start.Add(24*time.Hour - time.Second)
}

// LoadPicture writes the scenario's picture: the room places GeoNames
// lacks (Latamneh, Talbiseh), the sites (the Erbil aid site protected) and
// every event of the scenario's table with its time interval and place.
// Events whose place is only a country carry no geometry.
func LoadPicture(ctx context.Context, members *access.Service, pic *picture.Service) error {
	ru, err := members.AsMember(ctx, "ru.general", "cli")
	if err != nil {
		return err
	}
	var extra []gazetteer.Place
	for _, pl := range []struct {
		name     string
		lat, lon float64
	}{{"Latamneh", 35.321, 36.623}, {"Talbiseh", 34.840, 36.731}} {
		lat, lon := pl.lat, pl.lon
		v, err := pic.CreatePlace(ctx, ru, Damascus, picture.PlaceInput{Name: pl.name, Country: "SY", Lat: &lat, Lon: &lon})
		if err != nil {
			return fmt.Errorf("place %s: %w", pl.name, err)
		}
		extra = append(extra, gazetteer.Place{ID: v.ID, Name: v.Name, Country: v.Country, Lat: v.Lat, Lon: v.Lon})
	}

	sites := []struct {
		room      string
		in        picture.SiteInput
		where     place
		validFrom time.Time
	}{
		{AntiIS2014, picture.SiteInput{Title: SiteAlRasheed, Category: "hotel", PlaceName: "Green Zone, Baghdad"},
			place{"", 33.305, 44.389}, time.Time{}},
		{AntiIS2014, picture.SiteInput{Title: SiteBaghdadAirport, Category: "airport", PlaceName: "Baghdad"},
			place{"", 33.263, 44.235}, time.Time{}},
		{Baghdad, picture.SiteInput{Title: SiteErbilAid, Category: "aid distribution site", Protected: true, PlaceName: "Erbil"},
			place{"Erbil", 36.191, 44.009}, time.Date(2014, 10, 23, 0, 0, 0, 0, time.UTC)},
	}
	for _, s := range sites {
		in := s.in
		in.Geometry = pointJSON(s.where.point(extra))
		if !s.validFrom.IsZero() {
			from := s.validFrom
			in.ValidFrom = &from
		}
		if _, err := pic.CreateSite(ctx, ru, s.room, in); err != nil {
			return fmt.Errorf("site %s: %w", in.Title, err)
		}
	}

	sep30, sep30end := day(2015, 9, 30)
	oct2014, oct2014end := time.Date(2014, 10, 1, 0, 0, 0, 0, time.UTC), time.Date(2014, 10, 31, 23, 59, 59, 0, time.UTC)
	oct23, oct23end := day(2014, 10, 23)
	events := []struct {
		title, kind, placeName string
		start, end             time.Time
		where                  *place
	}{
		{EventAirCampaign, "air campaign", "Syria", sep30, sep30end, nil},
		{EventLatamnehStrike, "air strike", "Latamneh", sep30, sep30end, &place{"Latamneh", 35.321, 36.623}},
		{EventNorthHomsStrike, "air strike", "north of Homs", sep30, sep30end, &place{"", 34.85, 36.72}},
		{EventRastanStrike, "air strike", "Rastan", sep30, sep30end, &place{"Rastan", 34.926, 36.733}},
		{EventTalbisehStrike, "air strike", "Talbiseh", sep30, sep30end, &place{"Talbiseh", 34.840, 36.731}},
		{EventSalamiyahStrike, "air strike", "near Salamiyah", sep30, sep30end, &place{"Salamiyah", 35.011, 37.053}},
		// "about ten days" before 2015-10-01: around 2015-09-21.
		{EventIRTroopsArrive, "arrival", "Syria", time.Date(2015, 9, 19, 0, 0, 0, 0, time.UTC), time.Date(2015, 9, 23, 23, 59, 59, 0, time.UTC), nil},
		{EventMi35Delivery, "delivery", "Iraq", oct2014, oct2014end, nil},
		{EventAidFlight, "aid delivery", "Baghdad airport", oct2014, oct2014end, &place{"", 33.263, 44.235}},
		{EventErbilAid, "aid delivery", "Erbil", oct23, oct23end, &place{"Erbil", 36.191, 44.009}},
	}
	for _, e := range events {
		in := picture.EventInput{Title: e.title, EventKind: e.kind, PlaceName: e.placeName, Start: e.start, End: e.end}
		if e.where != nil {
			in.Geometry = pointJSON(e.where.point(extra))
		}
		if _, err := pic.CreateEvent(ctx, ru, EventRoom[e.title], in); err != nil {
			return fmt.Errorf("event %s: %w", e.title, err)
		}
	}
	return nil
}

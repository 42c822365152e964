package picture

import (
	"context"

	"github.com/opsroom/opsroom/internal/access"
	"github.com/opsroom/opsroom/internal/gazetteer"
	"github.com/opsroom/opsroom/internal/validate"
)

// PlaceMatch is one candidate for a place-name lookup: a GeoNames place
// from the shipped gazetteer or a room place the viewer may see.
type PlaceMatch struct {
	ID         string  `json:"id"`
	Name       string  `json:"name"`
	Matched    string  `json:"matched"`
	Country    string  `json:"country,omitempty"`
	Lat        float64 `json:"lat"`
	Lon        float64 `json:"lon"`
	Population int     `json:"population,omitempty"`
	Feature    string  `json:"feature,omitempty"`
	Score      float64 `json:"score"`
	Source     string  `json:"source"` // "geonames" or "room"
	Room       string  `json:"room,omitempty"`
}

// LookupPlaces returns ranked candidates for a place name: the shipped
// gazetteer's, and the room places the viewer may see (of room slug, or of
// every room it belongs to when slug is empty).
func (s *Service) LookupPlaces(ctx context.Context, p access.Principal, q, slug string, limit int) ([]PlaceMatch, error) {
	var errs validate.Errors
	errs.Text("q", q, true, 200)
	if err := errs.Err(); err != nil {
		return nil, err
	}
	if limit <= 0 {
		limit = gazetteer.DefaultLimit
	}
	where, args := "i.kind = ?", []any{KindPlace}
	if slug != "" {
		rm, err := s.rooms.Room(ctx, p, slug)
		if err != nil {
			return nil, err
		}
		where, args = "i.room_id = ? AND "+where, append([]any{rm.ID}, args...)
	}
	// A room keeps a handful of places, so they are handed to the
	// gazetteer whole; it folds and ranks them with its own rules.
	own, err := query(ctx, s.db, p.Viewer, placeSpec, where, args, " ORDER BY i.id LIMIT 10000", scanPlace)
	if err != nil {
		return nil, err
	}
	extra := make([]gazetteer.Place, len(own))
	roomOf := make(map[string]string, len(own))
	for k, pl := range own {
		extra[k] = gazetteer.Place{ID: pl.ID, Name: pl.Name, Country: pl.Country, Lat: pl.Lat, Lon: pl.Lon}
		roomOf[pl.ID] = pl.Room
	}
	ms := gazetteer.LookupWith(q, extra, limit)
	out := make([]PlaceMatch, len(ms))
	for k, m := range ms {
		out[k] = PlaceMatch{ID: m.ID, Name: m.Name, Matched: m.Matched, Country: m.Country, Lat: m.Lat, Lon: m.Lon,
			Population: m.Population, Feature: m.Feature, Score: m.Score, Source: m.Source, Room: roomOf[m.ID]}
	}
	return out, nil
}

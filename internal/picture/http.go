package picture

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/opsroom/opsroom/internal/access"
	"github.com/opsroom/opsroom/internal/geo"
	"github.com/opsroom/opsroom/internal/httpapi"
	"github.com/opsroom/opsroom/internal/validate"
)

// maxBatchBody bounds a positions batch's body (MaxBatch positions).
const maxBatchBody = 4 << 20

// Routes returns the picture's API routes, for internal/cli/wire.go.
func (s *Service) Routes() func(*httpapi.API) {
	return func(a *httpapi.API) {
		kind(a, "sites", "site", s.CreateSite, s.Sites, s.Site, s.UpdateSite)
		kind(a, "events", "event", s.CreateEvent, s.Events, s.Event, s.UpdateEvent)
		kind(a, "areas", "area", s.CreateArea, s.Areas, s.Area, s.UpdateArea)
		kind(a, "places", "room place", s.CreatePlace, s.Places, s.Place, s.UpdatePlace)
		kind(a, "tracks", "track", s.CreateTrack, s.Tracks, s.Track, s.UpdateTrack)

		httpapi.JSON(a, httpapi.Route{Method: "POST", Path: "/api/v1/tracks/{id}/positions", Summary: "Append a batch of positions to a track (its owner partner's members)",
			Tag: "picture", Status: http.StatusCreated, MaxBody: maxBatchBody},
			func(r *http.Request, p access.Principal, in PositionBatch) (BatchResult, error) {
				return s.AppendPositions(r.Context(), p, r.PathValue("id"), in)
			})
		httpapi.Call(a, httpapi.Route{Method: "GET", Path: "/api/v1/tracks/{id}/positions", Summary: "A track's history: its positions in time order, a page at a time",
			Tag: "picture", Query: []httpapi.Param{
				{Name: "from", Type: "string", Description: "RFC 3339; positions at or after"},
				{Name: "to", Type: "string", Description: "RFC 3339; positions at or before"},
				{Name: "limit", Type: "integer", Description: "page size, 1 to 50000 (default 5000)"},
				{Name: "cursor", Type: "string", Description: "next_cursor of the previous page"}}},
			func(r *http.Request, p access.Principal) (History, error) {
				var errs validate.Errors
				q := r.URL.Query()
				hq := HistoryQuery{From: timeParam(&errs, q.Get("from"), "from"), To: timeParam(&errs, q.Get("to"), "to"), Cursor: q.Get("cursor"),
					Limit: intParam(&errs, q.Get("limit"), "limit", 1, MaxPositions)}
				if err := errs.Err(); err != nil {
					return History{}, err
				}
				return s.TrackHistory(r.Context(), p, r.PathValue("id"), hq)
			})

		httpapi.Call(a, httpapi.Route{Method: "GET", Path: "/api/v1/rooms/{room}/picture", Summary: "What you may see of a room's picture in an area and a time window, or at a moment",
			Tag: "picture", Query: pictureParams},
			func(r *http.Request, p access.Principal) (Picture, error) { return s.pictureFor(r, p) })
		a.Handle(httpapi.Route{Method: "GET", Path: "/api/v1/rooms/{room}/export.geojson", Summary: "Export what you may see of the picture as a GeoJSON FeatureCollection",
			Tag: "picture", Auth: httpapi.Member, Query: pictureParams, Produces: "application/geo+json"},
			func(w http.ResponseWriter, r *http.Request) error {
				pic, err := s.pictureFor(r, httpapi.Caller(r))
				if err != nil {
					return err
				}
				w.Header().Set("Content-Type", "application/geo+json")
				w.Header().Set("Content-Disposition", `attachment; filename="`+pic.Room+`.geojson"`)
				w.Header().Set("Cache-Control", "no-store")
				return pic.WriteGeoJSON(w)
			})
		a.Handle(httpapi.Route{Method: "GET", Path: "/api/v1/rooms/{room}/export.kml", Summary: "Export what you may see of the picture as KML 2.2 (Google Earth, QGIS)",
			Tag: "picture", Auth: httpapi.Member, Query: pictureParams, Produces: "application/vnd.google-earth.kml+xml"},
			func(w http.ResponseWriter, r *http.Request) error {
				pic, err := s.pictureFor(r, httpapi.Caller(r))
				if err != nil {
					return err
				}
				w.Header().Set("Content-Type", "application/vnd.google-earth.kml+xml")
				w.Header().Set("Content-Disposition", `attachment; filename="`+pic.Room+`.kml"`)
				w.Header().Set("Cache-Control", "no-store")
				return pic.WriteKML(w)
			})

		httpapi.Call(a, httpapi.Route{Method: "GET", Path: "/api/v1/places", Summary: "Look a place name up: the shipped gazetteer and the room places you may see",
			Tag: "picture", Query: []httpapi.Param{
				{Name: "q", Type: "string", Description: "the name, in any common spelling"},
				{Name: "room", Type: "string", Description: "a room's slug: search its places (default: every room you belong to)"},
				{Name: "limit", Type: "integer", Description: "1 to 100 (default 10)"}}},
			func(r *http.Request, p access.Principal) ([]PlaceMatch, error) {
				var errs validate.Errors
				limit := intParam(&errs, r.URL.Query().Get("limit"), "limit", 1, 100)
				if err := errs.Err(); err != nil {
					return nil, err
				}
				return s.LookupPlaces(r.Context(), p, r.URL.Query().Get("q"), r.URL.Query().Get("room"), limit)
			})
	}
}

var pictureParams = []httpapi.Param{
	{Name: "bbox", Type: "string", Description: "minLon,minLat,maxLon,maxLat (WGS84 degrees)"},
	{Name: "polygon", Type: "string", Description: "a GeoJSON Polygon or MultiPolygon (instead of bbox)"},
	{Name: "at", Type: "string", Description: "RFC 3339: the picture as it was at this moment"},
	{Name: "from", Type: "string", Description: "RFC 3339: start of the window (instead of at)"},
	{Name: "to", Type: "string", Description: "RFC 3339: end of the window (instead of at)"},
	{Name: "max_positions", Type: "integer", Description: "cap on track positions in a window (default 5000, at most 50000)"},
}

// kind registers create, list, get and replace for one kind of item.
func kind[In any, Out identified](a *httpapi.API, plural, noun string,
	create func(context.Context, access.Principal, string, In) (Out, error),
	list func(context.Context, access.Principal, string, string, int) ([]Out, error),
	get func(context.Context, access.Principal, string) (Out, error),
	update func(context.Context, access.Principal, string, In) (Out, error)) {
	httpapi.JSON(a, httpapi.Route{Method: "POST", Path: "/api/v1/rooms/{room}/" + plural, Summary: "Add a " + noun + " to a room's picture", Tag: "picture", Status: http.StatusCreated},
		func(r *http.Request, p access.Principal, in In) (Out, error) {
			return create(r.Context(), p, r.PathValue("room"), in)
		})
	httpapi.List(a, httpapi.Route{Method: "GET", Path: "/api/v1/rooms/{room}/" + plural, Summary: "List the " + plural + " of a room you may see, newest first", Tag: "picture"},
		Out.itemID,
		func(r *http.Request, p access.Principal, after string, limit int) ([]Out, error) {
			return list(r.Context(), p, r.PathValue("room"), after, limit)
		})
	httpapi.Call(a, httpapi.Route{Method: "GET", Path: "/api/v1/" + plural + "/{id}", Summary: "Get a " + noun, Tag: "picture"},
		func(r *http.Request, p access.Principal) (Out, error) {
			return get(r.Context(), p, r.PathValue("id"))
		})
	httpapi.JSON(a, httpapi.Route{Method: "PUT", Path: "/api/v1/" + plural + "/{id}", Summary: "Replace a " + noun + " (its owner partner's members; give the version you replace)", Tag: "picture"},
		func(r *http.Request, p access.Principal, in In) (Out, error) {
			return update(r.Context(), p, r.PathValue("id"), in)
		})
}

// identified is any of this package's kinds: each embeds item.Item.
type identified interface{ itemID() string }

func (v Site) itemID() string  { return v.ID }
func (v Event) itemID() string { return v.ID }
func (v Area) itemID() string  { return v.ID }
func (v Place) itemID() string { return v.ID }
func (v Track) itemID() string { return v.ID }

func timeParam(errs *validate.Errors, v, name string) time.Time {
	if v == "" {
		return time.Time{}
	}
	t, err := time.Parse(time.RFC3339Nano, v)
	if err != nil {
		errs.Add(name, "is not an RFC 3339 time (e.g. 2015-09-30T12:00:00Z)")
	}
	return t.UTC()
}

func intParam(errs *validate.Errors, v, name string, lo, hi int) int {
	if v == "" {
		return 0
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < lo || n > hi {
		errs.Add(name, "must be a whole number from %d to %d", lo, hi)
		return 0
	}
	return n
}

// parseBBox reads minLon,minLat,maxLon,maxLat.
func parseBBox(errs *validate.Errors, v string) *geo.BBox {
	parts := strings.Split(v, ",")
	if len(parts) != 4 {
		errs.Add("bbox", "is minLon,minLat,maxLon,maxLat")
		return nil
	}
	var f [4]float64
	for k, s := range parts {
		x, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
		if err != nil {
			errs.Add("bbox", "is minLon,minLat,maxLon,maxLat in decimal degrees")
			return nil
		}
		f[k] = x
	}
	b := geo.BBox{MinLon: f[0], MinLat: f[1], MaxLon: f[2], MaxLat: f[3]}
	switch {
	case b.MinLon < -180 || b.MaxLon > 180 || b.MinLat < -90 || b.MaxLat > 90:
		errs.Add("bbox", "is outside -180..180 longitude, -90..90 latitude")
	case b.MinLon > b.MaxLon || b.MinLat > b.MaxLat:
		errs.Add("bbox", "has a minimum above its maximum (a box across the antimeridian is not supported; send two queries)")
	default:
		return &b
	}
	return nil
}

// queryOf reads a picture query from the URL.
func queryOf(r *http.Request) (Query, error) {
	var errs validate.Errors
	v := r.URL.Query()
	var q Query
	if b := v.Get("bbox"); b != "" {
		q.BBox = parseBBox(&errs, b)
	}
	if pg := v.Get("polygon"); pg != "" {
		if q.BBox != nil {
			errs.Add("polygon", "give bbox or polygon, not both")
		}
		if g, ok := geometry(&errs, "polygon", []byte(pg), true); ok {
			if len(g.Polygons) == 0 {
				errs.Add("polygon", "is a GeoJSON Polygon or MultiPolygon")
			}
			q.Within = &g
		}
	}
	q.At = timeParam(&errs, v.Get("at"), "at")
	q.From = timeParam(&errs, v.Get("from"), "from")
	q.To = timeParam(&errs, v.Get("to"), "to")
	if !q.At.IsZero() && (!q.From.IsZero() || !q.To.IsZero()) {
		errs.Add("at", "give at, or from and to, not both")
	}
	if !q.From.IsZero() && !q.To.IsZero() && q.To.Before(q.From) {
		errs.Add("to", "is before from")
	}
	q.MaxPositions = intParam(&errs, v.Get("max_positions"), "max_positions", 1, MaxPositions)
	return q, errs.Err()
}

func (s *Service) pictureFor(r *http.Request, p access.Principal) (Picture, error) {
	q, err := queryOf(r)
	if err != nil {
		return Picture{}, err
	}
	return s.Picture(r.Context(), p, r.PathValue("room"), q)
}

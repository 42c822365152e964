package picture

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/opsroom/opsroom/internal/access"
	"github.com/opsroom/opsroom/internal/account"
	"github.com/opsroom/opsroom/internal/httpapi"
	"github.com/opsroom/opsroom/internal/live"
	"github.com/opsroom/opsroom/internal/store"
	"github.com/opsroom/opsroom/internal/store/storetest"
)

// kmlOrder is the order KML 2.2's schema gives a Placemark's children
// (those this package writes).
var kmlOrder = []string{"name", "description", "TimeStamp", "TimeSpan", "ExtendedData", "Point", "LineString", "Polygon", "MultiGeometry"}

// checkKML parses a KML document and checks the KML 2.2 structure Google
// Earth and QGIS read: the kml root in the 2.2 namespace holding one
// Document, Folders of Placemarks, each Placemark's children in schema
// order with exactly one geometry, coordinates as lon,lat tuples and
// closed LinearRings.
func checkKML(t *testing.T, doc []byte) int {
	t.Helper()
	dec := xml.NewDecoder(bytes.NewReader(doc))
	var stack []string
	placemarks := 0
	var children []string
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("KML is not well-formed XML: %v", err)
		}
		switch el := tok.(type) {
		case xml.StartElement:
			if el.Name.Space != "http://www.opengis.net/kml/2.2" {
				t.Fatalf("element %s outside the KML 2.2 namespace (%q)", el.Name.Local, el.Name.Space)
			}
			parent := ""
			if len(stack) > 0 {
				parent = stack[len(stack)-1]
			}
			switch {
			case len(stack) == 0 && el.Name.Local != "kml":
				t.Fatalf("root is %s, want kml", el.Name.Local)
			case parent == "kml" && el.Name.Local != "Document":
				t.Fatalf("kml holds %s, want Document", el.Name.Local)
			case parent == "Document" && !slices.Contains([]string{"name", "Folder"}, el.Name.Local):
				t.Fatalf("Document holds %s", el.Name.Local)
			case parent == "Folder" && !slices.Contains([]string{"name", "Placemark"}, el.Name.Local):
				t.Fatalf("Folder holds %s", el.Name.Local)
			case parent == "Placemark":
				children = append(children, el.Name.Local)
			}
			if el.Name.Local == "Placemark" {
				placemarks++
				children = nil
			}
			stack = append(stack, el.Name.Local)
		case xml.EndElement:
			stack = stack[:len(stack)-1]
			if el.Name.Local == "Placemark" {
				last := -1
				geoms := 0
				for _, c := range children {
					k := slices.Index(kmlOrder, c)
					if k < 0 {
						t.Fatalf("Placemark holds %s", c)
					}
					if k < last {
						t.Fatalf("Placemark children out of schema order: %v", children)
					}
					last = k
					if k >= slices.Index(kmlOrder, "Point") {
						geoms++
					}
				}
				if geoms != 1 || children[0] != "name" {
					t.Fatalf("Placemark children %v: want a name first and one geometry", children)
				}
			}
		case xml.CharData:
			if len(stack) > 0 && stack[len(stack)-1] == "coordinates" {
				tuples := strings.Fields(string(el))
				for _, tu := range tuples {
					if len(strings.Split(tu, ",")) != 2 {
						t.Fatalf("coordinates tuple %q, want lon,lat", tu)
					}
				}
				if len(stack) > 1 && stack[len(stack)-2] == "LinearRing" && (len(tuples) < 4 || tuples[0] != tuples[len(tuples)-1]) {
					t.Fatalf("LinearRing not closed: %v", tuples)
				}
			}
		}
	}
	return placemarks
}

// TestHTTP drives the routes: create through the API, query, export, look
// places up; an outsider gets 404s, bad input 422 with field names.
func TestHTTP(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := t.Context()
		w, s := newWorld(t, db)
		bus := live.NewBus()
		srv := httpapi.New(&httpapi.Server{DB: db, Members: w.Members, Rooms: w.Rooms, Items: w.Items, Bus: bus, Extra: []func(*httpapi.API){s.Routes()}},
			slog.New(slog.NewTextHandler(io.Discard, nil)))
		ts := httptest.NewServer(srv.Handler())
		defer ts.Close()
		token := func(p access.Principal) string {
			tok, err := w.Members.CreateToken(ctx, p, account.NewToken{Name: "test"})
			if err != nil {
				t.Fatal(err)
			}
			return tok.Secret
		}
		author, partnerOnly := token(w.People[0]), token(w.People[1])
		do := func(tok, method, path string, body any) (int, []byte, http.Header) {
			t.Helper()
			var rd io.Reader
			if body != nil {
				b, _ := json.Marshal(body)
				rd = bytes.NewReader(b)
			}
			req, _ := http.NewRequestWithContext(ctx, method, ts.URL+path, rd)
			req.Header.Set("Authorization", "Bearer "+tok)
			if body != nil {
				req.Header.Set("Content-Type", "application/json")
			}
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer res.Body.Close()
			b, _ := io.ReadAll(res.Body)
			return res.StatusCode, b, res.Header
		}
		// The author's own partner only (RED to the author alone is not
		// allowed to name nobody; AMBER released to B0 is).
		code, b, _ := do(author, "POST", "/api/v1/rooms/bench/sites", map[string]any{"title": "Erbil aid site", "category": "aid distribution site", "protected": true,
			"geometry": json.RawMessage(`{"type":"Polygon","coordinates":[[[44.0,36.18],[44.02,36.18],[44.02,36.2],[44.0,36.18]]]}`),
			"marking":  map[string]any{"tlp": "AMBER", "releasable_to": []string{"B0"}}})
		if code != http.StatusCreated {
			t.Fatalf("create site: %d %s", code, b)
		}
		var site Site
		_ = json.Unmarshal(b, &site)
		code, b, _ = do(author, "POST", "/api/v1/rooms/bench/tracks", map[string]any{"title": "convoy", "uid": "c-1", "type": "a-f-G-U-C"})
		if code != http.StatusCreated {
			t.Fatalf("create track: %d %s", code, b)
		}
		var tr Track
		_ = json.Unmarshal(b, &tr)
		code, b, _ = do(author, "POST", "/api/v1/tracks/"+tr.ID+"/positions", map[string]any{"positions": []map[string]any{
			{"at": "2015-09-30T12:00:00Z", "lon": 44.01, "lat": 36.19, "course": 45.5, "speed": 12},
			{"at": "2015-09-30T12:05:00Z", "lon": 44.03, "lat": 36.21}}})
		if code != http.StatusCreated || !strings.Contains(string(b), `"appended":2`) {
			t.Fatalf("positions: %d %s", code, b)
		}
		code, b, _ = do(author, "POST", "/api/v1/rooms/bench/events", map[string]any{"title": "x", "event_kind": "k", "start": "2015-09-30T12:00:00Z", "end": "2015-09-29T00:00:00Z", "bogus": 1})
		if code != http.StatusBadRequest || !strings.Contains(string(b), `"field":"bogus"`) { // as every route: 400 naming the field
			t.Fatalf("unknown field: %d %s", code, b)
		}
		code, b, _ = do(author, "GET", "/api/v1/rooms/bench/picture?bbox=44,36,45,37&at=2015-09-30T12:01:00Z", nil)
		if code != http.StatusOK || !strings.Contains(string(b), site.ID) || !strings.Contains(string(b), tr.ID) {
			t.Fatalf("picture: %d %s", code, b)
		}
		code, b, _ = do(author, "GET", "/api/v1/rooms/bench/picture?bbox=44,36,43,37", nil)
		if code != http.StatusUnprocessableEntity || !strings.Contains(string(b), `"bbox"`) {
			t.Fatalf("bad bbox: %d %s", code, b)
		}
		poly := url.QueryEscape(`{"type":"Polygon","coordinates":[[[44.025,36.205],[44.04,36.205],[44.04,36.22],[44.025,36.205]]]}`)
		code, b, _ = do(author, "GET", "/api/v1/rooms/bench/picture?polygon="+poly+"&from=2015-09-30T00:00:00Z&to=2015-10-01T00:00:00Z", nil)
		var pic Picture
		_ = json.Unmarshal(b, &pic)
		if code != http.StatusOK || len(pic.Tracks) != 1 || len(pic.Tracks[0].Positions) != 1 || len(pic.Sites) != 0 {
			t.Fatalf("polygon window: %d %s", code, b)
		}
		code, b, _ = do(author, "GET", "/api/v1/tracks/"+tr.ID+"/positions?from=2015-09-30T12:01:00Z", nil)
		if code != http.StatusOK || strings.Count(string(b), `"at"`) != 1 {
			t.Fatalf("history: %d %s", code, b)
		}
		code, b, h := do(author, "GET", "/api/v1/rooms/bench/export.kml?from=2015-09-30T00:00:00Z", nil)
		if code != http.StatusOK || h.Get("Content-Type") != "application/vnd.google-earth.kml+xml" {
			t.Fatalf("kml: %d %s", code, b)
		}
		if n := checkKML(t, b); n != 2 {
			t.Errorf("KML has %d placemarks, want the site and the track", n)
		}
		code, b, h = do(author, "GET", "/api/v1/rooms/bench/export.geojson?at=2015-09-30T12:01:00Z", nil)
		var fc struct {
			Type     string `json:"type"`
			Features []struct {
				Type     string `json:"type"`
				Geometry struct {
					Type string `json:"type"`
				} `json:"geometry"`
				Properties map[string]any `json:"properties"`
			} `json:"features"`
		}
		if err := json.Unmarshal(b, &fc); code != http.StatusOK || err != nil || fc.Type != "FeatureCollection" || len(fc.Features) != 2 ||
			h.Get("Content-Type") != "application/geo+json" {
			t.Fatalf("geojson: %d %s", code, b)
		}
		for _, f := range fc.Features {
			if f.Type != "Feature" || f.Geometry.Type == "" || f.Properties["kind"] == nil {
				t.Errorf("feature %+v", f)
			}
		}
		// Another partner's member: the AMBER site released to B0 is not
		// there, and reading it is a 404 like an unknown id.
		code, _, _ = do(partnerOnly, "GET", "/api/v1/sites/"+site.ID, nil)
		if code != http.StatusNotFound {
			t.Errorf("other partner gets the site: %d", code)
		}
		code, b, _ = do(partnerOnly, "GET", "/api/v1/rooms/bench/export.geojson?at=2015-09-30T12:01:00Z", nil)
		if code != http.StatusOK || strings.Contains(string(b), site.ID) || !strings.Contains(string(b), tr.ID) {
			t.Errorf("other partner's export: %d %s", code, b)
		}
		code, _, _ = do(partnerOnly, "POST", "/api/v1/tracks/"+tr.ID+"/positions", map[string]any{"positions": []map[string]any{{"at": "2015-09-30T12:00:00Z", "lon": 1, "lat": 1}}})
		if code != http.StatusForbidden {
			t.Errorf("other partner appends: %d", code)
		}
		code, b, _ = do(author, "PUT", "/api/v1/tracks/"+tr.ID, map[string]any{"title": "convoy 2", "uid": "c-1", "type": "a-f-G-U-C", "version": 1})
		if code != http.StatusOK || !strings.Contains(string(b), `"version":2`) {
			t.Errorf("update: %d %s", code, b)
		}
		code, b, _ = do(author, "GET", "/api/v1/rooms/bench/tracks?limit=1", nil)
		if code != http.StatusOK || !strings.Contains(string(b), tr.ID) {
			t.Errorf("list: %d %s", code, b)
		}
		code, b, _ = do(author, "GET", "/api/v1/places?q=Baghdad&limit=3", nil)
		if code != http.StatusOK || !strings.Contains(string(b), `"source":"geonames"`) {
			t.Errorf("places: %d %s", code, b)
		}
		// Every route is in the OpenAPI document.
		code, b, _ = do(author, "GET", "/api/v1/openapi.json", nil)
		for _, path := range []string{"/api/v1/rooms/{room}/picture", "/api/v1/tracks/{id}/positions", "/api/v1/rooms/{room}/export.kml", "/api/v1/places"} {
			if code != http.StatusOK || !strings.Contains(string(b), path) {
				t.Errorf("openapi lacks %s", path)
			}
		}

	})
}

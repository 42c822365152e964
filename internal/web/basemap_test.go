package web_test

import (
	"encoding/json"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"regexp"
	"testing"

	"github.com/opsroom/opsroom/internal/web"
)

// TestBasemapAntimeridian: no ring of the embedded basemap jumps across
// the map (which draws as a stripe from one side of the world to the
// other), except along the poles' edge; Russia and Fiji are drawn on both
// sides of 180°.
func TestBasemapAntimeridian(t *testing.T) {
	mux := http.NewServeMux()
	web.New().Mount(mux.Handle)
	rec := httptest.NewRecorder()
	mux.ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
	name := regexp.MustCompile(`data-basemap="(/assets/basemap\.[0-9a-f]+\.json)"`).FindStringSubmatch(rec.Body.String())
	if name == nil {
		t.Fatal("the page names no basemap")
	}
	rec = httptest.NewRecorder()
	mux.ServeHTTP(rec, httptest.NewRequest("GET", name[1], nil))
	b, _ := io.ReadAll(rec.Body)
	var fc struct {
		Features []struct {
			Properties struct{ Name string }
			Geometry   struct{ Coordinates [][][][2]float64 }
		}
	}
	if err := json.Unmarshal(b, &fc); err != nil {
		t.Fatal(err)
	}
	sides := map[string][2]bool{}
	for _, f := range fc.Features {
		for _, poly := range f.Geometry.Coordinates {
			for _, ring := range poly {
				for i := 1; i < len(ring); i++ {
					a, c := ring[i-1], ring[i]
					if math.Abs(c[0]-a[0]) > 180 && !(math.Abs(a[1]) == 90 && math.Abs(c[1]) == 90) {
						t.Errorf("%s: a ring jumps from %v to %v", f.Properties.Name, a, c)
					}
					s := sides[f.Properties.Name]
					if c[0] > 170 {
						s[0] = true
					}
					if c[0] < -170 {
						s[1] = true
					}
					sides[f.Properties.Name] = s
				}
			}
		}
	}
	for _, n := range []string{"Russia", "Fiji"} {
		if s := sides[n]; !s[0] || !s[1] {
			t.Errorf("%s is not drawn on both sides of 180°: %v", n, s)
		}
	}
}

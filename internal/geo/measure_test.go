package geo

import (
	"math"
	"testing"
	"time"

	"github.com/opsroom/opsroom/internal/timespan"
)

func near(got, want, rel float64) bool { return math.Abs(got-want) <= rel*math.Abs(want) }

func TestHaversine(t *testing.T) {
	// One degree of latitude and of longitude on the equator.
	deg := EarthRadius * math.Pi / 180
	if d := Haversine(Point{0, 0}, Point{0, 1}); !near(d, deg, 1e-12) {
		t.Errorf("1° lat = %v, want %v", d, deg)
	}
	if d := Haversine(Point{10, 0}, Point{11, 0}); !near(d, deg, 1e-12) {
		t.Errorf("1° lon at equator = %v", d)
	}
	// Kyiv to Lviv, about 468 km.
	if d := Haversine(Point{30.5234, 50.4501}, Point{24.0297, 49.8397}); !near(d, 468e3, 0.01) {
		t.Errorf("Kyiv–Lviv = %v", d)
	}
	if d := Haversine(Point{5, 5}, Point{5, 5}); d != 0 {
		t.Errorf("same point = %v", d)
	}
}

func TestArea(t *testing.T) {
	deg := EarthRadius * math.Pi / 180
	// A small square at the equator is nearly planar.
	s := sq(0, 0, 0.01, 0.01)
	if a := s.Area(); !near(a, 0.01*deg*0.01*deg, 1e-4) {
		t.Errorf("square area = %v", a)
	}
	// At 60° the same square in degrees covers half the area.
	s60 := sq(0, 60, 0.01, 60.01)
	if a := s60.Area(); !near(a, s.Area()/2, 1e-3) {
		t.Errorf("square at 60° area = %v, want half of %v", a, s.Area())
	}
	donut := withHole(sq(0, 0, 0.01, 0.01), sq(0.0025, 0.0025, 0.0075, 0.0075))
	if a := donut.Area(); !near(a, s.Area()*0.75, 1e-3) {
		t.Errorf("donut area = %v, want %v", a, s.Area()*0.75)
	}
	// Orientation does not matter.
	cw := Polygon{Ring{{0, 0}, {0, 0.01}, {0.01, 0.01}, {0.01, 0}, {0, 0}}}
	if a, b := cw.Area(), s.Area(); !near(a, b, 1e-12) {
		t.Errorf("cw %v vs ccw %v", a, b)
	}
}

func TestCentroidAndPointOnSurface(t *testing.T) {
	if c := sq(0, 0, 2, 4).Centroid(); math.Abs(c.Lon-1) > 1e-12 || math.Abs(c.Lat-2) > 1e-12 {
		t.Errorf("centroid = %v", c)
	}
	// A U shape: the centroid falls in the notch.
	u := Polygon{Ring{{0, 0}, {3, 0}, {3, 3}, {2, 3}, {2, 1}, {1, 1}, {1, 3}, {0, 3}, {0, 0}}}
	if c := u.Centroid(); Contains(u, c) && locatePolygon(u, c) == inside {
		t.Logf("U centroid %v happens to be inside", c)
	}
	donut := withHole(sq(0, 0, 10, 10), sq(3, 3, 7, 7))
	for _, pg := range []Polygon{u, donut, sq(0, 0, 1, 1)} {
		if p := pg.PointOnSurface(); locatePolygon(pg, p) != inside {
			t.Errorf("PointOnSurface(%v) = %v is not inside", pg, p)
		}
	}
	if c := donut.Centroid(); math.Abs(c.Lon-5) > 1e-12 || math.Abs(c.Lat-5) > 1e-12 {
		t.Errorf("donut centroid = %v", c)
	}
}

func TestBBoxOfGeometry(t *testing.T) {
	g := MultiPolygon{sq(0, 0, 1, 1), sq(5, -2, 6, 3)}.Geometry()
	if b := g.BBox(); b != (BBox{0, -2, 6, 3}) {
		t.Errorf("bbox = %v", b)
	}
	if !(Geometry{}).BBox().IsEmpty() {
		t.Error("empty geometry has a non-empty box")
	}
}

func TestWithinDistance(t *testing.T) {
	// Near 50°N, 0.01° of latitude is about 1112 m.
	site := Point{30.0, 50.0}.Geometry()
	route := LineString{{29.9, 50.01}, {30.1, 50.01}}.Geometry()
	d := Distance(route, site)
	if !near(d, 1111.95, 0.001) {
		t.Fatalf("distance = %v", d)
	}
	if !WithinDistance(route, site, 1200) || WithinDistance(route, site, 1000) {
		t.Errorf("WithinDistance around %v wrong", d)
	}
	area := sq(30.05, 49.9, 30.2, 49.99).Geometry()
	if dd := Distance(route, area); !near(dd, 2*1111.95, 0.001) {
		t.Errorf("route to area = %v", dd)
	}
	if !WithinDistance(route, route, 0) || WithinDistance(route, site, 0) {
		t.Error("zero distance should mean intersects")
	}
	// The corridor polygon covers the true buffer: a point at 0.99 of the
	// width from the route is inside it, one at 1.1 is not.
	corr := Corridor(route.Lines[0], 1000).Geometry()
	for _, tt := range []struct {
		p    Point
		want bool
	}{
		{Point{30.0, 50.01 + 0.99*1000/ky}, true},
		{Point{30.0, 50.01 - 1.1*1000/ky}, false},
		{Point{29.9 - 0.99*1000/(ky*math.Cos(rad(50.01))), 50.01}, true},
	} {
		if got := Intersects(corr, tt.p.Geometry()); got != tt.want {
			t.Errorf("corridor contains %v = %v, want %v", tt.p, got, tt.want)
		}
	}
}

func TestFootprintConflicts(t *testing.T) {
	at := func(h int) time.Time { return time.Date(2025, 1, 1, h, 0, 0, 0, time.UTC) }
	span := func(a, b int) timespan.Span { s, _ := timespan.New(at(a), at(b)); return s }
	op := Footprint{Geometry: sq(30, 50, 30.1, 50.1).Geometry(), When: span(6, 12)}
	convoy := Footprint{Geometry: LineString{{29.9, 50.105}, {30.2, 50.105}}.Geometry(), HalfWidth: 600, When: span(12, 14)}
	if !op.Conflicts(convoy) || !convoy.Conflicts(op) {
		t.Error("convoy passing 556 m from the area with a 600 m corridor, back to back in time, should conflict")
	}
	convoy.HalfWidth = 500
	if op.Conflicts(convoy) {
		t.Error("500 m corridor should clear 556 m")
	}
	convoy.HalfWidth = 600
	convoy.When = span(13, 14)
	if op.Conflicts(convoy) {
		t.Error("windows apart should not conflict")
	}
}

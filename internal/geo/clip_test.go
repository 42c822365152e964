package geo

import (
	"math"
	"testing"
)

// planarArea is the area in square degrees of g's polygons, holes
// subtracted: the measure the clipper works in.
func planarArea(g Geometry) float64 {
	s := 0.0
	for _, pg := range g.Polygons {
		for i, r := range pg {
			a := math.Abs(signedArea(r))
			if i > 0 {
				a = -a
			}
			s += a
		}
	}
	return s
}

func TestIntersectionPolygons(t *testing.T) {
	unit := sq(0, 0, 1, 1)
	donut := withHole(sq(0, 0, 10, 10), sq(3, 3, 7, 7))
	tests := []struct {
		name     string
		a, b     Polygon
		kind     Kind
		area     float64
		numParts int
	}{
		{"overlapping squares", unit, sq(0.5, 0.5, 2, 2), KindPolygon, 0.25, 1},
		{"contained", sq(0, 0, 10, 10), sq(4, 4, 5, 5), KindPolygon, 1, 1},
		{"identical", unit, unit, KindPolygon, 1, 1},
		{"shared edge, same side", unit, sq(0, 0, 1, 2), KindPolygon, 1, 1},
		{"collinear overlapping edges", unit, sq(0.5, -1, 2, 0.5), KindPolygon, 0.25, 1},
		{"touching edges", unit, sq(1, 0, 2, 1), KindLineString, 0, 1},
		{"touching partly", unit, sq(1, 0.5, 2, 3), KindLineString, 0, 1},
		{"touching at a vertex", unit, sq(1, 1, 2, 2), KindPoint, 0, 1},
		{"donut and a square over the hole", donut, sq(2, 2, 8, 8), KindPolygon, 36 - 16, 1},
		{"donut and a square across", donut, sq(-1, 4, 11, 6), KindMultiPolygon, 12, 2},
		{"donut and its hole", donut, sq(3, 3, 7, 7), KindMultiLineString, 0, 4},
		{"square with a hole inside the other", sq(2, 2, 8, 8), donut, KindPolygon, 20, 1},
		{"cross shape", sq(0, 1, 3, 2), sq(1, 0, 2, 3), KindPolygon, 1, 1},
		{"triangle over a square", unit, Polygon{Ring{{-1, 0.5}, {2, 0.5}, {0.5, 3}, {-1, 0.5}}}, KindPolygon, 0, -1},
	}
	for _, tt := range tests {
		for _, swap := range []bool{false, true} {
			a, b := tt.a, tt.b
			if swap {
				a, b = b, a
			}
			got := Intersection(a.Geometry(), b.Geometry())
			if got.Kind != tt.kind {
				t.Errorf("%s (swap %v): kind %v, want %v: %+v", tt.name, swap, got.Kind, tt.kind, got)
				continue
			}
			if tt.numParts < 0 {
				continue
			}
			if ar := planarArea(got); math.Abs(ar-tt.area) > 1e-9 {
				t.Errorf("%s (swap %v): area %g, want %g", tt.name, swap, ar, tt.area)
			}
			if n := len(got.Polygons) + len(got.Lines) + len(got.Points); n != tt.numParts {
				t.Errorf("%s (swap %v): %d parts, want %d: %+v", tt.name, swap, n, tt.numParts, got)
			}
			if got.Kind == KindPolygon || got.Kind == KindMultiPolygon {
				if err := Validate(got, Options{}); err != nil {
					t.Errorf("%s (swap %v): result invalid: %v", tt.name, swap, err)
				}
			}
		}
	}
}

func TestIntersectionLinePolygon(t *testing.T) {
	unit := sq(0, 0, 1, 1)
	donut := withHole(sq(0, 0, 10, 10), sq(3, 3, 7, 7))
	tests := []struct {
		name string
		l    LineString
		pg   Polygon
		want Geometry
	}{
		{"crossing", LineString{{-1, 0.5}, {2, 0.5}}, unit, LineString{{0, 0.5}, {1, 0.5}}.Geometry()},
		{"along the border", LineString{{-1, 1}, {2, 1}}, unit, LineString{{0, 1}, {1, 1}}.Geometry()},
		{"through a hole", LineString{{-1, 5}, {11, 5}}, donut, MultiLineString{{{0, 5}, {3, 5}}, {{7, 5}, {10, 5}}}.Geometry()},
		{"touching a corner", LineString{{2, 0}, {0, 2}}, unit, Point{1, 1}.Geometry()},
		{"bending inside", LineString{{-1, 0.5}, {0.5, 0.5}, {0.5, 2}}, unit, LineString{{0, 0.5}, {0.5, 0.5}, {0.5, 1}}.Geometry()},
	}
	for _, tt := range tests {
		got := Intersection(tt.l.Geometry(), tt.pg.Geometry())
		if !got.Equal(tt.want) {
			t.Errorf("%s: got %+v, want %+v", tt.name, got, tt.want)
		}
	}
}

func TestIntersectionPoints(t *testing.T) {
	got := Intersection(sq(0, 0, 1, 1).Geometry(), MultiPoint{{0.5, 0.5}, {3, 3}, {1, 1}}.Geometry())
	if want := (MultiPoint{{0.5, 0.5}, {1, 1}}).Geometry(); !got.Equal(want) {
		t.Fatalf("got %+v, want %+v", got, want)
	}
	got = Intersection(LineString{{0, 0}, {2, 2}}.Geometry(), LineString{{0, 2}, {2, 0}}.Geometry())
	if want := (Point{1, 1}).Geometry(); !got.Equal(want) {
		t.Fatalf("crossing lines: got %+v, want %+v", got, want)
	}
	got = Intersection(LineString{{0, 0}, {2, 0}}.Geometry(), LineString{{1, 0}, {3, 0}}.Geometry())
	if want := (LineString{{1, 0}, {2, 0}}).Geometry(); !got.Equal(want) {
		t.Fatalf("overlapping lines: got %+v, want %+v", got, want)
	}
}

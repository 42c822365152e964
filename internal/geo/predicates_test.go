package geo

import (
	"math"
	"testing"
)

func sq(x0, y0, x1, y1 float64) Polygon {
	return Polygon{Ring{{x0, y0}, {x1, y0}, {x1, y1}, {x0, y1}, {x0, y0}}}
}

func withHole(outer, hole Polygon) Polygon { return Polygon{outer[0], hole[0]} }

func TestOrientExactNearCollinear(t *testing.T) {
	// Points on the line y = x with coordinates that do not round-trip
	// through the naive determinant.
	a, b := Point{0.1, 0.1}, Point{0.3, 0.3}
	c := Point{0.7, 0.7}
	if got := orient(a, b, c); got != 0 {
		// 0.1, 0.3, 0.7 are not exactly collinear as float64 values, so
		// compare with the exact answer instead of assuming 0.
		if want := orientExact(a, b, c); got != want {
			t.Fatalf("orient = %d, exact %d", got, want)
		}
	}
	next := math.Nextafter(0.5, 1)
	if got := orient(Point{0, 0}, Point{1, 1}, Point{0.5, next}); got != 1 {
		t.Fatalf("one ulp above the line: orient = %d, want 1", got)
	}
	if got := orient(Point{0, 0}, Point{1, 1}, Point{next, 0.5}); got != -1 {
		t.Fatalf("one ulp below the line: orient = %d, want -1", got)
	}
	if got := orient(Point{1e-300, 1e-300}, Point{3, 3}, Point{2, 2}); got != orientExact(Point{1e-300, 1e-300}, Point{3, 3}, Point{2, 2}) {
		t.Fatal("tiny coordinates disagree with the exact orientation")
	}
}

func TestIntersects(t *testing.T) {
	unit := sq(0, 0, 1, 1)
	donut := withHole(sq(0, 0, 10, 10), sq(3, 3, 7, 7))
	tests := []struct {
		name string
		a, b Geometry
		want bool
	}{
		{"disjoint polygons", unit.Geometry(), sq(2, 2, 3, 3).Geometry(), false},
		{"overlapping polygons", unit.Geometry(), sq(0.5, 0.5, 2, 2).Geometry(), true},
		{"touching edges", unit.Geometry(), sq(1, 0, 2, 1).Geometry(), true},
		{"touching partly along an edge", unit.Geometry(), sq(1, 0.5, 2, 3).Geometry(), true},
		{"touching at a vertex", unit.Geometry(), sq(1, 1, 2, 2).Geometry(), true},
		{"vertex on edge", unit.Geometry(), Polygon{Ring{{1, 0.5}, {2, 0}, {2, 1}, {1, 0.5}}}.Geometry(), true},
		{"gap of one ulp", unit.Geometry(), sq(math.Nextafter(1, 2), 0, 2, 1).Geometry(), false},
		{"one inside the other", sq(0, 0, 10, 10).Geometry(), sq(4, 4, 5, 5).Geometry(), true},
		{"other inside the one", sq(4, 4, 5, 5).Geometry(), sq(0, 0, 10, 10).Geometry(), true},
		{"inside the hole", donut.Geometry(), sq(4, 4, 5, 5).Geometry(), false},
		{"hole exactly filled", donut.Geometry(), sq(3, 3, 7, 7).Geometry(), true},
		{"touching the hole's border", donut.Geometry(), sq(4, 4, 7, 5).Geometry(), true},
		{"poking out of the hole", donut.Geometry(), sq(4, 4, 8, 5).Geometry(), true},
		{"collinear overlapping edges", unit.Geometry(), sq(1, -1, 2, 0.5).Geometry(), true},
		{"point inside", unit.Geometry(), Point{0.5, 0.5}.Geometry(), true},
		{"point on edge", unit.Geometry(), Point{1, 0.5}.Geometry(), true},
		{"point on vertex", unit.Geometry(), Point{1, 1}.Geometry(), true},
		{"point outside", unit.Geometry(), Point{1.5, 0.5}.Geometry(), false},
		{"point in hole", donut.Geometry(), Point{5, 5}.Geometry(), false},
		{"point on hole border", donut.Geometry(), Point{3, 5}.Geometry(), true},
		{"line crossing", unit.Geometry(), LineString{{-1, 0.5}, {2, 0.5}}.Geometry(), true},
		{"line along a border", unit.Geometry(), LineString{{0, 1}, {1, 1}}.Geometry(), true},
		{"line along the border extended", unit.Geometry(), LineString{{-1, 1}, {3, 1}}.Geometry(), true},
		{"line touching a vertex", unit.Geometry(), LineString{{2, 0}, {0, 2}}.Geometry(), true},
		{"line inside", unit.Geometry(), LineString{{0.2, 0.2}, {0.3, 0.4}}.Geometry(), true},
		{"line outside", unit.Geometry(), LineString{{2, 0}, {3, 2}}.Geometry(), false},
		{"line in hole", donut.Geometry(), LineString{{4, 4}, {6, 6}}.Geometry(), false},
		{"lines crossing", LineString{{0, 0}, {1, 1}}.Geometry(), LineString{{0, 1}, {1, 0}}.Geometry(), true},
		{"lines touching at an end", LineString{{0, 0}, {1, 1}}.Geometry(), LineString{{1, 1}, {2, 0}}.Geometry(), true},
		{"lines collinear apart", LineString{{0, 0}, {1, 1}}.Geometry(), LineString{{2, 2}, {3, 3}}.Geometry(), false},
		{"lines collinear overlapping", LineString{{0, 0}, {2, 2}}.Geometry(), LineString{{1, 1}, {3, 3}}.Geometry(), true},
		{"point on line", LineString{{0, 0}, {2, 2}}.Geometry(), Point{1, 1}.Geometry(), true},
		{"point off line", LineString{{0, 0}, {2, 2}}.Geometry(), Point{1, 1.0000001}.Geometry(), false},
		{"same points", Point{1, 2}.Geometry(), MultiPoint{{3, 4}, {1, 2}}.Geometry(), true},
		{"different points", Point{1, 2}.Geometry(), Point{1, 2.5}.Geometry(), false},
		{"multipolygon second part", MultiPolygon{sq(5, 5, 6, 6), unit}.Geometry(), Point{0.5, 0.5}.Geometry(), true},
		{"empty", Geometry{}, unit.Geometry(), false},
	}
	for _, tt := range tests {
		if got := Intersects(tt.a, tt.b); got != tt.want {
			t.Errorf("%s: Intersects = %v, want %v", tt.name, got, tt.want)
		}
		if got := Intersects(tt.b, tt.a); got != tt.want {
			t.Errorf("%s (reversed): Intersects = %v, want %v", tt.name, got, tt.want)
		}
		if tt.want && Intersection(tt.a, tt.b).IsEmpty() {
			t.Errorf("%s: Intersection is empty although they intersect", tt.name)
		}
		if !tt.want && !Intersection(tt.a, tt.b).IsEmpty() {
			t.Errorf("%s: Intersection not empty although they do not intersect", tt.name)
		}
	}
}

func TestBBoxIntersects(t *testing.T) {
	a := BBox{0, 0, 1, 1}
	for _, tt := range []struct {
		b    BBox
		want bool
	}{
		{BBox{1, 1, 2, 2}, true},
		{BBox{1, 0, 2, 1}, true},
		{BBox{0.2, 0.2, 0.3, 0.3}, true},
		{BBox{1.1, 0, 2, 1}, false},
		{EmptyBBox(), false},
	} {
		if got := a.Intersects(tt.b); got != tt.want {
			t.Errorf("%v ∩ %v = %v, want %v", a, tt.b, got, tt.want)
		}
	}
}

package geo

// Reproduce with:
//
//	go test -run '^$' -bench . -benchmem ./internal/geo/
//
// Figures on the shared 2-core development VM (noisy, ±30%):
//
//	IntersectsPolygonPolygon/n=50          0.5–2.7 µs   0 allocs (a vertex inside decides)
//	IntersectsPolygonPolygon/n=1000         12–26 µs    0 allocs
//	IntersectsPolygonPolygon/n=50/apart     17–19 µs   10 allocs (full edge sweep)
//	IntersectionPolygonPolygon/n=50        100–280 µs 229 allocs
//	IntersectionPolygonPolygon/n=1000      2.5–3.0 ms
//	DecodeGeoJSON/n=50                      48–52 µs   27 allocs (incl. validation)
//	DecodeGeoJSON/n=1000                   0.8 ms      31 allocs
//	WithinDistance (4-point route, 50-gon)  19–26 µs

import (
	"fmt"
	"math"
	"testing"
)

// benchStar is a deterministic star-shaped polygon with n vertices around c.
func benchStar(c Point, n int, r float64) Polygon {
	ring := make(Ring, 0, n+1)
	for i := range n {
		θ := 2 * math.Pi * float64(i) / float64(n)
		ρ := r * (0.7 + 0.3*math.Sin(7*θ))
		ring = append(ring, Point{c.Lon + ρ*math.Cos(θ), c.Lat + ρ*math.Sin(θ)})
	}
	return Polygon{append(ring, ring[0])}
}

var sizes = []int{50, 1000}

// The pair overlaps partly, so Intersects has to find a crossing rather
// than stop at the boxes.
func benchPair(n int) (Geometry, Geometry) {
	return benchStar(Point{30, 50}, n, 0.1).Geometry(), benchStar(Point{30.12, 50.03}, n, 0.1).Geometry()
}

func BenchmarkIntersectsPolygonPolygon(b *testing.B) {
	for _, n := range sizes {
		a, c := benchPair(n)
		b.Run(fmt.Sprintf("n=%d", n), func(b *testing.B) {
			for b.Loop() {
				if !Intersects(a, c) {
					b.Fatal("no intersection")
				}
			}
		})
	}
	// Apart but with overlapping boxes: every edge pair the sweep offers
	// must be tested.
	a := benchStar(Point{30, 50}, 50, 0.1).Geometry()
	c := benchStar(Point{30.16, 50.1}, 50, 0.1).Geometry()
	b.Run("n=50/apart", func(b *testing.B) {
		for b.Loop() {
			Intersects(a, c)
		}
	})
}

func BenchmarkIntersectionPolygonPolygon(b *testing.B) {
	for _, n := range sizes {
		a, c := benchPair(n)
		b.Run(fmt.Sprintf("n=%d", n), func(b *testing.B) {
			for b.Loop() {
				if Intersection(a, c).IsEmpty() {
					b.Fatal("empty")
				}
			}
		})
	}
}

func BenchmarkDecodeGeoJSON(b *testing.B) {
	for _, n := range sizes {
		g := benchStar(Point{30, 50}, n, 0.1).Geometry()
		data, err := g.MarshalJSON()
		if err != nil {
			b.Fatal(err)
		}
		b.Run(fmt.Sprintf("n=%d", n), func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			for b.Loop() {
				if _, err := Decode(data, Options{}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkWithinDistance(b *testing.B) {
	area := benchStar(Point{30, 50}, 50, 0.1).Geometry()
	route := LineString{{29.7, 50.2}, {29.9, 50.15}, {30.1, 50.16}, {30.3, 50.2}}.Geometry()
	for b.Loop() {
		WithinDistance(route, area, 500)
	}
}

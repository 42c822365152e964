package geo

import (
	"math"
	"math/big"
	"math/rand/v2"
	"testing"
)

// The reference below shares no code with the package's predicates: it
// decides orientation in exact rationals every time and tests every
// segment pair and every vertex, which is slow and obviously right.

func refOrient(a, b, c Point) int {
	r := func(f float64) *big.Rat { return new(big.Rat).SetFloat64(f) }
	abx := new(big.Rat).Sub(r(b.Lon), r(a.Lon))
	aby := new(big.Rat).Sub(r(b.Lat), r(a.Lat))
	acx := new(big.Rat).Sub(r(c.Lon), r(a.Lon))
	acy := new(big.Rat).Sub(r(c.Lat), r(a.Lat))
	return new(big.Rat).Mul(abx, acy).Cmp(new(big.Rat).Mul(aby, acx))
}

func refOnSeg(a, b, p Point) bool {
	return math.Min(a.Lon, b.Lon) <= p.Lon && p.Lon <= math.Max(a.Lon, b.Lon) &&
		math.Min(a.Lat, b.Lat) <= p.Lat && p.Lat <= math.Max(a.Lat, b.Lat) &&
		refOrient(a, b, p) == 0
}

func refSegs(p, q, r, s Point) bool {
	// Segments whose boxes are apart cannot meet; this only saves time.
	if math.Max(p.Lon, q.Lon) < math.Min(r.Lon, s.Lon) || math.Max(r.Lon, s.Lon) < math.Min(p.Lon, q.Lon) ||
		math.Max(p.Lat, q.Lat) < math.Min(r.Lat, s.Lat) || math.Max(r.Lat, s.Lat) < math.Min(p.Lat, q.Lat) {
		return false
	}
	d1, d2 := refOrient(r, s, p), refOrient(r, s, q)
	d3, d4 := refOrient(p, q, r), refOrient(p, q, s)
	if d1*d2 < 0 && d3*d4 < 0 {
		return true
	}
	return refOnSeg(r, s, p) || refOnSeg(r, s, q) || refOnSeg(p, q, r) || refOnSeg(p, q, s)
}

// refIn reports whether p is in the closed polygon: on any ring, or inside
// an odd number of rings (even-odd over all rings is the polygon with its
// holes removed, since holes lie inside the shell).
func refIn(pg Polygon, p Point) bool {
	odd := false
	for _, r := range pg {
		for i := 0; i+1 < len(r); i++ {
			a, b := r[i], r[i+1]
			if refOnSeg(a, b, p) {
				return true
			}
			if (a.Lat > p.Lat) != (b.Lat > p.Lat) {
				o := refOrient(a, b, p)
				if (o > 0) == (b.Lat > a.Lat) {
					odd = !odd
				}
			}
		}
	}
	return odd
}

func refSegments(g Geometry) [][2]Point {
	var s [][2]Point
	for _, p := range g.Points {
		s = append(s, [2]Point{p, p})
	}
	path := func(pts []Point) {
		for i := 0; i+1 < len(pts); i++ {
			s = append(s, [2]Point{pts[i], pts[i+1]})
		}
	}
	for _, l := range g.Lines {
		path(l)
	}
	for _, pg := range g.Polygons {
		for _, r := range pg {
			path(r)
		}
	}
	return s
}

func refInGeom(g Geometry, p Point) bool {
	for _, pg := range g.Polygons {
		if refIn(pg, p) {
			return true
		}
	}
	return false
}

func refIntersects(a, b Geometry) bool {
	for _, s := range refSegments(a) {
		for _, t := range refSegments(b) {
			if refSegs(s[0], s[1], t[0], t[1]) {
				return true
			}
		}
	}
	for _, p := range vertices(a) {
		if refInGeom(b, p) {
			return true
		}
	}
	for _, p := range vertices(b) {
		if refInGeom(a, p) {
			return true
		}
	}
	return false
}

// gen makes random shapes in a 10×10 degree box. With grid set, every
// coordinate is a multiple of 1/2, which makes shared vertices, collinear
// edges and touching borders common instead of measure-zero.
type gen struct {
	r    *rand.Rand
	grid bool
}

func (g gen) coord(x float64) float64 {
	if g.grid {
		return math.Round(x*2) / 2
	}
	return x
}

func (g gen) point() Point {
	return Point{g.coord(g.r.Float64() * 10), g.coord(g.r.Float64() * 10)}
}

// star returns a star-shaped ring around c with n vertices at radii in
// [rmin, rmax], counter-clockwise.
func (g gen) star(c Point, n int, rmin, rmax float64) Ring {
	r := make(Ring, 0, n+1)
	for i := range n {
		θ := 2 * math.Pi * (float64(i) + 0.8*g.r.Float64()) / float64(n)
		ρ := rmin + (rmax-rmin)*g.r.Float64()
		p := Point{g.coord(c.Lon + ρ*math.Cos(θ)), g.coord(c.Lat + ρ*math.Sin(θ))}
		if len(r) > 0 && r[len(r)-1] == p {
			continue
		}
		r = append(r, p)
	}
	if len(r) > 1 && r[len(r)-1] == r[0] {
		r = r[:len(r)-1]
	}
	return append(r, r[0])
}

// polygon returns a valid random polygon, sometimes with a hole.
func (g gen) polygon() Polygon {
	for {
		c := Point{2 + 6*g.r.Float64(), 2 + 6*g.r.Float64()}
		n := 3 + g.r.IntN(12)
		rmax := 0.5 + 3*g.r.Float64()
		rmin := rmax * (0.2 + 0.6*g.r.Float64())
		pg := Polygon{g.star(c, n, rmin, rmax)}
		if g.r.IntN(3) == 0 {
			// Below the smallest possible inscribed radius: the hole stays
			// inside (validation rejects the rare grid-snapped misses).
			pg = append(pg, g.star(c, 3+g.r.IntN(5), rmin*0.1, rmin*0.4))
			reverseRing(pg[1])
		}
		if Validate(pg.Geometry(), Options{}) == nil {
			return pg
		}
	}
}

func reverseRing(r Ring) {
	for i, j := 0, len(r)-1; i < j; i, j = i+1, j-1 {
		r[i], r[j] = r[j], r[i]
	}
}

func (g gen) line() LineString {
	for {
		n := 2 + g.r.IntN(5)
		l := make(LineString, n)
		for i := range l {
			l[i] = g.point()
		}
		if Validate(l.Geometry(), Options{}) == nil {
			return l
		}
	}
}

func (g gen) geometry() Geometry {
	switch g.r.IntN(6) {
	case 0:
		return g.point().Geometry()
	case 1:
		return g.line().Geometry()
	case 2:
		return MultiPolygon{g.polygon(), g.polygon()}.Geometry()
	}
	return g.polygon().Geometry()
}

func rounds(t *testing.T, n int) int {
	if testing.Short() {
		return n / 10
	}
	return n
}

func TestIntersectsAgainstReference(t *testing.T) {
	for _, grid := range []bool{true, false} {
		g := gen{r: rand.New(rand.NewPCG(1, 2)), grid: grid}
		hits := 0
		for i := range rounds(t, 3000) {
			a, b := g.geometry(), g.geometry()
			want := refIntersects(a, b)
			if got := Intersects(a, b); got != want {
				t.Fatalf("grid %v, case %d: Intersects = %v, reference %v\na = %+v\nb = %+v", grid, i, got, want, a, b)
			}
			if want {
				hits++
			}
			if Intersection(a, b).IsEmpty() == want {
				t.Fatalf("grid %v, case %d: Intersection empty = %v but intersects = %v\na = %+v\nb = %+v", grid, i, !want, want, a, b)
			}
		}
		t.Logf("grid %v: %d of %d pairs intersect", grid, hits, rounds(t, 3000))
	}
}

// distToBorder is the planar distance in degrees from p to g's segments.
func distToBorder(g Geometry, p Point) float64 {
	d := math.Inf(1)
	for _, s := range refSegments(g) {
		d = min(d, pointSegment(p, s[0], s[1]))
	}
	return d
}

func TestIntersectionAgainstReference(t *testing.T) {
	const tol = 1e-9
	for _, grid := range []bool{true, false} {
		g := gen{r: rand.New(rand.NewPCG(3, 4)), grid: grid}
		for i := range rounds(t, 1000) {
			a, b := g.polygon(), g.polygon()
			ga, gb := a.Geometry(), b.Geometry()
			res := Intersection(ga, gb)
			if res.Kind == KindPolygon || res.Kind == KindMultiPolygon {
				if ar, lim := planarArea(res), math.Min(planarArea(ga), planarArea(gb)); ar > lim*(1+1e-9) {
					t.Fatalf("grid %v, case %d: area of overlap %g exceeds %g\na = %v\nb = %v", grid, i, ar, lim, a, b)
				}
				if err := Validate(res, Options{}); err != nil && grid {
					// Exact inputs on a grid give exact crossing points
					// most of the time; an invalid ring is a clipper bug.
					t.Errorf("grid %v, case %d: overlap invalid: %v\na = %v\nb = %v\nres = %v", grid, i, err, a, b, res)
				}
			}
			// Sample points; those in both (per the reference) must be in
			// the overlap, and those in the overlap must be in both, up to
			// rounding near a border.
			for range 50 {
				p := Point{g.r.Float64() * 10, g.r.Float64() * 10}
				both := refIn(a, p) && refIn(b, p)
				inRes := refInGeom(res, p)
				if both == inRes || res.Kind == KindPoint || res.Kind == KindLineString || res.Kind == KindMultiLineString && !both {
					continue
				}
				if min(distToBorder(ga, p), distToBorder(gb, p), distToBorder(res, p)) < tol {
					continue
				}
				t.Fatalf("grid %v, case %d: %v in both = %v, in overlap = %v\na = %v\nb = %v\nres = %v", grid, i, p, both, inRes, a, b, res)
			}
		}
	}
}

func TestLineClipAgainstReference(t *testing.T) {
	const tol = 1e-9
	for _, grid := range []bool{true, false} {
		g := gen{r: rand.New(rand.NewPCG(5, 6)), grid: grid}
		for i := range rounds(t, 1000) {
			l, pg := g.line(), g.polygon()
			res := Intersection(l.Geometry(), pg.Geometry())
			// Every returned stretch lies in the polygon.
			for _, part := range res.Lines {
				for j := 0; j+1 < len(part); j++ {
					m := Point{(part[j].Lon + part[j+1].Lon) / 2, (part[j].Lat + part[j+1].Lat) / 2}
					if !refIn(pg, m) && distToBorder(pg.Geometry(), m) > tol {
						t.Fatalf("grid %v, case %d: stretch midpoint %v outside\nl = %v\npg = %v\nres = %v", grid, i, m, l, pg, res)
					}
				}
			}
			// Points along the line that are inside are on the result.
			for k := 0; k+1 < len(l); k++ {
				for _, s := range []float64{0.1, 0.37, 0.5, 0.81} {
					p := Point{l[k].Lon + s*(l[k+1].Lon-l[k].Lon), l[k].Lat + s*(l[k+1].Lat-l[k].Lat)}
					if refIn(pg, p) && distToBorder(res, p) > tol && distToBorder(pg.Geometry(), p) > tol {
						t.Fatalf("grid %v, case %d: %v on the line and inside, but not in the result\nl = %v\npg = %v\nres = %v", grid, i, p, l, pg, res)
					}
				}
			}
		}
	}
}

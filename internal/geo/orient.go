package geo

import (
	"math/big"
	"slices"
)

// ccwErrBound is Shewchuk's bound on the relative error of the float64
// orientation determinant ("Adaptive Precision Floating-Point Arithmetic and
// Fast Robust Geometric Predicates", 1997): when the computed determinant is
// larger than this times the sum of the magnitudes of its two products, its
// sign is certainly right.
const ccwErrBound = (3.0 + 16.0*epsilon) * epsilon

const epsilon = 1.0 / (1 << 53)

// orient returns +1 when c lies to the left of the directed line a→b
// (a, b, c counter-clockwise), -1 when to the right and 0 when the three are
// collinear. The answer is exact for any finite float64 input: the fast path
// is taken only when the rounding error cannot change the sign, and the rare
// near-collinear rest is decided in exact rational arithmetic.
func orient(a, b, c Point) int {
	detl := (a.Lon - c.Lon) * (b.Lat - c.Lat)
	detr := (a.Lat - c.Lat) * (b.Lon - c.Lon)
	det := detl - detr
	var detsum float64
	switch {
	case detl > 0:
		if detr <= 0 {
			return sign(det)
		}
		detsum = detl + detr
	case detl < 0:
		if detr >= 0 {
			return sign(det)
		}
		detsum = -detl - detr
	default:
		// detl is exactly zero (a float difference is zero only when the
		// operands are equal), so det = -detr and its sign is exact.
		return sign(det)
	}
	bound := ccwErrBound * detsum
	if det > bound || -det > bound {
		return sign(det)
	}
	return orientExact(a, b, c)
}

func orientExact(a, b, c Point) int {
	r := func(f float64) *big.Rat { return new(big.Rat).SetFloat64(f) }
	ax, ay, bx, by, cx, cy := r(a.Lon), r(a.Lat), r(b.Lon), r(b.Lat), r(c.Lon), r(c.Lat)
	l := new(big.Rat).Mul(ax.Sub(ax, cx), by.Sub(by, cy))
	rr := new(big.Rat).Mul(ay.Sub(ay, cy), bx.Sub(bx, cx))
	return l.Cmp(rr)
}

func sign(f float64) int {
	switch {
	case f > 0:
		return 1
	case f < 0:
		return -1
	}
	return 0
}

// inBox reports whether p lies in the closed bounding box of a and b; with
// orient(a, b, p) == 0 that means p lies on the closed segment ab.
func inBox(a, b, p Point) bool {
	return p.Lon >= min(a.Lon, b.Lon) && p.Lon <= max(a.Lon, b.Lon) &&
		p.Lat >= min(a.Lat, b.Lat) && p.Lat <= max(a.Lat, b.Lat)
}

// onSegment reports whether p lies on the closed segment ab (exact).
func onSegment(a, b, p Point) bool {
	return inBox(a, b, p) && orient(a, b, p) == 0
}

// segmentsIntersect reports whether closed segments pq and rs share a point.
// A zero-length segment behaves as a point.
func segmentsIntersect(p, q, r, s Point) bool {
	o1, o2 := orient(p, q, r), orient(p, q, s)
	if o1 != 0 && o1 == o2 {
		return false
	}
	o3, o4 := orient(r, s, p), orient(r, s, q)
	if o3 != 0 && o3 == o4 {
		return false
	}
	if o1 != 0 || o2 != 0 {
		// Not all collinear, and neither segment lies strictly on one side
		// of the other's line: they meet (in a crossing, or an end point on
		// the other segment).
		if o1 != o2 && o3 != o4 {
			return true
		}
	}
	return (o1 == 0 && inBox(p, q, r)) || (o2 == 0 && inBox(p, q, s)) ||
		(o3 == 0 && inBox(r, s, p)) || (o4 == 0 && inBox(r, s, q))
}

// Location of a point relative to an area.
const (
	outside  = -1
	boundary = 0
	inside   = 1
)

// locateRing says whether p is inside, on, or outside the closed ring r, by
// crossing count with exact orientation tests (half-open rule on latitude,
// so a ray through a vertex is counted once).
func locateRing(r []Point, p Point) int {
	in := false
	for i := 0; i+1 < len(r); i++ {
		a, b := r[i], r[i+1]
		if (a.Lat > p.Lat) != (b.Lat > p.Lat) {
			o := orient(a, b, p)
			if o == 0 {
				// Collinear with an edge whose latitude range holds p: on it.
				return boundary
			}
			if (o > 0) == (b.Lat > a.Lat) {
				in = !in
			}
		} else if a.Lat == p.Lat && b.Lat == p.Lat || a == p || b == p {
			if inBox(a, b, p) {
				return boundary
			}
		}
	}
	if in {
		return inside
	}
	return outside
}

// locatePolygon places p against the polygon including its holes.
func locatePolygon(pg Polygon, p Point) int {
	if len(pg) == 0 {
		return outside
	}
	l := locateRing(pg[0], p)
	if l != inside {
		return l
	}
	for _, h := range pg[1:] {
		switch locateRing(h, p) {
		case inside:
			return outside
		case boundary:
			return boundary
		}
	}
	return inside
}

// edge is one segment with its box, tagged with where it came from.
type edge struct {
	a, b       Point
	minX, maxX float64
	minY, maxY float64
	ring, idx  int // ring (or part) number and segment number within it
	id         int // position in the caller's slice before sorting
}

func newEdge(a, b Point, ring, idx int) edge {
	return edge{a: a, b: b, minX: min(a.Lon, b.Lon), maxX: max(a.Lon, b.Lon),
		minY: min(a.Lat, b.Lat), maxY: max(a.Lat, b.Lat), ring: ring, idx: idx}
}

// pathEdges appends the segments of a path; a one-position path becomes a
// zero-length edge so that it still behaves as a point.
func pathEdges(dst []edge, pts []Point, ring int) []edge {
	if len(pts) == 1 {
		return append(dst, newEdge(pts[0], pts[0], ring, 0))
	}
	for i := 0; i+1 < len(pts); i++ {
		dst = append(dst, newEdge(pts[i], pts[i+1], ring, i))
	}
	return dst
}

func polygonEdges(dst []edge, pg Polygon) []edge {
	for i, r := range pg {
		dst = pathEdges(dst, r, i)
	}
	return dst
}

// numbered sets each edge's id to its index.
func numbered(es []edge) []edge {
	for i := range es {
		es[i].id = i
	}
	return es
}

func sortEdges(es []edge) {
	slices.SortFunc(es, func(x, y edge) int {
		switch {
		case x.minX < y.minX:
			return -1
		case x.minX > y.minX:
			return 1
		}
		return 0
	})
}

// sweepPairs calls fn for every pair (i from as, j from bs) whose boxes
// overlap, sweeping along longitude so that edges far apart are never
// compared: near O((n+m) log(n+m) + k) for the polygons rooms draw, instead
// of the O(n·m) of all pairs. Both slices must be sorted by sortEdges. fn
// returns false to stop; sweepPairs then returns false.
func sweepPairs(as, bs []edge, fn func(a, b *edge) bool) bool {
	var actA, actB []int
	i, j := 0, 0
	for i < len(as) || j < len(bs) {
		if j >= len(bs) || (i < len(as) && as[i].minX <= bs[j].minX) {
			e := &as[i]
			actB = prune(actB, bs, e.minX)
			for _, k := range actB {
				o := &bs[k]
				if o.minY <= e.maxY && e.minY <= o.maxY && fn(e, o) == false {
					return false
				}
			}
			actA = append(actA, i)
			i++
		} else {
			e := &bs[j]
			actA = prune(actA, as, e.minX)
			for _, k := range actA {
				o := &as[k]
				if o.minY <= e.maxY && e.minY <= o.maxY && fn(o, e) == false {
					return false
				}
			}
			actB = append(actB, j)
			j++
		}
	}
	return true
}

// sweepSelf calls fn for every pair of distinct edges of es whose boxes
// overlap; es must be sorted by sortEdges.
func sweepSelf(es []edge, fn func(a, b *edge) bool) bool {
	var act []int
	for i := range es {
		e := &es[i]
		act = prune(act, es, e.minX)
		for _, k := range act {
			o := &es[k]
			if o.minY <= e.maxY && e.minY <= o.maxY && !fn(o, e) {
				return false
			}
		}
		act = append(act, i)
	}
	return true
}

// prune drops the active edges that end before x; they cannot meet any edge
// that starts at or after x.
func prune(act []int, es []edge, x float64) []int {
	n := 0
	for _, k := range act {
		if es[k].maxX >= x {
			act[n] = k
			n++
		}
	}
	return act[:n]
}

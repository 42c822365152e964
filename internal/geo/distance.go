package geo

import (
	"math"
	"slices"
)

// projection is a local equirectangular projection to metres around a
// reference latitude. Over a room's region (a few hundred km) it keeps
// distances within about 1% away from the poles, enough for a corridor
// width; it is also what makes segment distances simple planar geometry.
type projection struct {
	lat0, kx float64
}

func newProjection(b BBox) projection {
	lat0 := (b.MinLat + b.MaxLat) / 2
	return projection{lat0: lat0, kx: EarthRadius * math.Cos(rad(lat0)) * math.Pi / 180}
}

const ky = EarthRadius * math.Pi / 180

func (pr projection) fwd(p Point) Point { return Point{p.Lon * pr.kx, p.Lat * ky} }
func (pr projection) inv(p Point) Point { return Point{p.Lon / pr.kx, p.Lat / ky} }

// projectedEdges returns every segment of g in projected metres; points are
// zero-length segments.
func projectedEdges(g Geometry, pr projection) []edge {
	var es []edge
	for _, p := range g.Points {
		q := pr.fwd(p)
		es = append(es, newEdge(q, q, 0, 0))
	}
	add := func(pts []Point) {
		for i := 0; i+1 < len(pts); i++ {
			es = append(es, newEdge(pr.fwd(pts[i]), pr.fwd(pts[i+1]), 0, i))
		}
		if len(pts) == 1 {
			q := pr.fwd(pts[0])
			es = append(es, newEdge(q, q, 0, 0))
		}
	}
	for _, l := range g.Lines {
		add(l)
	}
	for _, pg := range g.Polygons {
		for _, r := range pg {
			add(r)
		}
	}
	return es
}

// Distance returns the shortest distance in metres between a and b: zero
// when they intersect, else the smallest distance between their segments
// and points, measured in a local equirectangular projection centred on the
// two geometries. It compares all segment pairs; for a yes/no answer use
// WithinDistance, which prunes.
func Distance(a, b Geometry) float64 {
	if a.IsEmpty() || b.IsEmpty() {
		return math.Inf(1)
	}
	if Intersects(a, b) {
		return 0
	}
	pr := newProjection(a.BBox().Union(b.BBox()))
	ea, eb := projectedEdges(a, pr), projectedEdges(b, pr)
	d := math.Inf(1)
	for i := range ea {
		for j := range eb {
			d = min(d, segmentDistance(ea[i].a, ea[i].b, eb[j].a, eb[j].b))
		}
	}
	return d
}

// WithinDistance reports whether a and b come within d metres of each other
// (closed: exactly d counts). This is the corridor test: a movement notified
// with a half-width w conflicts with an area when WithinDistance(route,
// area, w); two corridors when it holds for w1 + w2. The predicate is exact
// for d == 0 and uses the local projection of Distance otherwise.
func WithinDistance(a, b Geometry, d float64) bool {
	if a.IsEmpty() || b.IsEmpty() || d < 0 || math.IsNaN(d) {
		return false
	}
	if Intersects(a, b) {
		return true
	}
	if d == 0 {
		return false
	}
	ab, bb := a.BBox(), b.BBox()
	pr := newProjection(ab.Union(bb))
	ea, eb := projectedEdges(a, pr), projectedEdges(b, pr)
	// Grow a's boxes by d so the sweep pairs exactly the segments that
	// could be within d of each other.
	for i := range ea {
		ea[i].minX -= d
		ea[i].maxX += d
		ea[i].minY -= d
		ea[i].maxY += d
	}
	sortEdges(ea)
	sortEdges(eb)
	found := false
	sweepPairs(ea, eb, func(e, f *edge) bool {
		if segmentDistance(e.a, e.b, f.a, f.b) <= d {
			found = true
			return false
		}
		return true
	})
	return found
}

// segmentDistance is the planar distance between closed segments pq and rs.
func segmentDistance(p, q, r, s Point) float64 {
	if segmentsIntersect(p, q, r, s) {
		return 0
	}
	return min(pointSegment(p, r, s), pointSegment(q, r, s), pointSegment(r, p, q), pointSegment(s, p, q))
}

func pointSegment(p, a, b Point) float64 {
	dx, dy := b.Lon-a.Lon, b.Lat-a.Lat
	l2 := dx*dx + dy*dy
	t := 0.0
	if l2 > 0 {
		t = math.Max(0, math.Min(1, ((p.Lon-a.Lon)*dx+(p.Lat-a.Lat)*dy)/l2))
	}
	return math.Hypot(p.Lon-(a.Lon+t*dx), p.Lat-(a.Lat+t*dy))
}

// Corridor returns an approximate buffer of l by halfWidth metres, for
// display: a rectangle around each segment (flat ends) plus a 16-sided
// polygon around each vertex, which rounds the joins and caps. The
// 16-gon is drawn around the circle, not in it, so the corridor covers at
// least the true buffer; it exceeds it by at most 2% of the width at the
// caps. The parts overlap (they are not merged), so use the result for
// drawing and Intersects, and WithinDistance for the exact test; Area of
// the result overstates the corridor's area.
func Corridor(l LineString, halfWidth float64) MultiPolygon {
	if len(l) == 0 || !(halfWidth > 0) {
		return nil
	}
	pr := newProjection(l.BBox())
	const sides = 16
	// Circumradius of a regular 16-gon whose inscribed radius is halfWidth.
	rc := halfWidth / math.Cos(math.Pi/sides)
	var out MultiPolygon
	seen := map[Point]bool{}
	for _, v := range l {
		if seen[v] {
			continue
		}
		seen[v] = true
		c := pr.fwd(v)
		ring := make(Ring, 0, sides+1)
		for k := range sides {
			θ := 2 * math.Pi * (float64(k) + 0.5) / sides
			ring = append(ring, pr.inv(Point{c.Lon + rc*math.Cos(θ), c.Lat + rc*math.Sin(θ)}))
		}
		out = append(out, Polygon{append(ring, ring[0])})
	}
	for i := 0; i+1 < len(l); i++ {
		a, b := pr.fwd(l[i]), pr.fwd(l[i+1])
		dx, dy := b.Lon-a.Lon, b.Lat-a.Lat
		n := math.Hypot(dx, dy)
		if n == 0 {
			continue
		}
		ox, oy := -dy/n*halfWidth, dx/n*halfWidth
		ring := Ring{
			pr.inv(Point{a.Lon - ox, a.Lat - oy}), pr.inv(Point{b.Lon - ox, b.Lat - oy}),
			pr.inv(Point{b.Lon + ox, b.Lat + oy}), pr.inv(Point{a.Lon + ox, a.Lat + oy}),
		}
		out = append(out, Polygon{append(ring, ring[0])})
	}
	return slices.Clip(out)
}

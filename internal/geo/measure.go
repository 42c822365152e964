package geo

import (
	"math"
	"slices"
)

// EarthRadius is the mean Earth radius in metres (IUGG), used for every
// metric measurement here: the sphere is within 0.5% of WGS84 everywhere,
// which is ample for deconfliction distances and displayed areas.
const EarthRadius = 6371008.8

func rad(d float64) float64 { return d * math.Pi / 180 }

// Haversine returns the great-circle distance between p and q in metres.
func Haversine(p, q Point) float64 {
	φ1, φ2 := rad(p.Lat), rad(q.Lat)
	dφ, dλ := φ2-φ1, rad(q.Lon-p.Lon)
	h := math.Sin(dφ/2)*math.Sin(dφ/2) + math.Cos(φ1)*math.Cos(φ2)*math.Sin(dλ/2)*math.Sin(dλ/2)
	return 2 * EarthRadius * math.Asin(math.Sqrt(min(1, h)))
}

// ringAreaSphere is the area of a ring on the sphere in m², unsigned
// (Chamberlain & Duquette, "Some algorithms for polygons on a sphere", 2007;
// the formula d3 and turf use).
func ringAreaSphere(r []Point) float64 {
	n := len(r) - 1 // distinct vertices of a closed ring
	if n < 3 {
		return 0
	}
	s := 0.0
	for i := 0; i < n; i++ {
		prev, mid, next := r[(i+n-1)%n], r[i], r[(i+1)%n]
		s += (rad(next.Lon) - rad(prev.Lon)) * math.Sin(rad(mid.Lat))
	}
	return math.Abs(s) * EarthRadius * EarthRadius / 2
}

// Area returns the polygon's area in m² (outer ring minus holes) on the
// sphere. Edges are taken as drawn in lon/lat; the error against the
// geodesic polygon is negligible for regional shapes.
func (pg Polygon) Area() float64 {
	if len(pg) == 0 {
		return 0
	}
	a := ringAreaSphere(pg[0])
	for _, h := range pg[1:] {
		a -= ringAreaSphere(h)
	}
	return max(a, 0)
}

// Area returns the total area in m² of g's polygons; points and lines have
// none. Overlapping parts of a multipolygon are counted twice.
func (g Geometry) Area() float64 {
	a := 0.0
	for _, pg := range g.Polygons {
		a += pg.Area()
	}
	return a
}

// Centroid returns the planar (lon/lat) area centroid of the polygon. It
// may lie outside a concave polygon or in a hole; use PointOnSurface for a
// label or a point that must be inside.
func (pg Polygon) Centroid() Point {
	if len(pg) == 0 || len(pg[0]) == 0 {
		return Point{}
	}
	// Oriented holes run clockwise, so their terms subtract. Coordinates
	// are taken relative to the first vertex to keep the products small.
	o := pg[0][0]
	var sx, sy, sa float64
	for _, r := range oriented(pg) {
		for i := 0; i+1 < len(r); i++ {
			px, py := r[i].Lon-o.Lon, r[i].Lat-o.Lat
			qx, qy := r[i+1].Lon-o.Lon, r[i+1].Lat-o.Lat
			c := px*qy - qx*py
			sx += (px + qx) * c
			sy += (py + qy) * c
			sa += c
		}
	}
	if sa == 0 {
		return pointsBBox(pg[0]).center()
	}
	return Point{o.Lon + sx/(3*sa), o.Lat + sy/(3*sa)}
}

func (b BBox) center() Point {
	return Point{(b.MinLon + b.MaxLon) / 2, (b.MinLat + b.MaxLat) / 2}
}

// PointOnSurface returns a point inside the polygon (or on its border for a
// degenerate one): the centroid when it is inside, otherwise the middle of
// the widest stretch of a horizontal line through the polygon. Useful for a
// label, or to report where an overlap is.
func (pg Polygon) PointOnSurface() Point {
	c := pg.Centroid()
	if len(pg) == 0 || locatePolygon(pg, c) == inside {
		return c
	}
	bb := pg.BBox()
	// Try the latitude of the centroid first, then others, avoiding vertex
	// latitudes where the scanline would only graze the polygon.
	for _, y := range []float64{c.Lat, (bb.MinLat + bb.MaxLat) / 2, bb.MinLat + (bb.MaxLat-bb.MinLat)/3, bb.MinLat + 2*(bb.MaxLat-bb.MinLat)/3} {
		var xs []float64
		for _, r := range pg {
			for i := 0; i+1 < len(r); i++ {
				a, b := r[i], r[i+1]
				if (a.Lat > y) != (b.Lat > y) {
					xs = append(xs, a.Lon+(y-a.Lat)*(b.Lon-a.Lon)/(b.Lat-a.Lat))
				}
			}
		}
		slices.Sort(xs)
		best, bestW := Point{}, -1.0
		for i := 0; i+1 < len(xs); i += 2 {
			if w := xs[i+1] - xs[i]; w > bestW {
				best, bestW = Point{(xs[i] + xs[i+1]) / 2, y}, w
			}
		}
		if bestW > 0 && locatePolygon(pg, best) != outside {
			return best
		}
	}
	return pg[0][0]
}

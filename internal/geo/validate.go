package geo

import (
	"fmt"
	"math"
)

// DefaultMaxPositions is the vertex cap used when Options.MaxPositions is
// zero. It bounds the work one submitted geometry can cause (the predicates
// are near n log n, the clipper worse) while allowing detailed coastlines.
const DefaultMaxPositions = 10000

// Options tune decoding and validation.
type Options struct {
	// MaxPositions caps the number of positions in one geometry, closing
	// positions included. Zero means DefaultMaxPositions; negative means no
	// cap.
	MaxPositions int
}

func (o Options) maxPositions() int {
	if o.MaxPositions == 0 {
		return DefaultMaxPositions
	}
	return o.MaxPositions
}

// ValidationError says what is wrong with a geometry and where. Path is
// JSON-pointer-like, relative to the GeoJSON geometry object, e.g.
// "coordinates[0][3]", so the API can name the offending field.
type ValidationError struct {
	Path string
	Msg  string
}

func (e *ValidationError) Error() string {
	if e.Path == "" {
		return e.Msg
	}
	return e.Path + ": " + e.Msg
}

func invalid(path, format string, args ...any) *ValidationError {
	return &ValidationError{Path: path, Msg: fmt.Sprintf(format, args...)}
}

// Validate checks g against the rules the decoder applies, for geometries
// built in Go rather than decoded. Paths in the error are as if g had been
// written as GeoJSON.
func Validate(g Geometry, opt Options) error {
	if max := opt.maxPositions(); max > 0 {
		if n := g.NumPositions(); n > max {
			return invalid("coordinates", "geometry has %d positions; the limit is %d", n, max)
		}
	}
	switch g.Kind {
	case KindPoint:
		if len(g.Points) != 1 {
			return invalid("coordinates", "a Point holds exactly one position")
		}
		return validPosition("coordinates", g.Points[0])
	case KindMultiPoint:
		for i, p := range g.Points {
			if err := validPosition(fmt.Sprintf("coordinates[%d]", i), p); err != nil {
				return err
			}
		}
		return nil
	case KindLineString:
		if len(g.Lines) != 1 {
			return invalid("coordinates", "a LineString holds exactly one line")
		}
		return validLine("coordinates", g.Lines[0])
	case KindMultiLineString:
		for i, l := range g.Lines {
			if err := validLine(fmt.Sprintf("coordinates[%d]", i), l); err != nil {
				return err
			}
		}
		return nil
	case KindPolygon:
		if len(g.Polygons) != 1 {
			return invalid("coordinates", "a Polygon holds exactly one polygon")
		}
		return validPolygon("coordinates", g.Polygons[0])
	case KindMultiPolygon:
		for i, p := range g.Polygons {
			if err := validPolygon(fmt.Sprintf("coordinates[%d]", i), p); err != nil {
				return err
			}
		}
		return nil
	case KindEmpty:
		return invalid("type", "geometry is empty")
	}
	return invalid("type", "unknown geometry kind %d", g.Kind)
}

// positionOK is the cheap check, so that paths are only formatted for a
// position that is wrong.
func positionOK(p Point) bool {
	return p.Lon >= -180 && p.Lon <= 180 && p.Lat >= -90 && p.Lat <= 90 // false for NaN too
}

func validPosition(path string, p Point) error {
	if math.IsNaN(p.Lon) || math.IsInf(p.Lon, 0) {
		return invalid(path+"[0]", "longitude is not a finite number")
	}
	if math.IsNaN(p.Lat) || math.IsInf(p.Lat, 0) {
		return invalid(path+"[1]", "latitude is not a finite number")
	}
	if p.Lon < -180 || p.Lon > 180 {
		return invalid(path+"[0]", "longitude %g is out of range [-180, 180] (GeoJSON positions are [longitude, latitude])", p.Lon)
	}
	if p.Lat < -90 || p.Lat > 90 {
		return invalid(path+"[1]", "latitude %g is out of range [-90, 90] (GeoJSON positions are [longitude, latitude])", p.Lat)
	}
	return nil
}

// validPath checks each position and refuses repeated consecutive positions:
// a zero-length segment has no direction, and accepting them would let a
// "line" be a single point in disguise.
func validPath(path string, pts []Point) error {
	for i, p := range pts {
		if !positionOK(p) {
			return validPosition(fmt.Sprintf("%s[%d]", path, i), p)
		}
		if i > 0 && pts[i-1] == p {
			return invalid(fmt.Sprintf("%s[%d]", path, i), "repeats the previous position (a zero-length segment)")
		}
		// An edge spanning more than half the world is, almost always, one
		// meant to go the short way across ±180°, which the planar
		// predicates would take the long way round: refuse it rather than
		// answer about a different shape.
		if i > 0 && math.Abs(p.Lon-pts[i-1].Lon) > 180 {
			return invalid(fmt.Sprintf("%s[%d]", path, i), "the edge from longitude %g to %g crosses the antimeridian, which is not supported; split the shape at longitude 180 into two (a MultiPolygon or MultiLineString)", pts[i-1].Lon, p.Lon)
		}
	}
	return nil
}

func validLine(path string, l LineString) error {
	if len(l) < 2 {
		return invalid(path, "a line needs at least 2 positions, got %d", len(l))
	}
	return validPath(path, l)
}

func validRing(path string, r Ring) error {
	if len(r) < 4 {
		return invalid(path, "a polygon ring needs at least 4 positions (3 corners and the first repeated at the end), got %d", len(r))
	}
	if r[0] != r[len(r)-1] {
		return invalid(path, "ring is not closed: the last position must repeat the first")
	}
	if err := validPath(path, r); err != nil {
		return err
	}
	if i, j, ok := ringSelfIntersection(r); !ok {
		return invalid(path, "ring crosses or touches itself (segment %d meets segment %d)", i, j)
	}
	return nil
}

func validPolygon(path string, pg Polygon) error {
	if len(pg) == 0 {
		return invalid(path, "a polygon needs an outer ring")
	}
	for i, r := range pg {
		if err := validRing(fmt.Sprintf("%s[%d]", path, i), r); err != nil {
			return err
		}
	}
	if len(pg) == 1 {
		return nil
	}
	if i, j, ok := ringsCross(pg); !ok {
		return invalid(fmt.Sprintf("%s[%d]", path, j), "ring crosses ring %d", i)
	}
	for h := 1; h < len(pg); h++ {
		if !ringInside(pg[h], pg[0]) {
			return invalid(fmt.Sprintf("%s[%d]", path, h), "hole lies outside the outer ring")
		}
	}
	return nil
}

// ringSelfIntersection finds two segments of a closed ring that meet other
// than where consecutive segments share their vertex. ok is false when it
// found such a pair (i < j are segment numbers).
func ringSelfIntersection(r Ring) (i, j int, ok bool) {
	n := len(r) - 1 // segments
	es := pathEdges(make([]edge, 0, n), r, 0)
	sortEdges(es)
	ok = sweepSelf(es, func(a, b *edge) bool {
		x, y := a.idx, b.idx
		if x > y {
			x, y = y, x
			a, b = b, a
		}
		switch {
		case y == x+1:
			// Consecutive: they share a.b == b.a; anything more is a spike
			// folding back along itself.
			if orient(a.a, a.b, b.b) == 0 && (inBox(a.a, a.b, b.b) || inBox(b.a, b.b, a.a)) {
				i, j = x, y
				return false
			}
			return true
		case x == 0 && y == n-1:
			// The closing segment and the first share r[0].
			if orient(b.a, b.b, a.b) == 0 && (inBox(b.a, b.b, a.b) || inBox(a.a, a.b, b.a)) {
				i, j = x, y
				return false
			}
			return true
		}
		if segmentsIntersect(a.a, a.b, b.a, b.b) {
			i, j = x, y
			return false
		}
		return true
	})
	return i, j, ok
}

// ringsCross finds two rings of a polygon that properly cross or overlap
// along a segment. Rings may touch at isolated points (as OGC allows for a
// hole touching the shell); ok is false for a crossing between rings i < j.
func ringsCross(pg Polygon) (i, j int, ok bool) {
	var es []edge
	es = polygonEdges(es, pg)
	sortEdges(es)
	ok = sweepSelf(es, func(a, b *edge) bool {
		if a.ring == b.ring {
			return true
		}
		o1, o2 := orient(a.a, a.b, b.a), orient(a.a, a.b, b.b)
		o3, o4 := orient(b.a, b.b, a.a), orient(b.a, b.b, a.b)
		cross := o1*o2 < 0 && o3*o4 < 0
		overlap := o1 == 0 && o2 == 0 && segmentsIntersect(a.a, a.b, b.a, b.b) &&
			collinearOverlapLen(a.a, a.b, b.a, b.b)
		if cross || overlap {
			i, j = min(a.ring, b.ring), max(a.ring, b.ring)
			return false
		}
		return true
	})
	return i, j, ok
}

// collinearOverlapLen reports whether two collinear segments share more
// than one point.
func collinearOverlapLen(a, b, c, d Point) bool {
	// Project on the axis with the larger extent; collinear segments overlap
	// along a stretch when their intervals overlap with positive length.
	key := func(p Point) float64 { return p.Lon }
	if max(a.Lon, b.Lon)-min(a.Lon, b.Lon) < max(a.Lat, b.Lat)-min(a.Lat, b.Lat) {
		key = func(p Point) float64 { return p.Lat }
	}
	lo := max(min(key(a), key(b)), min(key(c), key(d)))
	hi := min(max(key(a), key(b)), max(key(c), key(d)))
	return lo < hi
}

// ringInside reports whether ring h lies inside ring s, given that they do
// not cross: no vertex of h may be outside s, and at least one must be
// strictly inside (a "hole" drawn along the shell's own border is not one).
func ringInside(h, s Ring) bool {
	in := false
	for _, p := range h[:len(h)-1] {
		switch locateRing(s, p) {
		case inside:
			in = true
		case outside:
			return false
		}
	}
	return in
}

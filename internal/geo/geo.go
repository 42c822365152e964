// Package geo is the WGS84 geometry opsroom uses for the live picture and
// for deconfliction: the geometry types, GeoJSON (RFC 7946) decoding with
// validation errors a user can act on, the closed-set predicates that decide
// whether two operations, movements or protected sites meet in space, the
// overlap itself for display, and a few measurements.
//
// # Planar lon/lat
//
// Predicates and clipping work in planar longitude/latitude degrees: an edge
// is the straight line between its two positions on the plate carrée, not
// the great-circle arc. A room covers a region (a few hundred kilometres), so
// the difference is small, it is the same choice the map makes when it draws
// the edge, and it lets the predicates be exact. Geometries must not cross
// the antimeridian (longitudes stay in [-180, 180], and an edge spanning
// more than 180° of longitude is refused: one meant to cross ±180° is sent
// split there, as two parts). Distances, areas and
// corridor widths are in metres (haversine, a spherical ring area, and a
// local equirectangular projection).
//
// # Closed sets
//
// Every geometry is a closed set: a polygon includes its border and a line
// its end points. Two operations whose areas only touch along an edge or at a
// corner therefore intersect. For safety deconfliction a false "clear" is far
// worse than a false "conflict", so touching counts.
//
// # Robustness
//
// The orientation test behind every predicate is exact for float64 input
// (Shewchuk's filter with an exact big.Rat fallback), so collinear and
// touching cases are decided without a tolerance. Only constructed points
// (where two edges cross) are rounded; that affects the shape returned by
// Intersection, never the answer of Intersects.
package geo

import "math"

// Point is one WGS84 position, longitude first as in GeoJSON.
type Point struct {
	Lon, Lat float64
}

// LineString is a path of two or more positions.
type LineString []Point

// Ring is a closed path: its first and last positions are equal, and it has
// at least four positions. Rings are stored closed, as GeoJSON writes them.
type Ring []Point

// Polygon is an outer ring followed by zero or more holes.
type Polygon []Ring

// MultiPoint is a set of positions.
type MultiPoint []Point

// MultiLineString is a set of paths.
type MultiLineString []LineString

// MultiPolygon is a set of polygons.
type MultiPolygon []Polygon

// Kind names what a Geometry holds.
type Kind uint8

// The kinds of geometry. KindEmpty is the zero Geometry, which intersects
// nothing.
const (
	KindEmpty Kind = iota
	KindPoint
	KindMultiPoint
	KindLineString
	KindMultiLineString
	KindPolygon
	KindMultiPolygon
)

var kindNames = [...]string{"Empty", "Point", "MultiPoint", "LineString", "MultiLineString", "Polygon", "MultiPolygon"}

// String returns the GeoJSON type name ("Empty" for KindEmpty).
func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return "Unknown"
}

// Geometry holds one geometry of any kind. The single kinds are stored as a
// one-element multi so that the predicates handle every kind the same way:
// a KindPoint has len(Points) == 1, a KindLineString len(Lines) == 1, a
// KindPolygon len(Polygons) == 1. Only the field that matches Kind is set.
type Geometry struct {
	Kind     Kind
	Points   []Point
	Lines    []LineString
	Polygons []Polygon
}

// Geometry wraps p.
func (p Point) Geometry() Geometry { return Geometry{Kind: KindPoint, Points: []Point{p}} }

// Geometry wraps m.
func (m MultiPoint) Geometry() Geometry { return Geometry{Kind: KindMultiPoint, Points: m} }

// Geometry wraps l.
func (l LineString) Geometry() Geometry {
	return Geometry{Kind: KindLineString, Lines: []LineString{l}}
}

// Geometry wraps m.
func (m MultiLineString) Geometry() Geometry {
	return Geometry{Kind: KindMultiLineString, Lines: m}
}

// Geometry wraps p.
func (p Polygon) Geometry() Geometry { return Geometry{Kind: KindPolygon, Polygons: []Polygon{p}} }

// Geometry wraps m.
func (m MultiPolygon) Geometry() Geometry { return Geometry{Kind: KindMultiPolygon, Polygons: m} }

// IsEmpty reports whether g holds nothing.
func (g Geometry) IsEmpty() bool {
	return len(g.Points) == 0 && len(g.Lines) == 0 && len(g.Polygons) == 0
}

// Equal reports whether g and o are the same kind with the same positions.
func (g Geometry) Equal(o Geometry) bool {
	if g.Kind != o.Kind || len(g.Points) != len(o.Points) || len(g.Lines) != len(o.Lines) || len(g.Polygons) != len(o.Polygons) {
		return false
	}
	eqPts := func(a, b []Point) bool {
		if len(a) != len(b) {
			return false
		}
		for i := range a {
			if a[i] != b[i] {
				return false
			}
		}
		return true
	}
	if !eqPts(g.Points, o.Points) {
		return false
	}
	for i := range g.Lines {
		if !eqPts(g.Lines[i], o.Lines[i]) {
			return false
		}
	}
	for i := range g.Polygons {
		if len(g.Polygons[i]) != len(o.Polygons[i]) {
			return false
		}
		for j := range g.Polygons[i] {
			if !eqPts(g.Polygons[i][j], o.Polygons[i][j]) {
				return false
			}
		}
	}
	return true
}

// BBox is an axis-aligned box in degrees, closed on every side. The zero
// BBox is not empty (it is the point 0,0); use EmptyBBox for "nothing".
type BBox struct {
	MinLon, MinLat, MaxLon, MaxLat float64
}

// EmptyBBox returns a box that contains nothing and that Extend grows from.
func EmptyBBox() BBox {
	return BBox{math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)}
}

// IsEmpty reports whether b contains no point.
func (b BBox) IsEmpty() bool { return b.MinLon > b.MaxLon || b.MinLat > b.MaxLat }

// Extend returns b grown to include p.
func (b BBox) Extend(p Point) BBox {
	// Plain comparisons: math.Min's NaN and signed-zero care costs three
	// times as much here, and validated positions are finite.
	if p.Lon < b.MinLon {
		b.MinLon = p.Lon
	}
	if p.Lon > b.MaxLon {
		b.MaxLon = p.Lon
	}
	if p.Lat < b.MinLat {
		b.MinLat = p.Lat
	}
	if p.Lat > b.MaxLat {
		b.MaxLat = p.Lat
	}
	return b
}

// Union returns the smallest box holding both.
func (b BBox) Union(o BBox) BBox {
	if o.IsEmpty() {
		return b
	}
	if b.IsEmpty() {
		return o
	}
	return BBox{math.Min(b.MinLon, o.MinLon), math.Min(b.MinLat, o.MinLat), math.Max(b.MaxLon, o.MaxLon), math.Max(b.MaxLat, o.MaxLat)}
}

// Intersects reports whether the closed boxes share a point; boxes that
// touch along a side or at a corner intersect.
func (b BBox) Intersects(o BBox) bool {
	return !b.IsEmpty() && !o.IsEmpty() &&
		b.MinLon <= o.MaxLon && o.MinLon <= b.MaxLon &&
		b.MinLat <= o.MaxLat && o.MinLat <= b.MaxLat
}

// Intersect returns the common box and whether there is one.
func (b BBox) Intersect(o BBox) (BBox, bool) {
	if !b.Intersects(o) {
		return EmptyBBox(), false
	}
	return BBox{math.Max(b.MinLon, o.MinLon), math.Max(b.MinLat, o.MinLat), math.Min(b.MaxLon, o.MaxLon), math.Min(b.MaxLat, o.MaxLat)}, true
}

// Contains reports whether p lies in the closed box.
func (b BBox) Contains(p Point) bool {
	return p.Lon >= b.MinLon && p.Lon <= b.MaxLon && p.Lat >= b.MinLat && p.Lat <= b.MaxLat
}

// Polygon returns the box as a counter-clockwise polygon. A degenerate box
// (zero width or height) gives a degenerate ring; callers that need a valid
// polygon check Width and Height first.
func (b BBox) Polygon() Polygon {
	return Polygon{Ring{{b.MinLon, b.MinLat}, {b.MaxLon, b.MinLat}, {b.MaxLon, b.MaxLat}, {b.MinLon, b.MaxLat}, {b.MinLon, b.MinLat}}}
}

// Bounds returns the bounding box of the positions.
func pointsBBox(pts []Point) BBox {
	b := EmptyBBox()
	for _, p := range pts {
		b = b.Extend(p)
	}
	return b
}

// BBox returns the bounding box of l.
func (l LineString) BBox() BBox { return pointsBBox(l) }

// BBox returns the bounding box of the polygon (its outer ring).
func (p Polygon) BBox() BBox {
	if len(p) == 0 {
		return EmptyBBox()
	}
	return pointsBBox(p[0])
}

// BBox returns the bounding box of g; empty for the empty geometry.
func (g Geometry) BBox() BBox {
	b := pointsBBox(g.Points)
	for _, l := range g.Lines {
		b = b.Union(pointsBBox(l))
	}
	for _, p := range g.Polygons {
		b = b.Union(p.BBox())
	}
	return b
}

// NumPositions counts every position in g, closing positions included; it
// is what the vertex cap limits.
func (g Geometry) NumPositions() int {
	n := len(g.Points)
	for _, l := range g.Lines {
		n += len(l)
	}
	for _, p := range g.Polygons {
		for _, r := range p {
			n += len(r)
		}
	}
	return n
}

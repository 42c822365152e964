package geo

// Intersects reports whether a and b share at least one point, borders
// included, for any pair of kinds. It is exact: no tolerance, so two
// operations whose areas meet only at a corner do intersect, and a point a
// hair outside does not. The empty geometry intersects nothing.
func Intersects(a, b Geometry) bool {
	if !a.BBox().Intersects(b.BBox()) {
		return false
	}
	// Put the simpler kind first so each pair is handled once.
	if rank(a) > rank(b) {
		a, b = b, a
	}
	switch {
	case len(a.Points) > 0:
		for _, p := range a.Points {
			if pointIntersects(p, b) {
				return true
			}
		}
		return false
	case len(a.Lines) > 0:
		for _, l := range a.Lines {
			for _, m := range b.Lines {
				if lineIntersectsLine(l, m) {
					return true
				}
			}
			for _, pg := range b.Polygons {
				if lineIntersectsPolygon(l, pg) {
					return true
				}
			}
		}
		return false
	}
	for _, pa := range a.Polygons {
		for _, pb := range b.Polygons {
			if PolygonsIntersect(pa, pb) {
				return true
			}
		}
	}
	return false
}

func rank(g Geometry) int {
	switch {
	case len(g.Points) > 0:
		return 0
	case len(g.Lines) > 0:
		return 1
	case len(g.Polygons) > 0:
		return 2
	}
	return 3
}

func pointIntersects(p Point, g Geometry) bool {
	for _, q := range g.Points {
		if p == q {
			return true
		}
	}
	for _, l := range g.Lines {
		if PointOnLine(p, l) {
			return true
		}
	}
	for _, pg := range g.Polygons {
		if Contains(pg, p) {
			return true
		}
	}
	return false
}

// PointOnLine reports whether p lies on l (end points included).
func PointOnLine(p Point, l LineString) bool {
	if len(l) == 1 {
		return p == l[0]
	}
	for i := 0; i+1 < len(l); i++ {
		if onSegment(l[i], l[i+1], p) {
			return true
		}
	}
	return false
}

// Contains reports whether p lies in the polygon or on its border. A point
// strictly inside a hole is not contained; one on a hole's border is.
func Contains(pg Polygon, p Point) bool {
	if len(pg) == 0 || !pg.BBox().Contains(p) {
		return false
	}
	return locatePolygon(pg, p) != outside
}

func lineIntersectsLine(l, m LineString) bool {
	if !l.BBox().Intersects(m.BBox()) {
		return false
	}
	el := pathEdges(make([]edge, 0, len(l)), l, 0)
	em := pathEdges(make([]edge, 0, len(m)), m, 0)
	return edgesMeet(el, em)
}

// edgesMeet reports whether any edge of as meets any edge of bs; it sorts
// both in place.
func edgesMeet(as, bs []edge) bool {
	sortEdges(as)
	sortEdges(bs)
	found := false
	sweepPairs(as, bs, func(e, f *edge) bool {
		if segmentsIntersect(e.a, e.b, f.a, f.b) {
			found = true
			return false
		}
		return true
	})
	return found
}

func lineIntersectsPolygon(l LineString, pg Polygon) bool {
	if len(l) == 0 || len(pg) == 0 || !l.BBox().Intersects(pg.BBox()) {
		return false
	}
	// If the line crosses or touches no ring, it is wholly inside or wholly
	// outside; one vertex decides.
	if Contains(pg, l[0]) {
		return true
	}
	el := pathEdges(make([]edge, 0, len(l)), l, 0)
	ep := polygonEdges(make([]edge, 0, ringsLen(pg)), pg)
	return edgesMeet(el, ep)
}

func ringsLen(pg Polygon) int {
	n := 0
	for _, r := range pg {
		n += len(r)
	}
	return n
}

// PolygonsIntersect reports whether two polygons share a point, borders
// included.
func PolygonsIntersect(a, b Polygon) bool {
	if len(a) == 0 || len(b) == 0 || !a.BBox().Intersects(b.BBox()) {
		return false
	}
	// When no rings meet, the borders are disjoint, and then either one
	// polygon lies inside the other (a vertex of its shell is inside), or a
	// whole ring of one lies in the interior of the other (its first vertex
	// is inside), or they are apart. So one vertex per ring settles it.
	for _, r := range b {
		if locatePolygon(a, r[0]) != outside {
			return true
		}
	}
	for _, r := range a {
		if locatePolygon(b, r[0]) != outside {
			return true
		}
	}
	ea := polygonEdges(make([]edge, 0, ringsLen(a)), a)
	eb := polygonEdges(make([]edge, 0, ringsLen(b)), b)
	return edgesMeet(ea, eb)
}

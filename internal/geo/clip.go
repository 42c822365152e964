package geo

import (
	"math"
	"slices"
)

// Intersection returns the common part of a and b, for display of a
// conflict:
//
//   - with a point or multipoint: the points that lie in the other geometry;
//   - line with polygon: the stretches of the line inside the polygon or on
//     its border (MultiLineString, or LineString when there is one);
//   - line with line: the stretches they share if any, else the points where
//     they cross;
//   - polygon with polygon: the overlap as Polygon or MultiPolygon. When the
//     polygons only touch, the shared border stretches (MultiLineString) or
//     a touching point.
//
// Whenever Intersects(a, b) is true the result is not empty: should the
// clipper fail to build a shape from rounded crossing points, it falls back
// to a point where the two meet, and failing that to the overlap of their
// bounding boxes. Crossing points are rounded to float64, so the shape can
// differ from the exact overlap by a few ulps. Parts of multi-geometries are
// clipped pair by pair and not merged.
func Intersection(a, b Geometry) Geometry {
	if !Intersects(a, b) {
		return Geometry{}
	}
	if rank(a) > rank(b) {
		a, b = b, a
	}
	var res Geometry
	switch {
	case len(a.Points) > 0:
		var pts []Point
		for _, p := range a.Points {
			if pointIntersects(p, b) && !slices.Contains(pts, p) {
				pts = append(pts, p)
			}
		}
		res = pointsGeometry(pts)
	case len(a.Lines) > 0 && len(b.Lines) > 0:
		var lines []LineString
		var pts []Point
		for _, l := range a.Lines {
			for _, m := range b.Lines {
				ls, ps := clipLineLine(l, m)
				lines = append(lines, ls...)
				pts = append(pts, ps...)
			}
		}
		res = linesOrPoints(lines, pts)
	case len(a.Lines) > 0:
		var lines []LineString
		var pts []Point
		for _, l := range a.Lines {
			for _, pg := range b.Polygons {
				ls, ps := clipLinePolygon(l, pg)
				lines = append(lines, ls...)
				pts = append(pts, ps...)
			}
		}
		res = linesOrPoints(lines, pts)
	default:
		var polys []Polygon
		var lines []LineString
		var pts []Point
		for _, pa := range a.Polygons {
			for _, pb := range b.Polygons {
				if !PolygonsIntersect(pa, pb) {
					continue
				}
				o := clipPolygons(pa, pb)
				polys = append(polys, o.polys...)
				lines = append(lines, o.lines...)
				pts = append(pts, o.points...)
			}
		}
		if len(polys) > 0 {
			res = polygonsGeometry(polys)
		} else {
			res = linesOrPoints(lines, pts)
		}
	}
	if res.IsEmpty() {
		res = fallbackOverlap(a, b)
	}
	return res
}

// fallbackOverlap is the last resort when the clipper produced nothing for
// geometries that do intersect: a vertex of one lying in the other, or the
// box where they overlap. Saying "no overlap" would be wrong; a coarse
// overlap is only imprecise.
func fallbackOverlap(a, b Geometry) Geometry {
	for _, g := range [2][2]Geometry{{a, b}, {b, a}} {
		for _, p := range vertices(g[0]) {
			if pointIntersects(p, g[1]) {
				return p.Geometry()
			}
		}
	}
	bb, _ := a.BBox().Intersect(b.BBox())
	if bb.MinLon < bb.MaxLon && bb.MinLat < bb.MaxLat {
		return bb.Polygon().Geometry()
	}
	return Point{(bb.MinLon + bb.MaxLon) / 2, (bb.MinLat + bb.MaxLat) / 2}.Geometry()
}

func vertices(g Geometry) []Point {
	pts := slices.Clone(g.Points)
	for _, l := range g.Lines {
		pts = append(pts, l...)
	}
	for _, pg := range g.Polygons {
		for _, r := range pg {
			pts = append(pts, r...)
		}
	}
	return pts
}

func pointsGeometry(pts []Point) Geometry {
	switch len(pts) {
	case 0:
		return Geometry{}
	case 1:
		return pts[0].Geometry()
	}
	return MultiPoint(pts).Geometry()
}

func linesOrPoints(lines []LineString, pts []Point) Geometry {
	switch len(lines) {
	case 0:
		var uniq []Point
		for _, p := range pts {
			if !slices.Contains(uniq, p) {
				uniq = append(uniq, p)
			}
		}
		return pointsGeometry(uniq)
	case 1:
		return lines[0].Geometry()
	}
	return MultiLineString(lines).Geometry()
}

func polygonsGeometry(ps []Polygon) Geometry {
	if len(ps) == 1 {
		return ps[0].Geometry()
	}
	return MultiPolygon(ps).Geometry()
}

// piece is a stretch of an input edge between two consecutive cut points.
type piece struct {
	a, b Point
	ring int
	// fresh is set when the piece starts a ring or starts at a point on the
	// other geometry's border; only then can its inside/outside status
	// differ from the previous piece's, so only then is it located afresh.
	fresh bool
}

// cutter splits two sets of edges at every point where they meet, so that
// afterwards each piece lies wholly inside, outside, or along the other set.
type cutter struct {
	edges [2][]edge
	cuts  [2][][]Point
	at    map[Point]struct{} // every point where the two sets meet
}

func cut(a, b []edge) *cutter {
	c := &cutter{edges: [2][]edge{numbered(a), numbered(b)}, at: make(map[Point]struct{})}
	c.cuts[0] = make([][]Point, len(a))
	c.cuts[1] = make([][]Point, len(b))
	sa, sb := slices.Clone(a), slices.Clone(b)
	sortEdges(sa)
	sortEdges(sb)
	sweepPairs(sa, sb, func(e, f *edge) bool {
		c.meet(e, f)
		return true
	})
	return c
}

func (c *cutter) add(side, id int, p Point) {
	c.cuts[side][id] = append(c.cuts[side][id], p)
	c.at[p] = struct{}{}
}

func (c *cutter) meet(e, f *edge) {
	o1, o2 := orient(e.a, e.b, f.a), orient(e.a, e.b, f.b)
	if o1 != 0 && o1 == o2 {
		return
	}
	o3, o4 := orient(f.a, f.b, e.a), orient(f.a, f.b, e.b)
	if o3 != 0 && o3 == o4 {
		return
	}
	if o1 != 0 && o2 != 0 && o3 != 0 && o4 != 0 {
		p := crossPoint(e, f)
		c.add(0, e.id, p)
		c.add(1, f.id, p)
		return
	}
	// An end point on the other segment (this covers collinear overlaps):
	// the exact end point becomes a cut, so shared stretches produce
	// identical pieces on both sides.
	if o1 == 0 && inBox(e.a, e.b, f.a) {
		c.add(0, e.id, f.a)
	}
	if o2 == 0 && inBox(e.a, e.b, f.b) {
		c.add(0, e.id, f.b)
	}
	if o3 == 0 && inBox(f.a, f.b, e.a) {
		c.add(1, f.id, e.a)
	}
	if o4 == 0 && inBox(f.a, f.b, e.b) {
		c.add(1, f.id, e.b)
	}
}

// crossPoint is where two properly crossing segments meet, rounded, and kept
// within both segments' boxes so rounding cannot throw it off the edges'
// extent.
func crossPoint(e, f *edge) Point {
	dx1, dy1 := e.b.Lon-e.a.Lon, e.b.Lat-e.a.Lat
	dx2, dy2 := f.b.Lon-f.a.Lon, f.b.Lat-f.a.Lat
	den := dx1*dy2 - dy1*dx2
	t := ((f.a.Lon-e.a.Lon)*dy2 - (f.a.Lat-e.a.Lat)*dx2) / den
	p := Point{e.a.Lon + t*dx1, e.a.Lat + t*dy1}
	p.Lon = math.Min(math.Max(p.Lon, math.Max(e.minX, f.minX)), math.Min(e.maxX, f.maxX))
	p.Lat = math.Min(math.Max(p.Lat, math.Max(e.minY, f.minY)), math.Min(e.maxY, f.maxY))
	return p
}

// pieces returns one side's edges split at their cuts, in input order.
func (c *cutter) pieces(side int) []piece {
	var out []piece
	prevRing := -1
	for id, e := range c.edges[side] {
		pts := append([]Point{e.a}, c.cuts[side][id]...)
		dx, dy := e.b.Lon-e.a.Lon, e.b.Lat-e.a.Lat
		key := func(p Point) float64 { return (p.Lon-e.a.Lon)*dx + (p.Lat-e.a.Lat)*dy }
		slices.SortFunc(pts[1:], func(p, q Point) int {
			kp, kq := key(p), key(q)
			switch {
			case kp < kq:
				return -1
			case kp > kq:
				return 1
			}
			return 0
		})
		pts = append(pts, e.b)
		for i := 0; i+1 < len(pts); i++ {
			if pts[i] == pts[i+1] {
				continue
			}
			_, atCut := c.at[pts[i]]
			out = append(out, piece{a: pts[i], b: pts[i+1], ring: e.ring, fresh: atCut || e.ring != prevRing})
			prevRing = e.ring
		}
	}
	return out
}

type segKey [2]Point

// clipped is what clipPolygons found: the overlap, or where the polygons
// only touch.
type clipped struct {
	polys  []Polygon
	lines  []LineString
	points []Point
}

// clipPolygons computes a ∩ b by overlay: cut both boundaries at every
// meeting point, keep the pieces of each boundary that lie inside the other
// (and shared pieces where both interiors are on the same side), and link
// the kept pieces into rings. Unlike Greiner–Hormann this needs no special
// cases for vertices on edges, shared edges or holes, because meeting points
// are found with exact predicates and shared stretches become identical
// pieces.
func clipPolygons(a, b Polygon) clipped {
	a, b = oriented(a), oriented(b)
	c := cut(polygonEdges(nil, a), polygonEdges(nil, b))
	pa, pb := c.pieces(0), c.pieces(1)
	inA := make(map[segKey]struct{}, len(pa))
	for _, p := range pa {
		inA[segKey{p.a, p.b}] = struct{}{}
	}
	inB := make(map[segKey]struct{}, len(pb))
	for _, p := range pb {
		inB[segKey{p.a, p.b}] = struct{}{}
	}
	var kept []segKey
	var out clipped
	// Interiors lie to the left of every oriented ring edge. A stretch both
	// boundaries run along in the same direction bounds the overlap; in
	// opposite directions the polygons only touch there.
	keep := func(ps []piece, other Polygon, mine, theirs map[segKey]struct{}, first bool) {
		status := outside
		for i, p := range ps {
			if _, ok := theirs[segKey{p.a, p.b}]; ok {
				if first {
					kept = append(kept, segKey{p.a, p.b})
				}
				status = boundary
				continue
			}
			if _, ok := theirs[segKey{p.b, p.a}]; ok {
				if first {
					out.lines = append(out.lines, LineString{p.a, p.b})
				}
				status = boundary
				continue
			}
			if p.fresh || status == boundary || i == 0 {
				status = locatePiece(other, p)
			}
			if status == inside {
				kept = append(kept, segKey{p.a, p.b})
			}
		}
	}
	keep(pa, b, inA, inB, true)
	keep(pb, a, inB, inA, false)
	out.polys = assemble(kept)
	if len(out.polys) == 0 && len(out.lines) == 0 {
		for p := range c.at {
			out.points = append(out.points, p)
			break
		}
	}
	return out
}

// locatePiece places a piece that is not shared with the other border. Its
// midpoint normally decides; a midpoint that rounding put exactly on the
// border is retried at another point of the piece.
func locatePiece(pg Polygon, p piece) int {
	for _, t := range [...]float64{0.5, 0.25, 0.75} {
		m := Point{p.a.Lon + t*(p.b.Lon-p.a.Lon), p.a.Lat + t*(p.b.Lat-p.a.Lat)}
		if l := locatePolygon(pg, m); l != boundary {
			return l
		}
	}
	return outside
}

// oriented returns pg with its shell counter-clockwise and holes clockwise,
// so that the interior is to the left of every edge.
func oriented(pg Polygon) Polygon {
	out := make(Polygon, len(pg))
	for i, r := range pg {
		ccw := signedArea(r) > 0
		if ccw == (i == 0) {
			out[i] = r
		} else {
			out[i] = slices.Clone(r)
			slices.Reverse(out[i])
		}
	}
	return out
}

// signedArea is the planar shoelace area in square degrees, positive for
// counter-clockwise rings.
func signedArea(r []Point) float64 {
	s := 0.0
	for i := 0; i+1 < len(r); i++ {
		s += (r[i].Lon - r[i+1].Lon) * (r[i].Lat + r[i+1].Lat)
	}
	return s / 2
}

// assemble links directed boundary pieces into rings and groups them into
// polygons. At a vertex where several kept pieces leave, it takes the
// sharpest left turn: with interiors on the left that keeps each ring
// around one face, so two overlap parts meeting at a corner come out as
// two rings rather than one figure-eight.
func assemble(kept []segKey) []Polygon {
	out := make(map[Point][]int, len(kept))
	for i, k := range kept {
		out[k[0]] = append(out[k[0]], i)
	}
	used := make([]bool, len(kept))
	var shells, holes []Ring
	for s := range kept {
		if used[s] {
			continue
		}
		used[s] = true
		ring := Ring{kept[s][0]}
		cur, ok := s, true
		for {
			from, v := kept[cur][0], kept[cur][1]
			ring = append(ring, v)
			next := leftmost(from, v, out[v], kept)
			if next == s {
				break
			}
			if next < 0 || used[next] {
				ok = false // inconsistent after rounding; drop this ring
				break
			}
			used[next] = true
			cur = next
		}
		if !ok || len(ring) < 4 {
			continue
		}
		for _, r := range splitPinches(ring) {
			switch a := signedArea(r); {
			case a > 0:
				shells = append(shells, r)
			case a < 0:
				holes = append(holes, r)
			}
		}
	}
	polys := make([]Polygon, len(shells))
	areas := make([]float64, len(shells))
	for i, s := range shells {
		polys[i] = Polygon{s}
		areas[i] = signedArea(s)
	}
	for _, h := range holes {
		best := -1
		for i, s := range shells {
			if (best < 0 || areas[i] < areas[best]) && ringWithin(h, s) {
				best = i
			}
		}
		if best >= 0 {
			polys[best] = append(polys[best], h)
		}
	}
	return polys
}

// splitPinches cuts a ring that passes through the same vertex twice into
// simple loops. The sharpest-left rule keeps corner-touching parts apart,
// but a hole touching its shell at a vertex comes out as one pinched ring;
// cut there, the outer loop runs counter-clockwise (a shell) and the inner
// one clockwise (a hole), which is the valid form.
func splitPinches(r Ring) []Ring {
	var out []Ring
	stack := make([]Point, 0, len(r))
	at := make(map[Point]int, len(r))
	for _, p := range r[:len(r)-1] {
		j, seen := at[p]
		if !seen {
			at[p] = len(stack)
			stack = append(stack, p)
			continue
		}
		loop := append(Ring(nil), stack[j:]...)
		if loop = append(loop, p); len(loop) >= 4 {
			out = append(out, loop)
		}
		for _, q := range stack[j+1:] {
			delete(at, q)
		}
		stack = stack[:j+1]
	}
	if len(stack) >= 3 {
		out = append(out, append(Ring(stack), stack[0]))
	}
	return out
}

// ringWithin reports whether ring h (which does not cross s) lies inside s.
func ringWithin(h, s Ring) bool {
	for _, p := range h {
		switch locateRing(s, p) {
		case inside:
			return true
		case outside:
			return false
		}
	}
	// Every vertex on s: decide by an edge midpoint.
	m := Point{(h[0].Lon + h[1].Lon) / 2, (h[0].Lat + h[1].Lat) / 2}
	return locateRing(s, m) == inside
}

// leftmost picks, among the pieces leaving v, the one that turns most to
// the left coming from "from": the first clockwise from the way back. Going
// straight back is the last choice.
func leftmost(from, v Point, cands []int, kept []segKey) int {
	best := -1
	var bestHalf int
	for _, c := range cands {
		w := kept[c][1]
		h := half(from, v, w)
		if best < 0 {
			best, bestHalf = c, h
			continue
		}
		bw := kept[best][1]
		// Larger counter-clockwise angle from the way back wins.
		if h > bestHalf || (h == bestHalf && orient(v, bw, w) > 0) {
			best, bestHalf = c, h
		}
	}
	return best
}

// half classifies direction v→w by its counter-clockwise angle from v→from:
// 0 for the same direction, 1 for (0, π), 2 for [π, 2π).
func half(from, v, w Point) int {
	switch o := orient(v, from, w); {
	case o > 0:
		return 1
	case o < 0:
		return 2
	}
	if sameDirection(v, from, w) {
		return 0
	}
	return 2
}

// sameDirection reports whether collinear v→p and v→q point the same way.
func sameDirection(v, p, q Point) bool {
	if dp, dq := sign(p.Lon-v.Lon), sign(q.Lon-v.Lon); dp != 0 || dq != 0 {
		return dp == dq
	}
	return sign(p.Lat-v.Lat) == sign(q.Lat-v.Lat)
}

// clipLinePolygon returns the stretches of l inside pg or on its border,
// and the points where it only touches pg.
func clipLinePolygon(l LineString, pg Polygon) ([]LineString, []Point) {
	if !l.BBox().Intersects(pg.BBox()) {
		return nil, nil
	}
	c := cut(pathEdges(nil, l, 0), polygonEdges(nil, pg))
	onBorder := make(map[segKey]struct{})
	for _, p := range c.pieces(1) {
		onBorder[segKey{p.a, p.b}] = struct{}{}
		onBorder[segKey{p.b, p.a}] = struct{}{}
	}
	var lines []LineString
	var cur LineString
	status := outside
	for i, p := range c.pieces(0) {
		in := false
		if _, ok := onBorder[segKey{p.a, p.b}]; ok {
			in, status = true, boundary
		} else {
			if p.fresh || status == boundary || i == 0 {
				status = locatePiece(pg, p)
			}
			in = status == inside
		}
		switch {
		case in && len(cur) > 0 && cur[len(cur)-1] == p.a:
			cur = append(cur, p.b)
		case in:
			if len(cur) > 0 {
				lines = append(lines, cur)
			}
			cur = LineString{p.a, p.b}
		}
	}
	if len(cur) > 0 {
		lines = append(lines, cur)
	}
	var pts []Point
	if len(lines) == 0 {
		for p := range c.at {
			pts = append(pts, p)
		}
		if len(l) > 0 && locatePolygon(pg, l[0]) != outside {
			pts = append(pts, l[0])
		}
	}
	return lines, pts
}

// clipLineLine returns the stretches two lines share, and the points where
// they meet otherwise.
func clipLineLine(l, m LineString) ([]LineString, []Point) {
	c := cut(pathEdges(nil, l, 0), pathEdges(nil, m, 0))
	onM := make(map[segKey]struct{})
	for _, p := range c.pieces(1) {
		onM[segKey{p.a, p.b}] = struct{}{}
		onM[segKey{p.b, p.a}] = struct{}{}
	}
	var lines []LineString
	for _, p := range c.pieces(0) {
		if _, ok := onM[segKey{p.a, p.b}]; !ok {
			continue
		}
		if n := len(lines); n > 0 && lines[n-1][len(lines[n-1])-1] == p.a {
			lines[n-1] = append(lines[n-1], p.b)
		} else {
			lines = append(lines, LineString{p.a, p.b})
		}
	}
	var pts []Point
	for p := range c.at {
		pts = append(pts, p)
	}
	slices.SortFunc(pts, func(p, q Point) int {
		if p.Lon != q.Lon {
			return sign(p.Lon - q.Lon)
		}
		return sign(p.Lat - q.Lat)
	})
	return lines, pts
}

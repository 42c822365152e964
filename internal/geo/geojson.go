package geo

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
)

// Decode reads one GeoJSON geometry object (RFC 7946) and validates it.
// Errors about the content are *ValidationError with the path of the
// offending member; malformed JSON is reported as such. A position may carry
// an altitude, which is accepted and dropped: deconfliction is in two
// dimensions. GeometryCollection is refused.
func Decode(data []byte, opt Options) (Geometry, error) {
	var obj struct {
		Type        *string         `json:"type"`
		Coordinates json.RawMessage `json:"coordinates"`
	}
	if err := json.Unmarshal(data, &obj); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			if te.Field == "" {
				return Geometry{}, invalid("", "a geometry must be a JSON object")
			}
			return Geometry{}, invalid(te.Field, "has the wrong JSON type (%s)", te.Value)
		}
		return Geometry{}, invalid("", "not valid JSON: %v", err)
	}
	if obj.Type == nil {
		return Geometry{}, invalid("type", "missing; expected a GeoJSON geometry type such as \"Polygon\"")
	}
	var kind Kind
	depth := 0
	switch *obj.Type {
	case "Point":
		kind, depth = KindPoint, 1
	case "MultiPoint":
		kind, depth = KindMultiPoint, 2
	case "LineString":
		kind, depth = KindLineString, 2
	case "MultiLineString":
		kind, depth = KindMultiLineString, 3
	case "Polygon":
		kind, depth = KindPolygon, 3
	case "MultiPolygon":
		kind, depth = KindMultiPolygon, 4
	case "GeometryCollection":
		return Geometry{}, invalid("type", "GeometryCollection is not supported; send each geometry separately")
	case "Feature", "FeatureCollection":
		return Geometry{}, invalid("type", "expected a geometry, got a %s; send its \"geometry\" member", *obj.Type)
	default:
		return Geometry{}, invalid("type", "unknown geometry type %q", *obj.Type)
	}
	if len(obj.Coordinates) == 0 {
		return Geometry{}, invalid("coordinates", "missing")
	}
	p := coordParser{buf: obj.Coordinates, max: opt.maxPositions()}
	root, err := p.parse(depth)
	if err != nil {
		return Geometry{}, err
	}
	g := Geometry{Kind: kind}
	switch kind {
	case KindPoint:
		g.Points = []Point{root.pt}
	case KindMultiPoint:
		g.Points = root.points()
	case KindLineString:
		g.Lines = []LineString{root.points()}
	case KindMultiLineString:
		g.Lines = make([]LineString, len(root.kids))
		for i := range root.kids {
			g.Lines[i] = root.kids[i].points()
		}
	case KindPolygon:
		g.Polygons = []Polygon{root.polygon()}
	case KindMultiPolygon:
		g.Polygons = make([]Polygon, len(root.kids))
		for i := range root.kids {
			g.Polygons[i] = root.kids[i].polygon()
		}
	}
	if err := Validate(g, opt); err != nil {
		return Geometry{}, err
	}
	return g, nil
}

// UnmarshalJSON decodes and validates with the default Options.
func (g *Geometry) UnmarshalJSON(data []byte) error {
	d, err := Decode(data, Options{})
	if err != nil {
		return err
	}
	*g = d
	return nil
}

// MarshalJSON encodes g as a GeoJSON geometry object. Numbers use the
// shortest form that reads back to the same float64, so decode(encode(g))
// equals g.
func (g Geometry) MarshalJSON() ([]byte, error) {
	return g.AppendGeoJSON(nil)
}

// AppendGeoJSON appends the GeoJSON encoding of g to b.
func (g Geometry) AppendGeoJSON(b []byte) ([]byte, error) {
	if g.Kind == KindEmpty || g.Kind > KindMultiPolygon {
		return nil, fmt.Errorf("geo: cannot encode a %s geometry", g.Kind)
	}
	b = append(b, `{"type":"`...)
	b = append(b, g.Kind.String()...)
	b = append(b, `","coordinates":`...)
	switch g.Kind {
	case KindPoint:
		b = appendPos(b, g.Points[0])
	case KindMultiPoint:
		b = appendPath(b, g.Points)
	case KindLineString:
		b = appendPath(b, g.Lines[0])
	case KindMultiLineString:
		b = append(b, '[')
		for i, l := range g.Lines {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendPath(b, l)
		}
		b = append(b, ']')
	case KindPolygon:
		b = appendPolygon(b, g.Polygons[0])
	case KindMultiPolygon:
		b = append(b, '[')
		for i, p := range g.Polygons {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendPolygon(b, p)
		}
		b = append(b, ']')
	}
	return append(b, '}'), nil
}

func appendPos(b []byte, p Point) []byte {
	b = append(b, '[')
	b = strconv.AppendFloat(b, p.Lon, 'g', -1, 64)
	b = append(b, ',')
	b = strconv.AppendFloat(b, p.Lat, 'g', -1, 64)
	return append(b, ']')
}

func appendPath(b []byte, pts []Point) []byte {
	b = append(b, '[')
	for i, p := range pts {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendPos(b, p)
	}
	return append(b, ']')
}

func appendPolygon(b []byte, pg Polygon) []byte {
	b = append(b, '[')
	for i, r := range pg {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendPath(b, r)
	}
	return append(b, ']')
}

// coordNode is one level of a parsed coordinates array: a position at depth
// 1, a list of nodes above.
type coordNode struct {
	pt   Point
	kids []coordNode
}

func (n coordNode) points() []Point {
	pts := make([]Point, len(n.kids))
	for i := range n.kids {
		pts[i] = n.kids[i].pt
	}
	return pts
}

func (n coordNode) polygon() Polygon {
	pg := make(Polygon, len(n.kids))
	for i := range n.kids {
		pg[i] = Ring(n.kids[i].points())
	}
	return pg
}

// coordParser reads the "coordinates" member. encoding/json has already
// checked that it is well-formed JSON, so this only has to check its shape
// (nesting depth, numbers where positions are) and can report each fault
// with its path; it is also several times faster than unmarshalling into
// nested interfaces.
type coordParser struct {
	buf   []byte
	pos   int
	count int
	max   int
	at    []int // indices from "coordinates" down to the current element
}

// path names the current element, or its k-th number when k >= 0. It is
// only built for an error, so a valid geometry costs no strings.
func (p *coordParser) path(k int) string {
	b := []byte("coordinates")
	for _, i := range p.at {
		b = fmt.Appendf(b, "[%d]", i)
	}
	if k >= 0 {
		b = fmt.Appendf(b, "[%d]", k)
	}
	return string(b)
}

func (p *coordParser) skipSpace() {
	for p.pos < len(p.buf) {
		switch p.buf[p.pos] {
		case ' ', '\t', '\n', '\r':
			p.pos++
		default:
			return
		}
	}
}

func (p *coordParser) peek() byte {
	p.skipSpace()
	if p.pos >= len(p.buf) {
		return 0
	}
	return p.buf[p.pos]
}

// parse reads an array nested depth deep (depth 1 is one position).
func (p *coordParser) parse(depth int) (coordNode, error) {
	if p.peek() != '[' {
		what := "an array of positions"
		switch depth {
		case 1:
			what = "a position [longitude, latitude]"
		case 3:
			what = "an array of rings or lines"
		case 4:
			what = "an array of polygons"
		}
		return coordNode{}, invalid(p.path(-1), "must be %s", what)
	}
	p.pos++
	if depth == 1 {
		return p.position()
	}
	var n coordNode
	if p.peek() == ']' {
		p.pos++
		return n, invalid(p.path(-1), "is empty")
	}
	p.at = append(p.at, 0)
	for i := 0; ; i++ {
		p.at[len(p.at)-1] = i
		kid, err := p.parse(depth - 1)
		if err != nil {
			return n, err
		}
		n.kids = append(n.kids, kid)
		switch p.peek() {
		case ',':
			p.pos++
		case ']':
			p.pos++
			p.at = p.at[:len(p.at)-1]
			return n, nil
		default:
			p.at = p.at[:len(p.at)-1]
			return n, invalid(p.path(-1), "malformed array")
		}
	}
}

func (p *coordParser) position() (coordNode, error) {
	p.count++
	if p.max > 0 && p.count > p.max {
		return coordNode{}, invalid(p.path(-1), "too many positions; the limit is %d", p.max)
	}
	var nums [3]float64
	k := 0
	if p.peek() == ']' {
		p.pos++
		return coordNode{}, invalid(p.path(-1), "a position needs a longitude and a latitude, got none")
	}
	for {
		c := p.peek()
		if c != '-' && (c < '0' || c > '9') {
			return coordNode{}, invalid(p.path(k), "must be a number")
		}
		start := p.pos
		for p.pos < len(p.buf) && isNumByte(p.buf[p.pos]) {
			p.pos++
		}
		if k == len(nums) {
			return coordNode{}, invalid(p.path(-1), "a position has at most 3 numbers (longitude, latitude, altitude)")
		}
		f, err := strconv.ParseFloat(string(p.buf[start:p.pos]), 64)
		if err != nil {
			return coordNode{}, invalid(p.path(k), "is not a finite number")
		}
		nums[k] = f
		k++
		switch p.peek() {
		case ',':
			p.pos++
		case ']':
			p.pos++
			if k < 2 {
				return coordNode{}, invalid(p.path(-1), "a position needs a longitude and a latitude, got 1 number")
			}
			return coordNode{pt: Point{Lon: nums[0], Lat: nums[1]}}, nil
		default:
			return coordNode{}, invalid(p.path(-1), "malformed position")
		}
	}
}

func isNumByte(c byte) bool {
	return c >= '0' && c <= '9' || c == '-' || c == '+' || c == '.' || c == 'e' || c == 'E'
}

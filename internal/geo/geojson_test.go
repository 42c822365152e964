package geo

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

func TestDecodeValid(t *testing.T) {
	tests := []struct {
		in   string
		want Geometry
	}{
		{`{"type":"Point","coordinates":[30.5, 50.25]}`, Point{30.5, 50.25}.Geometry()},
		{`{"type":"Point","coordinates":[30.5, 50.25, 120]}`, Point{30.5, 50.25}.Geometry()},
		{`{"type":"MultiPoint","coordinates":[[1,2],[3,4]]}`, MultiPoint{{1, 2}, {3, 4}}.Geometry()},
		{`{"type":"LineString","coordinates":[[1,2],[3,4]]}`, LineString{{1, 2}, {3, 4}}.Geometry()},
		{`{"type":"MultiLineString","coordinates":[[[1,2],[3,4]],[[5,6],[7,8]]]}`, MultiLineString{{{1, 2}, {3, 4}}, {{5, 6}, {7, 8}}}.Geometry()},
		{`{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,1],[0,0]]]}`, sq(0, 0, 1, 1).Geometry()},
		{` { "coordinates" : [ [ [0,0],[10,0],[10,10],[0,10],[0,0] ], [[3,3],[3,7],[7,7],[7,3],[3,3]] ], "type":"Polygon", "bbox":[0,0,10,10] }`,
			Polygon{sq(0, 0, 10, 10)[0], Ring{{3, 3}, {3, 7}, {7, 7}, {7, 3}, {3, 3}}}.Geometry()},
		{`{"type":"MultiPolygon","coordinates":[[[[0,0],[1,0],[1,1],[0,1],[0,0]]],[[[2,2],[3,2],[3,3],[2,3],[2,2]]]]}`, MultiPolygon{sq(0, 0, 1, 1), sq(2, 2, 3, 3)}.Geometry()},
		{`{"type":"MultiPolygon","coordinates":[[[[179,0],[180,0],[180,1],[179,1],[179,0]]],[[[-180,0],[-179,0],[-179,1],[-180,1],[-180,0]]]]}`, MultiPolygon{sq(179, 0, 180, 1), sq(-180, 0, -179, 1)}.Geometry()}, // an area across the antimeridian, split at it
		{`{"type":"Point","coordinates":[-180,-90]}`, Point{-180, -90}.Geometry()},
		{`{"type":"Point","coordinates":[1e-7,-0.0]}`, Point{1e-7, 0}.Geometry()},
	}
	for _, tt := range tests {
		got, err := Decode([]byte(tt.in), Options{})
		if err != nil {
			t.Errorf("%s: %v", tt.in, err)
			continue
		}
		if !got.Equal(tt.want) {
			t.Errorf("%s: got %+v, want %+v", tt.in, got, tt.want)
		}
		b, err := got.MarshalJSON()
		if err != nil {
			t.Fatal(err)
		}
		back, err := Decode(b, Options{})
		if err != nil || !back.Equal(got) {
			t.Errorf("%s: round trip through %s gave %+v, %v", tt.in, b, back, err)
		}
	}
}

func TestDecodeInvalid(t *testing.T) {
	long := make([]string, 0, 12)
	for i := range 11 {
		long = append(long, fmt.Sprintf("[%d,0]", i))
	}
	tests := []struct {
		in       string
		opt      Options
		path     string
		contains string
	}{
		{`{"coordinates":[1,2]}`, Options{}, "type", "missing"},
		{`{"type":"Circle","coordinates":[1,2]}`, Options{}, "type", "unknown geometry type"},
		{`{"type":"GeometryCollection","geometries":[]}`, Options{}, "type", "not supported"},
		{`{"type":"Feature","geometry":null}`, Options{}, "type", "expected a geometry"},
		{`{"type":"Point"}`, Options{}, "coordinates", "missing"},
		{`{"type":"Point","coordinates":"1,2"}`, Options{}, "coordinates", "must be a position"},
		{`{"type":"Point","coordinates":[1]}`, Options{}, "coordinates", "longitude and a latitude"},
		{`{"type":"Point","coordinates":[1,2,3,4]}`, Options{}, "coordinates", "at most 3"},
		{`{"type":"Point","coordinates":[1,"2"]}`, Options{}, "coordinates[1]", "must be a number"},
		{`{"type":"Point","coordinates":[1,1e999]}`, Options{}, "coordinates[1]", "not a finite number"},
		{`{"type":"Point","coordinates":[181,0]}`, Options{}, "coordinates[0]", "longitude 181 is out of range"},
		{`{"type":"Point","coordinates":[0,-90.5]}`, Options{}, "coordinates[1]", "latitude -90.5 is out of range"},
		{`{"type":"LineString","coordinates":[[1,2]]}`, Options{}, "coordinates", "at least 2 positions"},
		{`{"type":"LineString","coordinates":[[1,2],[1,2]]}`, Options{}, "coordinates[1]", "zero-length segment"},
		{`{"type":"LineString","coordinates":[]}`, Options{}, "coordinates", "is empty"},
		{`{"type":"MultiLineString","coordinates":[[[1,2],[3,4]],[[1,2],[3,400]]]}`, Options{}, "coordinates[1][1][1]", "latitude 400"},
		{`{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,1]]]}`, Options{}, "coordinates[0]", "not closed"},
		{`{"type":"Polygon","coordinates":[[[0,0],[1,0],[0,0]]]}`, Options{}, "coordinates[0]", "at least 4 positions"},
		{`{"type":"Polygon","coordinates":[[[0,0],[1,1],[1,0],[0,1],[0,0]]]}`, Options{}, "coordinates[0]", "crosses or touches itself"},
		{`{"type":"Polygon","coordinates":[[[0,0],[2,0],[1,0],[1,1],[0,0]]]}`, Options{}, "coordinates[0]", "crosses or touches itself"},
		{`{"type":"Polygon","coordinates":[[[0,0],[2,0],[2,2],[1,0],[0,2],[0,0]]]}`, Options{}, "coordinates[0]", "crosses or touches itself"},
		{`{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,0],[1,1],[0,0]]]}`, Options{}, "coordinates[0][2]", "zero-length"},
		{`{"type":"Polygon","coordinates":[[[179,0],[-179,0],[-179,1],[179,1],[179,0]]]}`, Options{}, "coordinates[0][1]", "crosses the antimeridian"},
		{`{"type":"LineString","coordinates":[[170,10],[-170,10]]}`, Options{}, "coordinates[1]", "split the shape at longitude 180"},
		{`{"type":"Polygon","coordinates":[[[0,0],[10,0],[10,10],[0,10],[0,0]],[[20,20],[21,20],[21,21],[20,20]]]}`, Options{}, "coordinates[1]", "outside the outer ring"},
		{`{"type":"Polygon","coordinates":[[[0,0],[10,0],[10,10],[0,10],[0,0]],[[5,5],[15,5],[15,6],[5,5]]]}`, Options{}, "coordinates[1]", "crosses ring 0"},
		{`{"type":"MultiPolygon","coordinates":[[[[0,0],[1,0],[1,1],[0,1],[0,0]]],[[[0,0],[1,0],[1,1],[0,1]]]]}`, Options{}, "coordinates[1][0]", "not closed"},
		{`{"type":"LineString","coordinates":[` + strings.Join(long, ",") + `]}`, Options{MaxPositions: 10}, "coordinates[10]", "limit is 10"},
		{`[1,2]`, Options{}, "", "JSON object"},
		{`{"type":"Point","coordinates":[1,2]`, Options{}, "", "not valid JSON"},
	}
	for _, tt := range tests {
		_, err := Decode([]byte(tt.in), tt.opt)
		var ve *ValidationError
		if !errors.As(err, &ve) {
			t.Errorf("%s: error %v, want a ValidationError", tt.in, err)
			continue
		}
		if ve.Path != tt.path || !strings.Contains(ve.Msg, tt.contains) {
			t.Errorf("%s: got %q at %q, want %q at %q", tt.in, ve.Msg, ve.Path, tt.contains, tt.path)
		}
	}
}

func TestValidateBuilt(t *testing.T) {
	if err := Validate(Point{0, 0}.Geometry(), Options{}); err != nil {
		t.Fatal(err)
	}
	nan := Point{0, 0}
	nan.Lat = nan.Lat / nan.Lat // NaN without importing math in the table
	if err := Validate(nan.Geometry(), Options{}); err == nil || !strings.Contains(err.Error(), "not a finite number") {
		t.Fatalf("NaN: %v", err)
	}
	big := make(LineString, 20)
	for i := range big {
		big[i] = Point{float64(i), 0}
	}
	if err := Validate(big.Geometry(), Options{MaxPositions: 10}); err == nil || !strings.Contains(err.Error(), "limit is 10") {
		t.Fatalf("cap: %v", err)
	}
	if err := Validate(big.Geometry(), Options{MaxPositions: -1}); err != nil {
		t.Fatalf("no cap: %v", err)
	}
}

func FuzzDecode(f *testing.F) {
	for _, s := range []string{
		`{"type":"Point","coordinates":[30.5, 50.25]}`,
		`{"type":"LineString","coordinates":[[1,2],[3,4]]}`,
		`{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,1],[0,0]]]}`,
		`{"type":"Polygon","coordinates":[[[0,0],[10,0],[10,10],[0,10],[0,0]],[[3,3],[3,7],[7,7],[7,3],[3,3]]]}`,
		`{"type":"MultiPolygon","coordinates":[[[[0,0],[1,0],[1,1],[0,1],[0,0]]]]}`,
		`{"type":"MultiPoint","coordinates":[[1e-7,2E+1],[-3.5,4]]}`,
		`{"type":"Point","coordinates":[1,2,3,4]}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		g, err := Decode(data, Options{MaxPositions: 1000})
		if err != nil {
			return
		}
		b, err := g.MarshalJSON()
		if err != nil {
			t.Fatalf("decoded %q but cannot encode: %v", data, err)
		}
		back, err := Decode(b, Options{MaxPositions: 1000})
		if err != nil {
			t.Fatalf("re-decoding %s: %v", b, err)
		}
		if !back.Equal(g) {
			t.Fatalf("round trip changed %+v to %+v", g, back)
		}
		// Whatever decodes must be safe to use.
		_ = Intersects(g, g)
		_ = Intersection(g, sq(0, 0, 1, 1).Geometry())
	})
}

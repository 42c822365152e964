package picture

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"io"
	"maps"
	"slices"
	"strconv"
	"time"

	"github.com/opsroom/opsroom/internal/geo"
)

// feature is one thing of the picture as the exports show it.
type feature struct {
	id, kind, title string
	geom            geo.Geometry
	props           map[string]any
	begin, end      time.Time // KML TimeSpan (both set) or TimeStamp (end zero)
}

// features flattens a picture into map features, in a stable order:
// areas, sites, places, events, tracks. Events without a geometry have no
// place on a map and are left out. A track is a Point at a moment and the
// line of its positions in a window.
func (pic Picture) features() []feature {
	var fs []feature
	common := func(id, kind, title, tlp, owner string, extra map[string]any) map[string]any {
		m := map[string]any{"id": id, "kind": kind, "title": title, "tlp": tlp, "owner": owner}
		for k, v := range extra {
			m[k] = v
		}
		return m
	}
	for _, a := range pic.Areas {
		fs = append(fs, feature{id: a.ID, kind: KindArea, title: a.Title, geom: a.Geometry,
			props: common(a.ID, KindArea, a.Title, a.Marking.TLP, a.Owner, map[string]any{"area_kind": a.AreaKind})})
	}
	for _, s := range pic.Sites {
		fs = append(fs, feature{id: s.ID, kind: KindSite, title: s.Title, geom: s.Geometry,
			props: common(s.ID, KindSite, s.Title, s.Marking.TLP, s.Owner, map[string]any{"category": s.Category, "protected": s.Protected, "place_name": s.PlaceName})})
	}
	for _, p := range pic.Places {
		fs = append(fs, feature{id: p.ID, kind: KindPlace, title: p.Name, geom: *placePoint(p),
			props: common(p.ID, KindPlace, p.Name, p.Marking.TLP, p.Owner, map[string]any{"country": p.Country})})
	}
	for _, e := range pic.Events {
		if e.Geometry == nil {
			continue
		}
		fs = append(fs, feature{id: e.ID, kind: KindEvent, title: e.Title, geom: *e.Geometry, begin: e.Start, end: e.End,
			props: common(e.ID, KindEvent, e.Title, e.Marking.TLP, e.Owner, map[string]any{"event_kind": e.EventKind, "start": e.Start, "end": e.End,
				"place_name": e.PlaceName, "links": e.Links})})
	}
	for _, t := range pic.Tracks {
		if len(t.Positions) == 0 {
			continue
		}
		first, last := t.Positions[0], t.Positions[len(t.Positions)-1]
		f := feature{id: t.ID, kind: KindTrack, title: t.Title, begin: first.At,
			props: common(t.ID, KindTrack, t.Title, t.Marking.TLP, t.Owner, map[string]any{"uid": t.UID, "type": t.Type, "at": last.At})}
		if len(t.Positions) == 1 {
			f.geom = geo.Point{Lon: last.Lon, Lat: last.Lat}.Geometry()
			if last.Course != nil {
				f.props["course"] = *last.Course
			}
			if last.Speed != nil {
				f.props["speed"] = *last.Speed
			}
		} else {
			line := make(geo.LineString, len(t.Positions))
			for k, p := range t.Positions {
				line[k] = geo.Point{Lon: p.Lon, Lat: p.Lat}
			}
			f.geom, f.end = line.Geometry(), last.At
			f.props["from"] = first.At
		}
		fs = append(fs, f)
	}
	return fs
}

// WriteGeoJSON writes the picture as an RFC 7946 FeatureCollection.
func (pic Picture) WriteGeoJSON(w io.Writer) error {
	type out struct {
		Type       string          `json:"type"`
		ID         string          `json:"id"`
		Geometry   json.RawMessage `json:"geometry"`
		Properties map[string]any  `json:"properties"`
	}
	fs := pic.features()
	var buf bytes.Buffer
	buf.WriteString(`{"type":"FeatureCollection","features":[`)
	for k, f := range fs {
		g, err := f.geom.MarshalJSON()
		if err != nil {
			return err
		}
		b, err := json.Marshal(out{Type: "Feature", ID: f.id, Geometry: g, Properties: f.props})
		if err != nil {
			return err
		}
		if k > 0 {
			buf.WriteByte(',')
		}
		buf.Write(b)
	}
	buf.WriteString("]}\n")
	_, err := w.Write(buf.Bytes())
	return err
}

// WriteKML writes the picture as a KML 2.2 document, one folder per kind.
func (pic Picture) WriteKML(w io.Writer) error {
	var b bytes.Buffer
	b.WriteString(xml.Header)
	b.WriteString(`<kml xmlns="http://www.opengis.net/kml/2.2">` + "\n<Document>\n")
	text(&b, "name", "opsroom picture: "+pic.Room)
	folders := []struct{ kind, name string }{{KindArea, "Areas"}, {KindSite, "Sites"}, {KindPlace, "Places"}, {KindEvent, "Events"}, {KindTrack, "Tracks"}}
	fs := pic.features()
	for _, fo := range folders {
		b.WriteString("<Folder>\n")
		text(&b, "name", fo.name)
		for _, f := range fs {
			if f.kind != fo.kind {
				continue
			}
			b.WriteString("<Placemark")
			b.WriteString(` id="`)
			_ = xml.EscapeText(&b, []byte(f.kind+"-"+f.id))
			b.WriteString(`">` + "\n")
			text(&b, "name", f.title)
			switch {
			case !f.begin.IsZero() && !f.end.IsZero():
				b.WriteString("<TimeSpan>")
				text(&b, "begin", f.begin.Format(time.RFC3339Nano))
				text(&b, "end", f.end.Format(time.RFC3339Nano))
				b.WriteString("</TimeSpan>\n")
			case !f.begin.IsZero():
				b.WriteString("<TimeStamp>")
				text(&b, "when", f.begin.Format(time.RFC3339Nano))
				b.WriteString("</TimeStamp>\n")
			}
			b.WriteString("<ExtendedData>\n")
			for _, k := range slices.Sorted(maps.Keys(f.props)) {
				b.WriteString(`<Data name="`)
				_ = xml.EscapeText(&b, []byte(k))
				b.WriteString(`">`)
				text(&b, "value", valueString(f.props[k]))
				b.WriteString("</Data>\n")
			}
			b.WriteString("</ExtendedData>\n")
			kmlGeometry(&b, f.geom)
			b.WriteString("</Placemark>\n")
		}
		b.WriteString("</Folder>\n")
	}
	b.WriteString("</Document>\n</kml>\n")
	_, err := w.Write(b.Bytes())
	return err
}

func text(b *bytes.Buffer, tag, s string) {
	b.WriteString("<" + tag + ">")
	_ = xml.EscapeText(b, []byte(s))
	b.WriteString("</" + tag + ">")
}

func valueString(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case time.Time:
		return x.Format(time.RFC3339Nano)
	case bool:
		return strconv.FormatBool(x)
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	default:
		bs, _ := json.Marshal(x)
		return string(bs)
	}
}

func coords(b *bytes.Buffer, pts []geo.Point) {
	b.WriteString("<coordinates>")
	for k, p := range pts {
		if k > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(strconv.FormatFloat(p.Lon, 'f', -1, 64))
		b.WriteByte(',')
		b.WriteString(strconv.FormatFloat(p.Lat, 'f', -1, 64))
	}
	b.WriteString("</coordinates>")
}

func kmlPolygon(b *bytes.Buffer, pg geo.Polygon) {
	b.WriteString("<Polygon>")
	for k, r := range pg {
		tag := "innerBoundaryIs"
		if k == 0 {
			tag = "outerBoundaryIs"
		}
		b.WriteString("<" + tag + "><LinearRing>")
		coords(b, r)
		b.WriteString("</LinearRing></" + tag + ">")
	}
	b.WriteString("</Polygon>")
}

// kmlGeometry writes g; a multi-part geometry becomes a MultiGeometry.
func kmlGeometry(b *bytes.Buffer, g geo.Geometry) {
	n := len(g.Points) + len(g.Lines) + len(g.Polygons)
	multi := n != 1
	if multi {
		b.WriteString("<MultiGeometry>")
	}
	for _, p := range g.Points {
		b.WriteString("<Point>")
		coords(b, []geo.Point{p})
		b.WriteString("</Point>")
	}
	for _, l := range g.Lines {
		b.WriteString("<LineString>")
		coords(b, l)
		b.WriteString("</LineString>")
	}
	for _, pg := range g.Polygons {
		kmlPolygon(b, pg)
	}
	if multi {
		b.WriteString("</MultiGeometry>")
	}
	b.WriteByte('\n')
}

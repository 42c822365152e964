package cot

import (
	"bytes"
	"errors"
	"flag"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"testing/iotest"
	"time"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden")

func readSample(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func mustParse(t testing.TB, b []byte) *Event {
	t.Helper()
	e, err := Parse(b)
	if err != nil {
		t.Fatalf("Parse: %v\n%s", err, b)
	}
	return e
}

func ms(s string) time.Time {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		panic(err)
	}
	return time.UnixMilli(t.UnixMilli()).UTC()
}

// withoutRaw returns a copy of e whose detail has only the parsed view, to
// compare events whose raw detail legitimately differs in layout.
func withoutRaw(e *Event) Event {
	c := *e
	c.Detail.Raw = ""
	return c
}

func TestGoldenSamples(t *testing.T) {
	tests := []struct {
		file  string
		check func(t *testing.T, e *Event)
	}{
		{"atak_position.xml", func(t *testing.T, e *Event) {
			want := Event{
				Version: "2.0", UID: "ANDROID-5f2a9c31e0b74d18", Type: "a-f-G-U-C", How: "m-g",
				Time: ms("2025-03-14T09:26:53.589Z"), Start: ms("2025-03-14T09:26:53.589Z"), Stale: ms("2025-03-14T09:28:08.589Z"),
				Access: "Undefined",
				Point:  Point{Lat: 48.8583701, Lon: 2.2944813, Hae: 95.12, Ce: 4.9, Le: Unknown},
				Detail: Detail{
					Contact:           &Contact{Callsign: "VIPER-1", Endpoint: "*:-1:stcp"},
					Group:             &Group{Name: "Cyan", Role: "Team Lead"},
					Track:             &Track{Course: 271.4, Speed: 1.25},
					Status:            &Status{Battery: 87},
					Takv:              &Takv{Device: "GOOGLE PIXEL 7", Platform: "ATAK-CIV", OS: "34", Version: "5.2.0.7 (1a2b3c4d).1723456789-CIV"},
					PrecisionLocation: &PrecisionLocation{GeoPointSrc: "GPS", AltSrc: "GPS"},
				},
			}
			if got := withoutRaw(e); !reflect.DeepEqual(got, want) {
				t.Errorf("got  %+v\nwant %+v", got, want)
			}
			if !strings.HasPrefix(e.Detail.Raw, `<takv os="34"`) || !strings.HasSuffix(e.Detail.Raw, `speed="1.25"/>`) {
				t.Errorf("Raw = %q", e.Detail.Raw)
			}
		}},
		{"chat.xml", func(t *testing.T, e *Event) {
			wantChat := &Chat{
				ID: "All Chat Rooms", Chatroom: "All Chat Rooms", SenderCallsign: "VIPER-1",
				MessageID: "7c1d4c6e-3a5b-4f0e-9d52-1b8f0e6a2c11", Parent: "RootContactGroup",
				Message: `Convoy "BLUE" at checkpoint 3 & holding <10 min>`,
			}
			if !reflect.DeepEqual(e.Detail.Chat, wantChat) {
				t.Errorf("Chat = %+v", e.Detail.Chat)
			}
			if r := e.Detail.Remarks; r == nil || r.Text != wantChat.Message || r.To != "All Chat Rooms" {
				t.Errorf("Remarks = %+v", r)
			}
			if want := []Dest{{Callsign: "OPS-ROOM"}, {Callsign: "MEDIC-2"}}; !reflect.DeepEqual(e.Detail.Dest, want) {
				t.Errorf("Dest = %+v", e.Detail.Dest)
			}
			if want := []Link{{UID: "ANDROID-5f2a9c31e0b74d18", Type: "a-f-G-U-C", Relation: "p-p"}}; !reflect.DeepEqual(e.Detail.Links, want) {
				t.Errorf("Links = %+v", e.Detail.Links)
			}
		}},
		{"polygon.xml", func(t *testing.T, e *Event) {
			want := []Vertex{
				{Lat: 48.8610, Lon: 2.2930}, {Lat: 48.8615, Lon: 2.2975, Hae: 35.5, HasHae: true},
				{Lat: 48.8588, Lon: 2.2981}, {Lat: 48.8582, Lon: 2.2935}, {Lat: 48.8610, Lon: 2.2930},
			}
			if got := e.Detail.Vertices(); !reflect.DeepEqual(got, want) {
				t.Errorf("Vertices = %+v", got)
			}
			if !e.IsClosedShape() {
				t.Error("polygon not closed")
			}
			m := e.Marking()
			if m.Access != "TLP:AMBER" || m.Caveat != "TLP:AMBER" || !reflect.DeepEqual(m.ReleaseableTo, []string{"FRA", "UNHCR", "MSF"}) {
				t.Errorf("Marking = %+v", m)
			}
			if e.Detail.PrecisionLocation == nil || e.Detail.PrecisionLocation.AltSrc != "???" {
				t.Errorf("PrecisionLocation = %+v", e.Detail.PrecisionLocation)
			}
		}},
		{"marker_extensions.xml", func(t *testing.T, e *Event) {
			for _, ext := range []string{
				`<usericon iconsetpath="COT_MAPPING_2525B/a-n/a-n-G-I-i-h"/>`,
				`<![CDATA[Notified <humanitarian> site — «do not strike»]]>`,
				`<!-- extension opsroom does not model -->`,
				`<status readiness="true"/>`,
				"\n\t\t<archive/>\n",
			} {
				if !strings.Contains(e.Detail.Raw, ext) {
					t.Errorf("Raw lost %q", ext)
				}
			}
			if e.Detail.Status != nil {
				t.Errorf("Status without battery parsed as %+v", e.Detail.Status)
			}
			if e.Detail.Remarks == nil || e.Detail.Remarks.Text != "Capacité : 40 lits" {
				t.Errorf("Remarks = %+v", e.Detail.Remarks)
			}
			if e.Point.Lat != -12.0464 || e.Point.Lon != -77.0428 {
				t.Errorf("Point = %+v", e.Point)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			in := readSample(t, tt.file)
			e := mustParse(t, in)
			tt.check(t, e)

			out := e.AppendXML(nil)
			golden := filepath.Join("testdata", strings.TrimSuffix(tt.file, ".xml")+".golden")
			if *update {
				if err := os.WriteFile(golden, out, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			if want := readSample(t, filepath.Base(golden)); !bytes.Equal(out, want) {
				t.Errorf("AppendXML differs from %s:\ngot  %s\nwant %s", golden, out, want)
			}
			if e2 := mustParse(t, out); !reflect.DeepEqual(e2, e) {
				t.Errorf("XML round trip changed the event:\n%+v\n%+v", e, e2)
			}
			assertProtoRoundTrip(t, e)
		})
	}
}

// assertProtoRoundTrip converts e to protobuf and back and checks nothing
// opsroom reads changed, and that a second conversion is a fixed point.
func assertProtoRoundTrip(t *testing.T, e *Event) {
	t.Helper()
	b := (&Message{Event: e}).AppendProto(nil)
	m, err := DecodeProto(b)
	if err != nil {
		t.Fatalf("DecodeProto(AppendProto(e)): %v", err)
	}
	want := withoutRaw(e)
	if want.Version == "" {
		want.Version = DefaultVersion
	}
	if got := withoutRaw(m.Event); !reflect.DeepEqual(got, want) {
		t.Errorf("proto round trip changed the event:\ngot  %+v\nwant %+v", got, want)
	}
	if len(m.Event.Detail.Raw) != len(e.Detail.Raw) && e.Detail.Raw != "" {
		// The raw detail may be reordered, never shortened or grown
		// except by attribute quoting.
		if d := len(m.Event.Detail.Raw) - len(e.Detail.Raw); d < -20 || d > 20 {
			t.Errorf("raw detail changed size by %d:\n%s\n%s", d, e.Detail.Raw, m.Event.Detail.Raw)
		}
	}
	b2 := (&Message{Event: m.Event}).AppendProto(nil)
	m2, err := DecodeProto(b2)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(m2, m) {
		t.Errorf("second proto round trip is not a fixed point:\n%+v\n%+v", m.Event, m2.Event)
	}
}

func TestParseErrors(t *testing.T) {
	const ok = `<event version="2.0" uid="u" type="a-f-G" how="m-g" time="2025-01-01T00:00:00Z" start="2025-01-01T00:00:00Z" stale="2025-01-01T00:01:00Z"><point lat="1" lon="2" hae="0" ce="1" le="1"/><detail/></event>`
	if _, err := Parse([]byte(ok)); err != nil {
		t.Fatalf("base event: %v", err)
	}
	tests := []struct {
		name string
		old  string // replaced in ok by new
		new  string
		kind ErrorKind
	}{
		{"missing uid", `uid="u" `, ``, KindMissing},
		{"empty uid", `uid="u"`, `uid=""`, KindMissing},
		{"missing type", `type="a-f-G" `, ``, KindMissing},
		{"missing time", `time="2025-01-01T00:00:00Z" `, ``, KindMissing},
		{"missing start", `start="2025-01-01T00:00:00Z" `, ``, KindMissing},
		{"missing stale", ` stale="2025-01-01T00:01:00Z"`, ``, KindMissing},
		{"bad time", `time="2025-01-01T00:00:00Z"`, `time="yesterday"`, KindBadValue},
		{"time before epoch", `time="2025-01-01T00:00:00Z"`, `time="1969-12-31T23:59:59Z"`, KindBadValue},
		{"missing lat", `lat="1" `, ``, KindMissing},
		{"missing lon", `lon="2" `, ``, KindMissing},
		{"bad lat", `lat="1"`, `lat="north"`, KindBadValue},
		{"NaN lat", `lat="1"`, `lat="NaN"`, KindBadValue},
		{"infinite hae", `hae="0"`, `hae="Inf"`, KindBadValue},
		{"lat out of range", `lat="1"`, `lat="90.5"`, KindBadValue},
		{"lon out of range", `lon="2"`, `lon="-180.01"`, KindBadValue},
		{"two points", `<detail/>`, `<point lat="1" lon="2"/>`, KindMalformed},
		{"two details", `<detail/>`, `<detail/><detail/>`, KindMalformed},
		{"wrong root", `<event `, `<events `, KindMalformed},
		{"duplicate attribute", `uid="u"`, `uid="u" uid="v"`, KindMalformed},
		{"unquoted attribute", `uid="u"`, `uid=u`, KindMalformed},
		{"attributes run together", `uid="u" type`, `uid="u"type`, KindMalformed},
		{"lt in attribute", `how="m-g"`, `how="m<g"`, KindMalformed},
		{"unknown entity", `how="m-g"`, `how="&nbsp;"`, KindMalformed},
		{"bare ampersand", `<detail/>`, `<detail>a & b</detail>`, KindMalformed},
		{"bad char reference", `how="m-g"`, `how="&#1;"`, KindMalformed},
		{"mismatched tags", `<detail/>`, `<detail><a><b></a></b></detail>`, KindMalformed},
		{"unclosed detail child", `<detail/>`, `<detail><a></detail>`, KindMalformed},
		{"stray end tag", `<detail/>`, `<detail></a></detail>`, KindMalformed},
		{"unterminated", `</event>`, ``, KindMalformed},
		{"doctype", `<event `, `<!DOCTYPE event [<!ENTITY x "y">]><event `, KindMalformed},
		{"declaration inside", `<detail/>`, `<detail><?xml version="1.0"?></detail>`, KindMalformed},
		{"double hyphen in comment", `<detail/>`, `<detail><!-- a -- b --></detail>`, KindMalformed},
		{"unterminated CDATA", `<detail/>`, `<detail><![CDATA[x</detail>`, KindMalformed},
		{"cdata end in text", `<detail/>`, `<detail>a ]]> b</detail>`, KindMalformed},
		{"control character", `how="m-g"`, "how=\"m\x01g\"", KindBadValue},
		{"invalid UTF-8", `how="m-g"`, "how=\"m\xffg\"", KindBadValue},
		{"content after event", `</event>`, `</event><event/>`, KindMalformed},
		{"text before event", `<event `, `hello<event `, KindMalformed},
		{"empty", ok, ``, KindMissing},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := strings.Replace(ok, tt.old, tt.new, 1)
			if in == ok {
				t.Fatalf("replacement %q did not apply", tt.old)
			}
			e, err := Parse([]byte(in))
			var ce *Error
			if !errors.As(err, &ce) {
				t.Fatalf("Parse(%s) = %+v, %v; want *Error", in, e, err)
			}
			if ce.Kind != tt.kind {
				t.Errorf("kind = %v (%v), want %v", ce.Kind, err, tt.kind)
			}
			if !errors.Is(err, &Error{Kind: tt.kind}) {
				t.Errorf("errors.Is does not match kind %v", tt.kind)
			}
		})
	}
	t.Run("depth", func(t *testing.T) {
		in := strings.Replace(ok, `<detail/>`, "<detail>"+strings.Repeat("<a>", 100)+strings.Repeat("</a>", 100)+"</detail>", 1)
		if _, err := Parse([]byte(in)); !errors.Is(err, ErrMalformed) {
			t.Errorf("deep nesting: %v", err)
		}
	})
	t.Run("attribute count", func(t *testing.T) {
		var b strings.Builder
		for i := range 200 {
			b.WriteString(" a" + strings.Repeat("x", i) + `="1"`)
		}
		in := strings.Replace(ok, `<detail/>`, "<detail><x"+b.String()+"/></detail>", 1)
		if _, err := Parse([]byte(in)); !errors.Is(err, ErrMalformed) {
			t.Errorf("200 attributes: %v", err)
		}
	})
}

func TestParseLenient(t *testing.T) {
	tests := []struct {
		name, in string
		check    func(*Event) bool
	}{
		{"single quotes and spaces", `<?xml version='1.0'?>
<event version = '2.0' uid='u' type='t' time='2025-01-01T00:00:00.1234567Z' start='2025-01-01T00:00:00Z' stale='2025-01-01T00:00:00+01:00' >
 <point lat=' 1.5 ' lon='-2' />
</event >`, func(e *Event) bool {
			return e.Time.Equal(ms("2025-01-01T00:00:00.123Z")) && e.Stale.Equal(ms("2024-12-31T23:00:00Z")) &&
				e.Point == Point{Lat: 1.5, Lon: -2, Hae: Unknown, Ce: Unknown, Le: Unknown} && e.Detail.Raw == ""
		}},
		{"releasableTo spelling", `<event uid="u" type="t" time="2025-01-01T00:00:00Z" start="2025-01-01T00:00:00Z" stale="2025-01-01T00:00:00Z" releasableTo="A, B"><point lat="0" lon="0"/></event>`,
			func(e *Event) bool { return e.ReleaseableTo == "A, B" }},
		{"entities and whitespace in attributes", `<event uid="a&amp;b&#x20;c&#10;d	e" type="t" time="2025-01-01T00:00:00Z" start="2025-01-01T00:00:00Z" stale="2025-01-01T00:00:00Z"><point lat="0" lon="0"/></event>`,
			func(e *Event) bool { return e.UID == "a&b c\nd e" }},
		{"unknown siblings ignored", `<event uid="u" type="t" time="2025-01-01T00:00:00Z" start="2025-01-01T00:00:00Z" stale="2025-01-01T00:00:00Z"><!-- c --><foo><bar/></foo>text<point lat="0" lon="0"/></event>`,
			func(e *Event) bool { return e.UID == "u" }},
		{"detail numbers that do not parse", `<event uid="u" type="t" time="2025-01-01T00:00:00Z" start="2025-01-01T00:00:00Z" stale="2025-01-01T00:00:00Z"><point lat="0" lon="0"/><detail><track course="NaN" speed="0"/><status battery="-1"/><link point="91,0"/></detail></event>`,
			func(e *Event) bool {
				return e.Detail.Track == nil && e.Detail.Status == nil && len(e.Detail.Links) == 1 && e.Detail.Links[0].Point == nil
			}},
		{"remarks text pieces", `<event uid="u" type="t" time="2025-01-01T00:00:00Z" start="2025-01-01T00:00:00Z" stale="2025-01-01T00:00:00Z"><point lat="0" lon="0"/><detail><remarks>a<!--x-->b<![CDATA[<c>]]>&#233;` + "\r\n" + `</remarks><remarks>second</remarks></detail></event>`,
			func(e *Event) bool { return e.Detail.Remarks.Text == "ab<c>é\n" }},
		{"ellipse", `<event uid="u" type="u-d-c-c" time="2025-01-01T00:00:00Z" start="2025-01-01T00:00:00Z" stale="2025-01-01T00:00:00Z"><point lat="0" lon="0"/><detail><shape><ellipse major="250.5" minor="100" angle="45"/><link uid="x"/></shape></detail></event>`,
			func(e *Event) bool {
				return *e.Detail.Ellipse == Ellipse{Major: 250.5, Minor: 100, Angle: 45} && len(e.Detail.Links) == 0
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := mustParse(t, []byte(tt.in))
			if !tt.check(e) {
				t.Errorf("unexpected event %+v", e)
			}
			if e2 := mustParse(t, e.AppendXML(nil)); !reflect.DeepEqual(e2, e) {
				t.Errorf("round trip changed the event:\n%+v\n%+v", e, e2)
			}
		})
	}
}

func TestAppendXMLEscapesAndReplaces(t *testing.T) {
	e := &Event{
		UID: `a"b<c>&d'` + "\t\n\r", Type: "t", How: "bad\x00\xff",
		Time: ms("2025-01-01T00:00:00Z"), Start: ms("2025-01-01T00:00:00Z"), Stale: ms("2025-01-01T00:00:01Z"),
		Point:  Point{Lat: 1e-7, Lon: -179.99999999, Hae: Unknown, Ce: Unknown, Le: Unknown},
		Detail: Detail{Remarks: &Remarks{Text: "x < y & \"z\"\r\n]]>"}},
	}
	out := e.AppendXML(nil)
	want := `<event version="2.0" uid="a&quot;b&lt;c&gt;&amp;d'&#9;&#10;&#13;" type="t" how="bad\uFFFD\uFFFD" time="2025-01-01T00:00:00.000Z" start="2025-01-01T00:00:00.000Z" stale="2025-01-01T00:00:01.000Z"><point lat="0.0000001" lon="-179.99999999" hae="9999999" ce="9999999" le="9999999"/><detail><remarks>x &lt; y &amp; "z"&#13;` + "\n" + `]]&gt;</remarks></detail></event>`
	want = strings.ReplaceAll(want, `\uFFFD`, "\uFFFD")
	if string(out) != want {
		t.Errorf("got\n%s\nwant\n%s", out, want)
	}
	got := mustParse(t, out)
	if got.UID != e.UID || got.Detail.Remarks.Text != e.Detail.Remarks.Text || got.Point != e.Point {
		t.Errorf("round trip: %+v", got)
	}
	if err := e.Validate(); !errors.Is(err, ErrBadValue) {
		t.Errorf("Validate with NUL: %v", err)
	}
}

func TestBuildFromFields(t *testing.T) {
	now := ms("2025-06-01T12:00:00.250Z")
	e := &Event{
		UID: "opsroom-site-42", Type: "u-d-f", How: "h-e",
		Time: now, Start: now, Stale: now.Add(time.Hour),
		Point: Point{Lat: 10, Lon: 20, Hae: Unknown, Ce: Unknown, Le: Unknown},
		Detail: Detail{
			Contact:           &Contact{Callsign: "Area <A>"},
			Group:             &Group{Name: "Cyan", Role: "HQ"},
			Track:             &Track{Course: 90, Speed: -0.5},
			Status:            &Status{Battery: 0},
			Takv:              &Takv{Platform: "opsroom"},
			PrecisionLocation: &PrecisionLocation{GeoPointSrc: "USER"},
			Remarks:           &Remarks{Text: "line1\nline2", Source: "opsroom"},
			Chat:              &Chat{ID: "room", Chatroom: "room", SenderCallsign: "OPS", MessageID: "m1", Message: "line1\nline2"},
			Links: []Link{
				{Point: &Vertex{Lat: 10, Lon: 20}}, {Point: &Vertex{Lat: 11, Lon: 20, Hae: 5, HasHae: true}},
				{Point: &Vertex{Lat: 10, Lon: 20}}, {UID: "parent", Type: "a-f-G", Relation: "p-p"},
			},
			Ellipse: &Ellipse{Major: 1, Minor: 2, Angle: 3},
			Dest:    []Dest{{Callsign: "A"}, {UID: "b"}},
		},
	}
	if err := e.Validate(); err != nil {
		t.Fatal(err)
	}
	got := mustParse(t, e.AppendXML(nil))
	want := *e
	want.Version = DefaultVersion
	if g := withoutRaw(got); !reflect.DeepEqual(g, want) {
		t.Errorf("got  %+v\nwant %+v", g, want)
	}
	if !got.IsClosedShape() {
		t.Error("closed drawing not detected")
	}
	assertProtoRoundTrip(t, e)
}

func TestDecoderStream(t *testing.T) {
	pos := readSample(t, "atak_position.xml")
	chat := readSample(t, "chat.xml")
	ping := []byte(`<event version="2.0" uid="ping-1" type="t-x-c-t" how="h-g-i-g-o" time="2025-01-01T00:00:00Z" start="2025-01-01T00:00:00Z" stale="2025-01-01T00:00:20Z"><point lat="0" lon="0"/></event >`)
	var stream []byte
	stream = append(stream, "\n  "...)
	stream = append(stream, pos...)
	stream = append(stream, chat...) // prolog directly after </event>
	stream = append(stream, "<!-- keepalive -->\r\n"...)
	stream = append(stream, ping...)
	stream = append(stream, `<event uid="x" type="t" time="2025-01-01T00:00:00Z" start="2025-01-01T00:00:00Z" stale="2025-01-01T00:00:00Z" how="a/>b"/>`...) // self-closing, no point
	stream = append(stream, "\n\n"...)

	for _, r := range []struct {
		name string
		r    io.Reader
	}{
		{"whole", bytes.NewReader(stream)},
		{"one byte at a time", iotest.OneByteReader(bytes.NewReader(stream))},
		{"data with EOF", iotest.DataErrReader(bytes.NewReader(stream))},
	} {
		t.Run(r.name, func(t *testing.T) {
			d := NewDecoder(r.r)
			var uids []string
			var errLast error
			var last *Event
			for {
				e, err := d.Decode()
				if err != nil {
					errLast = err
					break
				}
				uids = append(uids, e.UID)
				last = e
			}
			if errLast != io.EOF {
				t.Fatalf("stream ended with %v after %v", errLast, uids)
			}
			if len(uids) != 4 || uids[2] != "ping-1" || uids[3] != "x" || last.Point != (Point{Hae: Unknown, Ce: Unknown, Le: Unknown}) {
				t.Errorf("uids = %q", uids)
			}
			if _, err := d.Decode(); err != io.EOF {
				t.Errorf("Decode after EOF: %v", err)
			}
		})
	}
}

func TestDecoderErrors(t *testing.T) {
	ev := `<event uid="u" type="t" time="2025-01-01T00:00:00Z" start="2025-01-01T00:00:00Z" stale="2025-01-01T00:00:00Z"><point lat="0" lon="0"/></event>`
	tests := []struct {
		name  string
		input io.Reader
		max   int
		kind  ErrorKind
		good  int // events decoded before the error
	}{
		{"junk", strings.NewReader(ev + "GET / HTTP/1.1\r\n"), 0, KindMalformed, 1},
		{"truncated", strings.NewReader(ev + ev[:50]), 0, KindTruncated, 1},
		{"truncated prolog", strings.NewReader(`<?xml version="1.0"`), 0, KindTruncated, 0},
		{"too large", strings.NewReader(ev + `<event uid="u">` + strings.Repeat("<a/>", 2000) + "</event>"), 4096, KindTooLarge, 1},
		{"endless event", iotest.OneByteReader(io.MultiReader(strings.NewReader("<event>"), endless('x'))), 2048, KindTooLarge, 0},
		{"endless prolog", io.MultiReader(strings.NewReader("<?xml "), endless(' ')), 2048, KindTooLarge, 0},
		{"invalid event", strings.NewReader(ev + strings.Replace(ev, `lat="0"`, `lat="x"`, 1)), 0, KindBadValue, 1},
		{"elements that are not events", strings.NewReader("<auth><cot username='a'/></auth>"), 0, KindMalformed, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := NewDecoder(tt.input)
			if tt.max > 0 {
				d.SetMaxEventSize(tt.max)
			}
			var err error
			n := 0
			for ; n < 10; n++ {
				if _, err = d.Decode(); err != nil {
					break
				}
			}
			if n != tt.good {
				t.Errorf("decoded %d events before the error, want %d", n, tt.good)
			}
			var ce *Error
			if !errors.As(err, &ce) || ce.Kind != tt.kind {
				t.Fatalf("err = %v, want kind %v", err, tt.kind)
			}
			if _, err2 := d.Decode(); err2 != err {
				t.Errorf("error not sticky: %v then %v", err, err2)
			}
			if tt.max > 0 && cap(d.buf) > tt.max+1 {
				t.Errorf("buffer grew to %d with limit %d", cap(d.buf), tt.max)
			}
		})
	}
	t.Run("truncated is ErrUnexpectedEOF", func(t *testing.T) {
		_, err := NewDecoder(strings.NewReader(ev[:10])).Decode()
		if !errors.Is(err, io.ErrUnexpectedEOF) || !errors.Is(err, ErrTruncated) {
			t.Errorf("err = %v", err)
		}
	})
	t.Run("read errors pass through", func(t *testing.T) {
		boom := errors.New("boom")
		_, err := NewDecoder(io.MultiReader(strings.NewReader(ev[:10]), iotest.ErrReader(boom))).Decode()
		if err != boom {
			t.Errorf("err = %v", err)
		}
	})
	t.Run("buffered after negotiation", func(t *testing.T) {
		d := NewDecoder(strings.NewReader(ev + "\xbf\x02\x08\x01"))
		if _, err := d.Decode(); err != nil {
			t.Fatal(err)
		}
		rest, _ := io.ReadAll(d.Buffered())
		if string(rest) != "\xbf\x02\x08\x01" {
			t.Errorf("Buffered = %q", rest)
		}
	})
}

type endless byte

func (e endless) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = byte(e)
	}
	return len(p), nil
}

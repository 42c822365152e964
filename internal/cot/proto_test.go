package cot

import (
	"bytes"
	"errors"
	"io"
	"math"
	"reflect"
	"strings"
	"testing"
	"testing/iotest"
	"time"

	"google.golang.org/protobuf/encoding/protowire"
)

// pb builds protobuf bytes field by field, independently of the encoder
// under test, the way another TAK implementation would lay them out.
type pb []byte

func (b pb) str(n protowire.Number, s string) pb {
	return protowire.AppendString(protowire.AppendTag(b, n, protowire.BytesType), s)
}
func (b pb) msg(n protowire.Number, m pb) pb {
	return protowire.AppendBytes(protowire.AppendTag(b, n, protowire.BytesType), m)
}
func (b pb) varint(n protowire.Number, v uint64) pb {
	return protowire.AppendVarint(protowire.AppendTag(b, n, protowire.VarintType), v)
}
func (b pb) double(n protowire.Number, f float64) pb {
	return protowire.AppendFixed64(protowire.AppendTag(b, n, protowire.Fixed64Type), math.Float64bits(f))
}

func atakPLI(unknown bool) pb {
	detail := pb(nil).
		str(1, `<uid Droid="VIPER-1"/>`).
		msg(2, pb(nil).str(1, "*:-1:stcp").str(2, "VIPER-1")).
		msg(3, pb(nil).str(1, "Cyan").str(2, "Team Lead")).
		msg(4, pb(nil).str(1, "GPS").str(2, "GPS")).
		msg(5, pb(nil).varint(1, 87)).
		msg(6, pb(nil).str(1, "PIXEL").str(2, "ATAK-CIV").str(3, "34").str(4, "5.2")).
		msg(7, pb(nil).double(1, 1.25).double(2, 271.4))
	ev := pb(nil).
		str(1, "a-f-G-U-C").
		str(5, "ANDROID-1").
		varint(6, 1741944413589).varint(7, 1741944413589).varint(8, 1741944488589).
		str(9, "m-g").
		double(10, 48.8583701).double(11, 2.2944813).double(12, 95.12).double(13, 4.9).double(14, Unknown).
		msg(15, detail)
	if unknown {
		ev = ev.varint(99, 7) // to be skipped
	}
	return pb(nil).msg(2, ev)
}

func TestDecodeProtoFromAnotherEncoder(t *testing.T) {
	m, err := DecodeProto(atakPLI(true))
	if err != nil {
		t.Fatal(err)
	}
	e := m.Event
	want := Event{
		Version: "2.0", UID: "ANDROID-1", Type: "a-f-G-U-C", How: "m-g",
		Time: ms("2025-03-14T09:26:53.589Z"), Start: ms("2025-03-14T09:26:53.589Z"), Stale: ms("2025-03-14T09:28:08.589Z"),
		Point: Point{Lat: 48.8583701, Lon: 2.2944813, Hae: 95.12, Ce: 4.9, Le: Unknown},
		Detail: Detail{
			Contact:           &Contact{Callsign: "VIPER-1", Endpoint: "*:-1:stcp"},
			Group:             &Group{Name: "Cyan", Role: "Team Lead"},
			Track:             &Track{Course: 271.4, Speed: 1.25},
			Status:            &Status{Battery: 87},
			Takv:              &Takv{Device: "PIXEL", Platform: "ATAK-CIV", OS: "34", Version: "5.2"},
			PrecisionLocation: &PrecisionLocation{GeoPointSrc: "GPS", AltSrc: "GPS"},
		},
	}
	if got := withoutRaw(e); !reflect.DeepEqual(got, want) {
		t.Errorf("got  %+v\nwant %+v", got, want)
	}
	if !strings.HasSuffix(e.Detail.Raw, `<uid Droid="VIPER-1"/>`) {
		t.Errorf("xmlDetail not kept: %q", e.Detail.Raw)
	}
	// Re-encoding puts every part back in its dedicated field.
	if got, want := m.AppendProto(nil), []byte(atakPLI(false)); !bytes.Equal(got, want) {
		t.Errorf("re-encoded differently:\ngot  %x\nwant %x", got, want)
	}
}

func TestProtoDetailSplit(t *testing.T) {
	base := readSample(t, "atak_position.xml")
	e := mustParse(t, base)
	b := (&Message{Event: e}).AppendProto(nil)
	xml := protoXMLDetail(t, b)
	// contact has an extra phone attribute and so must stay XML, like the
	// uid element; everything else moves to its field.
	if !strings.Contains(xml, `phone="+33600000000"`) || !strings.Contains(xml, `<uid Droid="VIPER-1"/>`) {
		t.Errorf("xmlDetail = %q", xml)
	}
	for _, moved := range []string{"<takv", "<__group", "<track", "<status", "<precisionlocation"} {
		if strings.Contains(xml, moved) {
			t.Errorf("%s not moved to its field: %q", moved, xml)
		}
	}

	// Two elements of a name, or content, keep all of them in XML.
	e.Detail = Detail{Raw: `<track course="1" speed="2"/><track course="3" speed="4"/><status battery="5"><x/></status>`}
	e.Detail, _ = parseDetail(e.Detail.Raw)
	xml = protoXMLDetail(t, (&Message{Event: e}).AppendProto(nil))
	if xml != e.Detail.Raw {
		t.Errorf("xmlDetail = %q", xml)
	}
}

// protoXMLDetail digs the xmlDetail string out of an encoded TakMessage.
func protoXMLDetail(t *testing.T, b []byte) string {
	t.Helper()
	field := func(b []byte, want protowire.Number) []byte {
		for len(b) > 0 {
			num, typ, n := protowire.ConsumeTag(b)
			b = b[n:]
			n = protowire.ConsumeFieldValue(num, typ, b)
			if num == want {
				v, _ := protowire.ConsumeBytes(b)
				return v
			}
			b = b[n:]
		}
		return nil
	}
	return string(field(field(field(b, 2), 15), 1))
}

func TestProtoDuplicateTypedAndXML(t *testing.T) {
	// A sender that puts contact both in xmlDetail and in the field: the
	// XML copy wins, as the TAK specification says.
	b := pb(nil).msg(2, pb(nil).str(1, "t").str(5, "u").varint(6, 1).varint(7, 1).varint(8, 1).
		msg(15, pb(nil).str(1, `<contact callsign="xml"/>`).msg(2, pb(nil).str(2, "typed"))))
	m, err := DecodeProto(b)
	if err != nil {
		t.Fatal(err)
	}
	if m.Event.Detail.Contact.Callsign != "xml" || m.Event.Detail.Raw != `<contact callsign="xml"/>` {
		t.Errorf("detail = %+v", m.Event.Detail)
	}
}

func TestDecodeProtoErrors(t *testing.T) {
	okEvent := func() pb { return pb(nil).str(1, "t").str(5, "u").varint(6, 1).varint(7, 1).varint(8, 1) }
	tests := []struct {
		name string
		in   []byte
		kind ErrorKind
	}{
		{"truncated tag", []byte{0x12}, KindMalformed},
		{"length past end", []byte{0x12, 0x05, 0x0a}, KindMalformed},
		{"wrong wire type for event", pb(nil).varint(2, 1), KindMalformed},
		{"wrong wire type for uid", pb(nil).msg(2, okEvent().varint(5, 1)), KindMalformed},
		{"wrong wire type for lat", pb(nil).msg(2, okEvent().varint(10, 1)), KindMalformed},
		{"missing uid", pb(nil).msg(2, pb(nil).str(1, "t").varint(6, 1).varint(7, 1).varint(8, 1)), KindMissing},
		{"missing type", pb(nil).msg(2, pb(nil).str(5, "u").varint(6, 1).varint(7, 1).varint(8, 1)), KindMissing},
		{"missing stale", pb(nil).msg(2, pb(nil).str(1, "t").str(5, "u").varint(6, 1).varint(7, 1)), KindMissing},
		{"time after 9999", pb(nil).msg(2, okEvent().varint(6, math.MaxInt64)), KindBadValue},
		{"lat out of range", pb(nil).msg(2, okEvent().double(10, 91)), KindBadValue},
		{"NaN lon", pb(nil).msg(2, okEvent().double(11, math.NaN())), KindBadValue},
		{"invalid UTF-8", pb(nil).msg(2, okEvent().str(9, "\xff")), KindBadValue},
		{"control character", pb(nil).msg(2, okEvent().str(2, "a\x00")), KindBadValue},
		{"xmlDetail not XML", pb(nil).msg(2, okEvent().msg(15, pb(nil).str(1, "<a>"))), KindMalformed},
		{"xmlDetail escapes the event", pb(nil).msg(2, okEvent().msg(15, pb(nil).str(1, `</detail></event><event uid="x">`))), KindMalformed},
		{"bad typed field", pb(nil).msg(2, okEvent().msg(15, pb(nil).msg(5, pb(nil).str(1, "x")))), KindMalformed},
		{"bad control", pb(nil).msg(1, pb(nil).str(1, "x")), KindMalformed},
		{"bad unknown field", []byte{0xf8, 0x7f}, KindMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := DecodeProto(tt.in)
			var ce *Error
			if !errors.As(err, &ce) || ce.Kind != tt.kind {
				t.Errorf("DecodeProto = %+v, %v; want kind %v", m, err, tt.kind)
			}
		})
	}
}

func TestControlMessage(t *testing.T) {
	m := &Message{Control: &Control{MinProtoVersion: 1, MaxProtoVersion: 1, ContactUID: "ANDROID-1"}}
	got, err := DecodeProto(m.AppendProto(nil))
	if err != nil || !reflect.DeepEqual(got, m) {
		t.Errorf("got %+v, %v", got, err)
	}
	empty, err := DecodeProto(nil)
	if err != nil || empty.Control != nil || empty.Event != nil {
		t.Errorf("empty message: %+v, %v", empty, err)
	}
}

func TestLargeDetailLength(t *testing.T) {
	// Sub-messages of 128 bytes and more need a multi-byte length.
	for _, n := range []int{100, 127, 128, 200, 20000} {
		e := mustParse(t, readSample(t, "atak_position.xml"))
		e.Detail.Raw += "<big>" + strings.Repeat("x", n) + "</big>"
		b := AppendStreamMessage(nil, &Message{Event: e})
		sr := NewStreamReader(bytes.NewReader(b))
		m, err := sr.Decode()
		if err != nil {
			t.Fatalf("n=%d: %v", n, err)
		}
		if !strings.HasSuffix(m.Event.Detail.Raw, "x</big>") {
			t.Errorf("n=%d: raw %q", n, m.Event.Detail.Raw[len(m.Event.Detail.Raw)-20:])
		}
		if _, err := sr.Next(); err != io.EOF {
			t.Errorf("n=%d: after last frame: %v", n, err)
		}
	}
}

func TestStreamReader(t *testing.T) {
	pos := mustParse(t, readSample(t, "atak_position.xml"))
	var stream []byte
	stream = AppendStreamMessage(stream, &Message{Event: pos})
	stream = AppendStreamFrame(stream, nil) // empty TakMessage
	stream = AppendStreamFrame(stream, pb(nil).msg(1, pb(nil).varint(1, 1).varint(2, 1)))
	for _, r := range []io.Reader{bytes.NewReader(stream), iotest.OneByteReader(bytes.NewReader(stream))} {
		sr := NewStreamReader(r)
		var got []*Message
		for {
			m, err := sr.Decode()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, m)
		}
		if len(got) != 3 || got[0].Event.UID != pos.UID || got[1].Event != nil || got[2].Control.MaxProtoVersion != 1 {
			t.Errorf("got %+v", got)
		}
	}

	tests := []struct {
		name string
		in   []byte
		max  int
		kind ErrorKind
	}{
		{"bad magic", []byte("<event"), 0, KindMalformed},
		{"too large", AppendStreamFrame(nil, make([]byte, 2000)), 1000, KindTooLarge},
		{"huge length", []byte{0xbf, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f}, 0, KindTooLarge},
		{"overflowing length", []byte{0xbf, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02}, 0, KindMalformed},
		{"cut in header", []byte{0xbf, 0x80}, 0, KindTruncated},
		{"cut in payload", []byte{0xbf, 0x05, 0x0a}, 0, KindTruncated},
		{"bad payload", AppendStreamFrame(nil, []byte{0x12, 0x05}), 0, KindMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sr := NewStreamReader(bytes.NewReader(tt.in))
			if tt.max > 0 {
				sr.SetMaxMessageSize(tt.max)
			}
			_, err := sr.Decode()
			var ce *Error
			if !errors.As(err, &ce) || ce.Kind != tt.kind {
				t.Errorf("err = %v, want kind %v", err, tt.kind)
			}
			if _, err2 := sr.Next(); err2 != err {
				t.Errorf("error not sticky: %v, %v", err, err2)
			}
		})
	}
}

func TestMeshFrame(t *testing.T) {
	payload := (&Message{Control: &Control{MinProtoVersion: 1, MaxProtoVersion: 1}}).AppendProto(nil)
	b := AppendMeshFrame(nil, 1, payload)
	if !bytes.HasPrefix(b, []byte{0xbf, 0x01, 0xbf}) {
		t.Fatalf("header % x", b[:3])
	}
	v, p, err := ParseMeshFrame(b)
	if err != nil || v != 1 || !bytes.Equal(p, payload) {
		t.Errorf("ParseMeshFrame = %d, %x, %v", v, p, err)
	}
	xml := []byte("<?xml version='1.0'?><event/>")
	if v, p, err := ParseMeshFrame(xml); err != nil || v != 0 || !bytes.Equal(p, xml) {
		t.Errorf("legacy XML datagram: %d, %q, %v", v, p, err)
	}
	for _, bad := range [][]byte{{0xbf}, {0xbf, 0x01}, {0xbf, 0x01, 0x00}, {0xbf, 0x00, 0xbf}, {0xbf, 0xff}} {
		if _, _, err := ParseMeshFrame(bad); !errors.Is(err, ErrMalformed) {
			t.Errorf("ParseMeshFrame(% x) err = %v", bad, err)
		}
	}
}

func TestControlEvents(t *testing.T) {
	now := time.Date(2025, 3, 14, 9, 0, 0, 123456789, time.UTC)
	ping := mustParse(t, []byte(`<event version="2.0" uid="VIPER-1-ping" type="t-x-c-t" how="h-g-i-g-o" time="2025-03-14T09:00:00Z" start="2025-03-14T09:00:00Z" stale="2025-03-14T09:00:20Z"><point lat="0" lon="0" hae="0" ce="9999999" le="9999999"/><detail/></event>`))
	if !IsPing(ping) {
		t.Error("ping not detected")
	}
	pong := Pong(now)
	if pong.Type != "t-x-c-t-r" || IsPing(pong) || pong.Time != ms("2025-03-14T09:00:00.123Z") {
		t.Errorf("pong = %+v", pong)
	}

	offer := ProtocolOffer("neg-1", now, 1)
	if want := `<TakControl><TakProtocolSupport version="1"/></TakControl>`; offer.Detail.Raw != want {
		t.Errorf("offer detail %q", offer.Detail.Raw)
	}
	req := ProtocolRequest("neg-1", now, 1)
	resp := ProtocolResponse("neg-1", now, true)
	no := ProtocolResponse("neg-1", now, false)
	for _, e := range []*Event{pong, offer, req, resp, no} {
		if err := e.Validate(); err != nil {
			t.Errorf("%s: %v", e.Type, err)
		}
		// Control events must survive the wire like any other.
		e2 := mustParse(t, e.AppendXML(nil))
		if !reflect.DeepEqual(e2.Detail.Raw, e.Detail.Raw) || e2.Type != e.Type || e2.UID != e.UID {
			t.Errorf("%s changed on the wire: %+v", e.Type, e2)
		}
		*e = *e2
	}
	if vs := OfferedVersions(offer); !reflect.DeepEqual(vs, []uint64{1}) {
		t.Errorf("OfferedVersions = %v", vs)
	}
	if v, ok := RequestedVersion(req); !ok || v != 1 {
		t.Errorf("RequestedVersion = %d, %v", v, ok)
	}
	if a, ok := ResponseStatus(resp); !ok || !a {
		t.Errorf("ResponseStatus(true) = %v, %v", a, ok)
	}
	if a, ok := ResponseStatus(no); !ok || a {
		t.Errorf("ResponseStatus(false) = %v, %v", a, ok)
	}
	// What clients send, formatted their way.
	client := mustParse(t, []byte(`<event version='2.0' uid='neg-1' type='t-x-takp-q' time='2025-03-14T09:00:00Z' start='2025-03-14T09:00:00Z' stale='2025-03-14T09:01:00Z' how='m-g'>
  <point lat='0.0' lon='0.0' hae='0.0' ce='999999' le='999999'/>
  <detail>
    <TakControl>
      <TakRequest version="1"/>
    </TakControl>
  </detail>
</event>`))
	if v, ok := RequestedVersion(client); !ok || v != 1 {
		t.Errorf("client request: %d, %v", v, ok)
	}
	for _, raw := range []string{
		``, `<TakControl/>`, `<TakControl><TakRequest/></TakControl>`, `<TakControl><TakRequest version="x"/></TakControl>`,
		`<TakControl><TakRequest version="1"/><TakRequest version="1"/></TakControl>`, `<TakRequest version="1"/>`,
	} {
		client.Detail = Detail{Raw: raw}
		if v, ok := RequestedVersion(client); ok {
			t.Errorf("RequestedVersion(%q) = %d, true", raw, v)
		}
	}
	if _, ok := RequestedVersion(ping); ok {
		t.Error("ping taken for a request")
	}
}

func TestMarking(t *testing.T) {
	var e Event
	e.SetMarking(Marking{Access: "TLP:AMBER", Caveat: "TLP:AMBER+STRICT", ReleaseableTo: []string{" FRA", "", "UN,HCR", "MSF "}})
	if e.Access != "TLP:AMBER" || e.Caveat != "TLP:AMBER+STRICT" || e.ReleaseableTo != "FRA,UNHCR,MSF" {
		t.Errorf("event = %+v", e)
	}
	if m := e.Marking(); !reflect.DeepEqual(m.ReleaseableTo, []string{"FRA", "UNHCR", "MSF"}) {
		t.Errorf("Marking = %+v", m)
	}
	if got := SplitReleaseableTo(" , ,"); got != nil {
		t.Errorf("SplitReleaseableTo = %q", got)
	}
	e.SetMarking(Marking{})
	if e.Access != "" || e.ReleaseableTo != "" {
		t.Errorf("cleared = %+v", e)
	}
}

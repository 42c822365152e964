package cot

import (
	"math"
	"strconv"
	"strings"
	"time"

	"google.golang.org/protobuf/encoding/protowire"
)

// TAK protocol version 1 payload: one TakMessage, protobuf-encoded. The
// field numbers below are the interface (commoncommo's takmessage, takcontrol,
// cotevent, detail and the detail part messages, plus the two marking fields
// TAK Server adds to CotEvent); the code is written against protowire
// directly so opsroom carries no generated code.

// Message is a TakMessage: an optional TakControl and an optional CotEvent.
type Message struct {
	Control *Control
	Event   *Event
}

// Control is a TakControl: the protocol versions a mesh peer can decode.
type Control struct {
	MinProtoVersion uint32
	MaxProtoVersion uint32
	ContactUID      string
}

const (
	fMsgControl protowire.Number = 1
	fMsgEvent   protowire.Number = 2

	fCtlMin        protowire.Number = 1
	fCtlMax        protowire.Number = 2
	fCtlContactUID protowire.Number = 3

	fEvType          protowire.Number = 1
	fEvAccess        protowire.Number = 2
	fEvQoS           protowire.Number = 3
	fEvOpex          protowire.Number = 4
	fEvUID           protowire.Number = 5
	fEvSendTime      protowire.Number = 6
	fEvStartTime     protowire.Number = 7
	fEvStaleTime     protowire.Number = 8
	fEvHow           protowire.Number = 9
	fEvLat           protowire.Number = 10
	fEvLon           protowire.Number = 11
	fEvHae           protowire.Number = 12
	fEvCe            protowire.Number = 13
	fEvLe            protowire.Number = 14
	fEvDetail        protowire.Number = 15
	fEvCaveat        protowire.Number = 16
	fEvReleaseableTo protowire.Number = 17

	fDetXML       protowire.Number = 1
	fDetContact   protowire.Number = 2
	fDetGroup     protowire.Number = 3
	fDetPrecision protowire.Number = 4
	fDetStatus    protowire.Number = 5
	fDetTakv      protowire.Number = 6
	fDetTrack     protowire.Number = 7

	// Contact, Group, PrecisionLocation, Takv: strings in this order.
	fContactEndpoint = 1
	fContactCallsign = 2
	fTrackSpeed      = 1
	fTrackCourse     = 2
	fStatusBattery   = 1
)

// AppendProto appends the protobuf encoding of m (without any framing).
func (m *Message) AppendProto(dst []byte) []byte {
	if c := m.Control; c != nil {
		dst = appendSub(dst, fMsgControl, func(b []byte) []byte {
			b = appendVarintField(b, fCtlMin, uint64(c.MinProtoVersion))
			b = appendVarintField(b, fCtlMax, uint64(c.MaxProtoVersion))
			return appendStringField(b, fCtlContactUID, c.ContactUID)
		})
	}
	if e := m.Event; e != nil {
		dst = appendSub(dst, fMsgEvent, e.appendProto)
	}
	return dst
}

func (e *Event) appendProto(b []byte) []byte {
	b = appendStringField(b, fEvType, e.Type)
	b = appendStringField(b, fEvAccess, e.Access)
	b = appendStringField(b, fEvQoS, e.QoS)
	b = appendStringField(b, fEvOpex, e.Opex)
	b = appendStringField(b, fEvUID, e.UID)
	b = appendVarintField(b, fEvSendTime, uint64(e.Time.UnixMilli()))
	b = appendVarintField(b, fEvStartTime, uint64(e.Start.UnixMilli()))
	b = appendVarintField(b, fEvStaleTime, uint64(e.Stale.UnixMilli()))
	b = appendStringField(b, fEvHow, e.How)
	b = appendDoubleField(b, fEvLat, e.Point.Lat)
	b = appendDoubleField(b, fEvLon, e.Point.Lon)
	b = appendDoubleField(b, fEvHae, e.Point.Hae)
	b = appendDoubleField(b, fEvCe, e.Point.Ce)
	b = appendDoubleField(b, fEvLe, e.Point.Le)
	raw := e.Detail.Raw
	if raw == "" {
		raw = string(appendDetailInner(nil, &e.Detail))
	}
	if raw != "" {
		b = appendSub(b, fEvDetail, func(b []byte) []byte { return appendProtoDetail(b, raw) })
	}
	b = appendStringField(b, fEvCaveat, e.Caveat)
	return appendStringField(b, fEvReleaseableTo, e.ReleaseableTo)
}

// Elements that have a dedicated protobuf field, as bits.
const (
	elContact = 1 << iota
	elGroup
	elPrecision
	elStatus
	elTakv
	elTrack
)

func typedElement(name string) int {
	switch name {
	case "contact":
		return elContact
	case "__group":
		return elGroup
	case "precisionlocation":
		return elPrecision
	case "status":
		return elStatus
	case "takv":
		return elTakv
	case "track":
		return elTrack
	}
	return 0
}

// topElements calls fn for each direct child element of detail XML, with
// its start tag, the offset just past the element and whether it has no
// content. It stops at the first error, which parseDetail reports properly.
func topElements(raw string, fn func(tok *token, end int, empty bool)) {
	sc := scanner{s: raw}
	var open token
	depth := 0
	empty := true
	for {
		tok, err := sc.next()
		if err != nil || tok.kind == tokEOF {
			return
		}
		switch tok.kind {
		case tokStart:
			if depth == 0 {
				if tok.selfClose {
					fn(&tok, tok.end, true)
					continue
				}
				open, empty = tok, true
			} else {
				empty = false
			}
			if !tok.selfClose {
				depth++
			}
		case tokEnd:
			depth--
			if depth == 0 {
				fn(&open, tok.end, empty)
			}
			if depth < 0 {
				return
			}
		default:
			if depth > 0 {
				empty = false
			}
		}
	}
}

// appendProtoDetail splits detail XML the way TAK Server does: an element
// with a dedicated field moves into it only when it is the only one of its
// name, has no content and has exactly the attributes the field can carry;
// everything else stays, verbatim and in order, in xmlDetail. That rule is
// what makes the conversion lossless in both directions.
func appendProtoDetail(b []byte, raw string) []byte {
	var count [6]uint8
	topElements(raw, func(tok *token, _ int, _ bool) {
		if bit := typedElement(tok.name); bit != 0 {
			i := bitIndex(bit)
			count[i] = min(count[i]+1, 2)
		}
	})
	type cut struct{ start, end int }
	var cuts [6]cut
	ncuts := 0
	var typed [6][4]string // attribute values in field order
	moved := 0
	topElements(raw, func(tok *token, end int, empty bool) {
		bit := typedElement(tok.name)
		if bit == 0 || !empty || count[bitIndex(bit)] != 1 {
			return
		}
		vals, ok := exactAttrs(bit, tok.attrs)
		if !ok {
			return
		}
		typed[bitIndex(bit)] = vals
		moved |= bit
		cuts[ncuts] = cut{tok.start, end}
		ncuts++
	})
	xml := raw
	if ncuts > 0 {
		var sb strings.Builder
		sb.Grow(len(raw))
		last := 0
		for _, c := range cuts[:ncuts] {
			sb.WriteString(raw[last:c.start])
			last = c.end
		}
		sb.WriteString(raw[last:])
		xml = sb.String()
	}
	b = appendStringField(b, fDetXML, xml)
	for _, f := range [...]struct {
		bit int
		num protowire.Number
	}{
		{elContact, fDetContact}, {elGroup, fDetGroup}, {elPrecision, fDetPrecision},
		{elStatus, fDetStatus}, {elTakv, fDetTakv}, {elTrack, fDetTrack},
	} {
		if moved&f.bit == 0 {
			continue
		}
		v := typed[bitIndex(f.bit)]
		b = appendSub(b, f.num, func(b []byte) []byte {
			switch f.bit {
			case elStatus:
				n, _ := parseBattery(v[0])
				return appendVarintField(b, fStatusBattery, uint64(n))
			case elTrack:
				speed, _ := parseFloat(v[0])
				course, _ := parseFloat(v[1])
				b = appendDoubleField(b, fTrackSpeed, speed)
				return appendDoubleField(b, fTrackCourse, course)
			}
			for i, s := range v {
				b = appendStringField(b, protowire.Number(i+1), s)
			}
			return b
		})
	}
	return b
}

func bitIndex(bit int) int {
	i := 0
	for bit > 1 {
		bit >>= 1
		i++
	}
	return i
}

// exactAttrs returns the attribute values of a typed element in protobuf
// field order, and whether the element has exactly the attributes its field
// carries (contact's endpoint is optional).
func exactAttrs(bit int, attrs string) (vals [4]string, ok bool) {
	var names [4]string
	required := 0
	switch bit {
	case elContact:
		names, required = [4]string{"endpoint", "callsign"}, 0b10
	case elGroup:
		names, required = [4]string{"name", "role"}, 0b11
	case elPrecision:
		names, required = [4]string{"geopointsrc", "altsrc"}, 0b11
	case elStatus:
		names, required = [4]string{"battery"}, 0b1
	case elTakv:
		names, required = [4]string{"device", "platform", "os", "version"}, 0b1111
	case elTrack:
		names, required = [4]string{"speed", "course"}, 0b11
	}
	seen := 0
	ok = true
	eachAttr(attrs, func(name, val string) {
		for i, n := range names {
			if n != "" && n == name {
				vals[i] = val
				seen |= 1 << i
				return
			}
		}
		ok = false
	})
	if !ok || seen&required != required {
		return vals, false
	}
	switch bit {
	case elStatus:
		_, ok = parseBattery(vals[0])
	case elTrack:
		_, ok1 := parseFloat(vals[0])
		_, ok2 := parseFloat(vals[1])
		ok = ok1 && ok2
	}
	return vals, ok
}

// DecodeProto decodes a TAK protocol version 1 payload. Unknown fields are
// skipped, as the protocol's rules for extending version 1 require. The
// event, if any, is validated like a decoded XML event; its detail is
// rebuilt as XML from xmlDetail and the dedicated fields (when xmlDetail
// already holds an element of the same name, the dedicated field is
// ignored, as the TAK specification says). Protobuf has no CoT version, so
// the event's Version is DefaultVersion.
func DecodeProto(b []byte) (*Message, error) {
	m := &Message{}
	var pe *pbEvent
	r := fieldReader{msg: "TakMessage", src: string(b), b: b}
	for {
		num, typ, ok := r.next()
		if !ok {
			break
		}
		switch num {
		case fMsgControl, fMsgEvent:
			v := r.bytes(num, typ)
			if r.err != nil {
				return nil, r.err
			}
			var err error
			if num == fMsgControl {
				if m.Control == nil {
					m.Control = &Control{}
				}
				err = m.Control.decode(r.sub("TakControl", v))
			} else {
				if pe == nil {
					pe = &pbEvent{}
				}
				err = pe.decode(r.sub("CotEvent", v))
			}
			if err != nil {
				return nil, err
			}
		default:
			r.skip(num, typ)
		}
	}
	if r.err != nil {
		return nil, r.err
	}
	if pe != nil {
		e, err := pe.event()
		if err != nil {
			return nil, err
		}
		m.Event = e
	}
	return m, nil
}

func itoa(i int) string { return strconv.Itoa(i) }

func protoErr(msg string, n int) *Error {
	return malformed(msg + ": " + protowire.ParseError(n).Error())
}

// fieldReader walks the fields of one protobuf message, checking wire types
// against what the schema says so a confused peer is caught early.
//
// Strings are cut from src, one string copy of the whole payload made by
// DecodeProto, instead of each being its own allocation.
type fieldReader struct {
	msg string
	src string // the whole payload
	b   []byte // unread bytes of this message
	off int    // offset of b[0] in src
	err error
}

func (r *fieldReader) advance(n int) {
	r.b = r.b[n:]
	r.off += n
}

// sub returns a reader for a nested message of n bytes whose content v
// ends where the field consumed by advance(n) ends.
func (r *fieldReader) sub(msg string, v []byte) fieldReader {
	return fieldReader{msg: msg, src: r.src, b: v, off: r.off - len(v)}
}

func (r *fieldReader) next() (protowire.Number, protowire.Type, bool) {
	if r.err != nil || len(r.b) == 0 {
		return 0, 0, false
	}
	num, typ, n := protowire.ConsumeTag(r.b)
	if n < 0 {
		r.err = protoErr(r.msg, n)
		return 0, 0, false
	}
	r.advance(n)
	return num, typ, true
}

func (r *fieldReader) wrongType(num protowire.Number) {
	if r.err == nil {
		r.err = malformed(r.msg + ": wrong wire type for field " + itoa(int(num)))
	}
}

func (r *fieldReader) str(num protowire.Number, typ protowire.Type) string {
	if typ != protowire.BytesType {
		r.wrongType(num)
		return ""
	}
	v, n := protowire.ConsumeBytes(r.b)
	if n < 0 {
		r.err = protoErr(r.msg, n)
		return ""
	}
	r.advance(n)
	s := r.src[r.off-len(v) : r.off]
	if !validXMLText(s) {
		r.err = errf(KindBadValue, r.msg+": field "+itoa(int(num))+" is not UTF-8 text XML can carry")
	}
	return s
}

func (r *fieldReader) bytes(num protowire.Number, typ protowire.Type) []byte {
	if typ != protowire.BytesType {
		r.wrongType(num)
		return nil
	}
	v, n := protowire.ConsumeBytes(r.b)
	if n < 0 {
		r.err = protoErr(r.msg, n)
		return nil
	}
	r.advance(n)
	return v
}

func (r *fieldReader) varint(num protowire.Number, typ protowire.Type) uint64 {
	if typ != protowire.VarintType {
		r.wrongType(num)
		return 0
	}
	v, n := protowire.ConsumeVarint(r.b)
	if n < 0 {
		r.err = protoErr(r.msg, n)
		return 0
	}
	r.advance(n)
	return v
}

func (r *fieldReader) double(num protowire.Number, typ protowire.Type) float64 {
	if typ != protowire.Fixed64Type {
		r.wrongType(num)
		return 0
	}
	v, n := protowire.ConsumeFixed64(r.b)
	if n < 0 {
		r.err = protoErr(r.msg, n)
		return 0
	}
	r.advance(n)
	return math.Float64frombits(v)
}

func (r *fieldReader) skip(num protowire.Number, typ protowire.Type) {
	n := protowire.ConsumeFieldValue(num, typ, r.b)
	if n < 0 {
		r.err = protoErr(r.msg, n)
		return
	}
	r.advance(n)
}

func (c *Control) decode(r fieldReader) error {
	for {
		num, typ, ok := r.next()
		if !ok {
			return r.err
		}
		switch num {
		case fCtlMin:
			c.MinProtoVersion = uint32(r.varint(num, typ))
		case fCtlMax:
			c.MaxProtoVersion = uint32(r.varint(num, typ))
		case fCtlContactUID:
			c.ContactUID = r.str(num, typ)
		default:
			r.skip(num, typ)
		}
	}
}

// pbEvent is a CotEvent as received, before it is checked and turned into
// an Event.
type pbEvent struct {
	e                      Event
	sendMs, startMs, stale uint64
	xmlDetail              string
	contact                *Contact
	group                  *Group
	precision              *PrecisionLocation
	status                 *Status
	takv                   *Takv
	track                  *Track
}

func (p *pbEvent) decode(r fieldReader) error {
	e := &p.e
	for {
		num, typ, ok := r.next()
		if !ok {
			return r.err
		}
		switch num {
		case fEvType:
			e.Type = r.str(num, typ)
		case fEvAccess:
			e.Access = r.str(num, typ)
		case fEvQoS:
			e.QoS = r.str(num, typ)
		case fEvOpex:
			e.Opex = r.str(num, typ)
		case fEvUID:
			e.UID = r.str(num, typ)
		case fEvSendTime:
			p.sendMs = r.varint(num, typ)
		case fEvStartTime:
			p.startMs = r.varint(num, typ)
		case fEvStaleTime:
			p.stale = r.varint(num, typ)
		case fEvHow:
			e.How = r.str(num, typ)
		case fEvLat:
			e.Point.Lat = r.double(num, typ)
		case fEvLon:
			e.Point.Lon = r.double(num, typ)
		case fEvHae:
			e.Point.Hae = r.double(num, typ)
		case fEvCe:
			e.Point.Ce = r.double(num, typ)
		case fEvLe:
			e.Point.Le = r.double(num, typ)
		case fEvDetail:
			if v := r.bytes(num, typ); r.err == nil {
				r.err = p.decodeDetail(r.sub("Detail", v))
			}
		case fEvCaveat:
			e.Caveat = r.str(num, typ)
		case fEvReleaseableTo:
			e.ReleaseableTo = r.str(num, typ)
		default:
			r.skip(num, typ)
		}
	}
}

func (p *pbEvent) decodeDetail(r fieldReader) error {
	for {
		num, typ, ok := r.next()
		if !ok {
			return r.err
		}
		if num == fDetXML {
			p.xmlDetail = r.str(num, typ)
			continue
		}
		if num < fDetContact || num > fDetTrack {
			r.skip(num, typ)
			continue
		}
		v := r.bytes(num, typ)
		if r.err != nil {
			return r.err
		}
		// Sub-messages merge when repeated, as protobuf specifies.
		sr := r.sub("Detail part", v)
		var strs [4]*string
		switch num {
		case fDetContact:
			if p.contact == nil {
				p.contact = &Contact{}
			}
			strs = [4]*string{&p.contact.Endpoint, &p.contact.Callsign}
		case fDetGroup:
			if p.group == nil {
				p.group = &Group{}
			}
			strs = [4]*string{&p.group.Name, &p.group.Role}
		case fDetPrecision:
			if p.precision == nil {
				p.precision = &PrecisionLocation{}
			}
			strs = [4]*string{&p.precision.GeoPointSrc, &p.precision.AltSrc}
		case fDetTakv:
			if p.takv == nil {
				p.takv = &Takv{}
			}
			strs = [4]*string{&p.takv.Device, &p.takv.Platform, &p.takv.OS, &p.takv.Version}
		case fDetStatus:
			if p.status == nil {
				p.status = &Status{}
			}
		case fDetTrack:
			if p.track == nil {
				p.track = &Track{}
			}
		}
		for {
			fnum, ftyp, ok := sr.next()
			if !ok {
				break
			}
			switch {
			case num == fDetStatus && fnum == fStatusBattery:
				p.status.Battery = uint32(sr.varint(fnum, ftyp))
			case num == fDetTrack && fnum == fTrackSpeed:
				p.track.Speed = sr.double(fnum, ftyp)
			case num == fDetTrack && fnum == fTrackCourse:
				p.track.Course = sr.double(fnum, ftyp)
			case fnum >= 1 && fnum <= 4 && strs[fnum-1] != nil:
				*strs[fnum-1] = sr.str(fnum, ftyp)
			default:
				sr.skip(fnum, ftyp)
			}
		}
		if sr.err != nil {
			return sr.err
		}
	}
}

// event turns the received CotEvent into a validated Event.
func (p *pbEvent) event() (*Event, error) {
	e := &p.e
	e.Version = DefaultVersion
	for _, t := range [...]struct {
		name string
		ms   uint64
		dst  *time.Time
	}{{"sendTime", p.sendMs, &e.Time}, {"startTime", p.startMs, &e.Start}, {"staleTime", p.stale, &e.Stale}} {
		if t.ms == 0 {
			return nil, errf(KindMissing, "CotEvent "+t.name)
		}
		if t.ms > maxTimeMs {
			return nil, errf(KindBadValue, "CotEvent "+t.name+" out of range")
		}
		*t.dst = time.UnixMilli(int64(t.ms)).UTC()
	}
	if err := e.validateFields(); err != nil {
		return nil, err
	}
	var present int
	topElements(p.xmlDetail, func(tok *token, _ int, _ bool) { present |= typedElement(tok.name) })
	var buf []byte
	if p.contact != nil && present&elContact == 0 {
		buf = appendContact(buf, p.contact)
	}
	if p.group != nil && present&elGroup == 0 {
		buf = appendGroup(buf, p.group)
	}
	if p.precision != nil && present&elPrecision == 0 {
		buf = appendPrecisionLocation(buf, p.precision)
	}
	if p.status != nil && present&elStatus == 0 {
		buf = appendStatus(buf, p.status)
	}
	if p.takv != nil && present&elTakv == 0 {
		buf = appendTakv(buf, p.takv)
	}
	if p.track != nil && present&elTrack == 0 {
		buf = appendTrack(buf, p.track)
	}
	raw := p.xmlDetail
	if len(buf) > 0 {
		raw = string(append(buf, p.xmlDetail...))
	}
	if raw != "" {
		d, err := parseDetail(raw)
		if err != nil {
			if ce, ok := err.(*Error); ok {
				return nil, &Error{Kind: ce.Kind, Detail: "xmlDetail: " + ce.Detail}
			}
			return nil, err
		}
		e.Detail = d
	}
	return e, nil
}

func parseBattery(s string) (uint32, bool) {
	s = strings.TrimSpace(s)
	if s == "" || len(s) > 10 {
		return 0, false
	}
	var v uint64
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		v = v*10 + uint64(c-'0')
	}
	if v > math.MaxUint32 {
		return 0, false
	}
	return uint32(v), true
}

func appendStringField(b []byte, num protowire.Number, s string) []byte {
	if s == "" {
		return b
	}
	b = protowire.AppendTag(b, num, protowire.BytesType)
	return protowire.AppendString(b, s)
}

func appendVarintField(b []byte, num protowire.Number, v uint64) []byte {
	if v == 0 {
		return b
	}
	b = protowire.AppendTag(b, num, protowire.VarintType)
	return protowire.AppendVarint(b, v)
}

func appendDoubleField(b []byte, num protowire.Number, f float64) []byte {
	bits := math.Float64bits(f)
	if bits == 0 { // proto3 leaves out +0 but keeps -0
		return b
	}
	b = protowire.AppendTag(b, num, protowire.Fixed64Type)
	return protowire.AppendFixed64(b, bits)
}

// appendSub appends a length-delimited sub-message written by fn. Its
// length prefix reserves one byte for the length, the common case, and shifts the body
// only for sub-messages of 128 bytes or more, so no scratch buffer is needed.
func appendSub(b []byte, num protowire.Number, fn func([]byte) []byte) []byte {
	return appendLengthPrefixed(protowire.AppendTag(b, num, protowire.BytesType), fn)
}

// appendLengthPrefixed appends what fn writes preceded by its length as a
// varint.
func appendLengthPrefixed(b []byte, fn func([]byte) []byte) []byte {
	at := len(b)
	b = append(b, 0)
	b = fn(b)
	n := len(b) - at - 1
	if n < 0x80 {
		b[at] = byte(n)
		return b
	}
	extra := protowire.SizeVarint(uint64(n)) - 1
	b = append(b, make([]byte, extra)...)
	copy(b[at+1+extra:], b[at+1:at+1+n])
	protowire.AppendVarint(b[:at], uint64(n))
	return b
}

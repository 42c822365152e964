package cot

import (
	"math"
	"time"
	"unicode/utf8"
)

// Unknown is the CoT convention for a height or error that is not known.
const Unknown = 9999999.0

// DefaultVersion is the CoT schema version written when Event.Version is empty.
const DefaultVersion = "2.0"

// Event is one CoT event. The zero value is not valid: UID, Type, the three
// times and the point must be set (see Validate).
type Event struct {
	Version string // CoT schema version, normally "2.0"
	UID     string
	Type    string // CoT type, e.g. "a-f-G-U-C"
	How     string // how the position was obtained, e.g. "m-g"

	// Time is when the event was generated, Start when it becomes valid and
	// Stale when it stops being valid. All are UTC with millisecond
	// precision: that is what both encodings carry, so finer precision would
	// not survive a round trip and is dropped on decoding.
	Time  time.Time
	Start time.Time
	Stale time.Time

	// The security and handling attributes of the CoT event. opsroom puts a
	// TLP label in Access or Caveat and a comma-separated list of partner
	// codes in ReleaseableTo (see Marking); the codec just carries them.
	Access        string
	QoS           string
	Opex          string
	Caveat        string
	ReleaseableTo string

	Point  Point
	Detail Detail
}

// Point is the event's position: WGS84 degrees, height above ellipsoid in
// metres, circular and linear error in metres (Unknown when not known).
type Point struct {
	Lat, Lon float64
	Hae      float64
	Ce, Le   float64
}

// Detail is the content of the event's <detail> element.
//
// Raw is the inner XML exactly as received, and it is what the encoders
// write: extensions opsroom does not model survive the trip to other
// clients. The other fields are a parsed view of the well-known parts, filled
// by the decoders. When Raw is empty the encoders build the detail from the
// parsed fields instead, which is how opsroom creates events of its own. To
// change a decoded event's detail, edit Raw or clear it (losing the
// extensions) and set the fields.
type Detail struct {
	Raw string

	Contact           *Contact
	Group             *Group
	Track             *Track
	Status            *Status
	Takv              *Takv
	PrecisionLocation *PrecisionLocation
	Remarks           *Remarks
	Chat              *Chat
	// Links are the <link> children in document order. Drawings (u-d-f,
	// u-d-r, routes) give their vertices as links with a point.
	Links []Link
	// Ellipse is the <shape><ellipse/></shape> of a circle or ellipse drawing.
	Ellipse *Ellipse
	// Dest lists the <marti><dest/></marti> addressees: the event is meant
	// only for them.
	Dest []Dest
}

// Contact is <contact callsign endpoint>: the sender's display name and
// where it can be reached directly ("host:port:proto").
type Contact struct {
	Callsign string
	Endpoint string
}

// Group is <__group name role>: the team colour and role of a TAK user.
type Group struct {
	Name string
	Role string
}

// Track is <track course speed>: course in degrees true, speed in m/s.
type Track struct {
	Course float64
	Speed  float64
}

// Status is <status battery>: battery charge in percent.
type Status struct {
	Battery uint32
}

// Takv is <takv device platform os version>: the sending software.
type Takv struct {
	Device   string
	Platform string
	OS       string
	Version  string
}

// PrecisionLocation is <precisionlocation geopointsrc altsrc>: where the
// position and altitude came from (GPS, USER, DTED0, ...).
type PrecisionLocation struct {
	GeoPointSrc string
	AltSrc      string
}

// Remarks is <remarks source to time>text</remarks>: free text, the body of
// a chat message.
type Remarks struct {
	Text   string
	Source string
	To     string
}

// Chat is the basic <__chat> of a GeoChat message.
type Chat struct {
	ID             string // chat room or recipient uid
	Chatroom       string
	SenderCallsign string
	MessageID      string
	Parent         string
	// Message is the chat text. Decoders copy it from <remarks>; when the
	// detail is built from fields and Remarks is nil, it is written as the
	// remarks.
	Message string
}

// Link is a <link>: a relation to another event, or a vertex of a drawing.
type Link struct {
	UID      string
	Type     string
	Relation string
	// Point is the link's "lat,lon[,hae]" point, nil if absent or unusable.
	Point *Vertex
}

// Vertex is one point of a drawing. HasHae says whether a height was given.
type Vertex struct {
	Lat, Lon float64
	Hae      float64
	HasHae   bool
}

// Ellipse is a circle or ellipse centred on the event point: semi-axes in
// metres, angle in degrees.
type Ellipse struct {
	Major float64
	Minor float64
	Angle float64
}

// Dest is a <marti><dest/></marti> addressee.
type Dest struct {
	Callsign string
	UID      string
}

// Vertices returns the points of the event's links that carry one, in order:
// the outline of a u-d-f line or polygon, the corners of a u-d-r rectangle.
func (d *Detail) Vertices() []Vertex {
	var vs []Vertex
	for _, l := range d.Links {
		if l.Point != nil {
			vs = append(vs, *l.Point)
		}
	}
	return vs
}

// IsClosedShape reports whether the event's vertices describe a polygon
// rather than a line: rectangles always, free-form drawings when the last
// vertex repeats the first (which is how ATAK closes them).
func (e *Event) IsClosedShape() bool {
	vs := e.Detail.Vertices()
	if len(vs) < 3 {
		return false
	}
	if e.Type == "u-d-r" {
		return true
	}
	a, b := vs[0], vs[len(vs)-1]
	return a.Lat == b.Lat && a.Lon == b.Lon
}

// Validate reports whether e can be encoded and decoded again: the required
// fields are present, times and coordinates are in range, every string can
// be carried by XML, and Detail.Raw is well-formed. Everything the decoders
// return passes it; call it on events built or edited by hand before
// sending them.
func (e *Event) Validate() error {
	if err := e.validateFields(); err != nil {
		return err
	}
	if e.Detail.Raw != "" {
		if _, err := parseDetail(e.Detail.Raw); err != nil {
			return err
		}
	}
	return nil
}

// validateFields is Validate without the detail, which the decoders have
// already checked while parsing it.
func (e *Event) validateFields() error {
	if e.UID == "" {
		return errf(KindMissing, "event uid")
	}
	if e.Type == "" {
		return errf(KindMissing, "event type")
	}
	for _, f := range [...]struct {
		name string
		v    string
	}{
		{"version", e.Version}, {"uid", e.UID}, {"type", e.Type}, {"how", e.How},
		{"access", e.Access}, {"qos", e.QoS}, {"opex", e.Opex},
		{"caveat", e.Caveat}, {"releaseableTo", e.ReleaseableTo},
	} {
		if !validXMLText(f.v) {
			return errf(KindBadValue, "event "+f.name+": character not allowed in XML")
		}
	}
	for _, t := range [...]struct {
		name string
		v    time.Time
	}{{"time", e.Time}, {"start", e.Start}, {"stale", e.Stale}} {
		if t.v.IsZero() {
			return errf(KindMissing, "event "+t.name)
		}
		if ms := t.v.UnixMilli(); ms <= 0 || ms > maxTimeMs {
			return errf(KindBadValue, "event "+t.name+" out of range")
		}
	}
	p := e.Point
	if !finite(p.Lat) || p.Lat < -90 || p.Lat > 90 {
		return errf(KindBadValue, "point lat out of range")
	}
	if !finite(p.Lon) || p.Lon < -180 || p.Lon > 180 {
		return errf(KindBadValue, "point lon out of range")
	}
	if !finite(p.Hae) || !finite(p.Ce) || !finite(p.Le) {
		return errf(KindBadValue, "point hae/ce/le not a finite number")
	}
	return nil
}

// maxTimeMs is the last millisecond of year 9999, the largest time RFC 3339
// can write.
const maxTimeMs = 253402300799999

func finite(f float64) bool { return !math.IsNaN(f) && !math.IsInf(f, 0) }

// validXMLText reports whether s is UTF-8 made only of characters XML 1.0
// can carry. Control characters other than tab, newline and carriage return
// cannot be written even as character references, so such strings are
// refused rather than forwarded to clients whose parsers would choke.
func validXMLText(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 {
			if c != '\t' && c != '\n' && c != '\r' {
				return false
			}
			continue
		}
		if c >= utf8.RuneSelf {
			return validXMLTextSlow(s[i:])
		}
	}
	return true
}

func validXMLTextSlow(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if !isXMLChar(r) {
			return false
		}
	}
	return true
}

// isXMLChar is the Char production of XML 1.0.
func isXMLChar(r rune) bool {
	switch {
	case r < 0x20:
		return r == '\t' || r == '\n' || r == '\r'
	case r <= 0xD7FF:
		return true
	case r < 0xE000:
		return false
	case r <= 0xFFFD:
		return true
	default:
		return r >= 0x10000 && r <= 0x10FFFF
	}
}

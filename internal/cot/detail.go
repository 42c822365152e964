package cot

import (
	"strconv"
	"strings"
)

// parseDetail parses inner detail XML that did not arrive inside an event
// (the xmlDetail of a protobuf message, a Raw set by a caller), checking it
// is well-formed content that can be embedded in an event as is.
func parseDetail(raw string) (Detail, error) {
	var d Detail
	if err := checkChars(raw); err != nil {
		return d, err
	}
	sc := scanner{s: raw}
	err := parseDetailBody(&sc, &d, true)
	return d, err
}

// parseDetailBody reads the content of <detail> from sc up to and including
// its end tag (or to the end of input when untilEOF), filling d's parsed
// fields and d.Raw. The first occurrence of each singular element wins.
func parseDetailBody(sc *scanner, d *Detail, untilEOF bool) error {
	innerStart := sc.pos
	var stack [maxDepth]string
	depth := 0
	inRemarks := false // inside the first <remarks>, collecting its text
	for {
		tok, err := sc.next()
		if err != nil {
			return err
		}
		switch tok.kind {
		case tokEOF:
			if untilEOF && depth == 0 {
				d.Raw = sc.s[innerStart:]
				d.finish()
				return nil
			}
			if untilEOF {
				return malformed("unclosed <" + clip(stack[depth-1]) + "> in detail")
			}
			return malformed("unterminated <detail>")
		case tokStart:
			switch depth {
			case 0:
				if tok.name == "remarks" && d.Remarks == nil {
					d.Remarks = parseRemarksAttrs(tok.attrs)
					inRemarks = !tok.selfClose
				} else {
					d.topElement(&tok)
				}
			case 1:
				d.childElement(stack[0], &tok)
			}
			if !tok.selfClose {
				if depth == maxDepth {
					return malformed("elements nested too deep")
				}
				stack[depth] = tok.name
				depth++
			}
		case tokEnd:
			if depth == 0 {
				if untilEOF || tok.name != "detail" {
					return malformed("</" + clip(tok.name) + "> without a start tag in detail")
				}
				d.Raw = sc.s[innerStart:tok.start]
				d.finish()
				return nil
			}
			depth--
			if stack[depth] != tok.name {
				return malformed("</" + clip(tok.name) + "> closes <" + clip(stack[depth]) + ">")
			}
			if depth == 0 {
				inRemarks = false
			}
		case tokText:
			if inRemarks && depth == 1 {
				d.Remarks.Text += unescapeText(tok.text)
			}
		case tokCDATA:
			if inRemarks && depth == 1 {
				d.Remarks.Text += tok.text
			}
		}
	}
}

func (d *Detail) finish() {
	if d.Chat != nil && d.Remarks != nil {
		d.Chat.Message = d.Remarks.Text
	}
}

// eachAttr calls fn for every attribute of validated attribute text, with
// the value unescaped.
func eachAttr(a string, fn func(name, val string)) {
	for {
		name, raw, rest, ok := nextAttr(a)
		if !ok {
			return
		}
		a = rest
		fn(name, unescapeAttr(raw))
	}
}

func parseRemarksAttrs(a string) *Remarks {
	r := &Remarks{}
	eachAttr(a, func(name, val string) {
		switch name {
		case "source":
			r.Source = val
		case "to":
			r.To = val
		}
	})
	return r
}

// topElement fills the parsed view from a direct child of <detail>. Parts
// whose numbers do not parse are left nil: the element still travels in
// Raw, opsroom just does not interpret it.
func (d *Detail) topElement(tok *token) {
	switch tok.name {
	case "contact":
		if d.Contact == nil {
			c := &Contact{}
			eachAttr(tok.attrs, func(name, val string) {
				switch name {
				case "callsign":
					c.Callsign = val
				case "endpoint":
					c.Endpoint = val
				}
			})
			d.Contact = c
		}
	case "__group":
		if d.Group == nil {
			g := &Group{}
			eachAttr(tok.attrs, func(name, val string) {
				switch name {
				case "name":
					g.Name = val
				case "role":
					g.Role = val
				}
			})
			d.Group = g
		}
	case "track":
		if d.Track == nil {
			t := &Track{}
			ok := true
			eachAttr(tok.attrs, func(name, val string) {
				var f float64
				var good bool
				switch name {
				case "course":
					f, good = parseFloat(val)
					t.Course = f
				case "speed":
					f, good = parseFloat(val)
					t.Speed = f
				default:
					return
				}
				ok = ok && good
			})
			if ok {
				d.Track = t
			}
		}
	case "status":
		if d.Status == nil {
			eachAttr(tok.attrs, func(name, val string) {
				if name == "battery" {
					if b, err := strconv.ParseUint(strings.TrimSpace(val), 10, 32); err == nil {
						d.Status = &Status{Battery: uint32(b)}
					}
				}
			})
		}
	case "takv":
		if d.Takv == nil {
			t := &Takv{}
			eachAttr(tok.attrs, func(name, val string) {
				switch name {
				case "device":
					t.Device = val
				case "platform":
					t.Platform = val
				case "os":
					t.OS = val
				case "version":
					t.Version = val
				}
			})
			d.Takv = t
		}
	case "precisionlocation":
		if d.PrecisionLocation == nil {
			p := &PrecisionLocation{}
			eachAttr(tok.attrs, func(name, val string) {
				switch name {
				case "geopointsrc":
					p.GeoPointSrc = val
				case "altsrc":
					p.AltSrc = val
				}
			})
			d.PrecisionLocation = p
		}
	case "__chat":
		if d.Chat == nil {
			c := &Chat{}
			eachAttr(tok.attrs, func(name, val string) {
				switch name {
				case "id":
					c.ID = val
				case "chatroom":
					c.Chatroom = val
				case "senderCallsign":
					c.SenderCallsign = val
				case "messageId":
					c.MessageID = val
				case "parent":
					c.Parent = val
				}
			})
			d.Chat = c
		}
	case "link":
		var l Link
		eachAttr(tok.attrs, func(name, val string) {
			switch name {
			case "uid":
				l.UID = val
			case "type":
				l.Type = val
			case "relation":
				l.Relation = val
			case "point":
				l.Point = parseVertex(val)
			}
		})
		d.Links = append(d.Links, l)
	}
}

// childElement handles the grandchildren of <detail> opsroom models.
func (d *Detail) childElement(parent string, tok *token) {
	switch {
	case parent == "shape" && tok.name == "ellipse" && d.Ellipse == nil:
		el := &Ellipse{}
		ok := true
		eachAttr(tok.attrs, func(name, val string) {
			var dst *float64
			switch name {
			case "major":
				dst = &el.Major
			case "minor":
				dst = &el.Minor
			case "angle":
				dst = &el.Angle
			default:
				return
			}
			f, good := parseFloat(val)
			*dst, ok = f, ok && good
		})
		if ok {
			d.Ellipse = el
		}
	case parent == "marti" && tok.name == "dest":
		var dst Dest
		eachAttr(tok.attrs, func(name, val string) {
			switch name {
			case "callsign":
				dst.Callsign = val
			case "uid":
				dst.UID = val
			}
		})
		d.Dest = append(d.Dest, dst)
	}
}

// parseVertex reads a link point, "lat,lon" or "lat,lon,hae".
func parseVertex(s string) *Vertex {
	lat, rest, ok := strings.Cut(s, ",")
	if !ok {
		return nil
	}
	lon, hae, hasHae := strings.Cut(rest, ",")
	var v Vertex
	var good bool
	if v.Lat, good = parseFloat(lat); !good || v.Lat < -90 || v.Lat > 90 {
		return nil
	}
	if v.Lon, good = parseFloat(lon); !good || v.Lon < -180 || v.Lon > 180 {
		return nil
	}
	if hasHae {
		if v.Hae, good = parseFloat(hae); !good {
			return nil
		}
		v.HasHae = true
	}
	return &v
}

// appendDetailInner writes the inner XML of <detail>: Raw when set,
// otherwise the parsed fields.
func appendDetailInner(dst []byte, d *Detail) []byte {
	if d.Raw != "" {
		return append(dst, d.Raw...)
	}
	if d.Contact != nil {
		dst = appendContact(dst, d.Contact)
	}
	if d.Group != nil {
		dst = appendGroup(dst, d.Group)
	}
	if d.PrecisionLocation != nil {
		dst = appendPrecisionLocation(dst, d.PrecisionLocation)
	}
	if d.Status != nil {
		dst = appendStatus(dst, d.Status)
	}
	if d.Takv != nil {
		dst = appendTakv(dst, d.Takv)
	}
	if d.Track != nil {
		dst = appendTrack(dst, d.Track)
	}
	for i := range d.Links {
		l := &d.Links[i]
		dst = append(dst, "<link"...)
		dst = appendAttrNonEmpty(dst, "uid", l.UID)
		dst = appendAttrNonEmpty(dst, "type", l.Type)
		dst = appendAttrNonEmpty(dst, "relation", l.Relation)
		if p := l.Point; p != nil {
			dst = append(dst, ` point="`...)
			dst = appendFloat(dst, p.Lat)
			dst = append(dst, ',')
			dst = appendFloat(dst, p.Lon)
			if p.HasHae {
				dst = append(dst, ',')
				dst = appendFloat(dst, p.Hae)
			}
			dst = append(dst, '"')
		}
		dst = append(dst, "/>"...)
	}
	if el := d.Ellipse; el != nil {
		dst = append(dst, "<shape><ellipse"...)
		dst = appendFloatAttr(dst, "major", el.Major)
		dst = appendFloatAttr(dst, "minor", el.Minor)
		dst = appendFloatAttr(dst, "angle", el.Angle)
		dst = append(dst, "/></shape>"...)
	}
	if c := d.Chat; c != nil {
		dst = append(dst, "<__chat"...)
		dst = appendAttrNonEmpty(dst, "parent", c.Parent)
		dst = appendAttrNonEmpty(dst, "messageId", c.MessageID)
		dst = appendAttrNonEmpty(dst, "chatroom", c.Chatroom)
		dst = appendAttrNonEmpty(dst, "id", c.ID)
		dst = appendAttrNonEmpty(dst, "senderCallsign", c.SenderCallsign)
		dst = append(dst, "/>"...)
	}
	switch r := d.Remarks; {
	case r != nil:
		dst = append(dst, "<remarks"...)
		dst = appendAttrNonEmpty(dst, "source", r.Source)
		dst = appendAttrNonEmpty(dst, "to", r.To)
		if r.Text == "" {
			dst = append(dst, "/>"...)
		} else {
			dst = append(dst, '>')
			dst = appendEscapedText(dst, r.Text)
			dst = append(dst, "</remarks>"...)
		}
	case d.Chat != nil && d.Chat.Message != "":
		dst = append(dst, "<remarks>"...)
		dst = appendEscapedText(dst, d.Chat.Message)
		dst = append(dst, "</remarks>"...)
	}
	if len(d.Dest) > 0 {
		dst = append(dst, "<marti>"...)
		for _, m := range d.Dest {
			dst = append(dst, "<dest"...)
			dst = appendAttrNonEmpty(dst, "callsign", m.Callsign)
			dst = appendAttrNonEmpty(dst, "uid", m.UID)
			dst = append(dst, "/>"...)
		}
		dst = append(dst, "</marti>"...)
	}
	return dst
}

// The elements with a dedicated protobuf field are written by these, both
// when building a detail from fields and when rebuilding one from protobuf.

func appendContact(dst []byte, c *Contact) []byte {
	dst = append(dst, "<contact"...)
	dst = appendAttr(dst, "callsign", c.Callsign)
	dst = appendAttrNonEmpty(dst, "endpoint", c.Endpoint)
	return append(dst, "/>"...)
}

func appendGroup(dst []byte, g *Group) []byte {
	dst = append(dst, "<__group"...)
	dst = appendAttr(dst, "name", g.Name)
	dst = appendAttr(dst, "role", g.Role)
	return append(dst, "/>"...)
}

func appendPrecisionLocation(dst []byte, p *PrecisionLocation) []byte {
	dst = append(dst, "<precisionlocation"...)
	dst = appendAttr(dst, "geopointsrc", p.GeoPointSrc)
	dst = appendAttr(dst, "altsrc", p.AltSrc)
	return append(dst, "/>"...)
}

func appendStatus(dst []byte, s *Status) []byte {
	dst = append(dst, `<status battery="`...)
	dst = strconv.AppendUint(dst, uint64(s.Battery), 10)
	return append(dst, `"/>`...)
}

func appendTakv(dst []byte, t *Takv) []byte {
	dst = append(dst, "<takv"...)
	dst = appendAttr(dst, "device", t.Device)
	dst = appendAttr(dst, "platform", t.Platform)
	dst = appendAttr(dst, "os", t.OS)
	dst = appendAttr(dst, "version", t.Version)
	return append(dst, "/>"...)
}

func appendTrack(dst []byte, t *Track) []byte {
	dst = append(dst, "<track"...)
	dst = appendFloatAttr(dst, "course", t.Course)
	dst = appendFloatAttr(dst, "speed", t.Speed)
	return append(dst, "/>"...)
}

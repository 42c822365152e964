package cot

import (
	"strconv"
	"time"
	"unicode/utf8"
)

// XMLHeader is the declaration TAK software puts before each streamed XML
// event. Stream writers should send it before each event; AppendXML does not
// write it so the same bytes can be embedded elsewhere.
const XMLHeader = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>` + "\n"

// TimeLayout is the CoT time format: RFC 3339 in UTC with milliseconds.
const TimeLayout = "2006-01-02T15:04:05.000Z"

// AppendXML appends the event as one <event> element to dst. The detail is
// Detail.Raw verbatim when set (see Detail). Strings are escaped; characters
// XML cannot carry, which Validate refuses, are replaced by U+FFFD so the
// output is always well-formed.
func (e *Event) AppendXML(dst []byte) []byte {
	dst = append(dst, "<event"...)
	v := e.Version
	if v == "" {
		v = DefaultVersion
	}
	dst = appendAttr(dst, "version", v)
	dst = appendAttr(dst, "uid", e.UID)
	dst = appendAttr(dst, "type", e.Type)
	dst = appendAttrNonEmpty(dst, "how", e.How)
	dst = appendTimeAttr(dst, "time", e.Time)
	dst = appendTimeAttr(dst, "start", e.Start)
	dst = appendTimeAttr(dst, "stale", e.Stale)
	dst = appendAttrNonEmpty(dst, "access", e.Access)
	dst = appendAttrNonEmpty(dst, "qos", e.QoS)
	dst = appendAttrNonEmpty(dst, "opex", e.Opex)
	dst = appendAttrNonEmpty(dst, "caveat", e.Caveat)
	dst = appendAttrNonEmpty(dst, "releaseableTo", e.ReleaseableTo)
	dst = append(dst, "><point"...)
	dst = appendFloatAttr(dst, "lat", e.Point.Lat)
	dst = appendFloatAttr(dst, "lon", e.Point.Lon)
	dst = appendFloatAttr(dst, "hae", e.Point.Hae)
	dst = appendFloatAttr(dst, "ce", e.Point.Ce)
	dst = appendFloatAttr(dst, "le", e.Point.Le)
	dst = append(dst, "/>"...)
	n := len(dst)
	dst = append(dst, "<detail>"...)
	if dst2 := appendDetailInner(dst, &e.Detail); len(dst2) > len(dst) {
		dst = append(dst2, "</detail>"...)
	} else {
		dst = append(dst[:n], "<detail/>"...)
	}
	return append(dst, "</event>"...)
}

// MarshalText implements encoding.TextMarshaler with AppendXML, so events
// print readably in logs and tests.
func (e *Event) MarshalText() ([]byte, error) { return e.AppendXML(nil), nil }

func appendTimeAttr(dst []byte, name string, t time.Time) []byte {
	dst = append(dst, ' ')
	dst = append(dst, name...)
	dst = append(dst, `="`...)
	dst = t.UTC().AppendFormat(dst, TimeLayout)
	return append(dst, '"')
}

func appendFloat(dst []byte, f float64) []byte {
	// Shortest representation that parses back to the same float64.
	return strconv.AppendFloat(dst, f, 'f', -1, 64)
}

func appendFloatAttr(dst []byte, name string, f float64) []byte {
	dst = append(dst, ' ')
	dst = append(dst, name...)
	dst = append(dst, `="`...)
	dst = appendFloat(dst, f)
	return append(dst, '"')
}

func appendAttrNonEmpty(dst []byte, name, val string) []byte {
	if val == "" {
		return dst
	}
	return appendAttr(dst, name, val)
}

func appendAttr(dst []byte, name, val string) []byte {
	dst = append(dst, ' ')
	dst = append(dst, name...)
	dst = append(dst, `="`...)
	dst = appendEscaped(dst, val, true)
	return append(dst, '"')
}

func appendEscapedText(dst []byte, s string) []byte { return appendEscaped(dst, s, false) }

// appendEscaped escapes s for an attribute value (quoted with ") or
// character data. Tab, newline and carriage return are written as character
// references where a parser would otherwise normalize them away.
func appendEscaped(dst []byte, s string, attr bool) []byte {
	last := 0
	for i := 0; i < len(s); {
		c := s[i]
		var esc string
		width := 1
		switch {
		case c == '&':
			esc = "&amp;"
		case c == '<':
			esc = "&lt;"
		case c == '>':
			esc = "&gt;"
		case c == '"' && attr:
			esc = "&quot;"
		case c == '\r':
			esc = "&#13;"
		case c == '\n' && attr:
			esc = "&#10;"
		case c == '\t' && attr:
			esc = "&#9;"
		case c < 0x20 && c != '\n' && c != '\t':
			esc = "\uFFFD"
		case c >= utf8.RuneSelf:
			r, w := utf8.DecodeRuneInString(s[i:])
			width = w
			if (r == utf8.RuneError && w == 1) || !isXMLChar(r) {
				esc = "\uFFFD"
			}
		}
		if esc == "" {
			i += width
			continue
		}
		dst = append(dst, s[last:i]...)
		dst = append(dst, esc...)
		i += width
		last = i
	}
	return append(dst, s[last:]...)
}

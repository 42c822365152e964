package cot

import (
	"strconv"
	"time"
)

// CoT types of the control events a TAK server exchanges with clients.
const (
	TypePing             = "t-x-c-t"    // client keep-alive
	TypePong             = "t-x-c-t-r"  // server's answer to a ping
	TypeProtocolOffer    = "t-x-takp-v" // server: protocol versions supported
	TypeProtocolRequest  = "t-x-takp-q" // client: switch to this version
	TypeProtocolResponse = "t-x-takp-r" // server: accepted or refused
)

// PongUID is the uid TAK servers give their pongs.
const PongUID = "takPong"

// controlEvent builds the shape every control event shares: the point at
// 0,0 with unknown errors, as the TAK protocol description shows them.
func controlEvent(uid, typ, how string, now time.Time, ttl time.Duration, detail string) *Event {
	now = time.UnixMilli(now.UnixMilli()).UTC()
	return &Event{
		Version: DefaultVersion,
		UID:     uid,
		Type:    typ,
		How:     how,
		Time:    now,
		Start:   now,
		Stale:   now.Add(ttl),
		Point:   Point{Ce: Unknown, Le: Unknown},
		Detail:  Detail{Raw: detail},
	}
}

// IsPing reports whether e is a client's keep-alive ping.
func IsPing(e *Event) bool { return e.Type == TypePing }

// Pong returns the reply to a ping.
func Pong(now time.Time) *Event {
	return controlEvent(PongUID, TypePong, "h-g-i-g-o", now, 20*time.Second, "")
}

// negotiationTTL is how long negotiation events stay valid: the protocol
// has each side wait at least a minute for the other.
const negotiationTTL = time.Minute

// ProtocolOffer returns the server's t-x-takp-v event announcing the TAK
// protocol versions it supports. uid names the negotiation; the client's
// request and the server's response reuse it.
func ProtocolOffer(uid string, now time.Time, versions ...uint64) *Event {
	b := []byte("<TakControl>")
	for _, v := range versions {
		b = append(b, `<TakProtocolSupport version="`...)
		b = strconv.AppendUint(b, v, 10)
		b = append(b, `"/>`...)
	}
	b = append(b, "</TakControl>"...)
	return controlEvent(uid, TypeProtocolOffer, "m-g", now, negotiationTTL, string(b))
}

// ProtocolRequest returns a client's t-x-takp-q event asking to switch to
// version. opsroom only needs it to test the server side.
func ProtocolRequest(uid string, now time.Time, version uint64) *Event {
	b := strconv.AppendUint([]byte(`<TakControl><TakRequest version="`), version, 10)
	b = append(b, `"/></TakControl>`...)
	return controlEvent(uid, TypeProtocolRequest, "m-g", now, negotiationTTL, string(b))
}

// ProtocolResponse returns the server's t-x-takp-r answer to a request.
// After an accepted response the server sends only protobuf frames.
func ProtocolResponse(uid string, now time.Time, accepted bool) *Event {
	detail := `<TakControl><TakResponse status="false"/></TakControl>`
	if accepted {
		detail = `<TakControl><TakResponse status="true"/></TakControl>`
	}
	return controlEvent(uid, TypeProtocolResponse, "m-g", now, negotiationTTL, detail)
}

// OfferedVersions returns the versions in a t-x-takp-v event, nil for any
// other event.
func OfferedVersions(e *Event) []uint64 {
	if e.Type != TypeProtocolOffer {
		return nil
	}
	var vs []uint64
	controlChildren(e.Detail.Raw, "TakProtocolSupport", "version", func(v string) {
		if n, err := strconv.ParseUint(v, 10, 64); err == nil {
			vs = append(vs, n)
		}
	})
	return vs
}

// RequestedVersion returns the version a t-x-takp-q event asks for; ok is
// false for other events and for requests without exactly one usable
// TakRequest.
func RequestedVersion(e *Event) (version uint64, ok bool) {
	if e.Type != TypeProtocolRequest {
		return 0, false
	}
	n := 0
	controlChildren(e.Detail.Raw, "TakRequest", "version", func(v string) {
		n++
		version, ok = parseVersion(v)
	})
	if n != 1 {
		return 0, false
	}
	return version, ok
}

// ResponseStatus returns whether a t-x-takp-r event accepts the request; ok
// is false for other events and malformed responses.
func ResponseStatus(e *Event) (accepted, ok bool) {
	if e.Type != TypeProtocolResponse {
		return false, false
	}
	n := 0
	controlChildren(e.Detail.Raw, "TakResponse", "status", func(v string) {
		n++
		b, err := strconv.ParseBool(v)
		accepted, ok = b, err == nil
	})
	if n != 1 {
		return false, false
	}
	return accepted, ok
}

func parseVersion(v string) (uint64, bool) {
	n, err := strconv.ParseUint(v, 10, 64)
	return n, err == nil
}

// controlChildren calls fn with the attribute attr of every <child> inside
// a top-level <TakControl> of detail XML.
func controlChildren(raw, child, attr string, fn func(string)) {
	sc := scanner{s: raw}
	depth := 0
	inControl := false
	for {
		tok, err := sc.next()
		if err != nil || tok.kind == tokEOF {
			return
		}
		switch tok.kind {
		case tokStart:
			if depth == 0 && tok.name == "TakControl" {
				inControl = true
			}
			if depth == 1 && inControl && tok.name == child {
				found := false
				eachAttr(tok.attrs, func(name, val string) {
					if name == attr {
						found = true
						fn(val)
					}
				})
				if !found {
					fn("")
				}
			}
			if !tok.selfClose {
				depth++
			}
		case tokEnd:
			depth--
			if depth == 0 {
				inControl = false
			}
		}
	}
}

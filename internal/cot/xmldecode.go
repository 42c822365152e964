package cot

import (
	"bytes"
	"io"
	"strconv"
	"strings"
	"time"
)

// Parse decodes one XML event, optionally preceded by an XML declaration.
// The result shares no memory with b.
func Parse(b []byte) (*Event, error) {
	// One copy of the whole event; every string in the result (attribute
	// values, Detail.Raw) is then a substring of it rather than its own
	// allocation.
	return parseEvent(string(b))
}

func parseEvent(s string) (*Event, error) {
	if err := checkChars(s); err != nil {
		return nil, err
	}
	sc := scanner{s: s, allowDecl: true}
	var tok token
	var err error
prolog:
	for {
		if tok, err = sc.next(); err != nil {
			return nil, err
		}
		switch tok.kind {
		case tokStart:
			break prolog
		case tokText:
			if !allSpace(tok.text) {
				return nil, malformed("text before <event>")
			}
		case tokOther:
		case tokEOF:
			return nil, errf(KindMissing, "no <event> element")
		default:
			return nil, malformed("content before <event>")
		}
	}
	sc.allowDecl = false
	if tok.name != "event" {
		return nil, malformed("root element <" + clip(tok.name) + ">, want <event>")
	}
	e := &Event{}
	if err := parseEventAttrs(e, tok.attrs); err != nil {
		return nil, err
	}
	havePoint, haveDetail := false, false
	if !tok.selfClose {
		var stack [maxDepth]string
		depth := 0
	body:
		for {
			if tok, err = sc.next(); err != nil {
				return nil, err
			}
			switch tok.kind {
			case tokEOF:
				return nil, malformed("unterminated <event>")
			case tokStart:
				if depth == 0 {
					switch tok.name {
					case "point":
						if havePoint {
							return nil, malformed("more than one <point>")
						}
						havePoint = true
						if err := parsePoint(&e.Point, tok.attrs); err != nil {
							return nil, err
						}
					case "detail":
						if haveDetail {
							return nil, malformed("more than one <detail>")
						}
						haveDetail = true
						if !tok.selfClose {
							if err := parseDetailBody(&sc, &e.Detail, false); err != nil {
								return nil, err
							}
						}
						continue
					}
				}
				if !tok.selfClose {
					if depth == maxDepth {
						return nil, malformed("elements nested too deep")
					}
					stack[depth] = tok.name
					depth++
				}
			case tokEnd:
				if depth == 0 {
					if tok.name != "event" {
						return nil, malformed("</" + clip(tok.name) + "> closes <event>")
					}
					break body
				}
				depth--
				if stack[depth] != tok.name {
					return nil, malformed("</" + clip(tok.name) + "> closes <" + clip(stack[depth]) + ">")
				}
			}
			// Text, CDATA, comments and unknown elements directly in <event>
			// are not part of the CoT model and are dropped.
		}
	}
	for {
		if tok, err = sc.next(); err != nil {
			return nil, err
		}
		if tok.kind == tokEOF {
			break
		}
		if tok.kind == tokOther || tok.kind == tokText && allSpace(tok.text) {
			continue
		}
		return nil, malformed("content after </event>")
	}
	if !havePoint {
		// Tolerated so a self-closing <event/> is usable: the position is
		// then unknown, which CoT writes as 0,0 with unknown errors.
		e.Point = Point{Hae: Unknown, Ce: Unknown, Le: Unknown}
	}
	if e.Version == "" {
		// Filled in so the event reads the same after re-encoding.
		e.Version = DefaultVersion
	}
	if err := e.validateFields(); err != nil {
		return nil, err
	}
	return e, nil
}

func parseEventAttrs(e *Event, a string) error {
	var haveTime, haveStart, haveStale bool
	var releasable string
	for {
		name, raw, rest, ok := nextAttr(a)
		if !ok {
			break
		}
		a = rest
		v := unescapeAttr(raw)
		var err error
		switch name {
		case "version":
			e.Version = v
		case "uid":
			e.UID = v
		case "type":
			e.Type = v
		case "how":
			e.How = v
		case "time":
			e.Time, err = parseTime(name, v)
			haveTime = true
		case "start":
			e.Start, err = parseTime(name, v)
			haveStart = true
		case "stale":
			e.Stale, err = parseTime(name, v)
			haveStale = true
		case "access":
			e.Access = v
		case "qos":
			e.QoS = v
		case "opex":
			e.Opex = v
		case "caveat":
			e.Caveat = v
		case "releaseableTo":
			e.ReleaseableTo = v
		case "releasableTo":
			// The correctly spelled variant some software writes; the
			// TAK spelling wins when both are present.
			releasable = v
		}
		if err != nil {
			return err
		}
	}
	if e.ReleaseableTo == "" {
		e.ReleaseableTo = releasable
	}
	switch {
	case e.UID == "":
		return errf(KindMissing, "event uid")
	case e.Type == "":
		return errf(KindMissing, "event type")
	case !haveTime:
		return errf(KindMissing, "event time")
	case !haveStart:
		return errf(KindMissing, "event start")
	case !haveStale:
		return errf(KindMissing, "event stale")
	}
	return nil
}

// parseTime reads a CoT time (RFC 3339; TAK writes milliseconds and "Z")
// and truncates it to the millisecond both encodings carry.
func parseTime(name, v string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339Nano, v)
	if err != nil {
		return time.Time{}, errf(KindBadValue, "event "+name+" "+strconv.Quote(clip(v))+" is not an RFC 3339 time")
	}
	return time.UnixMilli(t.UnixMilli()).UTC(), nil
}

// parseFloat parses a decimal attribute, refusing NaN and infinities, which
// no CoT field can mean and which would poison comparisons downstream.
func parseFloat(v string) (float64, bool) {
	v = strings.TrimSpace(v)
	f, err := strconv.ParseFloat(v, 64)
	if err != nil || !finite(f) {
		return 0, false
	}
	return f, true
}

func parsePoint(p *Point, a string) error {
	var haveLat, haveLon bool
	p.Hae, p.Ce, p.Le = Unknown, Unknown, Unknown
	for {
		name, raw, rest, ok := nextAttr(a)
		if !ok {
			break
		}
		a = rest
		var dst *float64
		switch name {
		case "lat":
			dst, haveLat = &p.Lat, true
		case "lon":
			dst, haveLon = &p.Lon, true
		case "hae":
			dst = &p.Hae
		case "ce":
			dst = &p.Ce
		case "le":
			dst = &p.Le
		default:
			continue
		}
		f, ok := parseFloat(unescapeAttr(raw))
		if !ok {
			return errf(KindBadValue, "point "+name+" "+strconv.Quote(clip(raw))+" is not a number")
		}
		*dst = f
	}
	if !haveLat {
		return errf(KindMissing, "point lat")
	}
	if !haveLon {
		return errf(KindMissing, "point lon")
	}
	return nil
}

// DefaultMaxEventSize is the Decoder's default limit on one event, prolog
// included. ATAK position reports are under 1 KiB; large drawings and
// mission packages references stay well below this.
const DefaultMaxEventSize = 64 << 10

// Decoder reads XML events streamed back to back, as TAK clients send them
// before (or instead of) negotiating the protobuf protocol: each optionally
// preceded by an XML declaration, with any white space between them.
//
// Events are framed by looking for "</event>" (or a self-closing <event/>),
// as TAK servers do, and only then parsed; memory use is bounded by the
// maximum event size. After any error the Decoder is finished: Decode keeps
// returning the same error, and the caller is expected to close the
// connection.
type Decoder struct {
	r     io.Reader
	buf   []byte
	start int // first unconsumed byte of buf
	end   int // end of valid data in buf
	max   int
	rerr  error // deferred read error, reported once buffered data is used
	err   error // sticky decoding error
	busy  bool  // the last read filled the buffer
}

// The read buffer's first size, and the size up to which it grows while
// reads fill it.
const (
	minReadBuf  = 512
	busyReadBuf = 16 << 10
)

// NewDecoder returns a Decoder reading from r with DefaultMaxEventSize.
func NewDecoder(r io.Reader) *Decoder {
	return &Decoder{r: r, max: DefaultMaxEventSize}
}

// SetMaxEventSize sets the largest event the Decoder accepts, in bytes,
// including any XML declaration before it. Values below 1 KiB are raised to
// 1 KiB.
func (d *Decoder) SetMaxEventSize(n int) {
	d.max = max(n, 1<<10)
}

// Buffered returns the data read from the underlying reader but not yet
// decoded. A listener switching to the protobuf protocol after negotiation
// must read these bytes first.
func (d *Decoder) Buffered() io.Reader {
	return bytes.NewReader(d.buf[d.start:d.end])
}

// Decode returns the next event. It returns io.EOF when the stream ends
// cleanly between events, a *Error for bad input (KindTruncated if the
// stream ends inside an event), and read errors from the underlying reader
// as they are.
func (d *Decoder) Decode() (*Event, error) {
	if d.err != nil {
		return nil, d.err
	}
	frame, err := d.nextFrame()
	if err != nil {
		d.err = err
		return nil, err
	}
	e, err := parseEvent(frame)
	if err != nil {
		d.err = err
		return nil, err
	}
	return e, nil
}

// frameState is where the framing scan of a partly received event stopped,
// so that each read only scans new bytes: rescanning from the start would
// make a peer sending one byte at a time cost quadratic time.
type frameState struct {
	phase int  // 0: skipping prolog, 1: in <event start tag, 2: in body
	quote byte // open quote inside the start tag
	i     int  // scan position relative to the frame start
	begin int  // offset of "<event" relative to d.start
}

func (d *Decoder) nextFrame() (string, error) {
	var st frameState
	for {
		data := d.buf[d.start:d.end]
		n, err := scanFrame(data, &st)
		if err != nil {
			return "", err
		}
		if n > d.max {
			return "", errf(KindTooLarge, "event over "+strconv.Itoa(d.max)+" bytes")
		}
		if n > 0 {
			frame := string(data[st.begin:n])
			d.start += n
			return frame, nil
		}
		if st.phase == 0 && st.i > 0 {
			// Consume white space and declarations already skipped so a
			// chatty keep-alive stream never accumulates.
			d.start += st.i
			st.i = 0
		}
		if d.end-d.start >= d.max {
			return "", errf(KindTooLarge, "event over "+strconv.Itoa(d.max)+" bytes")
		}
		if d.rerr != nil {
			err := d.rerr
			if err == io.EOF {
				if d.end == d.start {
					return "", io.EOF
				}
				return "", errf(KindTruncated, "stream ended inside an event")
			}
			return "", err
		}
		d.fill()
	}
}

// fill reads more data, compacting or growing the buffer as needed but
// never beyond the event size limit plus one read's worth.
func (d *Decoder) fill() {
	if d.start > 0 && (d.start == d.end || d.end == len(d.buf)) {
		d.end = copy(d.buf, d.buf[d.start:d.end])
		d.start = 0
	}
	// The buffer starts small, so that a connection that only pings costs
	// little, and doubles when an event does not fit or when a read fills
	// it (more is waiting: a busy sender is read in large gulps).
	if grow := min(max(2*len(d.buf), minReadBuf), d.max+1); d.end == len(d.buf) || (d.busy && grow > len(d.buf) && len(d.buf) < busyReadBuf) {
		nb := make([]byte, grow)
		copy(nb, d.buf[d.start:d.end])
		d.end -= d.start
		d.start = 0
		d.buf = nb
	}
	for range 100 {
		n, err := d.r.Read(d.buf[d.end:])
		d.busy = n > 0 && d.end+n == len(d.buf)
		d.end += n
		if err != nil {
			d.rerr = err
			return
		}
		if n > 0 {
			return
		}
	}
	d.rerr = io.ErrNoProgress
}

var endEvent = []byte("</event")

// scanFrame looks for one complete event at the start of b. It returns the
// end offset of the event (and st.begin its start), or 0 if more data is
// needed.
func scanFrame(b []byte, st *frameState) (int, error) {
	for st.phase == 0 {
		i := st.i
		for i < len(b) && isSpace(b[i]) {
			i++
		}
		st.i = i
		if i == len(b) {
			return 0, nil
		}
		rest := b[i:]
		switch {
		case bytes.HasPrefix(rest, []byte("<?")):
			j := bytes.Index(rest, []byte("?>"))
			if j < 0 {
				return 0, nil
			}
			st.i = i + j + 2
		case bytes.HasPrefix(rest, []byte("<!--")):
			j := bytes.Index(rest[4:], []byte("-->"))
			if j < 0 {
				return 0, nil
			}
			st.i = i + 4 + j + 3
		case len(rest) > 6 && bytes.HasPrefix(rest, []byte("<event")):
			if c := rest[6]; !isSpace(c) && c != '>' && c != '/' {
				return 0, malformed("expected <event>")
			}
			st.phase, st.begin, st.i = 1, i, i+6
		case bytes.HasPrefix([]byte("<event"), rest), bytes.HasPrefix([]byte("<!--"), rest):
			return 0, nil // too short to tell yet
		default:
			return 0, malformed("expected <event>")
		}
	}
	if st.phase == 1 {
		for ; st.i < len(b); st.i++ {
			c := b[st.i]
			switch {
			case st.quote != 0:
				if c == st.quote {
					st.quote = 0
				}
			case c == '"' || c == '\'':
				st.quote = c
			case c == '>':
				if b[st.i-1] == '/' {
					return st.i + 1, nil
				}
				st.phase = 2
				st.i++
				goto body
			}
		}
		return 0, nil
	}
body:
	for {
		j := bytes.Index(b[st.i:], endEvent)
		if j < 0 {
			// Keep the tail that could be the start of "</event".
			st.i = max(st.i, len(b)-len(endEvent)+1)
			return 0, nil
		}
		k := st.i + j + len(endEvent)
		for k < len(b) && isSpace(b[k]) {
			k++
		}
		if k == len(b) {
			st.i += j // wait for the rest of the end tag
			return 0, nil
		}
		if b[k] == '>' {
			return k + 1, nil
		}
		st.i += j + 1 // "</events" or similar: not the end
	}
}

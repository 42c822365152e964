package httpapi

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/opsroom/opsroom/internal/connlimit"
	"github.com/opsroom/opsroom/internal/live"
	"github.com/opsroom/opsroom/internal/store"
)

// StreamConfig tunes the live stream. Zero fields take the defaults.
type StreamConfig struct {
	// Queue is each subscriber's queue, in changes (default 4096, a
	// pointer each). It must hold the largest burst published within
	// FlushDelay (a batch of TAK positions is one burst). A subscriber
	// whose queue fills is sent "lagged" and disconnected.
	Queue int
	// Heartbeat is how often a comment line is sent so that proxies keep
	// the connection open (default 15 s).
	Heartbeat time.Duration
	// Idle ends a stream that delivered no change for this long (default
	// 10 min); the client reconnects with Last-Event-ID.
	Idle time.Duration
	// MaxLifetime ends every stream after this long (default 1 h), so
	// that a client's rights are checked afresh when it reconnects.
	MaxLifetime time.Duration
	// WriteTimeout bounds each write to the client (default 10 s).
	WriteTimeout time.Duration
	// FlushDelay gathers the changes that arrive within it into one
	// write (default 20 ms): at a thousand changes a second this turns a
	// thousand writes per subscriber into about fifty, and it is the floor
	// of the delivery latency docs/bench/live.md reports.
	FlushDelay time.Duration
	// Retry is the reconnection delay suggested to clients (default 2 s).
	Retry time.Duration
	// Limit caps the streams held open in total, per client address and
	// per member (nil: no caps). A stream over a cap is refused before it
	// starts: 429 (address, member) or 503 (total), with Retry-After and
	// a problem document naming the cap.
	Limit *connlimit.Limiter
}

func (c *StreamConfig) defaults() {
	set := func(d *time.Duration, v time.Duration) {
		if *d == 0 {
			*d = v
		}
	}
	if c.Queue <= 0 {
		c.Queue = 4096
	}
	set(&c.Heartbeat, 15*time.Second)
	set(&c.Idle, 10*time.Minute)
	set(&c.MaxLifetime, time.Hour)
	set(&c.WriteTimeout, 10*time.Second)
	set(&c.FlushDelay, 20*time.Millisecond)
	set(&c.Retry, 2*time.Second)
}

// StreamEvent is the data of a change event, for the OpenAPI document.
type StreamEvent = live.Change

// Stream adds GET /api/v1/rooms/{room}/stream: the room's changes that
// the caller may see, as Server-Sent Events.
func Stream(cfg StreamConfig) func(*API) {
	cfg.defaults()
	return func(a *API) {
		a.Handle(Route{Method: "GET", Path: "/api/v1/rooms/{room}/stream", Tag: "live", Auth: Member,
			Summary:  "The room's changes you may see, as Server-Sent Events (event: change, reset, lagged, closed); resume with Last-Event-ID or ?after=",
			Query:    []Param{{Name: "after", Type: "string", Description: "resume after this event id (for clients that cannot send Last-Event-ID)"}},
			Response: StreamEvent{}, Produces: "text/event-stream"}, a.s.stream(cfg))
	}
}

func (s *Server) stream(cfg StreamConfig) HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		p := principal(r)
		rm, err := s.Rooms.Room(r.Context(), p, r.PathValue("room"))
		if err != nil {
			return err
		}
		if !p.Viewer.Rooms[rm.ID] {
			return store.ErrNotFound // an admin outside the room reads nothing of it
		}
		var after *live.Pos
		if id := r.Header.Get("Last-Event-ID"); id != "" {
			pos, err := live.ParsePos(id)
			if err != nil {
				return badRequest("Last-Event-ID", "Last-Event-ID is not an event id of this stream")
			}
			after = &pos
		} else if id := r.URL.Query().Get("after"); id != "" {
			pos, err := live.ParsePos(id)
			if err != nil {
				return badRequest("after", "after is not an event id of this stream")
			}
			after = &pos
		}
		if cfg.Limit != nil {
			release, err := cfg.Limit.Addr(s.clientAddr(r))
			if err != nil {
				return capped(w, err)
			}
			defer release()
			release, err = cfg.Limit.Member(p.ID)
			if err != nil {
				return capped(w, err)
			}
			defer release()
		}
		sub, res, err := s.Bus.SubscribeFromContext(r.Context(), rm.ID, p.Viewer, cfg.Queue, after)
		if err != nil {
			return err
		}
		defer sub.Close()

		st := &sse{w: w, rc: http.NewResponseController(w), timeout: cfg.WriteTimeout, buf: make([]byte, chunkRoom, 64<<10)}
		h := w.Header()
		h.Set("Content-Type", "text/event-stream")
		h.Set("Cache-Control", "no-store")
		h.Set("X-Accel-Buffering", "no") // nginx: do not buffer the stream
		ctx := r.Context()
		if conn, ok := st.hijack(r); ok {
			defer conn.Close()
			var cancel context.CancelFunc
			ctx, cancel = context.WithCancel(ctx)
			defer cancel()
			go func() {
				// The request has no body: reading only notices the client
				// hanging up.
				b := make([]byte, 512)
				for {
					if _, err := conn.Read(b); err != nil {
						cancel()
						return
					}
				}
			}()
			defer st.end()
		} else {
			w.WriteHeader(http.StatusOK)
		}
		st.buf = fmt.Appendf(st.buf, ": %s\nretry: %d\n\n", rm.Slug, cfg.Retry.Milliseconds())
		if res.Reset {
			st.control("reset", res.Head, "the changes since your last event are no longer kept: refetch the room, then follow this stream")
		}
		for _, c := range res.Replay {
			if st.add(c.Frame()) != nil {
				return nil
			}
		}
		if res.More {
			// The replay stops here; the id says where the next one goes on.
			st.control("closed", res.Next, "there are more changes to replay: reconnect with Last-Event-ID to receive them")
			st.flush()
			return nil
		}
		if st.flush() != nil {
			return nil
		}
		return st.run(ctx, sub, cfg)
	}
}

// capped turns a refusal over a cap into its response: 429 for the
// caller's own caps (address, member), 503 for the server's total.
func capped(w http.ResponseWriter, err error) error {
	status := http.StatusTooManyRequests
	var le *connlimit.Error
	if errors.As(err, &le) && le.Cap == connlimit.CapTotal {
		status = http.StatusServiceUnavailable
	}
	w.Header().Set("Retry-After", "10")
	return &statusError{status: status, detail: err.Error()}
}

// sse writes one stream. Once the status line is sent, errors can no
// longer become problem documents: the stream just ends.
//
// Over HTTP/1.1 the stream takes the connection over from net/http and
// writes each batch as one chunk in one system call (net/http's
// buffering would split a batch of more than 4 KiB into three writes:
// the chunk header with the first 4 KiB, the rest, and the chunk's
// closing CRLF). Elsewhere (HTTP/2) it writes through the
// ResponseWriter.
type sse struct {
	w       http.ResponseWriter
	rc      *http.ResponseController
	conn    net.Conn // the hijacked connection, or nil
	head    []byte   // the response header, sent with the first chunk
	buf     []byte   // chunkRoom bytes reserved for the chunk header, then events
	timeout time.Duration
}

// chunkRoom is the room kept at the front of the buffer for a chunk
// header (up to 8 hex digits and CRLF).
const chunkRoom = 10

// hijack takes the connection over for an HTTP/1.1 request, preparing
// the response header; it reports false where it cannot (HTTP/2, or a
// ResponseWriter that does not allow it).
func (st *sse) hijack(r *http.Request) (net.Conn, bool) {
	if r.ProtoMajor != 1 || r.ProtoMinor < 1 {
		return nil, false
	}
	h := st.w.Header().Clone()
	conn, brw, err := st.rc.Hijack()
	if err != nil {
		return nil, false
	}
	if brw.Writer.Buffered() > 0 {
		brw.Writer.Flush()
	}
	h.Set("Transfer-Encoding", "chunked")
	h.Set("Date", time.Now().UTC().Format(http.TimeFormat))
	head := []byte("HTTP/1.1 200 OK\r\n")
	var b strings.Builder
	h.Write(&b)
	head = append(head, b.String()...)
	head = append(head, "\r\n"...)
	// The server's read deadline for the request would end the stream.
	_ = conn.SetReadDeadline(time.Time{})
	st.conn, st.head = conn, head
	return conn, true
}

// end closes a hijacked stream's chunked body.
func (st *sse) end() {
	if st.conn == nil {
		return
	}
	_ = st.conn.SetWriteDeadline(time.Now().Add(st.timeout))
	st.conn.Write([]byte("0\r\n\r\n"))
}

func (st *sse) empty() bool { return len(st.buf) == chunkRoom }

func (st *sse) control(event string, head live.Pos, reason string) {
	if event == "reset" || head.Seq > 0 {
		st.buf = append(st.buf, "id: "+head.String()+"\n"...)
	}
	st.buf = append(st.buf, "event: "+event+"\ndata: {\"reason\":"+strconv.Quote(reason)+"}\n\n"...)
}

// add buffers an event, writing out what is buffered first when the
// event would not fit: the buffer keeps its size (a stream that falls
// behind writes in full buffers rather than growing one).
func (st *sse) add(frame []byte) error {
	if !st.empty() && len(st.buf)+len(frame) > cap(st.buf) {
		if err := st.flush(); err != nil {
			return err
		}
	}
	st.buf = append(st.buf, frame...)
	return nil
}

// flush writes what is buffered under a write deadline of its own, so a
// stalled client costs one goroutine for at most the timeout.
func (st *sse) flush() error {
	if st.empty() && st.head == nil {
		return nil
	}
	defer func() { st.buf = st.buf[:chunkRoom] }()
	if st.conn == nil {
		_ = st.rc.SetWriteDeadline(time.Now().Add(st.timeout))
		_, err := st.w.Write(st.buf[chunkRoom:])
		if err == nil {
			err = st.rc.Flush()
		}
		return err
	}
	// One chunk: its size in hex, CRLF, the events, CRLF; the header
	// before the first.
	var out []byte // an empty chunk would end the body: send none
	if !st.empty() {
		size := strconv.AppendInt(make([]byte, 0, 8), int64(len(st.buf)-chunkRoom), 16)
		start := chunkRoom - len(size) - 2
		copy(st.buf[start:], size)
		copy(st.buf[chunkRoom-2:], "\r\n")
		st.buf = append(st.buf, "\r\n"...)
		out = st.buf[start:]
	}
	if st.head != nil {
		out = append(st.head, out...)
		st.head = nil
	}
	_ = st.conn.SetWriteDeadline(time.Now().Add(st.timeout))
	_, err := st.conn.Write(out)
	return err
}

func (st *sse) run(ctx context.Context, sub *live.Subscription, cfg StreamConfig) error {
	beat := time.NewTicker(cfg.Heartbeat)
	defer beat.Stop()
	idle := time.NewTimer(cfg.Idle)
	defer idle.Stop()
	life := time.NewTimer(cfg.MaxLifetime)
	defer life.Stop()
	gather := time.NewTimer(time.Hour)
	gather.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-beat.C:
			st.buf = append(st.buf, ": ping\n\n"...)
		case <-idle.C:
			st.control("closed", live.Pos{}, "idle: reconnect with Last-Event-ID to go on")
			st.flush()
			return nil
		case <-life.C:
			st.control("closed", live.Pos{}, "the stream reached its maximum lifetime: reconnect with Last-Event-ID to go on")
			st.flush()
			return nil
		case c, ok := <-sub.Refs:
			if !ok {
				st.ended(sub)
				return nil
			}
			if st.add(c.Frame()) != nil {
				return nil
			}
			idle.Reset(cfg.Idle)
			// Let a burst gather, then write it at once.
			gather.Reset(cfg.FlushDelay)
			select {
			case <-ctx.Done():
				return nil
			case <-gather.C:
			}
		drain:
			for {
				select {
				case c, ok := <-sub.Refs:
					if !ok {
						st.ended(sub)
						return nil
					}
					if st.add(c.Frame()) != nil {
						return nil
					}
				default:
					break drain
				}
			}
		}
		if st.flush() != nil {
			return nil
		}
	}
}

// ended tells the client why its subscription ended, as far as the
// connection still allows.
func (st *sse) ended(sub *live.Subscription) {
	switch sub.Reason() {
	case live.EndLagged:
		st.control("lagged", live.Pos{}, "you fell too far behind and were disconnected: reconnect with Last-Event-ID")
	case live.EndRemoved:
		st.control("closed", live.Pos{}, "you are no longer a member of this room")
	case live.EndReset:
		st.control("closed", live.Pos{}, "this server lost the room's order: reconnect with Last-Event-ID and refetch when told")
	}
	st.flush()
}

// Metrics adds GET /metrics in the Prometheus text format: the live
// stream's subscribers, changes and disconnections, the latency of every
// HTTP route by its pattern, the Go runtime's and process's metrics, and
// those of more (the TAK listeners').
// It shows counts only, never content, and asks no sign-in, like most
// scrape targets: keep it behind the network boundary the server sits in.
func Metrics(bus *live.Bus, more ...prometheus.Collector) func(*API) {
	return func(a *API) {
		reg := prometheus.NewRegistry()
		reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
		reg.MustRegister(more...)
		bus.Register(reg)
		latency := prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "opsroom_http_request_duration_seconds",
			Help:    "HTTP request latency by route pattern and status class (streams count their whole life).",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 10, 60},
		}, []string{"route", "code"})
		reg.MustRegister(latency)
		Observer = func(pattern string, status int, d time.Duration) {
			if pattern == "" {
				pattern = "unmatched"
			}
			latency.WithLabelValues(pattern, strconv.Itoa(status/100)+"xx").Observe(d.Seconds())
		}
		a.Raw("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	}
}

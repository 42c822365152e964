// Package streamload is the live stream's benchmark workload behind
// `opsroom bench stream` and the live package's benchmark: a whole API
// server on loopback with a thousand real HTTP subscribers.
package streamload

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"math/rand/v2"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/opsroom/opsroom/internal/access"
	"github.com/opsroom/opsroom/internal/account"
	"github.com/opsroom/opsroom/internal/audit"
	"github.com/opsroom/opsroom/internal/bench"
	"github.com/opsroom/opsroom/internal/httpapi"
	"github.com/opsroom/opsroom/internal/live"
	"github.com/opsroom/opsroom/internal/store"
)

// Workload is the live stream's headline workload: Subscribers
// clients follow one room over real HTTP connections while changes with
// random markings are published at Rate per second for Warmup and then
// for Duration; it measures, for every change published during Duration
// at every subscriber entitled to it, the time from publication to the
// client having read the event. The changes of the warm-up must arrive
// too; their latencies are reported apart (they include the process
// growing its heap and touching its buffers for the first time, with a
// thousand clients that connected at the same instant).
type Workload struct {
	Subscribers int
	Rate        int
	Warmup      time.Duration
	Duration    time.Duration
}

// Run measures on db, which it fills with bench.NewWorld's room (4
// partners, 3 members each); subscribers take the members in turn.
func (sb Workload) Run(ctx context.Context, db *store.DB) ([]bench.Result, error) {
	w, err := bench.NewWorld(ctx, db)
	if err != nil {
		return nil, err
	}
	bus := live.NewBus()
	srv := httpapi.New(&httpapi.Server{DB: db, Members: w.Members, Rooms: w.Rooms, Items: w.Items, Bus: bus,
		Extra: []func(*httpapi.API){httpapi.Stream(httpapi.StreamConfig{})}}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	hs := &http.Server{Handler: srv.Handler(), ReadHeaderTimeout: 10 * time.Second}
	go hs.Serve(ln)
	defer hs.Close()
	path := "/api/v1/rooms/" + w.Room.Slug + "/stream"

	tokens := make([]string, len(w.People))
	for i, p := range w.People {
		t, err := w.Members.CreateToken(ctx, access.System, account.NewToken{Member: p.Username, Name: "bench"})
		if err != nil {
			return nil, err
		}
		tokens[i] = t.Secret
	}
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	subs := make([]*benchSub, sb.Subscribers)
	var wg sync.WaitGroup
	var from atomic.Int64 // changes published from then on are timed
	from.Store(math.MaxInt64)
	for i := range subs {
		who := i % len(w.People)
		s := &benchSub{viewer: who, from: &from}
		subs[i] = s
		conn, rest, err := openStream(ln.Addr().String(), path, tokens[who])
		if err != nil {
			return nil, fmt.Errorf("subscriber %d: %w", i, err)
		}
		context.AfterFunc(runCtx, func() { conn.Close() })
		wg.Go(func() { s.read(conn, rest) })
	}
	for bus.Stats().Subscribers < sb.Subscribers {
		time.Sleep(10 * time.Millisecond)
	}

	// The changes: a realistic item body, and markings drawn from the
	// room's partners and members so that each subscriber is entitled to
	// a different part.
	rng := rand.New(rand.NewPCG(3, 5))
	var partners []string
	for _, p := range w.People {
		partners = append(partners, p.PartnerID)
	}
	markings := make([]access.Marking, 64)
	for i := range markings {
		m := access.Marking{TLP: access.Labels[rng.IntN(len(access.Labels))]}
		if rng.IntN(2) == 0 {
			m.ReleasableTo = []string{partners[rng.IntN(len(partners))]}
		}
		if m.TLP == access.Red {
			for range 1 + rng.IntN(10) {
				m.Recipients = append(m.Recipients, w.People[rng.IntN(len(w.People))].ID)
			}
		}
		markings[i] = m
	}
	body := []byte(`{"id":"01a2","room":"` + w.Room.Slug + `","kind":"track","title":"convoy 7","marking":{"tlp":"AMBER"},"owner":"P1","created_by":"p1m1","version":3,` +
		`"body":{"uid":"ANDROID-1c2d","type":"a-f-G-U-C","position":{"lat":35.1354,"lon":36.7553,"hae":312.5,"course":84.1,"speed":11.2,"ce":9.5},"stale":"2015-09-30T12:05:00Z","remarks":"` +
		strings.Repeat("x", 160) + `"}}`)
	head, _, err := audit.Head(ctx, db)
	if err != nil {
		return nil, err
	}
	// Which viewers may see each marking, decided once, so the publisher
	// spends its time publishing.
	sees := make([][]bool, len(markings))
	for k, m := range markings {
		sees[k] = make([]bool, len(w.People))
		for who, p := range w.People {
			sees[k][who] = access.CanSee(p.Viewer, w.Room.ID, m)
		}
	}
	warm := int(float64(sb.Rate) * sb.Warmup.Seconds())
	total := warm + int(float64(sb.Rate)*sb.Duration.Seconds())
	perViewer := make([]int, len(w.People))
	start := time.Now()
	var measured time.Time
	for i := 0; i < total; {
		due := min(total, int(time.Since(start).Seconds()*float64(sb.Rate))+1)
		for ; i < due; i++ {
			if i == warm {
				measured = time.Now()
				from.Store(measured.UnixNano())
			}
			k := rng.IntN(len(markings))
			m := markings[k]
			for who, ok := range sees[k] {
				if ok {
					perViewer[who]++
				}
			}
			bus.Publish(live.Change{Seq: head + 1 + int64(i), RoomID: w.Room.ID, Kind: "track", ItemID: strconv.Itoa(i), Op: "update",
				At: time.Now(), Marking: m, Data: body})
		}
		time.Sleep(time.Millisecond)
	}
	elapsed := time.Since(measured)
	expected := make([]int, len(subs))
	for j, s := range subs {
		expected[j] = perViewer[s.viewer]
	}
	// Wait for the last changes to arrive, then stop.
	deadline := time.Now().Add(10 * time.Second)
	for {
		done := true
		for j, s := range subs {
			if s.count() < expected[j] && !s.ended() {
				done = false
				break
			}
		}
		if done || time.Now().After(deadline) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	wg.Wait()

	var samples, warmSamples []time.Duration
	missing, deliveries := 0, 0
	for j, s := range subs {
		samples = append(samples, s.lat...)
		warmSamples = append(warmSamples, s.warm...)
		deliveries += len(s.lat)
		missing += max(0, expected[j]-len(s.lat)-len(s.warm))
	}
	if len(samples) == 0 {
		return nil, errors.New("no change arrived")
	}
	lat := bench.Latencies(fmt.Sprintf("SSE delivery, %d subscribers at %d changes/s", sb.Subscribers, sb.Rate), samples)
	lat.PerSecond = float64(deliveries) / elapsed.Seconds()
	res := []bench.Result{lat}
	if len(warmSamples) > 0 {
		res = append(res, bench.Latencies(fmt.Sprintf("  the %v warm-up before it (not in the figure above)", sb.Warmup), warmSamples))
	}
	res = append(res, bench.Result{Name: fmt.Sprintf("changes published (%d lagged, %d deliveries missing)", bus.Stats().Lagged, missing),
		N: total - warm, PerSecond: float64(total-warm) / elapsed.Seconds()})
	if missing > 0 || bus.Stats().Lagged > 0 {
		return res, fmt.Errorf("%d deliveries missing, %d subscribers lagged", missing, bus.Stats().Lagged)
	}
	return res, nil
}

// openStream opens a stream as a minimal HTTP/1.1 client over a plain
// connection and returns it with what was read after the response
// header. The
// workload's clients share the server's cores, so they do as little as a
// client can: no client library, one goroutine each.
func openStream(addr, path, token string) (net.Conn, []byte, error) {
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		return nil, nil, err
	}
	fmt.Fprintf(conn, "GET %s HTTP/1.1\r\nHost: %s\r\nAuthorization: Bearer %s\r\nAccept: text/event-stream\r\n\r\n", path, addr, token)
	head := make([]byte, 0, 4<<10)
	for {
		if len(head) == cap(head) {
			conn.Close()
			return nil, nil, errors.New("response header too long")
		}
		n, err := conn.Read(head[len(head):cap(head)])
		head = head[:len(head)+n]
		if i := bytes.Index(head, []byte("\r\n\r\n")); i >= 0 {
			if !bytes.HasPrefix(head, []byte("HTTP/1.1 200 ")) {
				conn.Close()
				line, _, _ := bytes.Cut(head, []byte("\r\n"))
				return nil, nil, fmt.Errorf("response %q", line)
			}
			return conn, head[i+4:], nil
		}
		if err != nil {
			conn.Close()
			return nil, nil, err
		}
	}
}

// benchSub is one subscriber of the workload: it reads its stream and
// keeps the delivery latency of every change.
type benchSub struct {
	viewer int           // index in the world's people
	from   *atomic.Int64 // changes published from then on go to lat, earlier ones to warm
	lat    []time.Duration
	warm   []time.Duration
	n      atomic.Int64
	done   atomic.Bool
}

func (s *benchSub) count() int  { return int(s.n.Load()) }
func (s *benchSub) ended() bool { return s.done.Load() }

var atKey = []byte(`"at":"`)

// read finds each event's "at" time in the raw stream (the body is
// chunked, but the server writes whole events in each chunk, so no event
// is split by the chunk framing): the client's own work must not hide
// the server's. lat is read only after read returns.
func (s *benchSub) read(conn net.Conn, rest []byte) {
	defer conn.Close()
	defer s.done.Store(true)
	// The server writes at most 64 KiB at a time.
	buf := append(make([]byte, 0, 80<<10), rest...)
	for {
		if len(buf) == cap(buf) {
			buf = buf[:copy(buf, buf[len(buf)-64:])]
		}
		n, err := conn.Read(buf[len(buf):cap(buf)])
		if n > 0 {
			buf = buf[:len(buf)+n]
			pos := 0
			for {
				i := bytes.Index(buf[pos:], atKey)
				if i < 0 {
					pos = max(pos, len(buf)-len(atKey))
					break
				}
				start := pos + i + len(atKey)
				j := bytes.IndexByte(buf[start:], '"')
				if j < 0 {
					pos += i // an incomplete time: read more
					break
				}
				if at, ok := parseAt(buf[start : start+j]); ok {
					if at >= s.from.Load() {
						s.lat = append(s.lat, time.Duration(time.Now().UnixNano()-at))
					} else {
						s.warm = append(s.warm, time.Duration(time.Now().UnixNano()-at))
					}
					s.n.Add(1)
				}
				pos = start + j
			}
			buf = buf[:copy(buf, buf[pos:])]
		}
		if err != nil {
			return
		}
	}
}

// parseAt reads an RFC 3339 time as encoding/json writes it
// ("2015-09-30T12:05:00.123456789Z" or with a "+03:00" offset) into Unix
// nanoseconds, without allocating: a client reads some 600,000 a second.
func parseAt(b []byte) (int64, bool) {
	num := func(b []byte) (int, bool) {
		n := 0
		for _, c := range b {
			if c < '0' || c > '9' {
				return 0, false
			}
			n = n*10 + int(c-'0')
		}
		return n, len(b) > 0
	}
	if len(b) < 20 || b[4] != '-' || b[7] != '-' || b[10] != 'T' || b[13] != ':' || b[16] != ':' {
		return 0, false
	}
	var f [6]int
	for i, r := range [6][2]int{{0, 4}, {5, 7}, {8, 10}, {11, 13}, {14, 16}, {17, 19}} {
		v, ok := num(b[r[0]:r[1]])
		if !ok {
			return 0, false
		}
		f[i] = v
	}
	rest, nsec := b[19:], 0
	if len(rest) > 0 && rest[0] == '.' {
		k := 1
		for k < len(rest) && k <= 9 && rest[k] >= '0' && rest[k] <= '9' {
			nsec = nsec*10 + int(rest[k]-'0')
			k++
		}
		for range 10 - k {
			nsec *= 10
		}
		rest = rest[k:]
	}
	offset := 0
	switch {
	case len(rest) == 1 && rest[0] == 'Z':
	case len(rest) == 6 && (rest[0] == '+' || rest[0] == '-') && rest[3] == ':':
		h, ok1 := num(rest[1:3])
		m, ok2 := num(rest[4:6])
		if !ok1 || !ok2 {
			return 0, false
		}
		offset = (h*60 + m) * 60
		if rest[0] == '-' {
			offset = -offset
		}
	default:
		return 0, false
	}
	t := time.Date(f[0], time.Month(f[1]), f[2], f[3], f[4], f[5], nsec, time.UTC)
	return t.UnixNano() - int64(offset)*int64(time.Second), true
}

package httpapi

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/opsroom/opsroom/internal/access"
	"github.com/opsroom/opsroom/internal/bench"
	"github.com/opsroom/opsroom/internal/live"
	"github.com/opsroom/opsroom/internal/store"
)

// StreamBench is the live stream's headline workload: Subscribers
// clients follow one room over real HTTP connections while changes with
// random markings are published at Rate per second for Duration; it
// measures, for every change at every subscriber entitled to it, the time
// from publication to the client having read the event.
type StreamBench struct {
	Subscribers int
	Rate        int
	Duration    time.Duration
}

// Run measures on db, which it fills with bench.NewWorld's room (4
// partners, 3 members each); subscribers take the members in turn.
func (sb StreamBench) Run(ctx context.Context, db *store.DB) ([]bench.Result, error) {
	w, err := bench.NewWorld(ctx, db)
	if err != nil {
		return nil, err
	}
	bus := live.NewBus()
	srv := New(&Server{DB: db, Members: w.Members, Rooms: w.Rooms, Items: w.Items, Bus: bus,
		Extra: []func(*API){Stream(StreamConfig{})}}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	hs := &http.Server{Handler: srv.Handler(), ReadHeaderTimeout: 10 * time.Second}
	go hs.Serve(ln)
	defer hs.Close()
	base := "http://" + ln.Addr().String() + "/api/v1/rooms/" + w.Room.Slug + "/stream"

	tokens := make([]string, len(w.People))
	for i, p := range w.People {
		t, err := w.Members.CreateToken(ctx, access.System, access.NewToken{Member: p.Username, Name: "bench"})
		if err != nil {
			return nil, err
		}
		tokens[i] = t.Secret
	}
	tr := &http.Transport{MaxIdleConnsPerHost: -1, DisableCompression: true}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr}
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	subs := make([]*benchSub, sb.Subscribers)
	var wg sync.WaitGroup
	for i := range subs {
		who := i % len(w.People)
		s := &benchSub{viewer: w.People[who].Viewer}
		subs[i] = s
		req, _ := http.NewRequestWithContext(runCtx, "GET", base, nil)
		req.Header.Set("Authorization", "Bearer "+tokens[who])
		res, err := client.Do(req)
		if err != nil {
			return nil, fmt.Errorf("subscriber %d: %w", i, err)
		}
		if res.StatusCode != http.StatusOK {
			res.Body.Close()
			return nil, fmt.Errorf("subscriber %d: status %d", i, res.StatusCode)
		}
		wg.Go(func() { s.read(res.Body) })
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
	var head int64
	if err := store.Scan(db.QueryRow(ctx, `SELECT seq FROM audit_head WHERE id = 1`), &head); err != nil {
		return nil, err
	}
	total := int(float64(sb.Rate) * sb.Duration.Seconds())
	expected := make([]int, len(subs))
	start := time.Now()
	for i := 0; i < total; {
		due := min(total, int(time.Since(start).Seconds()*float64(sb.Rate))+1)
		for ; i < due; i++ {
			m := markings[rng.IntN(len(markings))]
			for j, s := range subs {
				if access.CanSee(s.viewer, w.Room.ID, m) {
					expected[j]++
				}
			}
			bus.Publish(live.Change{Seq: head + 1 + int64(i), RoomID: w.Room.ID, Kind: "track", ItemID: strconv.Itoa(i), Op: "update",
				At: time.Now(), Marking: m, Data: body})
		}
		time.Sleep(time.Millisecond)
	}
	elapsed := time.Since(start)
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

	var samples []time.Duration
	missing, deliveries := 0, 0
	for j, s := range subs {
		samples = append(samples, s.lat...)
		deliveries += len(s.lat)
		missing += max(0, expected[j]-len(s.lat))
	}
	if len(samples) == 0 {
		return nil, errors.New("no change arrived")
	}
	lat := bench.Latencies(fmt.Sprintf("SSE delivery, %d subscribers at %d changes/s", sb.Subscribers, sb.Rate), samples)
	lat.PerSecond = float64(deliveries) / elapsed.Seconds()
	res := []bench.Result{lat}
	res = append(res, bench.Result{Name: fmt.Sprintf("changes published (%d lagged, %d deliveries missing)", bus.Stats().Lagged, missing),
		N: total, PerSecond: float64(total) / elapsed.Seconds()})
	if missing > 0 || bus.Stats().Lagged > 0 {
		return res, fmt.Errorf("%d deliveries missing, %d subscribers lagged", missing, bus.Stats().Lagged)
	}
	return res, nil
}

// benchSub is one subscriber of the workload: it reads its stream and
// keeps the delivery latency of every change.
type benchSub struct {
	viewer access.Viewer
	mu     sync.Mutex
	lat    []time.Duration
	done   bool
}

func (s *benchSub) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.lat)
}

func (s *benchSub) ended() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.done
}

var atKey = []byte(`"at":"`)

// read parses just enough of each event to find its "at" time: the
// client's own work must not hide the server's.
func (s *benchSub) read(body io.ReadCloser) {
	defer body.Close()
	defer func() {
		s.mu.Lock()
		s.done = true
		s.mu.Unlock()
	}()
	r := bufio.NewReaderSize(body, 64<<10)
	for {
		line, err := r.ReadSlice('\n')
		if err != nil && !errors.Is(err, bufio.ErrBufferFull) {
			return
		}
		if len(line) < 6 || string(line[:6]) != "data: " {
			continue
		}
		i := bytes.Index(line, atKey)
		if i < 0 {
			continue
		}
		rest := line[i+len(atKey):]
		j := bytes.IndexByte(rest, '"')
		if j < 0 {
			continue
		}
		at, err := time.Parse(time.RFC3339Nano, string(rest[:j]))
		if err != nil {
			continue
		}
		d := time.Since(at)
		s.mu.Lock()
		s.lat = append(s.lat, d)
		s.mu.Unlock()
	}
}

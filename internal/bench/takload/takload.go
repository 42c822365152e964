// Package takload is the TAK listener's benchmark workload behind
// `opsroom bench tak`: devices on loopback TCP reporting positions to one
// another through a real listener.
package takload

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strconv"
	"sync"
	"time"

	"github.com/opsroom/opsroom/internal/bench"
	"github.com/opsroom/opsroom/internal/cot"
	"github.com/opsroom/opsroom/internal/live"
	"github.com/opsroom/opsroom/internal/tak"
)

// Run runs the `opsroom bench tak` workload: a plain-TCP listener on
// loopback bound to a member of bench.NewWorld's room, clients devices
// each reporting a position rate times a second for d, every device
// reading what the others send. It reports deliveries per second and the
// latency from sending to receiving. Clients and server share this
// process; docs/bench/tak.md gives figures measured from outside.
func Run(ctx context.Context, w *bench.World, clients, rate int, d time.Duration) ([]bench.Result, error) {
	s := tak.New(tak.Config{TCPAddr: "127.0.0.1:0", TCPRoom: w.Room.Slug, TCPMember: w.People[0].Username},
		w.DB, w.Members, w.Rooms, live.NewBus(), slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err := s.Start(ctx); err != nil {
		return nil, err
	}
	defer s.Close()
	addr := s.Addrs()[0].String()
	conns := make([]net.Conn, clients)
	for i := range conns {
		nc, err := net.Dial("tcp", addr)
		if err != nil {
			return nil, err
		}
		conns[i] = nc
	}
	time.Sleep(200 * time.Millisecond)
	var mu sync.Mutex
	var lat []time.Duration
	var delivered int
	var wg sync.WaitGroup
	start := time.Now()
	for _, nc := range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			dec := cot.NewDecoder(nc)
			var mine []time.Duration
			n := 0
			for {
				nc.SetReadDeadline(time.Now().Add(2 * time.Second))
				ev, err := dec.Decode()
				if err != nil {
					break
				}
				if ev.Detail.Remarks == nil || ev.Detail.Remarks.Source != "load" {
					continue
				}
				if ns, err := strconv.ParseInt(ev.Detail.Remarks.Text, 10, 64); err == nil {
					mine = append(mine, time.Since(start)-time.Duration(ns))
					n++
				}
			}
			mu.Lock()
			lat = append(lat, mine...)
			delivered += n
			mu.Unlock()
		}()
	}
	sent := 0
	var smu sync.Mutex
	var swg sync.WaitGroup
	for i, nc := range conns {
		swg.Add(1)
		go func() {
			defer swg.Done()
			t := time.NewTicker(time.Second / time.Duration(rate))
			defer t.Stop()
			// Spread the clients' reports over the interval.
			time.Sleep(time.Duration(i) * time.Second / time.Duration(rate*clients))
			for time.Since(start) < d {
				now := time.UnixMilli(time.Now().UnixMilli()).UTC()
				ev := &cot.Event{Version: "2.0", UID: fmt.Sprintf("load-%d", i), Type: "a-f-G-U-C", How: "m-g", Time: now, Start: now,
					Stale: now.Add(2 * time.Minute), Point: cot.Point{Lat: 33.5, Lon: 36.3, Hae: cot.Unknown, Ce: 10, Le: cot.Unknown},
					Detail: cot.Detail{Remarks: &cot.Remarks{Source: "load", Text: strconv.FormatInt(int64(time.Since(start)), 10)}}}
				if _, err := nc.Write(ev.AppendXML(nil)); err != nil {
					return
				}
				smu.Lock()
				sent++
				smu.Unlock()
				<-t.C
			}
		}()
	}
	swg.Wait()
	wg.Wait()
	elapsed := d
	for _, nc := range conns {
		nc.Close()
	}
	if len(lat) == 0 {
		return nil, fmt.Errorf("nothing delivered")
	}
	r := bench.Latencies(fmt.Sprintf("tak fan-out %d clients x %d/s", clients, rate), lat)
	r.PerSecond = float64(delivered) / elapsed.Seconds()
	expected := sent * (clients - 1)
	r.Name += fmt.Sprintf(" (delivered %d of %d)", delivered, expected)
	return []bench.Result{r}, nil
}

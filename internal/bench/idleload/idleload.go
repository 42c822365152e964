// Package idleload is the workload behind `opsroom bench idle`: a whole
// server (API, live stream, plain-TCP CoT listener) holding many idle
// devices and stream subscribers while sign-in and an API call are timed,
// against the same server idle.
package idleload

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"runtime"
	"strings"
	"time"

	"github.com/opsroom/opsroom/internal/access"
	"github.com/opsroom/opsroom/internal/account"
	"github.com/opsroom/opsroom/internal/bench"
	"github.com/opsroom/opsroom/internal/httpapi"
	"github.com/opsroom/opsroom/internal/room"
	"github.com/opsroom/opsroom/internal/store"
	"github.com/opsroom/opsroom/internal/tak"
)

// Workload holds Devices idle CoT connections and Subscribers idle live
// streams, and times SignIns sign-ins and Calls calls of the room's item
// list, one at a time, first on the idle server, then with the
// connections open. Clients and server share this process; the caps are
// lifted (every client has the address 127.0.0.1).
type Workload struct {
	Devices     int
	Subscribers int
	SignIns     int
	Calls       int
	// Log, when set, is told what the workload is doing and what the
	// process's memory is.
	Log io.Writer
}

const password = "idle bench passphrase 7431"

// Run measures on db, which it fills with bench.NewWorld's room and a
// person who signs in.
func (wl Workload) Run(ctx context.Context, db *store.DB) ([]bench.Result, error) {
	logf := func(format string, args ...any) {
		if wl.Log != nil {
			fmt.Fprintf(wl.Log, format+"\n", args...)
		}
	}
	w, err := bench.NewWorld(ctx, db)
	if err != nil {
		return nil, err
	}
	if _, err := w.Members.CreateMember(ctx, access.System, account.NewMember{Partner: w.People[0].Partner, Username: "idle.person",
		Kind: access.Person, Password: password}); err != nil {
		return nil, err
	}
	if err := w.Rooms.SetMember(ctx, access.System, w.Room.Slug, "idle.person", room.RoleMember); err != nil {
		return nil, err
	}
	tok, err := w.Members.CreateToken(ctx, access.System, account.NewToken{Member: w.People[1].Username, Name: "bench"})
	if err != nil {
		return nil, err
	}
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	ts := tak.New(tak.Config{TCPAddr: "127.0.0.1:0", TCPRoom: w.Room.Slug, TCPMember: w.People[0].Username}, db, w.Members, w.Rooms, w.Bus, quiet)
	if err := ts.Start(ctx); err != nil {
		return nil, err
	}
	defer ts.Close()
	api := httpapi.New(&httpapi.Server{DB: db, Members: w.Members, Rooms: w.Rooms, Items: w.Items, Bus: w.Bus,
		Extra: []func(*httpapi.API){httpapi.Stream(httpapi.StreamConfig{})}}, quiet)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	hs := &http.Server{Handler: api.Handler(), ReadHeaderTimeout: 10 * time.Second}
	go hs.Serve(ln)
	defer hs.Close()
	base := "http://" + ln.Addr().String()
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 4}}

	measure := func(label string) ([]bench.Result, error) {
		var signIn, call []time.Duration
		body := fmt.Sprintf(`{"username":"idle.person","password":%q}`, password)
		for range wl.SignIns {
			t0 := time.Now()
			res, err := client.Post(base+"/api/v1/login", "application/json", strings.NewReader(body))
			if err != nil {
				return nil, err
			}
			io.Copy(io.Discard, res.Body)
			res.Body.Close()
			if res.StatusCode != http.StatusOK {
				return nil, fmt.Errorf("sign-in: %s", res.Status)
			}
			signIn = append(signIn, time.Since(t0))
		}
		for range wl.Calls {
			req, _ := http.NewRequestWithContext(ctx, "GET", base+"/api/v1/rooms/"+w.Room.Slug+"/items", nil)
			req.Header.Set("Authorization", "Bearer "+tok.Secret)
			t0 := time.Now()
			res, err := client.Do(req)
			if err != nil {
				return nil, err
			}
			io.Copy(io.Discard, res.Body)
			res.Body.Close()
			if res.StatusCode != http.StatusOK {
				return nil, fmt.Errorf("item list: %s", res.Status)
			}
			call = append(call, time.Since(t0))
		}
		return []bench.Result{bench.Latencies("sign-in, "+label, signIn), bench.Latencies("GET items, "+label, call)}, nil
	}

	logf("idle: measuring the idle server (%d sign-ins, %d calls)...", wl.SignIns, wl.Calls)
	before := inUse()
	out, err := measure("idle server")
	if err != nil {
		return nil, err
	}

	logf("idle: opening %d devices and %d streams...", wl.Devices, wl.Subscribers)
	var held []net.Conn
	defer func() {
		for _, c := range held {
			c.Close()
		}
	}()
	cotAddr := ts.Addrs()[0].String()
	for i := range wl.Devices {
		nc, err := net.Dial("tcp", cotAddr)
		if err != nil {
			return nil, fmt.Errorf("device %d: %w", i, err)
		}
		held = append(held, nc)
	}
	for i := range wl.Subscribers {
		nc, err := openStream(ln.Addr().String(), "/api/v1/rooms/"+w.Room.Slug+"/stream", tok.Secret)
		if err != nil {
			return nil, fmt.Errorf("stream %d: %w", i, err)
		}
		held = append(held, nc)
	}
	for ts.Metrics().ConnsOpen.Load() < int64(wl.Devices) || w.Bus.Stats().Subscribers < wl.Subscribers {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		time.Sleep(20 * time.Millisecond)
	}
	time.Sleep(time.Second) // the greetings are written
	after := inUse()
	logf("idle: Go heap and stacks in use %.1f MB idle, %.1f MB with the connections (%.1f KB per connection, clients' ends included)",
		float64(before)/(1<<20), float64(after)/(1<<20), float64(after-before)/float64(max(1, wl.Devices+wl.Subscribers))/1024)
	loaded, err := measure(fmt.Sprintf("%d devices + %d streams", wl.Devices, wl.Subscribers))
	if err != nil {
		return nil, err
	}
	return append(out, loaded...), nil
}

// inUse is the heap and stack memory in use after a collection.
func inUse() int64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return int64(m.HeapAlloc + m.StackInuse)
}

// openStream starts a stream over a raw connection and returns it once
// the response header has come.
func openStream(addr, path, token string) (net.Conn, error) {
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(nc, "GET %s HTTP/1.1\r\nHost: %s\r\nAuthorization: Bearer %s\r\nAccept: text/event-stream\r\n\r\n", path, addr, token)
	nc.SetReadDeadline(time.Now().Add(30 * time.Second))
	line, err := bufio.NewReader(nc).ReadString('\n')
	if err != nil {
		nc.Close()
		return nil, err
	}
	if !bytes.Contains([]byte(line), []byte(" 200 ")) {
		nc.Close()
		return nil, fmt.Errorf("stream: %s", strings.TrimSpace(line))
	}
	nc.SetReadDeadline(time.Time{})
	return nc, nil
}

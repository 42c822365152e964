package canary

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"os"
	"sync"
	"time"

	"github.com/opsroom/opsroom/internal/cli"
	"github.com/opsroom/opsroom/internal/tak"
)

// takFeed is one member's TAK device in one room: a CoT listener of its
// own on plain TCP (every connection to it is that member), and a device
// connected before the world is written, reading everything it is sent.
type takFeed struct {
	m    *member
	room string
	srv  *tak.Server
	nc   net.Conn
	buf  bytes.Buffer
	done chan struct{}
}

// devices connects a TAK device for every member in every room it sits
// in.
func (w *world) devices(svc *cli.Services) []*takFeed {
	var feeds []*takFeed
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	for _, r := range w.rooms {
		for _, m := range r.members {
			s := tak.New(tak.Config{TCPAddr: "127.0.0.1:0", TCPRoom: r.slug, TCPMember: m.name, TCPPartner: m.partner,
				BatchInterval: 20 * time.Millisecond}, svc.DB, svc.Members, svc.Rooms, svc.Bus, log)
			if err := s.Start(context.Background()); err != nil {
				w.t.Fatalf("TAK listener for %s in %s: %v", m.name, r.slug, err)
			}
			w.t.Cleanup(func() { s.Close() })
			nc, err := net.Dial("tcp", s.Addrs()[0].String())
			if err != nil {
				w.t.Fatal(err)
			}
			f := &takFeed{m: m, room: r.slug, srv: s, nc: nc, done: make(chan struct{})}
			go func() {
				defer close(f.done)
				io.Copy(&f.buf, nc)
			}()
			feeds = append(feeds, f)
		}
	}
	return feeds
}

// readTAK scans what each live device received, then connects a fresh
// device to each listener (all at once) and scans the snapshot it is
// sent on connecting.
func (cr *crawl) readTAK(feeds []*takFeed) {
	snaps := make([][]byte, len(feeds))
	var wg sync.WaitGroup
	for i, f := range feeds {
		f.nc.Close()
		<-f.done
		wg.Add(1)
		go func() {
			defer wg.Done()
			nc, err := net.Dial("tcp", f.srv.Addrs()[0].String())
			if err != nil {
				return // scanned as an empty snapshot; takBytes catches a silent server
			}
			defer nc.Close()
			var snap bytes.Buffer
			b := make([]byte, 64<<10)
			for wait := 2 * time.Second; ; wait = 300 * time.Millisecond { // the snapshot's start, then until it stops
				nc.SetReadDeadline(time.Now().Add(wait))
				n, err := nc.Read(b)
				snap.Write(b[:n])
				if errors.Is(err, os.ErrDeadlineExceeded) || err != nil {
					break
				}
			}
			snaps[i] = snap.Bytes()
		}()
	}
	wg.Wait()
	for i, f := range feeds {
		cr.scan(f.m, "TAK feed (live)", "", f.buf.Bytes())
		cr.scan(f.m, "TAK snapshot", "", snaps[i])
		cr.takBytes += len(snaps[i]) + f.buf.Len()
	}
}

package canary

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/opsroom/opsroom/internal/access"
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

// devices connects a TAK device for one member of every partner in every
// room.
func (w *world) devices(svc *cli.Services) []*takFeed {
	var feeds []*takFeed
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	for _, r := range w.rooms {
		seen := map[string]bool{}
		for _, m := range r.members {
			if seen[m.partner] {
				continue
			}
			seen[m.partner] = true
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

// takItem is something a device sent, waiting for its id.
type takItem struct {
	kind, word string
	author     *member
	room       *seatedRoom
	marking    access.Marking
}

// sendTAK makes items through TAK: from the devices of two members of
// every room, a marker placed by hand and a position report (the
// member's track), each with a canary as its callsign and a random
// marking CoT can carry (no TLP:RED, which names no recipients there).
func (w *world) sendTAK(feeds []*takFeed) []takItem {
	var sent []takItem
	now := time.Now().UTC()
	ts, stale := now.Format(time.RFC3339), now.Add(time.Hour).Format(time.RFC3339)
	for _, r := range w.rooms {
		n := 0
		for _, f := range feeds {
			if f.room != r.slug || n == 2 {
				continue
			}
			n++
			for _, k := range []struct{ kind, typ, how string }{{"markers", "b-m-p-s-m", "h-g-i-g-o"}, {"tracks", "a-f-G-U-C", "m-g"}} {
				word := w.word()
				m := w.marking(f.m, r)
				if m.TLP == access.Red {
					m.TLP, m.Recipients = access.AmberStrict, nil
				}
				p := w.point()
				ev := fmt.Sprintf(`<event version="2.0" uid="%s-%s" type="%s" how="%s" time="%s" start="%s" stale="%s" access="TLP:%s" releaseableTo="%s">`+
					`<point lat="%f" lon="%f" hae="0" ce="10" le="10"/><detail><contact callsign="%s"/><remarks>remarks %s</remarks></detail></event>`,
					k.kind, word, k.typ, k.how, ts, ts, stale, m.TLP, strings.Join(m.ReleasableTo, ","), p[1], p[0], word, word)
				if _, err := f.nc.Write([]byte(ev)); err != nil {
					w.t.Fatalf("TAK send: %v", err)
				}
				w.byWord[word] = &secret{} // reserved until resolved
				sent = append(sent, takItem{kind: k.kind, word: word, author: f.m, room: r, marking: m})
			}
		}
	}
	return sent
}

// resolveTAK finds the items the devices made, by their titles in the
// room's item list as their authors read it, and adds them to the world.
func (w *world) resolveTAK(sent []takItem) {
	for deadline := time.Now().Add(10 * time.Second); ; {
		missing := 0
		for _, s := range sent {
			if w.byWord[s.word].id != "" {
				continue
			}
			var page struct {
				Items []struct{ ID, Title string } `json:"items"`
			}
			s.author.c.Get("/api/v1/rooms/"+s.room.slug+"/items?q="+s.word, &page)
			for _, it := range page.Items {
				if it.Title == s.word {
					sec := &secret{id: it.ID, kind: s.kind, room: s.room.slug, canary: s.word, owner: s.author.partner, marking: s.marking}
					w.items = append(w.items, sec)
					w.byID[sec.id] = sec
					w.byWord[s.word] = sec
				}
			}
			if w.byWord[s.word].id == "" {
				missing++
			}
		}
		if missing == 0 {
			return
		}
		if time.Now().After(deadline) {
			w.t.Fatalf("%d items sent by TAK devices were not stored", missing)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

package live_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/opsroom/opsroom/internal/access"
	"github.com/opsroom/opsroom/internal/httpapi"
	"github.com/opsroom/opsroom/internal/live"
	"github.com/opsroom/opsroom/internal/store"
	"github.com/opsroom/opsroom/internal/store/storetest"
)

// TestSlowAndSilentReadersAreCutOff: beside two clients that read their
// streams, one reads nothing at all and one reads a trickle (1 KiB every
// 100 ms), with queues too large to fill: the readers get every change
// promptly, and the other two are disconnected by the write deadline
// (docs/live.md: a client that stops reading for more than the write
// timeout is disconnected), freeing their subscriptions.
func TestSlowAndSilentReadersAreCutOff(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		const timeout = time.Second
		w := newStreamWorld(t, db, httpapi.StreamConfig{Queue: 1 << 16, WriteTimeout: timeout}, nil)
		silent := stalledClient(t, w.URL, w.tokens["b2"])
		slow := stalledClient(t, w.URL, w.tokens["a2"])
		slowDone, hurry := make(chan error, 1), make(chan struct{})
		go func() {
			buf := make([]byte, 1<<10)
			for {
				slow.SetReadDeadline(time.Now().Add(30 * time.Second))
				if _, err := slow.Read(buf); err != nil {
					slowDone <- err
					return
				}
				select {
				case <-hurry: // read what is left at once
				case <-time.After(100 * time.Millisecond):
				}
			}
		}()
		readers := []*sseClient{openStream(t, w.URL, w.tokens["a1"], "", ""), openStream(t, w.URL, w.tokens["b1"], "", "")}
		waitSubscribers(t, w.bus, 4)
		const n = 600
		base := time.Now().UnixNano()
		pad := strings.Repeat("x", 8<<10)
		start := time.Now()
		for i := range n {
			data, _ := json.Marshal(map[string]string{"pad": pad})
			w.bus.Publish(live.Change{Seq: base + int64(i), RoomID: w.roomID, Kind: "note", ItemID: fmt.Sprint(i), Op: "update",
				At: time.Now(), Marking: access.Marking{TLP: access.Green}, Data: data})
			if i%10 == 0 {
				time.Sleep(time.Millisecond)
			}
		}
		for i, r := range readers {
			var worst time.Duration
			es := r.changes(t, n)
			for _, e := range es {
				if d := e.got.Sub(e.head(t).At); d > worst {
					worst = d
				}
			}
			if worst > timeout/2 {
				t.Errorf("reader %d: a change took %v to arrive beside a slow and a silent client", i, worst)
			}
		}
		// Both others are cut off: their subscriptions end within the
		// write timeout and a little, and their connections close.
		deadline := time.Now().Add(10 * timeout)
		for w.bus.Stats().Subscribers > len(readers) {
			if time.Now().After(deadline) {
				t.Fatalf("%d subscribers %v after publishing, want %d: a slow or silent client was not cut off",
					w.bus.Stats().Subscribers, time.Since(start), len(readers))
			}
			time.Sleep(20 * time.Millisecond)
		}
		if l := w.bus.Stats().Lagged; l != 0 {
			t.Errorf("%d subscribers cut off as lagging: the queues were meant not to fill, leaving the write deadline to act", l)
		}
		// What the kernel buffered for them can now be read to the end.
		close(hurry)
		silent.SetReadDeadline(time.Now().Add(10 * time.Second))
		if _, err := io.Copy(io.Discard, silent); err != nil {
			t.Errorf("the silent client's connection was not closed: %v", err)
		}
		select {
		case err := <-slowDone:
			if err != io.EOF && !errors.Is(err, syscall.ECONNRESET) {
				t.Errorf("the slow client's connection: %v", err)
			}
		case <-time.After(10 * time.Second):
			t.Error("the slow client's connection was not closed")
		}
		for _, r := range readers {
			r.close()
		}
	})
}

package tak

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/opsroom/opsroom/internal/store"
	"github.com/opsroom/opsroom/internal/store/storetest"
)

// BenchmarkFanout measures deliveries per second from one device to n
// others over loopback TCP, need-to-know filtering on (every receiver is
// checked; the event is released to two of the three partners). One op
// is one event delivered to every entitled receiver.
func BenchmarkFanout(b *testing.B) {
	for _, n := range []int{10, 100} {
		b.Run(fmt.Sprintf("receivers=%d", n), func(b *testing.B) {
			db := storetest.Open(b, store.SQLite)
			w := newWorld(b, db)
			s := w.server(b, Config{})
			sender := newDevice(b, w.attach(b, s, "a1"))
			users := []string{"a2", "b1", "c1"}
			var entitled int
			var wg sync.WaitGroup
			var conns []net.Conn
			for i := range n {
				nc := w.attach(b, s, users[i%3])
				conns = append(conns, nc)
				if users[i%3] != "c1" {
					entitled++
				}
			}
			waitFor(b, func() bool { return s.Metrics().ConnsOpen.Load() == int64(n+1) })
			// Skip what the connections were sent on joining.
			for _, nc := range conns {
				nc.SetReadDeadline(time.Now().Add(50 * time.Millisecond))
				io.Copy(io.Discard, nc)
				nc.SetReadDeadline(time.Time{})
			}
			ev := posEvent("bench", "B", 33.5, 36.3)
			ev.Access, ev.ReleaseableTo = "TLP:AMBER", "AA,BB"
			b.ResetTimer()
			for i, nc := range conns {
				if users[i%3] == "c1" {
					continue
				}
				wg.Add(1)
				go func() {
					defer wg.Done()
					countEvents(nc, b.N)
				}()
			}
			for range b.N {
				sender.send(ev)
			}
			wg.Wait()
			b.StopTimer()
			b.ReportMetric(float64(b.N*entitled)/b.Elapsed().Seconds(), "deliveries/s")
		})
	}
}

// countEvents reads until it has seen want complete events.
func countEvents(r io.Reader, want int) {
	buf := make([]byte, 64<<10)
	tag := []byte("</event>")
	seen, carry := 0, 0
	for seen < want {
		n, err := r.Read(buf[carry:])
		if err != nil {
			return
		}
		data := buf[:carry+n]
		seen += bytes.Count(data, tag)
		carry = copy(buf, data[max(0, len(data)-len(tag)+1):])
	}
}

package live_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/opsroom/opsroom/internal/access"
	"github.com/opsroom/opsroom/internal/bench/streamload"
	"github.com/opsroom/opsroom/internal/live"
	"github.com/opsroom/opsroom/internal/store"
	"github.com/opsroom/opsroom/internal/store/storetest"
)

// BenchmarkDeliver measures the bus alone: one change offered to 1,000
// subscribers of a room (need-to-know check, SSE encoding once, queueing),
// with readers draining their queues as the stream handler does.
func BenchmarkDeliver(b *testing.B) {
	bus := live.NewBus()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	for i := range 1000 {
		v := access.Viewer{MemberID: fmt.Sprint("m", i), PartnerID: fmt.Sprint("p", i%4), Rooms: map[string]bool{"r": true}}
		s := bus.Subscribe("r", v, 256)
		// Drain like the stream handler: wake, let a burst gather, take it.
		go func() {
			for {
				select {
				case <-ctx.Done():
					return
				case _, ok := <-s.C:
					if !ok {
						return
					}
				}
				time.Sleep(20 * time.Millisecond)
				for len(s.C) > 0 {
					<-s.C
				}
			}
		}()
	}
	data := []byte(`{"id":"x","title":"convoy","body":{"lat":35.1,"lon":36.7}}`)
	b.ResetTimer()
	for i := range b.N {
		bus.Publish(live.Change{Seq: int64(i + 1), RoomID: "r", Kind: "track", ItemID: "x", Op: "update", At: time.Now(),
			Marking: access.Marking{TLP: access.Amber, ReleasableTo: []string{"p1", "p2"}}, Data: data})
	}
	b.StopTimer()
	if l := bus.Stats().Lagged; l > 0 {
		b.Fatalf("%d lagged", l)
	}
}

// BenchmarkSSEFanout runs the headline workload (`opsroom bench stream`)
// for two seconds after a one-second warm-up: 1,000 subscribers over real HTTP at 1,000 changes/s,
// and 100 subscribers for comparison. It reports the p50 and p99
// publish-to-read latency.
func BenchmarkSSEFanout(b *testing.B) {
	for _, subs := range []int{100, 1000} {
		b.Run(fmt.Sprintf("subscribers=%d", subs), func(b *testing.B) {
			for range b.N {
				db := storetest.Open(b, store.SQLite)
				res, err := streamload.Workload{Subscribers: subs, Rate: 1000, Warmup: time.Second, Duration: 2 * time.Second}.Run(context.Background(), db)
				if err != nil {
					b.Fatal(err)
				}
				b.ReportMetric(float64(res[0].P99.Microseconds())/1000, "p99-ms")
				b.ReportMetric(float64(res[0].P50.Microseconds())/1000, "p50-ms")
				b.ReportMetric(res[len(res)-1].PerSecond, "published/s")
			}
		})
	}
}

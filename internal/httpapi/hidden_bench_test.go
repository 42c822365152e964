package httpapi_test

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/opsroom/opsroom/internal/access"
	"github.com/opsroom/opsroom/internal/account"
	"github.com/opsroom/opsroom/internal/item"
	"github.com/opsroom/opsroom/internal/room"
	"github.com/opsroom/opsroom/internal/store"
	"github.com/opsroom/opsroom/internal/store/storetest"
)

// BenchmarkHiddenVsMissing measures GET /api/v1/items/{id} for an item
// the caller may not see and for an id that does not exist, alternating
// the two on one connection, on an idle server ("idle") and while four
// writers share notes as fast as they can ("write-load"). It reports the
// median and 90th percentile of each: they must be equal within noise,
// or the answer time would tell a hidden item from a missing one.
func BenchmarkHiddenVsMissing(b *testing.B) {
	for _, e := range storetest.Engines() {
		for _, load := range []bool{false, true} {
			name := string(e) + "/idle"
			if load {
				name = string(e) + "/write-load"
			}
			b.Run(name, func(b *testing.B) { benchHiddenVsMissing(b, storetest.Open(b, e), load) })
		}
	}
}

func benchHiddenVsMissing(b *testing.B, db *store.DB, load bool) {
	ctx := context.Background()
	ts := newTestServer(b, db)
	sys := access.System
	for _, code := range []string{"A", "B"} {
		if _, err := ts.rooms.CreatePartner(ctx, sys, room.NewPartner{Code: code, Name: code, Kind: "state"}); err != nil {
			b.Fatal(err)
		}
	}
	if _, err := ts.rooms.CreateRoom(ctx, sys, room.NewRoom{Slug: "r", Name: "r", Purpose: "bench", CommandModel: room.Unspecified, Partners: []string{"A", "B"}}); err != nil {
		b.Fatal(err)
	}
	for _, m := range []struct{ user, partner string }{{"a", "A"}, {"b", "B"}, {"w", "A"}} {
		if _, err := ts.members.CreateMember(ctx, sys, account.NewMember{Partner: m.partner, Username: m.user, Kind: access.Device}); err != nil {
			b.Fatal(err)
		}
		if err := ts.rooms.SetMember(ctx, sys, "r", m.user, room.RoleMember); err != nil {
			b.Fatal(err)
		}
	}
	author, err := ts.members.AsMember(ctx, "a", "bench")
	if err != nil {
		b.Fatal(err)
	}
	hidden, err := ts.items.CreateNote(ctx, author, "r", item.NewNote{Title: "for A only", Marking: item.Marking{TLP: "AMBER", ReleasableTo: []string{"A"}}})
	if err != nil {
		b.Fatal(err)
	}
	missing := store.NewID()
	reader := ts.anon(b)
	tok, err := ts.members.CreateToken(ctx, sys, account.NewToken{Member: "b", Name: "bench"})
	if err != nil {
		b.Fatal(err)
	}
	reader.Token = tok.Secret

	stop := make(chan struct{})
	var writers sync.WaitGroup
	var written atomic.Int64
	if load {
		writer, err := ts.members.AsMember(ctx, "w", "bench")
		if err != nil {
			b.Fatal(err)
		}
		for range 4 {
			writers.Add(1)
			go func() {
				defer writers.Done()
				for i := 0; ; i++ {
					select {
					case <-stop:
						return
					default:
					}
					if _, err := ts.items.CreateNote(ctx, writer, "r", item.NewNote{Title: fmt.Sprintf("load %d", i), Marking: item.Marking{TLP: "GREEN"}}); err == nil {
						written.Add(1)
					}
				}
			}()
		}
	}
	get := func(id string) time.Duration {
		start := time.Now()
		if st := reader.Status("GET", "/api/v1/items/"+id); st != http.StatusNotFound {
			b.Fatalf("GET %s: %d", id, st)
		}
		return time.Since(start)
	}
	for range 50 { // warm the connection and the caches
		get(hidden.ID)
		get(missing)
	}
	var hid, mis []time.Duration
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		if i%2 == 0 {
			hid = append(hid, get(hidden.ID))
		} else {
			mis = append(mis, get(missing))
		}
	}
	b.StopTimer()
	close(stop)
	writers.Wait()
	if err := item.FlushRefusals(ctx, db); err != nil {
		b.Fatal(err)
	}
	q := func(d []time.Duration, f float64) float64 {
		if len(d) == 0 {
			return 0
		}
		slices.Sort(d)
		return float64(d[int(f*float64(len(d)-1))].Microseconds()) / 1000
	}
	b.ReportMetric(q(hid, 0.5), "hidden-p50-ms")
	b.ReportMetric(q(mis, 0.5), "missing-p50-ms")
	b.ReportMetric(q(hid, 0.9), "hidden-p90-ms")
	b.ReportMetric(q(mis, 0.9), "missing-p90-ms")
	if load {
		b.ReportMetric(float64(written.Load())/b.Elapsed().Seconds(), "writes/s")
	}
}

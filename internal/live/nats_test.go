package live_test

import (
	"context"
	"database/sql"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/url"
	"slices"
	"testing"
	"time"

	"github.com/opsroom/opsroom/internal/access"
	"github.com/opsroom/opsroom/internal/httpapi"
	"github.com/opsroom/opsroom/internal/live"
	"github.com/opsroom/opsroom/internal/store"
	"github.com/opsroom/opsroom/internal/store/storetest"
)

const natsURL = "nats://127.0.0.1:4222"

// twoInstances opens one fresh PostgreSQL schema twice, as two server
// instances sharing a database do.
func twoInstances(t *testing.T) (*store.DB, *store.DB) {
	t.Helper()
	base := storetest.PostgresURL()
	if base == "" {
		t.Skip("several instances need PostgreSQL: set OPSROOM_TEST_POSTGRES=postgres://user@127.0.0.1:5432/test to run this test")
	}
	c, err := net.DialTimeout("tcp", "127.0.0.1:4222", time.Second)
	if err != nil {
		t.Skipf("no NATS server at %s (%v): start one (nats-server) to run this test", natsURL, err)
	}
	c.Close()
	ctx := context.Background()
	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatal(err)
	}
	schema := "live_" + store.NewID()[24:]
	if _, err := admin.ExecContext(ctx, "CREATE SCHEMA "+schema); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		admin.ExecContext(context.Background(), "DROP SCHEMA "+schema+" CASCADE")
		admin.Close()
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	var dbs [2]*store.DB
	for i := range dbs {
		if dbs[i], err = store.Open(ctx, store.Options{URL: u.String()}); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { dbs[i].Close() })
	}
	return dbs[0], dbs[1]
}

// TestNATSCarriesChangesBetweenInstances: two servers share one
// PostgreSQL schema and a NATS server; notes are shared on both, in turn
// at random; every member's stream on either server carries exactly the
// notes it may see, in the order they were committed.
func TestNATSCarriesChangesBetweenInstances(t *testing.T) {
	db1, db2 := twoInstances(t)
	bus1, bus2 := live.NewBus(), live.NewBus()
	one := newStreamWorld(t, db1, httpapi.StreamConfig{}, bus1)
	two := newStreamInstance(t, db2, httpapi.StreamConfig{}, bus2)
	ctx := context.Background()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	for _, b := range []*live.Bus{bus1, bus2} {
		db := db1
		if b == bus2 {
			db = db2
		}
		stop, err := live.Start(ctx, db, b, natsURL, log)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(stop)
	}
	streams := map[*streamWorld]map[string]*sseClient{}
	for _, w := range []*streamWorld{one, two} {
		streams[w] = map[string]*sseClient{}
		for _, u := range w.users {
			streams[w][u] = openStream(t, w.URL, w.tokens[u], "", "")
		}
	}
	rng := rand.New(rand.NewPCG(9, 1))
	want := map[string][]string{}
	for range 60 {
		w := one
		if rng.IntN(2) == 0 {
			w = two
		}
		id, m := w.note(t, rng, w.users[rng.IntN(len(w.users))])
		for _, u := range w.users {
			if access.CanSee(w.who[u].Viewer, w.roomID, m) {
				want[u] = append(want[u], id)
			}
		}
	}
	for _, w := range []*streamWorld{one, two} {
		for _, u := range w.users {
			got := itemIDs(t, streams[w][u].changes(t, len(want[u])))
			if !slices.Equal(got, want[u]) {
				t.Errorf("instance %p, %s:\n got %v\nwant %v", w, u, got, want[u])
			}
			if e, ok := streams[w][u].next(200 * time.Millisecond); ok {
				t.Errorf("%s: an extra event %+v", u, e)
			}
		}
	}
}

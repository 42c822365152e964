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
	"strings"
	"testing"
	"time"

	"github.com/opsroom/opsroom/internal/access"
	"github.com/opsroom/opsroom/internal/audit"
	"github.com/opsroom/opsroom/internal/httpapi"
	"github.com/opsroom/opsroom/internal/item"
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
	return sharedDatabase(t)
}

// sharedDatabase opens one fresh PostgreSQL schema twice.
func sharedDatabase(t *testing.T) (*store.DB, *store.DB) {
	t.Helper()
	base := storetest.PostgresURL()
	if base == "" {
		t.Skip("several instances need PostgreSQL: set OPSROOM_TEST_POSTGRES=postgres://user@127.0.0.1:5432/test to run this test")
	}
	var err error
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

// TestNATSCarriesReferences: a change naming a note only a1 may read,
// committed on one instance, reaches every member's stream on the other
// instance, and only a1's names the note.
func TestNATSCarriesReferences(t *testing.T) {
	db1, db2 := twoInstances(t)
	bus1, bus2 := live.NewBus(), live.NewBus()
	one := newStreamWorld(t, db1, httpapi.StreamConfig{}, bus1)
	two := newStreamInstance(t, db2, httpapi.StreamConfig{}, bus2)
	ctx := context.Background()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	for b, db := range map[*live.Bus]*store.DB{bus1: db1, bus2: db2} {
		stop, err := live.Start(ctx, db, b, natsURL, log)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(stop)
	}
	streams := map[string]*sseClient{}
	for _, u := range two.users {
		streams[u] = openStream(t, two.URL, two.tokens[u], "", "")
	}
	hidden, _ := one.noteWith(t, "a1", item.Marking{TLP: "RED", Recipients: []string{"a1"}})
	p := one.who["a1"]
	rec := &item.Record{RoomID: one.roomID, Room: "ops", Kind: "note", Title: "pointer", Marking: access.Marking{TLP: access.Green},
		Shown: item.Marking{TLP: "GREEN"}, Owner: p.PartnerID, Author: p.ID}
	if err := db1.Write(ctx, func(tx *store.Tx) error {
		refs, err := item.RefsTo(ctx, tx, "points_at", hidden)
		if err != nil {
			return err
		}
		return item.Insert(ctx, tx, bus1, rec, audit.By(p), item.WithRefs(map[string]any{"title": "pointer", "points_at": hidden}, refs))
	}); err != nil {
		t.Fatal(err)
	}
	for _, u := range two.users {
		want := 1
		if u == "a1" {
			want = 2
		}
		evs := streams[u].changes(t, want)
		last := evs[len(evs)-1].Data
		if !strings.Contains(last, `"pointer"`) {
			t.Fatalf("%s: the last change is not the pointer: %s", u, last)
		}
		if named := strings.Contains(last, hidden); named != (u == "a1") {
			t.Errorf("%s on the other instance: names the hidden note %v; want %v: %s", u, named, u == "a1", last)
		}
	}
}

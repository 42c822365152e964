package live_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"io"
	"log/slog"
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

// reopenable returns how to open one database again and again on
// engine, as a server stopped and started on the same data directory
// or database does.
func reopenable(t *testing.T, engine store.Engine) store.Options {
	t.Helper()
	if engine == store.SQLite {
		return store.Options{Dir: t.TempDir()}
	}
	base := storetest.PostgresURL()
	if base == "" {
		t.Skip("PostgreSQL tests are off: set OPSROOM_TEST_POSTGRES to run them")
	}
	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatal(err)
	}
	schema := "durable_" + store.NewID()[24:]
	if _, err := admin.ExecContext(context.Background(), "CREATE SCHEMA "+schema); err != nil {
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
	return store.Options{URL: u.String()}
}

// server is one run of a server: its database, bus and live machinery.
type server struct {
	*streamWorld
	stop func()
}

func startServer(t *testing.T, o store.Options, first bool, natsURL string) *server {
	return startServerKeeping(t, o, first, natsURL, live.Log{})
}

// startServerKeeping starts a server whose log has keep's window and
// replay bound (0: the defaults).
func startServerKeeping(t *testing.T, o store.Options, first bool, natsURL string, keep live.Log) *server {
	t.Helper()
	ctx := context.Background()
	db, err := store.Open(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	bus := live.NewBus()
	bus.Keep(&live.Log{DB: db, Window: keep.Window, MaxReplay: keep.MaxReplay, Marking: item.LoadMarking})
	var w *streamWorld
	if first {
		w = newStreamWorld(t, db, httpapi.StreamConfig{}, bus)
	} else {
		w = newStreamInstance(t, db, httpapi.StreamConfig{}, bus)
	}
	stopLive, err := live.Start(ctx, db, bus, natsURL, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	s := &server{streamWorld: w}
	var once bool
	s.stop = func() {
		if once {
			return
		}
		once = true
		w.Close()
		stopLive()
		db.Close()
	}
	t.Cleanup(s.stop)
	return s
}

// made is one change made while a client was away: its item and the
// marking it was made with.
type made struct {
	id string
	m  access.Marking
}

// narrow gives note id the marking m (releasable to partner A only),
// as a new version: a change published like any other.
func (w *streamWorld) narrow(t *testing.T, id string, m access.Marking, shown item.Marking) {
	t.Helper()
	ctx := context.Background()
	err := w.db.Write(ctx, func(tx *store.Tx) error {
		return item.Remark(ctx, tx, w.bus, w.roomID, "note", id, m, shown, audit.By(w.who["a1"]), nil)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// pointer shares a GREEN note by author whose data names the items ids.
func (w *streamWorld) pointer(t *testing.T, author string, ids ...string) string {
	t.Helper()
	ctx := context.Background()
	p := w.who[author]
	rec := &item.Record{RoomID: w.roomID, Room: "ops", Kind: "note", Title: "pointer", Marking: access.Marking{TLP: access.Green},
		Shown: item.Marking{TLP: "GREEN"}, Owner: p.PartnerID, Author: p.ID}
	err := w.db.Write(ctx, func(tx *store.Tx) error {
		refs, err := item.RefsTo(ctx, tx, "points_at[]", ids...)
		if err != nil {
			return err
		}
		return item.Insert(ctx, tx, w.bus, rec, audit.By(p), item.WithRefs(map[string]any{"title": "pointer", "points_at": ids}, refs))
	})
	if err != nil {
		t.Fatal(err)
	}
	return rec.ID
}

// expect returns the item IDs of the changes v may see, in order: each
// judged on its marking then and its item's marking now.
func expect(v access.Viewer, roomID string, changes []made, now map[string]access.Marking) []string {
	var out []string
	for _, c := range changes {
		if access.CanSee(v, roomID, c.m) && access.CanSee(v, roomID, now[c.id]) {
			out = append(out, c.id)
		}
	}
	return out
}

// TestStreamResumesAfterRestart: two members of different partners
// follow a room, go away, and changes of every marking are made, on the
// server before it stops and after it starts again on the same data,
// among them items narrowed while they were away (one they had seen,
// one made after they left). Each resumes with its Last-Event-ID and
// receives exactly the changes it missed that it may see now, in order,
// none twice, then goes on live.
func TestStreamResumesAfterRestart(t *testing.T) {
	for _, engine := range storetest.Engines() {
		t.Run(string(engine), func(t *testing.T) {
			o := reopenable(t, engine)
			s1 := startServer(t, o, true, "")
			testResume(t, s1, func() *server {
				s1.stop()
				return startServer(t, o, false, "")
			})
		})
	}
}

// TestStreamResumesOnAnotherInstance: the same, resuming on another
// instance sharing the PostgreSQL database through NATS, which started
// after the changes were made and so holds none of them in memory.
func TestStreamResumesOnAnotherInstance(t *testing.T) {
	db1, _ := twoInstances(t)
	// twoInstances made the schema; both servers open it again by URL.
	var search string
	if err := db1.QueryRow(context.Background(), `SELECT current_schema()`).Scan(&search); err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(storetest.PostgresURL())
	q := u.Query()
	q.Set("search_path", search)
	u.RawQuery = q.Encode()
	o := store.Options{URL: u.String()}
	s1 := startServer(t, o, true, natsURL)
	testResume(t, s1, func() *server { return startServer(t, o, false, natsURL) })
}

func testResume(t *testing.T, s1 *server, restart func() *server) {
	green := item.Marking{TLP: "GREEN"}
	onlyA := item.Marking{TLP: "GREEN", ReleasableTo: []string{"A"}}
	onlyB := item.Marking{TLP: "AMBER", ReleasableTo: []string{"B"}}
	red := func(who ...string) item.Marking { return item.Marking{TLP: "RED", Recipients: who} }
	viewers := []string{"a1", "b1"}

	// Both follow and see a first note; each keeps its last event id.
	last := map[string]string{}
	var liveData string // b1's first event, received live
	for _, u := range viewers {
		c := openStream(t, s1.URL, s1.tokens[u], "", "")
		s1.noteWith(t, "a1", green) // the stream is open once this arrives
		es := c.changes(t, 1)
		last[u] = es[0].ID
		liveData = es[0].Data
		c.close()
	}
	var away []made
	mk := func(s *server, author string, m item.Marking) string {
		id, pm := s.noteWith(t, author, m)
		away = append(away, made{id, pm})
		return id
	}
	// While they are away, on the first server.
	mk(s1, "a1", green)
	mk(s1, "b1", onlyB)
	mk(s1, "a1", onlyA)
	mk(s1, "a2", red("a2", "a1"))
	mk(s1, "b2", red("b2", "b1"))
	gone := mk(s1, "b2", green) // made visible to all, narrowed later
	hiddenThen := mk(s1, "a1", onlyA)
	// A note naming both: b1 gets it without either reference.
	pointer := s1.pointer(t, "a1", gone, hiddenThen)
	away = append(away, made{pointer, access.Marking{TLP: access.Green}})
	s2 := restart()
	// After the restart, before they come back.
	mk(s2, "a2", green)
	mk(s2, "b1", item.Marking{TLP: "AMBER", ReleasableTo: []string{"A", "B"}})
	partnerA := s2.who["a1"].Viewer.PartnerID
	narrowTo := access.Marking{TLP: access.Label("GREEN"), ReleasableTo: []string{partnerA}}
	s2.narrow(t, gone, narrowTo, onlyA)
	away = append(away, made{gone, narrowTo})
	mk(s2, "a1", green)

	now := map[string]access.Marking{}
	for _, c := range away {
		m, err := item.LoadMarking(context.Background(), s2.db, c.id)
		if err != nil {
			t.Fatal(err)
		}
		now[c.id] = m
	}
	resumed := map[string]*sseClient{}
	for _, u := range viewers {
		v := s2.who[u].Viewer
		// a1's first event was followed by the note made for b1's stream.
		pre := 0
		if u == "a1" {
			pre = 1
		}
		want := expect(v, s2.roomID, away, now)
		r := openStream(t, s2.URL, s2.tokens[u], "", last[u])
		resumed[u] = r
		got := r.changes(t, pre+len(want))
		ids := itemIDs(t, got)[pre:]
		if !slices.Equal(ids, want) {
			t.Errorf("%s resumed after %s:\n got %v\nwant %v", u, last[u], ids, want)
		}
		if u == "a1" && got[0].Data != liveData {
			t.Errorf("a replayed change differs from the same change sent live:\n%s\n%s", got[0].Data, liveData)
		}
		for _, e := range got {
			if c := e.change(t); c.ItemID == pointer {
				names := strings.Contains(e.Data, gone) || strings.Contains(e.Data, hiddenThen)
				both := strings.Contains(e.Data, gone) && strings.Contains(e.Data, hiddenThen)
				if (u == "a1" && !both) || (u == "b1" && names) {
					t.Errorf("%s: the pointer's references are not redacted for it: %s", u, e.Data)
				}
			}
		}
		if slices.Contains(ids, gone) != (u == "a1") {
			t.Errorf("%s: the item narrowed while away must reach only partner A's member; got %v", u, ids)
		}
		for i := 1; i < len(got); i++ {
			p, _ := live.ParsePos(got[i-1].ID)
			q, _ := live.ParsePos(got[i].ID)
			if !p.Less(q) {
				t.Errorf("%s: ids out of order or repeated: %s then %s", u, got[i-1].ID, got[i].ID)
			}
		}
		if e, ok := r.next(300 * time.Millisecond); ok {
			t.Errorf("%s: an extra event after the missed ones: %+v", u, e)
		}
	}
	// And the streams go on live.
	id, _ := s2.noteWith(t, "b2", green)
	for _, u := range viewers {
		if got := itemIDs(t, resumed[u].changes(t, 1)); got[0] != id {
			t.Errorf("%s: after the replay the stream goes on: got %v want %s", u, got, id)
		}
		if e, ok := resumed[u].next(300 * time.Millisecond); ok {
			t.Errorf("%s: an extra event after the live one: %+v", u, e)
		}
		resumed[u].close()
	}
}

// TestStreamResetsBeyondTheWindow: changes older than the window are
// pruned; a client whose last event was among them is told to refetch,
// one whose last event is kept resumes from the log.
func TestStreamResetsBeyondTheWindow(t *testing.T) {
	for _, engine := range storetest.Engines() {
		t.Run(string(engine), func(t *testing.T) {
			o := reopenable(t, engine)
			s1 := startServer(t, o, true, "")
			green := item.Marking{TLP: "GREEN"}
			c := openStream(t, s1.URL, s1.tokens["a1"], "", "")
			s1.noteWith(t, "a1", green)
			old := c.changes(t, 1)[0].ID
			c.close()
			s1.noteWith(t, "b1", green) // missed, and pruned
			time.Sleep(20 * time.Millisecond)
			cut := time.Now()
			time.Sleep(20 * time.Millisecond)
			kept, _ := s1.noteWith(t, "a1", green)
			later, _ := s1.noteWith(t, "b1", green)
			s1.stop()
			s2 := startServerKeeping(t, o, false, "", live.Log{Window: time.Hour})
			l := s2.bus.Kept()
			n, err := l.Prune(context.Background(), cut.Add(time.Hour))
			if err != nil || n == 0 {
				t.Fatalf("prune: %d, %v", n, err)
			}
			r := openStream(t, s2.URL, s2.tokens["a1"], "", old)
			e, ok := r.next(5 * time.Second)
			if !ok || e.Event != "reset" {
				t.Fatalf("beyond the window: want reset, got %+v (ok %v)", e, ok)
			}
			r.close()
			// Resuming from the last pruned change.
			p, _ := live.ParsePos(old)
			floor, _ := l.Floor(context.Background())
			if !p.Less(floor) {
				t.Fatalf("the floor %v did not move past %v", floor, p)
			}
			r = openStream(t, s2.URL, s2.tokens["a1"], "", floor.String())
			if got := itemIDs(t, r.changes(t, 2)); !slices.Equal(got, []string{kept, later}) {
				t.Fatalf("within the window: got %v want %v", got, []string{kept, later})
			}
		})
	}
}

// TestReplayFromTheLogRedactsReferences: a replay read from the log
// removes the references its viewer may not see, judged on the marking
// the change carried and on the referenced item's marking now; and
// leaves out a change whose item its viewer may no longer see.
func TestReplayFromTheLogRedactsReferences(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		room := "room1"
		va := access.Viewer{MemberID: "ma", PartnerID: "A", Rooms: map[string]bool{room: true}}
		vb := access.Viewer{MemberID: "mb", PartnerID: "B", Rooms: map[string]bool{room: true}}
		green := access.Marking{TLP: "GREEN"}
		onlyA := access.Marking{TLP: "GREEN", ReleasableTo: []string{"A"}}
		changes := []live.Change{
			{RoomID: room, Kind: "claim", ItemID: "c1", Op: "create", Marking: green,
				Data: json.RawMessage(`{"id":"c1","supporting":["r1","r2"]}`),
				Refs: []live.Ref{{ID: "r1", Path: "supporting[]", Marking: onlyA}, {ID: "r2", Path: "supporting[]", Marking: green}}},
			{RoomID: room, Kind: "note", ItemID: "n1", Op: "create", Marking: green, Data: json.RawMessage(`{"id":"n1"}`)},
		}
		for _, c := range changes {
			err := db.Write(ctx, func(tx *store.Tx) error {
				rec, err := audit.Append(ctx, tx, audit.Record{Action: c.Kind + ".create", Kind: c.Kind, ObjectID: c.ItemID})
				if err != nil {
					return err
				}
				c.Seq, c.At = rec.Seq, rec.At
				return live.Persist(ctx, tx, c)
			})
			if err != nil {
				t.Fatal(err)
			}
		}
		// Since then r2 and n1 were narrowed to partner A.
		now := map[string]access.Marking{"r1": onlyA, "r2": onlyA, "n1": onlyA, "c1": green}
		bus := live.NewBus()
		head, _, _ := audit.Head(ctx, db)
		bus.SetFloor(head)
		bus.Keep(&live.Log{DB: db, Marking: func(_ context.Context, _ store.Reader, id string) (access.Marking, error) {
			if m, ok := now[id]; ok {
				return m, nil
			}
			return access.Marking{}, store.ErrNotFound
		}})
		floor, err := bus.Kept().Floor(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, tc := range []struct {
			v    access.Viewer
			want []string
		}{
			{va, []string{`{"id":"c1","supporting":["r1","r2"]}`, `{"id":"n1"}`}},
			{vb, []string{`{"id":"c1","supporting":[]}`}},
		} {
			s, res, err := bus.SubscribeFromContext(ctx, room, tc.v, 16, &floor)
			if err != nil {
				t.Fatal(err)
			}
			if res.Reset {
				t.Fatalf("%s: reset", tc.v.PartnerID)
			}
			var got []string
			for _, c := range res.Replay {
				got = append(got, string(c.Data))
				if tc.v.PartnerID == "B" && strings.Contains(string(c.Frame()), "r1") {
					t.Errorf("B's frame names a hidden report: %s", c.Frame())
				}
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("%s: got %v want %v", tc.v.PartnerID, got, tc.want)
			}
			s.Close()
		}
	})
}

// TestLongReplayComesInParts: a client that missed more changes than one
// replay reads receives them in parts, each ending with a closed event
// whose id is where the next goes on, and so, reconnecting as
// EventSource does, every change it may see, once.
func TestLongReplayComesInParts(t *testing.T) {
	for _, engine := range storetest.Engines() {
		t.Run(string(engine), func(t *testing.T) {
			o := reopenable(t, engine)
			s1 := startServer(t, o, true, "")
			c := openStream(t, s1.URL, s1.tokens["b1"], "", "")
			s1.noteWith(t, "a1", item.Marking{TLP: "GREEN"})
			last := c.changes(t, 1)[0].ID
			c.close()
			var away []made
			for i := range 12 {
				m := item.Marking{TLP: "GREEN"}
				if i%3 != 0 {
					m.ReleasableTo = []string{"A"} // a run b1 may not see
				}
				id, pm := s1.noteWith(t, "a1", m)
				away = append(away, made{id, pm})
			}
			s1.stop()
			s2 := startServerKeeping(t, o, false, "", live.Log{MaxReplay: 2})
			now := map[string]access.Marking{}
			for _, c := range away {
				now[c.id] = c.m
			}
			want := expect(s2.who["b1"].Viewer, s2.roomID, away, now)
			var got []string
			parts := 0
			for id := last; ; parts++ {
				if parts > 10 {
					t.Fatalf("no end to the parts; got %v", got)
				}
				r := openStream(t, s2.URL, s2.tokens["b1"], "", id)
				var e sseEvent
				var ok bool
				for {
					if e, ok = r.next(time.Second); !ok || e.Event != "change" {
						break
					}
					got = append(got, e.change(t).ItemID)
				}
				r.close()
				if !ok {
					break // the replay is over and the stream is live
				}
				if e.Event != "closed" || e.ID == "" {
					t.Fatalf("want a closed event with an id, got %+v", e)
				}
				id = e.ID
			}
			if parts < 3 || !slices.Equal(got, want) {
				t.Fatalf("in %d parts:\n got %v\nwant %v", parts, got, want)
			}
		})
	}
}

// TestResumeAfterARoomResetReadsTheLog: an instance that gave up on a
// change (it never arrived through NATS) closes the room's streams; a
// client resuming from before it gets it from the log, then the rest.
func TestResumeAfterARoomResetReadsTheLog(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		room := "room1"
		v := access.Viewer{MemberID: "m", PartnerID: "A", Rooms: map[string]bool{room: true}}
		bus := live.NewBus()
		head, _, _ := audit.Head(ctx, db)
		bus.SetFloor(head)
		bus.Keep(&live.Log{DB: db})
		var cs []live.Change
		for i := range 3 {
			c := live.Change{RoomID: room, Kind: "note", ItemID: "n" + string(rune('1'+i)), Op: "create", Marking: access.Marking{TLP: "GREEN"}}
			err := db.Write(ctx, func(tx *store.Tx) error {
				rec, err := audit.Append(ctx, tx, audit.Record{Action: "note.create", Kind: "note", ObjectID: c.ItemID})
				if err != nil {
					return err
				}
				c.Seq, c.At = rec.Seq, rec.At
				return live.Persist(ctx, tx, c)
			})
			if err != nil {
				t.Fatal(err)
			}
			cs = append(cs, c)
		}
		bus.Deliver(cs[0])
		bus.ResetRoom(room, cs[1].Seq) // cs[1] never arrived
		bus.Deliver(cs[2])
		after := live.Pos{Seq: cs[0].Seq}
		s, res, err := bus.SubscribeFromContext(ctx, room, v, 16, &after)
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		var got []string
		for _, c := range res.Replay {
			got = append(got, c.ItemID)
		}
		if res.Reset || !slices.Equal(got, []string{"n2", "n3"}) {
			t.Fatalf("reset %v, replay %v; want n2, n3", res.Reset, got)
		}
	})
}

package live_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/opsroom/opsroom/internal/access"
	"github.com/opsroom/opsroom/internal/account"
	"github.com/opsroom/opsroom/internal/httpapi"
	"github.com/opsroom/opsroom/internal/item"
	"github.com/opsroom/opsroom/internal/live"
	"github.com/opsroom/opsroom/internal/room"
	"github.com/opsroom/opsroom/internal/store"
	"github.com/opsroom/opsroom/internal/store/storetest"
)

// streamWorld is a server with the stream route, and a room "ops" shared
// by partners A and B with two device members each (a1, a2, b1, b2), all
// signed in with API tokens.
type streamWorld struct {
	*httptest.Server
	db      *store.DB
	members *account.Service
	rooms   *room.Service
	items   *item.Service
	bus     *live.Bus
	roomID  string
	users   []string
	tokens  map[string]string
	who     map[string]access.Principal
}

func newStreamWorld(t *testing.T, db *store.DB, cfg httpapi.StreamConfig, bus *live.Bus) *streamWorld {
	t.Helper()
	ctx := context.Background()
	if bus == nil {
		bus = live.NewBus()
	}
	rooms := room.NewService(db)
	w := &streamWorld{db: db, members: account.NewService(db), rooms: rooms, items: item.NewService(db, rooms, bus), bus: bus,
		tokens: map[string]string{}, who: map[string]access.Principal{}}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	api := httpapi.New(&httpapi.Server{DB: db, Members: w.members, Rooms: rooms, Items: w.items, Bus: bus,
		Extra: []func(*httpapi.API){httpapi.Stream(cfg)}}, log)
	w.Server = httptest.NewServer(api.Handler())
	t.Cleanup(w.Close)
	if err := seedStreamRoom(ctx, w.members, rooms); err != nil {
		t.Fatal(err)
	}
	w.loadUsers(t)
	return w
}

// newStreamInstance is another server on a database that newStreamWorld
// already seeded (another instance sharing it).
func newStreamInstance(t *testing.T, db *store.DB, cfg httpapi.StreamConfig, bus *live.Bus) *streamWorld {
	t.Helper()
	rooms := room.NewService(db)
	w := &streamWorld{db: db, members: account.NewService(db), rooms: rooms, items: item.NewService(db, rooms, bus), bus: bus,
		tokens: map[string]string{}, who: map[string]access.Principal{}}
	api := httpapi.New(&httpapi.Server{DB: db, Members: w.members, Rooms: rooms, Items: w.items, Bus: bus,
		Extra: []func(*httpapi.API){httpapi.Stream(cfg)}}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	w.Server = httptest.NewServer(api.Handler())
	t.Cleanup(w.Close)
	w.loadUsers(t)
	return w
}

// seedStreamRoom makes partners A and B, their members and the room.
func seedStreamRoom(ctx context.Context, members *account.Service, rooms *room.Service) error {
	sys := access.System
	for _, code := range []string{"A", "B"} {
		if _, err := rooms.CreatePartner(ctx, sys, room.NewPartner{Code: code, Name: code, Kind: "state"}); err != nil {
			return err
		}
	}
	if _, err := rooms.CreateRoom(ctx, sys, room.NewRoom{Slug: "ops", Name: "ops", Purpose: "test", CommandModel: room.Unspecified, Partners: []string{"A", "B"}}); err != nil {
		return err
	}
	for _, u := range []string{"a1", "a2", "b1", "b2"} {
		if _, err := members.CreateMember(ctx, sys, account.NewMember{Partner: strings.ToUpper(u[:1]), Username: u, Kind: access.Device}); err != nil {
			return err
		}
		if err := rooms.SetMember(ctx, sys, "ops", u, room.RoleMember); err != nil {
			return err
		}
	}
	return nil
}

// loadUsers gives every member a token and loads its principal (for
// access.CanSee in the checks).
func (w *streamWorld) loadUsers(t *testing.T) {
	ctx := context.Background()
	w.users = []string{"a1", "a2", "b1", "b2"}
	for _, u := range w.users {
		tok, err := w.members.CreateToken(ctx, access.System, account.NewToken{Member: u, Name: "stream"})
		if err != nil {
			t.Fatal(err)
		}
		w.tokens[u] = tok.Secret
		if w.who[u], err = w.members.AsMember(ctx, u, "test"); err != nil {
			t.Fatal(err)
		}
	}
	rm, err := w.rooms.Room(ctx, access.System, "ops")
	if err != nil {
		t.Fatal(err)
	}
	w.roomID = rm.ID
}

// note shares a note by author with a random valid marking and returns
// its ID and marking in the policy's form.
func (w *streamWorld) note(t *testing.T, rng *rand.Rand, author string) (string, access.Marking) {
	t.Helper()
	m := randomMarking(rng, author, w.users)
	return w.noteWith(t, author, m)
}

func (w *streamWorld) noteWith(t *testing.T, author string, m item.Marking) (string, access.Marking) {
	t.Helper()
	ctx := context.Background()
	it, err := w.items.CreateNote(ctx, w.who[author], "ops", item.NewNote{Title: "n", Marking: m})
	if err != nil {
		t.Fatalf("create note %+v: %v", m, err)
	}
	pm, err := item.LoadMarking(ctx, w.db, it.ID)
	if err != nil {
		t.Fatal(err)
	}
	return it.ID, pm
}

func randomMarking(rng *rand.Rand, author string, users []string) item.Marking {
	labels := []string{"CLEAR", "GREEN", "AMBER", "AMBER+STRICT", "RED"}
	own := strings.ToUpper(author[:1])
	m := item.Marking{TLP: labels[rng.IntN(len(labels))]}
	if rng.IntN(2) == 0 {
		m.ReleasableTo = []string{own}
		if rng.IntN(2) == 0 {
			m.ReleasableTo = []string{"A", "B"}
		}
	}
	if m.TLP == "RED" {
		m.Recipients = []string{author}
		for _, u := range users {
			p := strings.ToUpper(u[:1])
			if u != author && rng.IntN(2) == 0 && (len(m.ReleasableTo) == 0 || slices.Contains(m.ReleasableTo, p)) {
				m.Recipients = append(m.Recipients, u)
			}
		}
	}
	return m
}

// sseEvent is one event as a client reads it.
type sseEvent struct {
	ID, Event, Data string
	got             time.Time
}

func (e sseEvent) change(t *testing.T) live.Change {
	t.Helper()
	var c live.Change
	if err := json.Unmarshal([]byte(e.Data), &c); err != nil {
		t.Fatalf("event data %q: %v", e.Data, err)
	}
	return c
}

// head decodes a change without its data (which comes last): the large
// changes of the stall test are cheap to check this way.
func (e sseEvent) head(t *testing.T) live.Change {
	t.Helper()
	var c live.Change
	d, _, _ := strings.Cut(e.Data, `,"data":`)
	if !strings.HasSuffix(d, "}") {
		d += "}"
	}
	if err := json.Unmarshal([]byte(d), &c); err != nil {
		t.Fatalf("event data %q: %v", e.Data, err)
	}
	return c
}

// sseClient reads a stream the way a browser's EventSource does: lines
// until a blank one make an event; comment lines are skipped.
type sseClient struct {
	res    *http.Response
	events chan sseEvent
	cancel context.CancelFunc
}

func openStream(t *testing.T, base, token, query, lastID string) *sseClient {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, "GET", base+"/api/v1/rooms/ops/stream"+query, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Accept", "text/event-stream")
	if lastID != "" {
		req.Header.Set("Last-Event-ID", lastID)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	if res.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		cancel()
		t.Fatalf("stream: %d %s", res.StatusCode, b)
	}
	c := &sseClient{res: res, events: make(chan sseEvent, 1<<16), cancel: cancel}
	go func() {
		defer close(c.events)
		defer res.Body.Close()
		sc := bufio.NewScanner(res.Body)
		sc.Buffer(make([]byte, 64<<10), 4<<20)
		var e sseEvent
		for sc.Scan() {
			line := sc.Text()
			switch {
			case line == "":
				if e.Event != "" || e.Data != "" {
					e.got = time.Now()
					c.events <- e
				}
				e = sseEvent{ID: e.ID} // the id carries over, as in EventSource
				e.Event, e.Data = "", ""
			case strings.HasPrefix(line, ":"):
			default:
				k, v, _ := strings.Cut(line, ":")
				v = strings.TrimPrefix(v, " ")
				switch k {
				case "id":
					e.ID = v
				case "event":
					e.Event = v
				case "data":
					e.Data = v
				}
			}
		}
	}()
	t.Cleanup(c.close)
	return c
}

func (c *sseClient) close() { c.cancel() }

// next returns the next event, or ok false on end of stream or timeout.
func (c *sseClient) next(timeout time.Duration) (sseEvent, bool) {
	select {
	case e, ok := <-c.events:
		return e, ok
	case <-time.After(timeout):
		return sseEvent{}, false
	}
}

// changes reads change events until it has n of them.
func (c *sseClient) changes(t *testing.T, n int) []sseEvent {
	t.Helper()
	var out []sseEvent
	for len(out) < n {
		e, ok := c.next(10 * time.Second)
		if !ok {
			t.Fatalf("stream ended or stalled after %d of %d changes", len(out), n)
		}
		if e.Event != "change" {
			t.Fatalf("unexpected event %q %s", e.Event, e.Data)
		}
		out = append(out, e)
	}
	return out
}

func itemIDs(t *testing.T, es []sseEvent) []string {
	var out []string
	for _, e := range es {
		out = append(out, e.change(t).ItemID)
	}
	return out
}

// TestStreamShowsEachViewerItsSubsetInOrder: members of two partners
// follow one room while notes with random markings are shared; each
// stream carries exactly the notes access.CanSee lets its member see, in
// the order they were shared, with increasing ids.
func TestStreamShowsEachViewerItsSubsetInOrder(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newStreamWorld(t, db, httpapi.StreamConfig{}, nil)
		rng := rand.New(rand.NewPCG(4, 2))
		streams := map[string]*sseClient{}
		for _, u := range w.users {
			streams[u] = openStream(t, w.URL, w.tokens[u], "", "")
		}
		want := map[string][]string{}
		for range 80 {
			author := w.users[rng.IntN(len(w.users))]
			id, m := w.note(t, rng, author)
			for _, u := range w.users {
				if access.CanSee(w.who[u].Viewer, w.roomID, m) {
					want[u] = append(want[u], id)
				}
			}
		}
		// A last note everyone sees: nothing may come between the expected
		// changes and it.
		last, _ := w.noteWith(t, "a1", item.Marking{TLP: "CLEAR"})
		for _, u := range w.users {
			got := streams[u].changes(t, len(want[u])+1)
			ids := itemIDs(t, got)
			if !slices.Equal(ids, append(want[u], last)) {
				t.Errorf("%s received %d changes, want %d:\n got %v\nwant %v", u, len(ids), len(want[u])+1, ids, append(want[u], last))
			}
			var prev live.Pos
			for i, e := range got {
				p, err := live.ParsePos(e.ID)
				if err != nil || (i > 0 && !prev.Less(p)) {
					t.Fatalf("%s: event id %q after %v", u, e.ID, prev)
				}
				if c := e.change(t); c.Seq != p.Seq || c.RoomID != w.roomID || c.Kind != "note" || c.Op != "create" || len(c.Data) == 0 {
					t.Fatalf("%s: change %+v under id %s", u, c, e.ID)
				}
				prev = p
			}
		}
		if len(want["a1"]) == len(want["b1"]) && slices.Equal(want["a1"], want["b1"]) {
			t.Fatal("the markings drawn did not tell the partners apart")
		}
	})
}

// TestStreamResumesWithoutGapOrRepeat: a client that drops off and comes
// back with Last-Event-ID (or ?after=) receives exactly what it missed.
func TestStreamResumesWithoutGapOrRepeat(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newStreamWorld(t, db, httpapi.StreamConfig{}, nil)
		rng := rand.New(rand.NewPCG(7, 7))
		for _, how := range []string{"header", "query"} {
			s := openStream(t, w.URL, w.tokens["b2"], "", "")
			var want []string
			for range 30 {
				id, m := w.note(t, rng, w.users[rng.IntN(len(w.users))])
				if access.CanSee(w.who["b2"].Viewer, w.roomID, m) {
					want = append(want, id)
				}
			}
			if len(want) < 6 {
				t.Fatalf("only %d visible changes drawn", len(want))
			}
			first := s.changes(t, 5)
			s.close()
			for range 30 {
				id, m := w.note(t, rng, w.users[rng.IntN(len(w.users))])
				if access.CanSee(w.who["b2"].Viewer, w.roomID, m) {
					want = append(want, id)
				}
			}
			lastID := first[len(first)-1].ID
			var r *sseClient
			if how == "header" {
				r = openStream(t, w.URL, w.tokens["b2"], "", lastID)
			} else {
				r = openStream(t, w.URL, w.tokens["b2"], "?after="+lastID, "")
			}
			rest := r.changes(t, len(want)-5)
			got := append(itemIDs(t, first), itemIDs(t, rest)...)
			if !slices.Equal(got, want) {
				t.Errorf("%s: resumed stream differs:\n got %v\nwant %v", how, got, want)
			}
			if e, ok := r.next(300 * time.Millisecond); ok {
				t.Errorf("%s: an extra event after the resumed ones: %+v", how, e)
			}
			r.close()
		}
	})
}

// TestStreamResetsBeyondRetention: a client whose last event is no longer
// kept is told to refetch, with an id from which it can go on.
func TestStreamResetsBeyondRetention(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		bus := live.NewBus()
		bus.Retain(5, time.Hour)
		w := newStreamWorld(t, db, httpapi.StreamConfig{}, bus)
		green := item.Marking{TLP: "GREEN"}
		s := openStream(t, w.URL, w.tokens["a1"], "", "")
		w.noteWith(t, "a1", green)
		first := s.changes(t, 1)[0]
		s.close()
		for range 10 {
			w.noteWith(t, "b1", green)
		}
		r := openStream(t, w.URL, w.tokens["a1"], "", first.ID)
		e, ok := r.next(5 * time.Second)
		if !ok || e.Event != "reset" || e.ID == "" {
			t.Fatalf("want a reset event with an id, got %+v (ok %v)", e, ok)
		}
		if e2, ok := r.next(300 * time.Millisecond); ok {
			t.Fatalf("after a reset, nothing is replayed; got %+v", e2)
		}
		id, _ := w.noteWith(t, "b1", green)
		if got := itemIDs(t, r.changes(t, 1)); got[0] != id {
			t.Fatalf("after the reset the stream goes on: got %v want %s", got, id)
		}
		r.close()
		// Resuming from the reset's id replays the one change since.
		again := openStream(t, w.URL, w.tokens["a1"], "", e.ID)
		if got := itemIDs(t, again.changes(t, 1)); got[0] != id {
			t.Fatalf("resume from the reset id: got %v want %s", got, id)
		}
	})
}

// TestStalledSubscriberDoesNotHoldUpOthers: a client that never reads
// fills its queue and is cut off with a lagged event, while two others
// receive every change, in order and promptly, exactly as a run without
// it does.
func TestStalledSubscriberDoesNotHoldUpOthers(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newStreamWorld(t, db, httpapi.StreamConfig{Queue: 256, WriteTimeout: 30 * time.Second}, nil)
		run := func(stalled bool) ([][]string, time.Duration, string) {
			var conn net.Conn
			if stalled {
				conn = stalledClient(t, w.URL, w.tokens["b2"])
			}
			readers := []*sseClient{openStream(t, w.URL, w.tokens["a1"], "", ""), openStream(t, w.URL, w.tokens["b1"], "", "")}
			waitSubscribers(t, w.bus, len(readers)+btoi(stalled))
			const n = 1500
			base := time.Now().UnixNano()
			pad := strings.Repeat("x", 8<<10)
			for i := range n {
				data, _ := json.Marshal(map[string]string{"pad": pad})
				w.bus.Publish(live.Change{Seq: base + int64(i), RoomID: w.roomID, Kind: "note", ItemID: fmt.Sprint(i), Op: "update",
					At: time.Now(), Marking: access.Marking{TLP: access.Green}, Data: data})
				if i%10 == 0 {
					time.Sleep(time.Millisecond)
				}
			}
			// The stalled client wakes up and reads what it was sent.
			stalledGot := make(chan string, 1)
			if stalled {
				go func() {
					conn.SetReadDeadline(time.Now().Add(20 * time.Second))
					all, _ := io.ReadAll(conn)
					stalledGot <- string(all)
				}()
			} else {
				stalledGot <- ""
			}
			var got [][]string
			var worst time.Duration
			for _, r := range readers {
				var ids []string
				for _, e := range r.changes(t, n) {
					c := e.head(t)
					if d := e.got.Sub(c.At); d > worst {
						worst = d
					}
					ids = append(ids, c.ItemID)
				}
				got = append(got, ids)
				r.close()
			}
			return got, worst, <-stalledGot
		}
		calm, calmWorst, _ := run(false)
		lagged := w.bus.Stats().Lagged
		busy, busyWorst, stalledRead := run(true)
		for i := range calm {
			if !slices.Equal(calm[i], busy[i]) || len(busy[i]) != 1500 {
				t.Fatalf("reader %d received %d changes beside a stalled client, %d without", i, len(busy[i]), len(calm[i]))
			}
		}
		if busyWorst > time.Second {
			t.Errorf("beside a stalled client a change took %v to arrive (%v without)", busyWorst, calmWorst)
		}
		if w.bus.Stats().Lagged != lagged+1 {
			t.Errorf("lagged disconnects: %d, want %d", w.bus.Stats().Lagged, lagged+1)
		}
		// Once it reads, the stalled client finds the lagged event at the
		// end of what it was sent, and the connection closed.
		if !strings.Contains(stalledRead, "event: lagged\ndata: ") || !strings.HasSuffix(stalledRead, "\r\n0\r\n\r\n") {
			t.Errorf("the stalled client was not told it lagged (read %d bytes ending %q)", len(stalledRead), stalledRead[max(0, len(stalledRead)-200):])
		}
	})
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// stalledClient opens a stream over a raw connection with a small receive
// buffer and then reads nothing.
func stalledClient(t *testing.T, base, token string) net.Conn {
	t.Helper()
	conn, err := net.Dial("tcp", strings.TrimPrefix(base, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	conn.(*net.TCPConn).SetReadBuffer(64 << 10)
	t.Cleanup(func() { conn.Close() })
	fmt.Fprintf(conn, "GET /api/v1/rooms/ops/stream HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\nConnection: close\r\n\r\n", token)
	return conn
}

func waitSubscribers(t *testing.T, bus *live.Bus, n int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for bus.Stats().Subscribers < n {
		if time.Now().After(deadline) {
			t.Fatalf("%d subscribers, want %d", bus.Stats().Subscribers, n)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestStreamEndsWhenTheMemberLeaves: taking a member out of the room, or
// disabling it, ends its open streams.
func TestStreamEndsWhenTheMemberLeaves(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newStreamWorld(t, db, httpapi.StreamConfig{}, nil)
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		go live.WatchMembership(ctx, db, w.bus, 20*time.Millisecond, slog.New(slog.NewTextHandler(io.Discard, nil)))
		time.Sleep(50 * time.Millisecond) // the watcher reads the audit head first
		for _, tc := range []struct {
			user   string
			remove func() error
		}{
			{"b1", func() error { return w.rooms.RemoveMember(ctx, access.System, "ops", "b1") }},
			{"a2", func() error {
				yes := true
				_, err := w.members.UpdateMember(ctx, access.System, "a2", account.MemberPatch{Disabled: &yes})
				return err
			}},
		} {
			s := openStream(t, w.URL, w.tokens[tc.user], "", "")
			other := openStream(t, w.URL, w.tokens["a1"], "", "")
			waitSubscribers(t, w.bus, 2)
			if err := tc.remove(); err != nil {
				t.Fatal(err)
			}
			e, ok := s.next(5 * time.Second)
			if !ok || e.Event != "closed" {
				t.Fatalf("%s: want a closed event, got %+v %v", tc.user, e, ok)
			}
			if _, ok := s.next(5 * time.Second); ok {
				t.Fatalf("%s: the stream goes on after it was closed", tc.user)
			}
			id, _ := w.noteWith(t, "a1", item.Marking{TLP: "GREEN"})
			if got := itemIDs(t, other.changes(t, 1)); got[0] != id {
				t.Fatalf("the others' streams go on: got %v", got)
			}
			other.close()
			waitSubscribers0(t, w.bus)
		}
		if w.bus.Stats().Removed != 2 {
			t.Errorf("removed disconnects: %d, want 2", w.bus.Stats().Removed)
		}
	})
}

func waitSubscribers0(t *testing.T, bus *live.Bus) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for bus.Stats().Subscribers > 0 {
		if time.Now().After(deadline) {
			t.Fatalf("%d subscribers left", bus.Stats().Subscribers)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestStreamRefusals: outsiders get 404 like any room they may not see;
// an id the stream never gave is refused by name.
func TestStreamRefusals(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newStreamWorld(t, db, httpapi.StreamConfig{}, nil)
		ctx := context.Background()
		if _, err := w.members.CreateMember(ctx, access.System, account.NewMember{Partner: "A", Username: "a9", Kind: access.Device}); err != nil {
			t.Fatal(err)
		}
		tok, err := w.members.CreateToken(ctx, access.System, account.NewToken{Member: "a9", Name: "x"})
		if err != nil {
			t.Fatal(err)
		}
		if st, _ := get(t, w.URL+"/api/v1/rooms/ops/stream", tok.Secret); st != http.StatusNotFound {
			t.Errorf("outsider: %d", st)
		}
		if st, _ := get(t, w.URL+"/api/v1/rooms/ops/stream", ""); st != http.StatusUnauthorized {
			t.Errorf("anonymous: %d", st)
		}
		st, body := get(t, w.URL+"/api/v1/rooms/ops/stream?after=yesterday", w.tokens["a1"])
		if st != http.StatusBadRequest || !strings.Contains(body, "after") {
			t.Errorf("bad after: %d %s", st, body)
		}
	})
}

// get makes a request that must not stream (a refusal) and returns its
// status and body.
func get(t *testing.T, url, token string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(res.Body, 1<<16))
	return res.StatusCode, string(b)
}

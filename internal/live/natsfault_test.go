package live_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"slices"
	"testing"
	"time"

	"github.com/opsroom/opsroom/internal/httpapi"
	"github.com/opsroom/opsroom/internal/item"
	"github.com/opsroom/opsroom/internal/live"
	"github.com/opsroom/opsroom/internal/store/storetest"
)

// ownNATS is a nats-server of the test's own, on a free port with its
// JetStream store in a temporary directory, so that the test may stop and
// start it.
type ownNATS struct {
	t    *testing.T
	port int
	dir  string
	cmd  *exec.Cmd
	URL  string
}

func startOwnNATS(t *testing.T) *ownNATS {
	t.Helper()
	if _, err := os.Stat("/usr/sbin/nats-server"); err != nil {
		t.Skip("no /usr/sbin/nats-server: install nats-server to run the NATS fault test")
	}
	n := &ownNATS{t: t, port: storetest.FreePort(t), dir: t.TempDir()}
	n.URL = fmt.Sprintf("nats://127.0.0.1:%d", n.port)
	n.start()
	t.Cleanup(n.stop)
	return n
}

func (n *ownNATS) start() {
	n.t.Helper()
	n.cmd = exec.Command("/usr/sbin/nats-server", "-a", "127.0.0.1", "-p", fmt.Sprint(n.port), "-js", "-sd", n.dir)
	if err := n.cmd.Start(); err != nil {
		n.t.Fatal(err)
	}
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		if c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", n.port)); err == nil {
			c.Close()
			return
		}
		if time.Now().After(deadline) {
			n.t.Fatal("nats-server did not start")
		}
	}
}

func (n *ownNATS) stop() {
	if n.cmd == nil {
		return
	}
	n.cmd.Process.Kill()
	n.cmd.Wait()
	n.cmd = nil
}

// TestNATSStoppedAndStarted: while NATS is away each instance keeps
// delivering its own changes to its own streams; the other instance's
// changes reach them once the gap is seen in the audit trail (the stream
// is closed and the reconnect replays them from the database, or, where
// that cannot be, a reset makes the client refetch); when NATS is back, changes flow between the instances
// again without a restart.
func TestNATSStoppedAndStarted(t *testing.T) {
	db1, db2 := sharedDatabase(t)
	ns := startOwnNATS(t)
	bus1, bus2 := live.NewBus(), live.NewBus()
	one := newStreamWorld(t, db1, httpapi.StreamConfig{}, bus1)
	two := newStreamInstance(t, db2, httpapi.StreamConfig{}, bus2)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	for _, w := range []*streamWorld{one, two} {
		stop, err := live.Start(context.Background(), w.db, w.bus, ns.URL, log)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(stop)
	}
	green := item.Marking{TLP: "GREEN"}
	s1 := &follower{t: t, w: one, c: openStream(t, one.URL, one.tokens["a1"], "", "")}
	s2 := &follower{t: t, w: two, c: openStream(t, two.URL, two.tokens["a1"], "", "")}
	waitSubscribers(t, bus1, 1)
	waitSubscribers(t, bus2, 1)

	n0, _ := one.noteWith(t, "a1", green)
	s1.want(n0, time.Second, false)
	s2.want(n0, 5*time.Second, false)

	ns.stop()
	// Each instance serves its own clients.
	n1, _ := one.noteWith(t, "a1", green)
	s1.want(n1, time.Second, false)
	n2, _ := two.noteWith(t, "a1", green)
	// Instance two waits for one's change n1 (which NATS lost) and
	// resets; either way its client gets n2.
	s2.want(n2, 10*time.Second, true)
	// Instance one catches up on n2: its client is told to refetch.
	s1.want(n2, 10*time.Second, true)

	ns.start()
	// Changes flow again, without a reset, once both have reconnected.
	for i := 0; ; i++ {
		if i == 10 {
			t.Fatal("no change of instance two reached instance one's stream through NATS after it came back")
		}
		id, _ := two.noteWith(t, "a1", green)
		if s1.try(id, 3*time.Second) {
			break
		}
	}
	id, _ := one.noteWith(t, "a1", green)
	s2.want(id, 5*time.Second, true)
	id, _ = two.noteWith(t, "a1", green)
	s1.want(id, 3*time.Second, false)
}

// follower reads one member's stream the way a browser does: when the
// server closes it, it reconnects with Last-Event-ID; after a reset it
// refetches the room and resumes from the reset's id.
type follower struct {
	t *testing.T
	w *streamWorld
	c *sseClient
}

// want waits for the change of item id. With resets allowed, a reset
// (followed by a refetch that shows the item) counts too; want then
// reports false if a reset was what brought it. Without, a reset fails
// the test.
func (f *follower) want(id string, timeout time.Duration, resets bool) bool {
	f.t.Helper()
	delivered, ok := f.wait(id, timeout, resets)
	if !ok {
		f.t.Fatalf("stream: no change %s within %v", id, timeout)
	}
	return delivered
}

// try is want with resets allowed, reporting true only when the change
// itself arrived in time.
func (f *follower) try(id string, timeout time.Duration) bool {
	f.t.Helper()
	delivered, _ := f.wait(id, timeout, true)
	return delivered
}

func (f *follower) wait(id string, timeout time.Duration, resets bool) (delivered, ok bool) {
	f.t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		e, ok := f.c.next(time.Until(deadline))
		if !ok {
			return false, false
		}
		switch e.Event {
		case "change":
			if e.head(f.t).ItemID == id {
				return true, true
			}
		case "closed":
			// The server ended the stream (a reset of the room's
			// order): reconnect from the last id, as EventSource does.
			f.c.close()
			f.c = openStream(f.t, f.w.URL, f.w.tokens["a1"], "", e.ID)
		case "reset":
			if !resets {
				f.t.Fatalf("stream: reset while waiting for %s", id)
			}
			f.c.close()
			f.c = openStream(f.t, f.w.URL, f.w.tokens["a1"], "", e.ID)
			if f.refetch(id) {
				return false, true
			}
		}
	}
}

// refetch reports whether the room, as a1 on this instance reads it now,
// holds the item.
func (f *follower) refetch(id string) bool {
	f.t.Helper()
	items, err := f.w.items.List(context.Background(), f.w.who["a1"], "ops", item.ListQuery{Limit: 500})
	if err != nil {
		f.t.Fatal(err)
	}
	return slices.ContainsFunc(items, func(it item.Item) bool { return it.ID == id })
}

// TestNATSAbsentAtStart: an instance starts while NATS is down, serves
// its own streams, and joins the other instance once NATS answers.
func TestNATSAbsentAtStart(t *testing.T) {
	db1, db2 := sharedDatabase(t)
	ns := startOwnNATS(t)
	bus1, bus2 := live.NewBus(), live.NewBus()
	one := newStreamWorld(t, db1, httpapi.StreamConfig{}, bus1)
	two := newStreamInstance(t, db2, httpapi.StreamConfig{}, bus2)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	stop, err := live.Start(context.Background(), db1, bus1, ns.URL, log)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(stop)
	ns.stop()
	stop, err = live.Start(context.Background(), db2, bus2, ns.URL, log)
	if err != nil {
		t.Fatalf("start with NATS down: %v", err)
	}
	t.Cleanup(stop)
	green := item.Marking{TLP: "GREEN"}
	s2 := &follower{t: t, w: two, c: openStream(t, two.URL, two.tokens["a1"], "", "")}
	waitSubscribers(t, bus2, 1)
	id, _ := two.noteWith(t, "a1", green)
	s2.want(id, time.Second, false)

	ns.start()
	s1 := &follower{t: t, w: one, c: openStream(t, one.URL, one.tokens["a1"], "", "")}
	waitSubscribers(t, bus1, 1)
	for i := 0; ; i++ {
		if i == 10 {
			t.Fatal("no change of the instance started without NATS reached the other through NATS once it came")
		}
		id, _ := two.noteWith(t, "a1", green)
		if s1.try(id, 3*time.Second) {
			break
		}
	}
}

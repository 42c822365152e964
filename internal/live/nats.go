package live

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/opsroom/opsroom/internal/access"
	"github.com/opsroom/opsroom/internal/audit"
	"github.com/opsroom/opsroom/internal/store"
)

// Start prepares the bus to serve streams once the server's data is
// loaded: changes after the current audit head are the ones its rings
// hold (older ones come from its durable log, pruned every hour, when
// it keeps one); membership changes end streams; and, with natsURL, changes are
// exchanged with the other instances sharing the database. stop undoes
// it.
func Start(ctx context.Context, db *store.DB, bus *Bus, natsURL string, log *slog.Logger) (stop func(), err error) {
	head, _, err := audit.Head(ctx, db)
	if err != nil {
		return nil, err
	}
	bus.SetFloor(head)
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Go(func() { WatchMembership(ctx, db, bus, time.Second, log) })
	if l := bus.Kept(); l != nil {
		wg.Go(func() { l.PruneEvery(ctx, time.Hour, log) })
	}
	var cl *Cluster
	if natsURL != "" {
		if cl, err = JoinNATS(ctx, natsURL, db, bus, head, log); err != nil {
			cancel()
			wg.Wait()
			return nil, err
		}
	}
	return func() {
		if cl != nil {
			cl.Close()
		}
		cancel()
		wg.Wait()
	}, nil
}

// Subject is the NATS subject of a room's changes.
func Subject(roomID string) string { return "opsroom.live." + roomID }

// Cluster exchanges committed changes with the other instances sharing
// the database, through NATS: each instance publishes its own changes on
// its room's subject and delivers the others' to its local subscribers,
// with the same need-to-know check per subscriber.
//
// NATS keeps one publisher's order but not the order between publishers,
// so the cluster puts every room's changes (its own and the others') back
// in audit sequence order before delivering them. The audit trail says
// which changes to wait for: a change with seq s is only published after
// it commits, and every record before s committed before it (the audit
// head row is locked until commit), so the room's change records below s
// can be read at once. A change that is still missing after Wait (its
// instance died between commit and publish, or NATS dropped it) is given
// up: the room's subscribers are told to refetch.
//
// A change can also go missing with no later change of the room to show
// the gap: NATS was down or restarting while the other instance committed
// it (the client library reconnects by itself, but what was published
// meanwhile is lost). So the cluster also checks the audit trail for
// every room watched here, every second: a change of the room committed
// but still not delivered after Wait is given up the same way, and the
// room's subscribers refetch (their client resumes after the reset, so
// they catch up on everything the other instance did while NATS was
// away). Meanwhile each instance keeps delivering its own changes.
type Cluster struct {
	nc     *nats.Conn
	sub    *nats.Subscription
	db     *store.DB
	bus    *Bus
	origin string
	log    *slog.Logger
	// Wait is how long a missing change is waited for (default 2 s).
	Wait time.Duration

	mu   sync.Mutex // guards in
	in   []Change
	wake chan struct{}

	publishFn func(Change)
	head      int64                // the audit head when the cluster started
	rooms     map[string]*sequence // owned by run
	done      chan struct{}
	stopped   chan struct{}

	// Dropped counts changes from other instances that arrived after the
	// room had given up waiting for them.
	Dropped atomic.Int64
}

type sequence struct {
	pending []Change // sorted by Seq; same-Seq changes keep arrival order
	last    int64    // the highest Seq delivered
	floor   int64    // the last reset: nothing at or before it is delivered
	since   time.Time
	// gapAt is the audit head when checkGaps last found changes of the
	// room missing (0: none found), at gapSince.
	gapAt    int64
	gapSince time.Time
}

// wireChange is a change as it travels between instances: with its
// marking, which the receiving instance needs for its own subscribers.
type wireChange struct {
	Origin       string          `json:"origin"`
	Seq          int64           `json:"seq"`
	RoomID       string          `json:"room_id"`
	Kind         string          `json:"kind"`
	ItemID       string          `json:"item_id"`
	Op           string          `json:"op"`
	At           time.Time       `json:"at"`
	TLP          access.Label    `json:"tlp"`
	ReleasableTo []string        `json:"releasable_to,omitempty"`
	Recipients   []string        `json:"recipients,omitempty"`
	Data         json.RawMessage `json:"data,omitempty"`
	// Refs travel with their markings: the receiving instance removes
	// the hidden ones for its own subscribers.
	Refs []Ref `json:"refs,omitempty"`
}

// JoinNATS connects to the NATS server at url and makes bus publish
// through it. Changes at or before head (the audit head when the bus
// started serving) are not delivered again.
func JoinNATS(ctx context.Context, url string, db *store.DB, bus *Bus, head int64, log *slog.Logger) (*Cluster, error) {
	c := &Cluster{db: db, bus: bus, origin: store.NewID(), log: log, Wait: 2 * time.Second, head: head,
		wake: make(chan struct{}, 1), rooms: map[string]*sequence{}, done: make(chan struct{}), stopped: make(chan struct{})}
	// RetryOnFailedConnect: an instance that starts while NATS is away
	// serves its own clients and joins once NATS answers.
	nc, err := nats.Connect(url, nats.Name("opsroom "+c.origin), nats.MaxReconnects(-1), nats.ReconnectWait(time.Second),
		nats.RetryOnFailedConnect(true),
		nats.DisconnectErrHandler(func(_ *nats.Conn, err error) {
			if err != nil {
				log.Warn("live: NATS disconnected", "err", err)
			}
		}),
		nats.ReconnectHandler(func(*nats.Conn) { log.Info("live: NATS reconnected") }))
	if err != nil {
		return nil, fmt.Errorf("connect to NATS at %s: %w", url, err)
	}
	c.nc = nc
	c.sub, err = nc.Subscribe("opsroom.live.*", c.receive)
	if err == nil {
		// A burst must not be dropped by the client library's default
		// limits: the sequencer is what bounds waiting.
		err = c.sub.SetPendingLimits(-1, 256<<20)
	}
	if err == nil && nc.IsConnected() {
		err = nc.Flush()
	} else if err == nil {
		log.Warn("live: NATS does not answer yet; serving this instance's changes and retrying", "url", url)
	}
	if err != nil {
		nc.Close()
		return nil, fmt.Errorf("subscribe to NATS: %w", err)
	}
	c.publishFn = c.publish
	go c.run()
	bus.relay.Store(&c.publishFn)
	return c, nil
}

// Close stops exchanging changes; the bus delivers its own changes
// directly again.
func (c *Cluster) Close() {
	c.bus.relay.Store(nil)
	c.nc.Close()
	close(c.done)
	<-c.stopped
}

// publish sends a change committed here to the other instances and
// queues it for local delivery in order. It runs in an after-commit hook:
// it never blocks on the network (the NATS client buffers).
func (c *Cluster) publish(ch Change) {
	w := wireChange{Origin: c.origin, Seq: ch.Seq, RoomID: ch.RoomID, Kind: ch.Kind, ItemID: ch.ItemID, Op: ch.Op, At: ch.At,
		TLP: ch.Marking.TLP, ReleasableTo: ch.Marking.ReleasableTo, Recipients: ch.Marking.Recipients, Data: ch.Data, Refs: ch.Refs}
	if b, err := json.Marshal(w); err != nil {
		c.log.Error("live: encode change for NATS", "err", err)
	} else if err := c.nc.Publish(Subject(ch.RoomID), b); err != nil && !c.nc.IsReconnecting() {
		// While NATS is away the client buffers what is published (up
		// to its reconnect buffer) and the others' audit check covers
		// the rest: one warning at the disconnect is enough.
		c.log.Warn("live: publish to NATS", "err", err)
	}
	c.enqueue(ch)
}

func (c *Cluster) receive(m *nats.Msg) {
	var w wireChange
	if err := json.Unmarshal(m.Data, &w); err != nil {
		c.log.Warn("live: undecodable change from NATS", "subject", m.Subject, "err", err)
		return
	}
	if w.Origin == c.origin {
		return // delivered locally already
	}
	c.enqueue(Change{Seq: w.Seq, RoomID: w.RoomID, Kind: w.Kind, ItemID: w.ItemID, Op: w.Op, At: w.At,
		Marking: access.Marking{TLP: w.TLP, ReleasableTo: w.ReleasableTo, Recipients: w.Recipients}, Data: w.Data, Refs: w.Refs})
}

func (c *Cluster) enqueue(ch Change) {
	c.mu.Lock()
	c.in = append(c.in, ch)
	c.mu.Unlock()
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

func (c *Cluster) run() {
	defer close(c.stopped)
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	check := time.NewTicker(time.Second)
	defer check.Stop()
	for {
		select {
		case <-c.done:
			return
		case <-c.wake:
		case <-tick.C:
		case now := <-check.C:
			c.checkGaps(now)
		}
		c.mu.Lock()
		in := c.in
		c.in = nil
		c.mu.Unlock()
		for _, ch := range in {
			sq := c.room(ch.RoomID)
			i := insertAt(sq.pending, ch.Seq)
			sq.pending = slices.Insert(sq.pending, i, ch)
		}
		for roomID, sq := range c.rooms {
			if len(sq.pending) > 0 {
				c.drain(roomID, sq)
			}
		}
	}
}

func (c *Cluster) room(roomID string) *sequence {
	sq := c.rooms[roomID]
	if sq == nil {
		sq = &sequence{last: c.head}
		c.rooms[roomID] = sq
	}
	return sq
}

// checkGaps looks in the audit trail for changes of the rooms watched
// here that were committed but never delivered. A gap found is given
// Wait to fill (NATS redelivering what its clients buffered, or a
// change in flight arriving); if it is still there at a later check,
// the room's streams are reset up to the audit head the gap was found
// at, and the changes at or before it that arrive later are dropped.
func (c *Cluster) checkGaps(now time.Time) {
	watched := map[string]bool{}
	for k := range c.bus.Watched() {
		watched[k[0]] = true
	}
	if len(watched) == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	head, _, err := audit.Head(ctx, c.db)
	cancel()
	if err != nil {
		c.log.Warn("live: read the audit head to look for missed changes", "err", err)
		return
	}
	for roomID := range watched {
		sq := c.room(roomID)
		if sq.gapAt == 0 {
			if c.missing(roomID, sq, head) {
				sq.gapAt, sq.gapSince = head, now
			}
			continue
		}
		if now.Sub(sq.gapSince) < c.Wait {
			continue
		}
		if c.missing(roomID, sq, sq.gapAt) {
			c.log.Warn("live: changes of another instance never arrived (NATS was away?); the room's streams are reset", "room", roomID, "up_to", sq.gapAt)
			c.bus.ResetRoom(roomID, sq.gapAt)
			sq.last = max(sq.last, sq.gapAt)
			sq.floor = sq.last
			for len(sq.pending) > 0 && sq.pending[0].Seq <= sq.floor {
				c.Dropped.Add(1)
				sq.pending = sq.pending[1:]
			}
			sq.since = time.Time{}
		}
		sq.gapAt = 0
	}
}

// missing reports whether a change of the room at or before upTo is
// neither delivered nor pending.
func (c *Cluster) missing(roomID string, sq *sequence, upTo int64) bool {
	if upTo <= sq.last {
		return false
	}
	seqs, err := c.changeSeqs(roomID, sq.last, upTo+1)
	if err != nil {
		c.log.Warn("live: read the audit trail to look for missed changes", "err", err)
		return false
	}
	for _, s := range seqs {
		i := insertAt(sq.pending, s)
		if i == 0 || sq.pending[i-1].Seq != s {
			return true
		}
	}
	return false
}

// insertAt returns where a change with seq goes in pending: after every
// change with a Seq at or below it.
func insertAt(pending []Change, seq int64) int {
	i, _ := slices.BinarySearchFunc(pending, seq+1, func(c Change, s int64) int {
		switch {
		case c.Seq < s:
			return -1
		case c.Seq > s:
			return 1
		}
		return 0
	})
	return i
}

// drain delivers the room's pending changes for which every earlier
// change of the room has been delivered.
func (c *Cluster) drain(roomID string, sq *sequence) {
	top := sq.pending[len(sq.pending)-1].Seq
	var expected []int64
	if top > sq.last+1 {
		var err error
		if expected, err = c.changeSeqs(roomID, sq.last, top); err != nil {
			c.log.Warn("live: read the audit trail to order changes", "err", err)
			return
		}
	}
	j := 0
	for len(sq.pending) > 0 {
		p := sq.pending[0]
		switch {
		case p.Seq < sq.last || p.Seq <= sq.floor:
			c.Dropped.Add(1) // given up on already
			sq.pending = sq.pending[1:]
			continue
		case p.Seq > sq.last:
			for j < len(expected) && expected[j] <= sq.last {
				j++
			}
			if j < len(expected) && expected[j] < p.Seq {
				// An earlier change of the room has not arrived.
				now := time.Now()
				if sq.since.IsZero() {
					sq.since = now
				}
				if now.Sub(sq.since) < c.Wait {
					return
				}
				c.log.Warn("live: a change never arrived; its room's streams are reset", "room", roomID, "seq", expected[j])
				c.bus.ResetRoom(roomID, p.Seq-1)
				sq.last, sq.floor = p.Seq-1, p.Seq-1
				continue
			}
		}
		sq.since = time.Time{}
		sq.last = p.Seq
		sq.pending = sq.pending[1:]
		c.bus.Deliver(p)
	}
	sq.pending = slices.Clip(sq.pending)
}

// changeSeqs returns the seqs of the room's audit records in (after,
// upTo) that publish a live change: the records of its shared items,
// which are every room record but those about the room itself, its
// partners and members, and refused reads.
func (c *Cluster) changeSeqs(roomID string, after, upTo int64) ([]int64, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return audit.RoomSeqs(ctx, c.db, roomID, after, upTo, []string{"room", "partner", "member", "token"}, "access.refused")
}

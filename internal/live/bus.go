// Package live carries the room's changes to everyone watching: after a
// change commits it is published on the bus, and each subscriber receives
// it only if the need-to-know policy lets its member see it. A subscriber
// has a bounded queue; one that falls behind is cut off and told so, never
// allowed to hold up the others. Every change is also written to a
// durable log in the transaction of its audit record (see Log), and each
// room keeps a ring of its recent changes in front of it, so that a client
// that reconnects resumes where it left off, after a restart or on another
// instance too; instances sharing one PostgreSQL database exchange their
// changes through NATS (see Cluster).
package live

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/opsroom/opsroom/internal/access"
)

// Change is one committed change to a room's shared items. Seq is the
// audit record's sequence number: it orders every change on the server.
// Several changes may share one Seq (a batch of track positions written
// under one audit record); the bus numbers them in delivery order.
type Change struct {
	Seq     int64           `json:"seq"`
	RoomID  string          `json:"room_id"`
	Kind    string          `json:"kind"`
	ItemID  string          `json:"item_id"`
	Op      string          `json:"op"` // create, update, delete
	At      time.Time       `json:"at"`
	Marking access.Marking  `json:"-"`
	Data    json.RawMessage `json:"data,omitempty"` // the item as the API shows it, encoded once
	// Refs are the other items Data names. A subscriber who may not see
	// one gets Data without it (see Ref); a change without Refs is
	// encoded once for everyone.
	Refs []Ref `json:"-"`

	idx   int    // position among the changes sharing Seq, set by Deliver
	frame []byte // the Server-Sent Event, encoded once by Deliver
}

// Pos is a change's place in the room's order: its Seq, and its index
// among the changes sharing that Seq.
func (c Change) Pos() Pos { return Pos{Seq: c.Seq, Idx: c.idx} }

// Frame returns the change as one Server-Sent Event (id, event and data
// lines and the blank line that ends it). Changes that went through
// Deliver carry it encoded once for every subscriber.
func (c Change) Frame() []byte {
	if c.frame != nil {
		return c.frame
	}
	return encodeFrame(c)
}

func encodeFrame(c Change) []byte {
	b, err := json.Marshal(c)
	if err != nil {
		// Data is a RawMessage that failed to re-validate: send the
		// change without it rather than nothing.
		c.Data = nil
		b, _ = json.Marshal(c)
	}
	out := make([]byte, 0, len(b)+48)
	out = append(out, "id: "...)
	out = append(out, c.Pos().String()...)
	out = append(out, "\nevent: change\ndata: "...)
	out = append(out, b...)
	out = append(out, "\n\n"...)
	return out
}

// Pos is a position in a room's stream of changes; it is the stream's
// event id. Positions compare by Seq, then Idx.
type Pos struct {
	Seq int64
	Idx int
}

// String is the event id: "123", or "123.2" for the third change that
// shares seq 123.
func (p Pos) String() string {
	if p.Idx == 0 {
		return strconv.FormatInt(p.Seq, 10)
	}
	return strconv.FormatInt(p.Seq, 10) + "." + strconv.Itoa(p.Idx)
}

// Less orders positions.
func (p Pos) Less(q Pos) bool { return p.Seq < q.Seq || (p.Seq == q.Seq && p.Idx < q.Idx) }

// ParsePos reads an event id written by Pos.String.
func ParsePos(s string) (Pos, error) {
	seq, idx, dotted := strings.Cut(strings.TrimSpace(s), ".")
	var p Pos
	var err error
	if p.Seq, err = strconv.ParseInt(seq, 10, 64); err != nil || p.Seq < 0 {
		return Pos{}, fmt.Errorf("%q is not an event id of this stream", s)
	}
	if dotted {
		if p.Idx, err = strconv.Atoi(idx); err != nil || p.Idx < 0 {
			return Pos{}, fmt.Errorf("%q is not an event id of this stream", s)
		}
	}
	return p, nil
}

// Why a subscription ended.
const (
	EndClosed  = "closed"  // the subscriber closed it
	EndLagged  = "lagged"  // its queue was full
	EndRemoved = "removed" // its member left the room or was disabled
	EndReset   = "reset"   // the bus lost track of the room's order (see Cluster)
)

// Subscription receives the changes its viewer may see in one room.
type Subscription struct {
	RoomID string
	Viewer access.Viewer
	// C delivers changes to a subscription made with Subscribe; it is
	// closed when the subscription ends.
	C chan Change
	// Refs delivers changes to a subscription made with SubscribeFrom,
	// by reference: one change is shared by every subscriber, and a deep
	// queue costs a pointer per slot rather than a whole Change. It is
	// closed when the subscription ends. Receivers must not modify the
	// changes.
	Refs   chan *Change
	lagged atomic.Bool
	reason atomic.Value // string, set before C is closed
	bus    *Bus
	once   sync.Once
}

// Lagged reports whether the subscription was cut off for falling behind.
func (s *Subscription) Lagged() bool { return s.lagged.Load() }

// Reason says why the subscription ended (one of the End constants), or
// "" while it runs.
func (s *Subscription) Reason() string {
	r, _ := s.reason.Load().(string)
	return r
}

// Close ends the subscription.
func (s *Subscription) Close() { s.bus.end(s, EndClosed) }

// Defaults for the retention of each room's recent changes.
const (
	DefaultRetainCount = 10_000
	DefaultRetainAge   = 15 * time.Minute
)

// ring holds a room's recent changes in order. Every change of the room
// after floor is in it: a client whose last position is at or after
// floor resumes with nothing lost.
type ring struct {
	buf   []entry // circular
	head  int     // index of the oldest entry
	n     int
	floor Pos
	last  Pos // the newest change delivered (floor when none)
	// drop is told of every change that leaves the ring.
	drop func(*Change)
}

type entry struct {
	c  Change
	at time.Time // when it was delivered, for the age bound
}

func (r *ring) push(e entry, max int) {
	if len(r.buf) < max && r.n == len(r.buf) {
		// Grow towards max; rooms with little traffic stay small.
		nb := make([]entry, min(max, max2(16, 2*len(r.buf))))
		for i := 0; i < r.n; i++ {
			nb[i] = r.buf[(r.head+i)%len(r.buf)]
		}
		r.buf, r.head = nb, 0
	}
	if r.n == len(r.buf) {
		r.floor = r.buf[r.head].c.Pos()
		r.dropped(&r.buf[r.head].c)
		r.buf[r.head] = entry{}
		r.head = (r.head + 1) % len(r.buf)
		r.n--
	}
	r.buf[(r.head+r.n)%len(r.buf)] = e
	r.n++
	r.last = e.c.Pos()
}

func max2(a, b int) int {
	if a > b {
		return a
	}
	return b
}

// expire drops entries delivered before cutoff.
func (r *ring) expire(cutoff time.Time) {
	for r.n > 0 && r.buf[r.head].at.Before(cutoff) {
		r.floor = r.buf[r.head].c.Pos()
		r.dropped(&r.buf[r.head].c)
		r.buf[r.head] = entry{}
		r.head = (r.head + 1) % len(r.buf)
		r.n--
	}
}

func (r *ring) dropped(c *Change) {
	if r.drop != nil {
		r.drop(c)
	}
}

// clear drops every entry.
func (r *ring) clear() {
	for i := 0; i < r.n; i++ {
		r.dropped(&r.buf[(r.head+i)%len(r.buf)].c)
	}
}

// after returns the entries after p, oldest first.
func (r *ring) after(p Pos, fn func(Change)) {
	for i := 0; i < r.n; i++ {
		c := r.buf[(r.head+i)%len(r.buf)].c
		if p.Less(c.Pos()) {
			fn(c)
		}
	}
}

// Bus fans changes out to subscribers in this process. Publishers call
// Publish after commit, in commit order (store.DB.Write runs after-commit
// hooks in commit order).
//
// Lock order: Bus.mu, then nothing; sends to subscribers never block.
type Bus struct {
	mu    sync.Mutex
	subs  map[string]map[*Subscription]struct{} // room ID -> subscribers
	rings map[string]*ring
	// floor: every change after it passes through this bus (set with
	// SetFloor to the audit head when the bus starts serving).
	floor     Pos
	retainN   int
	retainAge time.Duration
	now       func() time.Time

	// durable, when set, is the log of changes that a resume older
	// than the ring reads (see Keep).
	durable atomic.Pointer[Log]

	// relay, when set (NATS), takes every published change and delivers
	// it, in order with other instances' changes, through Deliver.
	relay atomic.Pointer[func(Change)]

	// observers see every delivered change, whoever may see it (see
	// Observe); copied on write, read without the lock.
	obsMu     sync.Mutex
	observers atomic.Pointer[[]*func(Change)]

	// marks holds the newest marking of every item that a kept change is
	// about or references (guarded by mu), so that on replay a change
	// whose item, or a reference whose target, narrowed since is hidden
	// too. Counted by the kept changes naming it; forgotten with the
	// last of them.
	marks map[string]*refMark

	published   atomic.Int64
	lagged      atomic.Int64
	removed     atomic.Int64
	subscribers atomic.Int64
}

// NewBus returns an empty bus keeping DefaultRetainCount changes of each
// room for at most DefaultRetainAge.
func NewBus() *Bus {
	return &Bus{subs: map[string]map[*Subscription]struct{}{}, rings: map[string]*ring{}, marks: map[string]*refMark{},
		retainN: DefaultRetainCount, retainAge: DefaultRetainAge, now: time.Now}
}

// Retain sets how many of a room's recent changes are kept, and for how
// long, for resuming streams. Call it before the bus is used.
func (b *Bus) Retain(count int, age time.Duration) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.retainN, b.retainAge = max2(count, 1), age
}

// SetFloor declares that every change after seq passes through this bus
// (the audit head when the server starts): a client resuming from before
// it is told to refetch, since the changes in between never reached this
// process.
func (b *Bus) SetFloor(seq int64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if p := (Pos{Seq: seq}); b.floor.Less(p) {
		b.floor = p
		for _, r := range b.rings {
			if r.floor.Less(p) {
				r.floor = p
			}
			if r.last.Less(p) {
				r.last = p
			}
		}
	}
}

// Subscribe starts a subscription with a queue of size changes, from now;
// changes arrive on C.
func (b *Bus) Subscribe(roomID string, v access.Viewer, size int) *Subscription {
	s := &Subscription{RoomID: roomID, Viewer: v, C: make(chan Change, max2(size, 1)), bus: b}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.addLocked(s)
	return s
}

// Resume is what a subscription that continues an earlier one starts
// with.
type Resume struct {
	// Replay holds the changes after the position asked for that the
	// viewer may see, oldest first; the subscription's queue continues
	// from the last of them with nothing lost and nothing repeated.
	Replay []Change
	// Reset is set when the position is older than what the room keeps:
	// the client must refetch, and the subscription continues from Head.
	Reset bool
	// Head is the room's newest position when the subscription started.
	Head Pos
	// More is set when the replay read from the durable log stops short
	// (it would have held more than the log's MaxReplay changes): the
	// subscription carries nothing live, and the client resumes again
	// from Next, the last position the replay accounts for.
	More bool
	Next Pos
}

// SubscribeFrom starts a subscription that continues after position
// after (nil: from now); changes arrive on Refs. With a durable log (see
// Keep), a position older than the room's ring is resumed from the log;
// should the log fail to answer, the client is told to refetch.
func (b *Bus) SubscribeFrom(roomID string, v access.Viewer, size int, after *Pos) (*Subscription, Resume) {
	s, res, err := b.SubscribeFromContext(context.Background(), roomID, v, size, after)
	if err != nil {
		s, res = b.subscribeFrom(roomID, v, size, after, nil)
		res.Reset, res.Replay = true, nil
	}
	return s, res
}

// SubscribeFromContext is SubscribeFrom, reading the durable log (when
// the bus keeps one) with ctx; it fails only when the log cannot be read.
func (b *Bus) SubscribeFromContext(ctx context.Context, roomID string, v access.Viewer, size int, after *Pos) (*Subscription, Resume, error) {
	l := b.durable.Load()
	if after == nil || l == nil || !after.Less(b.ringFloor(roomID)) {
		s, res := b.subscribeFrom(roomID, v, size, after, nil)
		if !res.Reset || l == nil {
			return s, res, nil
		}
		// The ring moved past the position meanwhile: read the log.
		s.Close()
	}
	for try := 0; ; try++ {
		d, err := l.read(ctx, roomID, *after, v)
		if err != nil {
			return nil, Resume{}, err
		}
		if d.more {
			s := &Subscription{RoomID: roomID, Viewer: v, Refs: make(chan *Change, 1), bus: b}
			b.mu.Lock()
			b.addLocked(s)
			b.mu.Unlock()
			return s, Resume{Replay: d.changes, More: true, Next: d.upTo, Head: d.upTo}, nil
		}
		s, res := b.subscribeFrom(roomID, v, size, after, &d)
		if !res.Reset || d.reset || try == 2 {
			return s, res, nil
		}
		// Changes after what the log read left the ring before the
		// subscription started (a burst): read again.
		s.Close()
	}
}

// ringFloor returns the position after which the room's ring holds every
// change.
func (b *Bus) ringFloor(roomID string) Pos {
	b.mu.Lock()
	defer b.mu.Unlock()
	r := b.ringLocked(roomID)
	r.expire(b.now().Add(-b.retainAge))
	return r.floor
}

// subscribeFrom starts the subscription: it replays from d, what the
// durable log read, up to where the ring takes over, then from the ring.
func (b *Bus) subscribeFrom(roomID string, v access.Viewer, size int, after *Pos, d *durableReplay) (*Subscription, Resume) {
	s := &Subscription{RoomID: roomID, Viewer: v, Refs: make(chan *Change, max2(size, 1)), bus: b}
	var res Resume
	b.mu.Lock()
	defer b.mu.Unlock()
	r := b.ringLocked(roomID)
	r.expire(b.now().Add(-b.retainAge))
	res.Head = r.last
	from := after
	if d != nil && !d.reset {
		// The log accounts for every change up to d.upTo; the ring for
		// every one after its floor. Changes the log holds that were not
		// yet delivered here (after r.last) come live.
		cut := d.upTo
		if r.last.Less(cut) {
			cut = r.last
		}
		if !cut.Less(r.floor) && !cut.Less(*after) {
			for _, c := range d.changes {
				if cut.Less(c.Pos()) {
					break
				}
				res.Replay = append(res.Replay, c)
			}
			from = &cut
		}
	}
	if from != nil {
		if from.Less(r.floor) || (d != nil && d.reset) {
			res.Reset, res.Replay = true, nil
		} else {
			marks := b.markLocked()
			r.after(*from, func(c Change) {
				// An item whose marking narrowed since is judged on both.
				if access.CanSee(v, roomID, c.Marking) && marks.canSee(v, roomID, c.ItemID) {
					if hidden := hiddenRefs(v, &c, marks); len(hidden) > 0 {
						c = redact(c, hidden)
					}
					res.Replay = append(res.Replay, c)
				}
			})
		}
	}
	b.addLocked(s)
	return s, res
}

// Keep makes the bus resume streams from the durable log l when a
// position is older than what its ring holds. Call it before the bus is
// used.
func (b *Bus) Keep(l *Log) { b.durable.Store(l) }

// Kept returns the durable log the bus resumes from, or nil.
func (b *Bus) Kept() *Log { return b.durable.Load() }

func (b *Bus) addLocked(s *Subscription) {
	m := b.subs[s.RoomID]
	if m == nil {
		m = map[*Subscription]struct{}{}
		b.subs[s.RoomID] = m
	}
	m[s] = struct{}{}
	b.subscribers.Add(1)
}

func (b *Bus) ringLocked(roomID string) *ring {
	r := b.rings[roomID]
	if r == nil {
		r = &ring{floor: b.floor, last: b.floor, drop: b.unrefLocked}
		b.rings[roomID] = r
	}
	return r
}

// end closes s for reason, once.
func (b *Bus) end(s *Subscription, reason string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.endLocked(s, reason)
}

func (b *Bus) endLocked(s *Subscription, reason string) {
	s.once.Do(func() {
		s.reason.Store(reason)
		switch reason {
		case EndLagged:
			s.lagged.Store(true)
			b.lagged.Add(1)
		case EndRemoved:
			b.removed.Add(1)
		}
		delete(b.subs[s.RoomID], s)
		if len(b.subs[s.RoomID]) == 0 {
			delete(b.subs, s.RoomID)
		}
		b.subscribers.Add(-1)
		if s.C != nil {
			close(s.C)
		} else {
			close(s.Refs)
		}
	})
}

// Publish delivers c, committed, to every subscriber of its room whose
// viewer may see it (through the cluster when there is one, so that
// every instance delivers in the same order).
func (b *Bus) Publish(c Change) {
	if relay := b.relay.Load(); relay != nil {
		(*relay)(c)
		return
	}
	b.Deliver(c)
}

// Deliver delivers c to this process's subscribers and keeps it for
// resuming streams. Changes must arrive in Seq order.
func (b *Bus) Deliver(c Change) {
	b.published.Add(1)
	if obs := b.observers.Load(); obs != nil {
		for _, fn := range *obs {
			(*fn)(c)
		}
	}
	now := b.now()
	b.mu.Lock()
	defer b.mu.Unlock()
	r := b.ringLocked(c.RoomID)
	if c.Seq == r.last.Seq {
		c.idx = r.last.Idx + 1
	}
	c.frame = encodeFrame(c)
	b.refLocked(&c)
	r.expire(now.Add(-b.retainAge))
	r.push(entry{c: c, at: now}, b.retainN)
	ref := &c
	// Subscribers who may not see some of the references share one
	// redacted copy per set of hidden references.
	var redacted map[string]*Change
	for s := range b.subs[c.RoomID] {
		if !access.CanSee(s.Viewer, c.RoomID, c.Marking) {
			continue
		}
		send := ref
		if len(c.Refs) > 0 {
			if hidden := hiddenRefs(s.Viewer, &c, b.markLocked()); len(hidden) > 0 {
				key := strings.Join(hidden, ",")
				if send = redacted[key]; send == nil {
					rc := redact(c, hidden)
					rc.frame = encodeFrame(rc)
					send = &rc
					if redacted == nil {
						redacted = map[string]*Change{}
					}
					redacted[key] = send
				}
			}
		}
		full := false
		if s.C != nil {
			select {
			case s.C <- *send:
			default:
				full = true
			}
		} else {
			select {
			case s.Refs <- send:
			default:
				full = true
			}
		}
		if full {
			// Deleting from the map being ranged over is allowed.
			b.endLocked(s, EndLagged)
		}
	}
}

// refMark is the newest marking of a referenced item and how many kept
// changes reference it.
type refMark struct {
	m access.Marking
	n int
}

// refLocked records the markings of c's item and references: read in
// the transaction that made c, they are the newest ones.
func (b *Bus) refLocked(c *Change) {
	b.markOneLocked(c.ItemID, c.Marking)
	for _, r := range c.Refs {
		b.markOneLocked(r.ID, r.Marking)
	}
}

func (b *Bus) markOneLocked(id string, m access.Marking) {
	if r, ok := b.marks[id]; ok {
		r.m, r.n = m, r.n+1
	} else {
		b.marks[id] = &refMark{m: m, n: 1}
	}
}

func (b *Bus) unmarkOneLocked(id string) {
	if r, ok := b.marks[id]; ok {
		if r.n--; r.n <= 0 {
			delete(b.marks, id)
		}
	}
}

// unrefLocked forgets c's item and references as c leaves its room's
// ring.
func (b *Bus) unrefLocked(c *Change) {
	b.unmarkOneLocked(c.ItemID)
	for _, r := range c.Refs {
		b.unmarkOneLocked(r.ID)
	}
}

// markLocked returns the newest markings of referenced items by ID.
func (b *Bus) markLocked() marks { return marks(b.marks) }

type marks map[string]*refMark

// canSee reports whether v may see item id as its newest known marking
// stands (true when the bus knows none).
func (m marks) canSee(v access.Viewer, roomID, id string) bool {
	r, ok := m[id]
	return !ok || access.CanSee(v, roomID, r.m)
}

// Observe calls fn with every change this process delivers, whoever may
// see it, before any subscriber gets it: for caches that must forget what
// a change makes stale (the CoT listeners' uid owners), never to show a
// change to anyone. fn runs on the delivering goroutine without the bus's
// lock; it must be quick and must not call the bus. The returned function
// stops the calls.
func (b *Bus) Observe(fn func(Change)) (stop func()) {
	p := &fn
	b.obsMu.Lock()
	defer b.obsMu.Unlock()
	var next []*func(Change)
	if old := b.observers.Load(); old != nil {
		next = append(next, *old...)
	}
	next = append(next, p)
	b.observers.Store(&next)
	return func() {
		b.obsMu.Lock()
		defer b.obsMu.Unlock()
		var rest []*func(Change)
		for _, o := range *b.observers.Load() {
			if o != p {
				rest = append(rest, o)
			}
		}
		b.observers.Store(&rest)
	}
}

// ResetRoom ends every subscription of a room with EndReset and forgets
// what the room kept: its clients must refetch. The cluster calls it when
// a change from another instance never arrived.
func (b *Bus) ResetRoom(roomID string, upTo int64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	r := b.ringLocked(roomID)
	// The cluster delivers nothing at or before upTo after a reset, so a
	// client resuming from Pos{upTo} (the reset's id) misses nothing.
	p := Pos{Seq: upTo}
	r.clear()
	*r = ring{floor: p, last: p, drop: b.unrefLocked}
	for s := range b.subs[roomID] {
		b.endLocked(s, EndReset)
	}
}

// EndMember ends, with EndRemoved, every subscription of memberID to
// roomID (the member left the room or was disabled), and returns how many
// it ended.
func (b *Bus) EndMember(roomID, memberID string) int {
	b.mu.Lock()
	defer b.mu.Unlock()
	n := 0
	for s := range b.subs[roomID] {
		if s.Viewer.MemberID == memberID {
			b.endLocked(s, EndRemoved)
			n++
		}
	}
	return n
}

// Watched returns the room and member of every open subscription (for
// the membership watcher).
func (b *Bus) Watched() map[[2]string]bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	out := map[[2]string]bool{}
	for room, m := range b.subs {
		for s := range m {
			out[[2]string{room, s.Viewer.MemberID}] = true
		}
	}
	return out
}

// Stats are the bus's counters for /metrics.
type Stats struct {
	Subscribers int
	Published   int64 // changes delivered to this process's subscribers
	Lagged      int64 // subscribers cut off for falling behind
	Removed     int64 // subscriptions ended because their member left
}

// Stats returns the current counters.
func (b *Bus) Stats() Stats {
	return Stats{Subscribers: int(b.subscribers.Load()), Published: b.published.Load(), Lagged: b.lagged.Load(), Removed: b.removed.Load()}
}

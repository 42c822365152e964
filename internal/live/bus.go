// Package live carries the room's changes to everyone watching: after a
// change commits it is published on the bus, and each subscriber receives
// it only if the need-to-know policy lets its member see it. A subscriber
// has a bounded queue; one that falls behind is cut off and told so, never
// allowed to hold up the others.
package live

import (
	"encoding/json"
	"sync"
	"sync/atomic"
	"time"

	"github.com/opsroom/opsroom/internal/access"
)

// Change is one committed change to a room's shared items. Seq is the
// audit record's sequence number: it orders every change on the server.
type Change struct {
	Seq     int64           `json:"seq"`
	RoomID  string          `json:"room_id"`
	Kind    string          `json:"kind"`
	ItemID  string          `json:"item_id"`
	Op      string          `json:"op"` // create, update, delete
	At      time.Time       `json:"at"`
	Marking access.Marking  `json:"-"`
	Data    json.RawMessage `json:"data,omitempty"` // the item as the API shows it, encoded once
}

// Subscription receives the changes its viewer may see in one room.
type Subscription struct {
	RoomID string
	Viewer access.Viewer
	// C delivers changes; it is closed when the subscription ends.
	C      chan Change
	lagged atomic.Bool
	bus    *Bus
	once   sync.Once
}

// Lagged reports whether the subscription was cut off for falling behind.
func (s *Subscription) Lagged() bool { return s.lagged.Load() }

// Close ends the subscription.
func (s *Subscription) Close() { s.bus.remove(s) }

// Bus fans changes out to subscribers in this process. Publishers call
// Publish after commit, in commit order.
type Bus struct {
	mu   sync.RWMutex
	subs map[string]map[*Subscription]struct{} // room ID -> subscribers

	published atomic.Int64
	lagged    atomic.Int64
	// OnPublish, if set, also receives every change (to fan out to other
	// instances through NATS).
	OnPublish func(Change)
}

// NewBus returns an empty bus.
func NewBus() *Bus { return &Bus{subs: map[string]map[*Subscription]struct{}{}} }

// Subscribe starts a subscription with a queue of size changes.
func (b *Bus) Subscribe(roomID string, v access.Viewer, size int) *Subscription {
	s := &Subscription{RoomID: roomID, Viewer: v, C: make(chan Change, size), bus: b}
	b.mu.Lock()
	m := b.subs[roomID]
	if m == nil {
		m = map[*Subscription]struct{}{}
		b.subs[roomID] = m
	}
	m[s] = struct{}{}
	b.mu.Unlock()
	return s
}

func (b *Bus) remove(s *Subscription) {
	s.once.Do(func() {
		b.mu.Lock()
		delete(b.subs[s.RoomID], s)
		if len(b.subs[s.RoomID]) == 0 {
			delete(b.subs, s.RoomID)
		}
		b.mu.Unlock()
		close(s.C)
	})
}

// Publish delivers c to every subscriber of its room whose viewer may see
// it, and to OnPublish.
func (b *Bus) Publish(c Change) {
	b.Deliver(c)
	if b.OnPublish != nil {
		b.OnPublish(c)
	}
}

// Deliver delivers c to this process's subscribers only (used for
// changes that arrive from other instances).
func (b *Bus) Deliver(c Change) {
	b.published.Add(1)
	var full []*Subscription
	b.mu.RLock()
	for s := range b.subs[c.RoomID] {
		if !access.CanSee(s.Viewer, c.RoomID, c.Marking) {
			continue
		}
		select {
		case s.C <- c:
		default:
			full = append(full, s)
		}
	}
	b.mu.RUnlock()
	for _, s := range full {
		s.lagged.Store(true)
		b.lagged.Add(1)
		b.remove(s)
	}
}

// Stats are the bus's counters for /metrics.
type Stats struct {
	Subscribers int
	Published   int64
	Lagged      int64
}

// Stats returns the current counters.
func (b *Bus) Stats() Stats {
	b.mu.RLock()
	n := 0
	for _, m := range b.subs {
		n += len(m)
	}
	b.mu.RUnlock()
	return Stats{Subscribers: n, Published: b.published.Load(), Lagged: b.lagged.Load()}
}

package tak

import (
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/opsroom/opsroom/internal/access"
	"github.com/opsroom/opsroom/internal/cot"
)

// frame is one event on its way to devices. It is immutable once built;
// each encoding is produced at most once, by the first writer that needs
// it, and the same bytes are then written to every connection using that
// encoding.
type frame struct {
	ev      *cot.Event
	roomID  string
	marking access.Marking
	from    *conn       // the sending connection (not echoed back), or nil
	to      *addressees // <marti><dest>: only these members' connections, when set
	upgrade bool        // the connection switches to protobuf after this frame
	m       *Metrics

	xmlOnce, pbOnce sync.Once
	xml, pb         []byte
}

// bytes returns the frame in the connection's encoding.
func (f *frame) bytes(proto bool) []byte {
	if proto {
		f.pbOnce.Do(func() {
			f.pb = cot.AppendStreamMessage(nil, &cot.Message{Event: f.ev})
			if f.m != nil {
				f.m.EncodedProto.Add(1)
			}
		})
		return f.pb
	}
	f.xmlOnce.Do(func() {
		f.xml = f.ev.AppendXML(nil)
		if f.m != nil {
			f.m.EncodedXML.Add(1)
		}
	})
	return f.xml
}

// hub holds the connections of every room. Publishing reads an immutable
// snapshot of a room's connections, so the fan-out takes no lock that
// connecting and disconnecting devices contend for.
type hub struct {
	mu    sync.Mutex // guards writes to rooms and each roomConns
	rooms map[string]*roomConns
	m     *Metrics
}

type roomConns struct {
	list atomic.Pointer[[]*conn]

	// recent holds the newest event relayed for each uid, so that a
	// device joining gets what was relayed but is not yet in the database
	// (positions are written in batches, after the relay).
	mu     sync.Mutex
	recent map[string]*frame
}

// maxRecent bounds the newest-event cache of a room; beyond it, events
// whose stale time has passed are dropped, then the oldest half.
const maxRecent = 8192

func (rc *roomConns) remember(f *frame) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	if rc.recent == nil {
		rc.recent = map[string]*frame{}
	}
	if old, ok := rc.recent[f.ev.UID]; ok && old.ev.Time.After(f.ev.Time) {
		return
	}
	rc.recent[f.ev.UID] = f
	if len(rc.recent) <= maxRecent {
		return
	}
	now := time.Now()
	for uid, o := range rc.recent {
		if o.ev.Stale.Before(now) {
			delete(rc.recent, uid)
		}
	}
	if len(rc.recent) > maxRecent {
		var cut time.Time
		ts := make([]time.Time, 0, len(rc.recent))
		for _, o := range rc.recent {
			ts = append(ts, o.ev.Time)
		}
		slices.SortFunc(ts, time.Time.Compare)
		cut = ts[len(ts)/2]
		for uid, o := range rc.recent {
			if o.ev.Time.Before(cut) {
				delete(rc.recent, uid)
			}
		}
	}
}

// recentFor returns the room's newest relayed events that c's member may
// see and that are not stale yet, leaving out those the snapshot already
// holds at the same time or later.
func (h *hub) recentFor(c *conn, snapshot []*frame) []*frame {
	h.mu.Lock()
	rc := h.rooms[c.roomID]
	h.mu.Unlock()
	if rc == nil {
		return nil
	}
	have := make(map[string]time.Time, len(snapshot))
	for _, f := range snapshot {
		have[f.ev.UID] = f.ev.Time
	}
	now := time.Now()
	rc.mu.Lock()
	defer rc.mu.Unlock()
	var out []*frame
	for uid, f := range rc.recent {
		if f.from == c || !f.ev.Stale.After(now) || !access.CanSee(c.viewer, c.roomID, f.marking) {
			continue
		}
		if t, ok := have[uid]; ok && !f.ev.Time.After(t) {
			continue
		}
		out = append(out, f)
	}
	slices.SortFunc(out, func(a, b *frame) int { return a.ev.Time.Compare(b.ev.Time) })
	return out
}

func newHub(m *Metrics) *hub { return &hub{rooms: map[string]*roomConns{}, m: m} }

func (h *hub) room(id string) *roomConns {
	h.mu.Lock()
	defer h.mu.Unlock()
	rc := h.rooms[id]
	if rc == nil {
		rc = &roomConns{}
		rc.list.Store(&[]*conn{})
		h.rooms[id] = rc
	}
	return rc
}

func (h *hub) add(c *conn) {
	rc := h.room(c.roomID)
	h.mu.Lock()
	old := *rc.list.Load()
	next := make([]*conn, len(old), len(old)+1)
	copy(next, old)
	next = append(next, c)
	rc.list.Store(&next)
	h.mu.Unlock()
}

func (h *hub) remove(c *conn) {
	h.mu.Lock()
	defer h.mu.Unlock()
	rc := h.rooms[c.roomID]
	if rc == nil {
		return
	}
	old := *rc.list.Load()
	next := make([]*conn, 0, len(old))
	for _, o := range old {
		if o != c {
			next = append(next, o)
		}
	}
	rc.list.Store(&next)
}

// publish queues f to every connection of its room whose member may see
// it. A connection whose queue is full is disconnected (and counted), so
// one slow device never holds up the room or loses events unnoticed.
func (h *hub) publish(f *frame) {
	h.mu.Lock()
	rc := h.rooms[f.roomID]
	h.mu.Unlock()
	if rc == nil {
		return
	}
	if f.from != nil && f.to == nil {
		rc.remember(f)
	}
	n := 0
	for _, c := range *rc.list.Load() {
		if c == f.from || !access.CanSee(c.viewer, f.roomID, f.marking) {
			continue
		}
		if f.to != nil && !f.to.includes(c) {
			continue
		}
		if c.enqueue(f) {
			n++
		}
	}
	h.m.Deliveries.Add(int64(n))
}

package tak

import (
	"errors"
	"io"
	"net"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/opsroom/opsroom/internal/access"
	"github.com/opsroom/opsroom/internal/cot"
	"github.com/opsroom/opsroom/internal/live"
	"github.com/opsroom/opsroom/internal/room"
)

// conn is one identified device connection: a read goroutine (decode,
// answer control events, hand the rest to ingest) and a write goroutine
// (drain the queue and the live subscription, one write per batch).
type conn struct {
	s         *Server
	nc        net.Conn
	remote    string
	principal access.Principal
	viewer    access.Viewer
	roomID    string
	roomSlug  string
	defTLP    access.Label
	rv        room.View
	sub       *live.Subscription
	done      chan struct{}
	closeOnce sync.Once

	markings map[string]resolved // reader goroutine only

	// The queue of frames for the writer. It grows as frames arrive, up
	// to Config.QueueSize, rather than being allocated in full for every
	// connection: an idle device costs a few bytes, not a deep channel.
	// qmu is taken alone (never with another lock held after it).
	qmu  sync.Mutex
	q    []*frame      // frames queued, oldest first
	wake chan struct{} // holds a signal when q may be non-empty (capacity 1)
}

// enqueue queues f without blocking. A full queue means the device cannot
// keep up: it is disconnected rather than allowed to lose events silently.
func (c *conn) enqueue(f *frame) bool {
	select {
	case <-c.done:
		return false
	default:
	}
	c.qmu.Lock()
	if len(c.q) >= c.s.cfg.QueueSize {
		c.qmu.Unlock()
		c.close("lagging: queue full", &c.s.m.ClosedLagging)
		return false
	}
	first := len(c.q) == 0
	c.q = append(c.q, f)
	c.qmu.Unlock()
	if first {
		// The writer takes the whole queue after each signal: frames
		// behind the first need none.
		select {
		case c.wake <- struct{}{}:
		default: // a signal is pending already
		}
	}
	return true
}

// takeQueued returns the frames queued so far, oldest first, leaving the
// queue empty. spare is the slice the previous call returned, done with:
// it is reused while small, and a large one is let go so that a
// connection back to idle holds no deep queue.
func (c *conn) takeQueued(spare []*frame) []*frame {
	clear(spare)
	if cap(spare) > 64 {
		spare = nil
	}
	c.qmu.Lock()
	defer c.qmu.Unlock()
	out := c.q
	c.q = spare[:0]
	return out
}

// batchPool holds the writers' batch buffers: a writer takes one when it
// has something to write and gives it back after the write, so idle
// connections hold none.
var batchPool = sync.Pool{New: func() any {
	b := make([]byte, 0, maxBatch+4<<10)
	return &b
}}

// close ends the connection once, counting and logging why.
func (c *conn) close(reason string, counter *atomic.Int64) {
	c.closeOnce.Do(func() {
		if counter != nil {
			counter.Add(1)
		}
		c.s.log.Info("tak: connection closed", "remote", c.remote, "member", c.principal.Username, "reason", reason)
		close(c.done)
		c.nc.Close()
	})
}

// closeOnReadError classifies a read error for the log and the counters.
func (c *conn) closeOnReadError(err error) {
	var ne net.Error
	var ce *cot.Error
	switch {
	case errors.Is(err, cot.ErrTooLarge):
		c.close(err.Error(), &c.s.m.ClosedTooLarge)
	case errors.As(err, &ce) && ce.Kind != cot.KindTruncated:
		c.close(err.Error(), &c.s.m.ClosedMalformed)
	case errors.As(err, &ne) && ne.Timeout():
		c.close("idle: nothing received within "+c.s.cfg.IdleTimeout.String(), &c.s.m.ClosedIdle)
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, net.ErrClosed):
		c.close("closed by the device", &c.s.m.ClosedPeer)
	default:
		c.close("read: "+err.Error(), &c.s.m.ClosedPeer)
	}
}

// readLoop decodes the device's events until the connection ends. It
// starts in CoT XML and switches to TAK protocol v1 frames once the device
// has asked for version 1 and been told yes.
func (c *conn) readLoop() {
	dec := cot.NewDecoder(c.nc)
	dec.SetMaxEventSize(c.s.cfg.MaxEventSize)
	var sr *cot.StreamReader
	for {
		// The deadline bounds both idling and a peer trickling one event
		// byte by byte.
		c.nc.SetReadDeadline(time.Now().Add(c.s.cfg.IdleTimeout))
		var ev *cot.Event
		var err error
		if sr == nil {
			ev, err = dec.Decode()
		} else {
			var m *cot.Message
			if m, err = sr.Decode(); err == nil {
				ev = m.Event
			}
		}
		if err != nil {
			select {
			case <-c.done: // closed by us (shutdown, lagging)
			default:
				c.closeOnReadError(err)
			}
			return
		}
		if ev == nil {
			continue // a protobuf message with only a TakControl
		}
		if c.handleEvent(ev, sr == nil) {
			sr = cot.NewStreamReader(io.MultiReader(dec.Buffered(), c.nc))
			sr.SetMaxMessageSize(c.s.cfg.MaxEventSize)
		}
	}
}

// handleEvent answers or ingests one event from the device; it reports
// whether the device asked for protocol version 1 and was told yes (xml:
// the connection still speaks XML). It is a function of its own so that
// the reader's frame, which an idle connection keeps while it waits,
// stays small.
//
//go:noinline
func (c *conn) handleEvent(ev *cot.Event, xml bool) (upgrade bool) {
	c.s.m.EventsIn.Add(1)
	switch {
	case cot.IsPing(ev):
		c.s.m.Pings.Add(1)
		c.control(cot.Pong(time.Now()), false)
	case ev.Type == cot.TypeProtocolRequest:
		v, ok := cot.RequestedVersion(ev)
		accept := ok && v == 1 && xml
		c.control(cot.ProtocolResponse(ev.UID, time.Now(), accept), accept)
		return accept
	case strings.HasPrefix(ev.Type, "t-x-"):
		// other control and TAK-server tasking events: nothing to relay
	default:
		c.s.ingest(c, ev)
	}
	return false
}

// subEnded closes the connection when its live subscription has ended.
func (c *conn) subEnded() {
	if c.sub.Lagged() {
		c.close("lagging: live changes queue full", &c.s.m.ClosedLagging)
	} else {
		c.close("live subscription ended", nil)
	}
}

// control queues a control event for this connection only.
func (c *conn) control(ev *cot.Event, upgrade bool) {
	c.enqueue(&frame{ev: ev, upgrade: upgrade})
}

// maxBatch is how many bytes the writer gathers into one write.
const maxBatch = 64 << 10

// writeLoop writes the protocol offer and the room's picture, then
// everything queued for the device and every change of the room it may
// see, coalescing whatever is waiting into one write.
func (c *conn) writeLoop(snapshot []*frame) {
	var pooled *[]byte // the batch buffer, from batchPool while in use
	var buf []byte
	defer func() {
		if pooled != nil {
			*pooled = buf[:0]
			batchPool.Put(pooled)
		}
	}()
	proto := false
	add := func(f *frame) {
		if pooled == nil {
			pooled = batchPool.Get().(*[]byte)
			buf = (*pooled)[:0]
		}
		buf = append(buf, f.bytes(proto)...)
		if f.upgrade {
			proto = true
		}
	}
	flush := func() bool {
		if len(buf) == 0 {
			return true
		}
		c.nc.SetWriteDeadline(time.Now().Add(c.s.cfg.WriteTimeout))
		n, err := c.nc.Write(buf)
		c.s.m.Writes.Add(1)
		c.s.m.BytesOut.Add(int64(n))
		if cap(buf) <= maxBatch+4<<10 {
			*pooled = buf[:0]
			batchPool.Put(pooled)
		} // a buffer grown past one batch (a large snapshot frame) is let go
		pooled, buf = nil, nil
		if err != nil {
			select {
			case <-c.done:
			default:
				c.close("write: "+err.Error(), &c.s.m.ClosedWriteErr)
			}
			return false
		}
		return true
	}
	add(&frame{ev: cot.ProtocolOffer("protouid", time.Now(), 1)})
	for _, f := range snapshot {
		add(f)
		if len(buf) >= maxBatch && !flush() {
			return
		}
	}
	if !flush() {
		return
	}
	var queued []*frame
	for {
		select {
		case <-c.done:
			return
		case <-c.wake:
		case ch, ok := <-c.sub.Refs:
			if !ok {
				c.subEnded()
				return
			}
			if f := c.s.changeFrame(*ch, c); f != nil {
				add(f)
			}
		}
		// Let the publisher queue more before writing: under load one write
		// then carries many events, which is what keeps the system calls,
		// and so the latency, down as the room grows.
		runtime.Gosched()
		queued = c.takeQueued(queued)
		for _, f := range queued {
			add(f)
			if len(buf) >= maxBatch && !flush() {
				return
			}
		}
		// The live changes waiting, too: the queue is short (liveQueue),
		// and a burst must leave it as fast as it came.
	changes:
		for {
			select {
			case ch, ok := <-c.sub.Refs:
				if !ok {
					flush()
					c.subEnded()
					return
				}
				if f := c.s.changeFrame(*ch, c); f != nil {
					add(f)
					if len(buf) >= maxBatch && !flush() {
						return
					}
				}
			default:
				break changes
			}
		}
		if !flush() {
			return
		}
	}
}

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
	q         chan *frame
	sub       *live.Subscription
	done      chan struct{}
	closeOnce sync.Once

	markings map[string]resolved // reader goroutine only
}

// enqueue queues f without blocking. A full queue means the device cannot
// keep up: it is disconnected rather than allowed to lose events silently.
func (c *conn) enqueue(f *frame) bool {
	select {
	case c.q <- f:
		return true
	case <-c.done:
		return false
	default:
		c.close("lagging: queue full", &c.s.m.ClosedLagging)
		return false
	}
}

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
		c.s.m.EventsIn.Add(1)
		switch {
		case cot.IsPing(ev):
			c.s.m.Pings.Add(1)
			c.control(cot.Pong(time.Now()), false)
		case ev.Type == cot.TypeProtocolRequest:
			v, ok := cot.RequestedVersion(ev)
			accept := ok && v == 1 && sr == nil
			c.control(cot.ProtocolResponse(ev.UID, time.Now(), accept), accept)
			if accept {
				sr = cot.NewStreamReader(io.MultiReader(dec.Buffered(), c.nc))
				sr.SetMaxMessageSize(c.s.cfg.MaxEventSize)
			}
		case strings.HasPrefix(ev.Type, "t-x-"):
			// other control and TAK-server tasking events: nothing to relay
		default:
			c.s.ingest(c, ev)
		}
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
	buf := make([]byte, 0, maxBatch+4<<10)
	proto := false
	add := func(f *frame) {
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
		buf = buf[:0]
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
	for {
		select {
		case <-c.done:
			return
		case f := <-c.q:
			add(f)
		case ch, ok := <-c.sub.Refs:
			if !ok {
				if c.sub.Lagged() {
					c.close("lagging: live changes queue full", &c.s.m.ClosedLagging)
				} else {
					c.close("live subscription ended", nil)
				}
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
	drain:
		for len(buf) < maxBatch {
			select {
			case f := <-c.q:
				add(f)
			default:
				break drain
			}
		}
		if !flush() {
			return
		}
	}
}

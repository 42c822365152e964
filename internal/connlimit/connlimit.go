// Package connlimit caps the long-lived connections a server holds (CoT
// devices, live-stream subscribers): in total, per client address and
// per member. A connection over a cap is refused with the cap's name, and
// every refusal is counted by cap for /metrics.
package connlimit

import (
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"
)

// The caps, as named in refusals and in the metrics' "cap" label.
const (
	CapTotal   = "total"
	CapAddress = "address"
	CapMember  = "member"
)

var capNames = [...]string{CapTotal, CapAddress, CapMember}

// Caps are the limits; zero or less means no limit.
type Caps struct {
	Total     int // connections in all
	PerAddr   int // connections from one client address
	PerMember int // connections of one member
}

// Error is a refusal: which cap was reached, and its value.
type Error struct {
	What  string // what is limited, e.g. "CoT connections"
	Cap   string // CapTotal, CapAddress or CapMember
	Limit int
}

func (e *Error) Error() string {
	switch e.Cap {
	case CapAddress:
		return fmt.Sprintf("too many %s from this address (at most %d)", e.What, e.Limit)
	case CapMember:
		return fmt.Sprintf("too many %s of this member (at most %d)", e.What, e.Limit)
	default:
		return fmt.Sprintf("the server holds its maximum of %d %s; try again later", e.Limit, e.What)
	}
}

// Limiter counts open connections against its caps. It is safe for
// concurrent use.
type Limiter struct {
	what string
	caps Caps

	mu     sync.Mutex // guards the counts below
	total  int
	addr   map[string]int
	member map[string]int

	refused [len(capNames)]atomic.Int64
}

// New returns a limiter of what (e.g. "CoT connections", used in the
// refusals' words) with caps.
func New(what string, caps Caps) *Limiter {
	return &Limiter{what: what, caps: caps, addr: map[string]int{}, member: map[string]int{}}
}

// Caps returns the limiter's caps.
func (l *Limiter) Caps() Caps { return l.caps }

// Addr takes a place for a connection from addr, counted in the total and
// against addr's cap. It returns the function that gives the place back
// (call it once), or an *Error naming the cap reached.
func (l *Limiter) Addr(addr string) (release func(), err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.caps.Total > 0 && l.total >= l.caps.Total {
		return nil, l.refuse(0, l.caps.Total)
	}
	if l.caps.PerAddr > 0 && l.addr[addr] >= l.caps.PerAddr {
		return nil, l.refuse(1, l.caps.PerAddr)
	}
	l.total++
	l.addr[addr]++
	return l.once(func() {
		l.total--
		if l.addr[addr]--; l.addr[addr] <= 0 {
			delete(l.addr, addr)
		}
	}), nil
}

// Member takes a place for a connection of member (its id or username),
// counted against the member's cap only: the connection has taken its
// place in the total with Addr.
func (l *Limiter) Member(member string) (release func(), err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.caps.PerMember > 0 && l.member[member] >= l.caps.PerMember {
		return nil, l.refuse(2, l.caps.PerMember)
	}
	l.member[member]++
	return l.once(func() {
		if l.member[member]--; l.member[member] <= 0 {
			delete(l.member, member)
		}
	}), nil
}

func (l *Limiter) refuse(i, limit int) error {
	l.refused[i].Add(1)
	return &Error{What: l.what, Cap: capNames[i], Limit: limit}
}

// once wraps a release so that a second call does nothing.
func (l *Limiter) once(fn func()) func() {
	var done atomic.Bool
	return func() {
		if done.CompareAndSwap(false, true) {
			l.mu.Lock()
			fn()
			l.mu.Unlock()
		}
	}
}

// Open returns how many connections hold a place.
func (l *Limiter) Open() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.total
}

// Refused returns how many connections were refused at cap (CapTotal,
// CapAddress or CapMember).
func (l *Limiter) Refused(cap string) int64 {
	for i, n := range capNames {
		if n == cap {
			return l.refused[i].Load()
		}
	}
	return 0
}

// Collector returns the refusals as a Prometheus counter named name,
// labelled by cap.
func (l *Limiter) Collector(name, help string) prometheus.Collector {
	return &collector{l: l, desc: prometheus.NewDesc(name, help, []string{"cap"}, nil)}
}

type collector struct {
	l    *Limiter
	desc *prometheus.Desc
}

func (c *collector) Describe(ch chan<- *prometheus.Desc) { ch <- c.desc }

func (c *collector) Collect(ch chan<- prometheus.Metric) {
	for i, n := range capNames {
		ch <- prometheus.MustNewConstMetric(c.desc, prometheus.CounterValue, float64(c.l.refused[i].Load()), n)
	}
}

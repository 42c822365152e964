package tak

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/opsroom/opsroom/internal/access"
	"github.com/opsroom/opsroom/internal/account"
	"github.com/opsroom/opsroom/internal/connlimit"
	"github.com/opsroom/opsroom/internal/live"
	"github.com/opsroom/opsroom/internal/picture"
	"github.com/opsroom/opsroom/internal/room"
	"github.com/opsroom/opsroom/internal/store"
)

// Config configures the listeners. Empty addresses disable a listener.
type Config struct {
	// TLSAddr is the mutual-TLS listener's address (e.g. 127.0.0.1:8089).
	// TLS must then hold the server certificate and, in ClientCAs, the
	// room CA that issued the devices' certificates.
	TLSAddr string
	TLS     *tls.Config
	// TLSRoom is the room a TLS device joins when its certificate names
	// none (OU) and its member belongs to more than one room.
	TLSRoom string

	// TCPAddr is the plain-TCP listener's address (e.g. 127.0.0.1:8087),
	// for trusted networks and load tests: every connection is the member
	// TCPMember of partner TCPPartner in room TCPRoom (a slug).
	TCPAddr    string
	TCPRoom    string
	TCPPartner string
	TCPMember  string

	// QueueSize bounds each connection's queue, in events (default
	// 8192); the queue grows as events arrive, so an idle connection
	// holds none of it.
	QueueSize int
	// MaxEventSize bounds one event or protobuf frame (default 64 KiB).
	MaxEventSize int
	// IdleTimeout closes a connection that sends nothing, not even a ping,
	// for this long (default 2 min; ATAK pings every 15 s or so).
	IdleTimeout time.Duration
	// WriteTimeout closes a connection whose write stalls (default 10 s).
	WriteTimeout time.Duration
	// HandshakeTimeout bounds the TLS handshake (default 10 s).
	HandshakeTimeout time.Duration
	// BatchInterval is how often positions are group-committed (default
	// 75 ms).
	BatchInterval time.Duration
	// Caps bound the connections held open, over both listeners: in
	// total, per client address (checked on accepting, before the TLS
	// handshake) and per member (TLS devices, once identified; plain-TCP
	// connections all act as TCPMember and are not counted per member).
	// Zero fields: no cap (serve's flags set defaults).
	Caps connlimit.Caps
}

func (c *Config) defaults() {
	if c.QueueSize <= 0 {
		c.QueueSize = 8192
	}
	if c.MaxEventSize <= 0 {
		c.MaxEventSize = 64 << 10
	}
	if c.IdleTimeout <= 0 {
		c.IdleTimeout = 2 * time.Minute
	}
	if c.WriteTimeout <= 0 {
		c.WriteTimeout = 10 * time.Second
	}
	if c.HandshakeTimeout <= 0 {
		c.HandshakeTimeout = 10 * time.Second
	}
	if c.BatchInterval <= 0 {
		c.BatchInterval = 75 * time.Millisecond
	}
}

// Server runs the CoT listeners of one opsroom process.
type Server struct {
	cfg     Config
	db      *store.DB
	members *account.Service
	rooms   *room.Service
	bus     *live.Bus
	log     *slog.Logger
	m       Metrics
	hub     *hub
	limit   *connlimit.Limiter
	refusal refusalLog
	persist *persister
	changes changeCache
	owners  *owners          // who each uid of a room belongs to
	picture *picture.Service // the room's picture, read for devices

	stopObserve func() // ends the bus's calls to observe

	tcpIdentity *identity

	mu        sync.Mutex // guards listeners and conns
	listeners []net.Listener
	conns     map[*conn]struct{}
	closed    bool
	wg        sync.WaitGroup // accept loops and connection goroutines
	stop      context.CancelFunc
	persistWG sync.WaitGroup
}

// identity is who a connection is: a member, in one room.
type identity struct {
	principal access.Principal
	room      room.Room
	view      room.View
}

// New returns a server; Start opens its listeners.
func New(cfg Config, db *store.DB, members *account.Service, rooms *room.Service, bus *live.Bus, log *slog.Logger) *Server {
	cfg.defaults()
	if log == nil {
		log = slog.Default()
	}
	s := &Server{cfg: cfg, db: db, members: members, rooms: rooms, bus: bus, log: log, conns: map[*conn]struct{}{}}
	s.hub = newHub(&s.m)
	s.limit = connlimit.New("CoT connections", cfg.Caps)
	s.m.limit = s.limit
	s.owners = newOwners()
	s.picture = picture.NewService(db, rooms, bus)
	s.persist = newPersister(s)
	s.changes.init()
	return s
}

// Metrics returns the server's counters.
func (s *Server) Metrics() *Metrics { return &s.m }

// Addrs returns the listeners' addresses (TLS first when both run).
func (s *Server) Addrs() []net.Addr {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []net.Addr
	for _, l := range s.listeners {
		out = append(out, l.Addr())
	}
	return out
}

// Start checks the plain-TCP identity, opens the configured listeners and
// starts accepting. It returns once they listen.
func (s *Server) Start(ctx context.Context) error {
	if s.cfg.TCPAddr != "" {
		id, err := s.resolve(ctx, s.cfg.TCPMember, s.cfg.TCPRoom)
		if err != nil {
			return fmt.Errorf("cot-tcp: %w", err)
		}
		if s.cfg.TCPPartner != "" && !strings.EqualFold(s.cfg.TCPPartner, id.principal.Partner) {
			return fmt.Errorf("cot-tcp: member %s belongs to partner %s, not %s", id.principal.Username, id.principal.Partner, s.cfg.TCPPartner)
		}
		s.tcpIdentity = id
	}
	if s.cfg.TLSAddr != "" && s.cfg.TLS == nil {
		return errors.New("cot-tls: no TLS configuration (server certificate and room CA)")
	}
	if s.bus != nil {
		s.stopObserve = s.bus.Observe(s.observe)
	}
	runCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	s.stop = cancel
	s.persistWG.Add(1)
	go func() { defer s.persistWG.Done(); s.persist.run(runCtx) }()
	if s.cfg.TLSAddr != "" {
		ln, err := net.Listen("tcp", s.cfg.TLSAddr)
		if err != nil {
			s.Close()
			return fmt.Errorf("cot-tls: %w", err)
		}
		s.serve(tls.NewListener(ln, s.cfg.TLS), true)
		s.log.Info("tak: listening for CoT over mutual TLS", "addr", ln.Addr().String())
	}
	if s.cfg.TCPAddr != "" {
		ln, err := net.Listen("tcp", s.cfg.TCPAddr)
		if err != nil {
			s.Close()
			return fmt.Errorf("cot-tcp: %w", err)
		}
		s.serve(ln, false)
		s.log.Info("tak: listening for CoT over plain TCP", "addr", ln.Addr().String(), "room", s.cfg.TCPRoom, "member", s.cfg.TCPMember)
	}
	return nil
}

// resolve loads a member (refusing a disabled one) and the room it joins.
func (s *Server) resolve(ctx context.Context, username, slug string) (*identity, error) {
	p, err := s.members.AsMember(ctx, username, "tak")
	if err != nil {
		return nil, err
	}
	if slug == "" {
		if len(p.Viewer.Rooms) != 1 {
			return nil, fmt.Errorf("member %s belongs to %d rooms; name the room", username, len(p.Viewer.Rooms))
		}
		rooms, err := s.rooms.Rooms(ctx, p)
		if err != nil {
			return nil, err
		}
		for _, rm := range rooms {
			if p.Viewer.Rooms[rm.ID] {
				slug = rm.Slug
			}
		}
	}
	rm, err := s.rooms.Room(ctx, p, slug)
	if err != nil {
		return nil, fmt.Errorf("room %q: %w", slug, err)
	}
	if !p.Viewer.Rooms[rm.ID] {
		return nil, fmt.Errorf("member %s is not in room %s", username, slug)
	}
	v, err := s.rooms.View(ctx, rm.ID)
	if err != nil {
		return nil, err
	}
	return &identity{principal: p, room: rm, view: v}, nil
}

// serve runs an accept loop, backing off (capped at one second) on
// temporary errors such as running out of file descriptors.
func (s *Server) serve(ln net.Listener, isTLS bool) {
	s.mu.Lock()
	s.listeners = append(s.listeners, ln)
	s.mu.Unlock()
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		var delay time.Duration
		for {
			nc, err := ln.Accept()
			if err != nil {
				if errors.Is(err, net.ErrClosed) {
					return
				}
				s.m.AcceptErrors.Add(1)
				delay = min(max(2*delay, 5*time.Millisecond), time.Second)
				s.log.Warn("tak: accept failed; backing off", "err", err, "delay", delay)
				time.Sleep(delay)
				continue
			}
			delay = 0
			s.m.ConnsAccepted.Add(1)
			release, err := s.limit.Addr(hostOf(nc.RemoteAddr()))
			if err != nil {
				s.refuse(nc, err)
				continue
			}
			s.wg.Add(1)
			go func() {
				defer s.wg.Done()
				s.handle(nc, isTLS, release)
			}()
		}
	}()
}

// handle identifies a connection and starts serving it; release gives
// back its place under the caps once the connection has ended.
func (s *Server) handle(nc net.Conn, isTLS bool, release func()) {
	remote := nc.RemoteAddr().String()
	id := s.tcpIdentity
	if isTLS {
		var err error
		id, err = s.identifyTLS(nc.(*tls.Conn))
		if err != nil {
			release()
			s.m.ConnsRefused.Add(1)
			s.log.Warn("tak: device refused", "remote", remote, "err", err)
			nc.Close()
			return
		}
		member, err := s.limit.Member(id.principal.Username)
		if err != nil {
			release()
			s.refuse(nc, err)
			return
		}
		addr := release
		release = func() { member(); addr() }
	}
	s.run(nc, id, isTLS, release)
}

// hostOf is the client address a connection is counted under: its IP
// without the port.
func hostOf(a net.Addr) string {
	if ta, ok := a.(*net.TCPAddr); ok {
		return ta.IP.String()
	}
	host, _, err := net.SplitHostPort(a.String())
	if err != nil {
		return a.String()
	}
	return host
}

// refuse closes a connection over a cap. The refusal is counted by cap
// (opsroom_tak_connections_capped_total) and logged, at most once a
// second with the number refused since, so that a flood cannot fill the
// log.
func (s *Server) refuse(nc net.Conn, err error) {
	nc.Close()
	if n, ok := s.refusal.due(); ok {
		s.log.Warn("tak: connection refused", "remote", nc.RemoteAddr().String(), "reason", err.Error(), "refused_since_last_log", n)
	}
}

// refusalLog lets one refusal a second through to the log.
type refusalLog struct {
	mu     sync.Mutex
	last   time.Time
	missed int64
}

// due reports whether a refusal may be logged now, and how many were
// refused since the last one logged.
func (r *refusalLog) due() (int64, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.missed++
	if now := time.Now(); now.Sub(r.last) >= time.Second {
		n := r.missed
		r.last, r.missed = now, 0
		return n, true
	}
	return 0, false
}

// run serves an identified connection on two goroutines of its own, a
// reader and a writer, and returns; the last of them to end cleans up and
// calls onEnd. Both start afresh, so that what each keeps on its stack
// while the device idles is only its own loop: identifying the device
// and reading the room's picture leave nothing behind (an idle
// connection's stacks are most of what it costs).
func (s *Server) run(nc net.Conn, id *identity, isTLS bool, onEnd func()) {
	remote := nc.RemoteAddr().String()
	c := &conn{s: s, nc: nc, remote: remote, principal: id.principal, viewer: id.principal.Viewer,
		roomID: id.room.ID, roomSlug: id.room.Slug, defTLP: id.room.DefaultTLP, rv: id.view,
		wake: make(chan struct{}, 1), done: make(chan struct{}), markings: map[string]resolved{}}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		nc.Close()
		onEnd()
		return
	}
	s.conns[c] = struct{}{}
	s.mu.Unlock()
	// Join the fan-out and the live stream before reading the picture, so
	// nothing that changes in between is missed (a repeat is harmless).
	// The queue holds references, a pointer each, allocated in full for
	// every connection: liveQueue keeps it small (see there).
	c.sub, _ = s.bus.SubscribeFrom(c.roomID, c.viewer, liveQueue, nil)
	s.hub.add(c)
	s.m.ConnsOpen.Add(1)
	s.log.Info("tak: device connected", "remote", remote, "member", id.principal.Username, "room", id.room.Slug, "tls", isTLS)
	snap, err := s.snapshot(context.Background(), c)
	if err != nil {
		s.log.Error("tak: reading the room's picture", "err", err)
	}
	// What was relayed before this connection joined but is not in the
	// database yet.
	snap = append(snap, s.hub.recentFor(c, snap)...)
	var left atomic.Int32
	left.Store(2)
	end := func() {
		c.close("done", nil)
		if left.Add(-1) > 0 {
			return
		}
		s.hub.remove(c)
		c.sub.Close()
		s.mu.Lock()
		delete(s.conns, c)
		s.mu.Unlock()
		s.m.ConnsOpen.Add(-1)
		onEnd()
	}
	s.wg.Add(2)
	go func() {
		defer s.wg.Done()
		c.writeLoop(snap)
		end()
	}()
	go func() {
		defer s.wg.Done()
		c.readLoop()
		end()
	}()
}

// liveQueue is each device connection's queue of the room's changes from
// the live stream, in changes. The writer drains it whole into each
// write; a device that falls this far behind is disconnected as lagging
// and gets the room's picture afresh when it reconnects.
const liveQueue = 256

// identifyTLS completes the handshake and maps the client certificate to a
// member: its common name is the username, its organizational unit (if
// any) the room. The certificate chain has been verified against the room
// CA by the handshake; a disabled member is refused here.
func (s *Server) identifyTLS(tc *tls.Conn) (*identity, error) {
	ctx, cancel := context.WithTimeout(context.Background(), s.cfg.HandshakeTimeout)
	defer cancel()
	if err := tc.HandshakeContext(ctx); err != nil {
		return nil, fmt.Errorf("handshake: %w", err)
	}
	certs := tc.ConnectionState().PeerCertificates
	if len(certs) == 0 {
		return nil, errors.New("no client certificate")
	}
	username := certs[0].Subject.CommonName
	slug := s.cfg.TLSRoom
	if ou := certs[0].Subject.OrganizationalUnit; len(ou) > 0 && ou[0] != "" {
		slug = ou[0]
	}
	return s.resolve(ctx, username, slug)
}

// Close stops accepting, disconnects every device, waits for their
// goroutines and commits the positions still pending.
func (s *Server) Close() error {
	s.mu.Lock()
	s.closed = true
	for _, l := range s.listeners {
		l.Close()
	}
	conns := make([]*conn, 0, len(s.conns))
	for c := range s.conns {
		conns = append(conns, c)
	}
	s.mu.Unlock()
	for _, c := range conns {
		c.close("server shutting down", nil)
	}
	s.wg.Wait()
	if s.stop != nil {
		s.stop()
	}
	s.persistWG.Wait()
	if s.stopObserve != nil {
		s.stopObserve()
	}
	return nil
}

package cli

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"os/signal"
	"syscall"
	"time"

	"github.com/opsroom/opsroom/internal/audit"
	"github.com/opsroom/opsroom/internal/connlimit"
	"github.com/opsroom/opsroom/internal/demo"
	"github.com/opsroom/opsroom/internal/httpapi"
	"github.com/opsroom/opsroom/internal/item"
	"github.com/opsroom/opsroom/internal/live"
	"github.com/opsroom/opsroom/internal/version"
)

func cmdServe(ctx context.Context, env *Env, args []string) error {
	fs := newFlags(env, "serve", "serve [--addr 127.0.0.1:8080] [--data DIR | --db postgres://...] [--trusted-proxy CIDR]... [--demo [--demo-public]]")
	var dbf dbFlags
	dbf.register(fs, env)
	addr := fs.String("addr", "127.0.0.1:8080", "address to listen on")
	withDemo := fs.Bool("demo", false, "load the reference scenario into an empty server and print its logins")
	demoPublic := fs.Bool("demo-public", false, "with --demo, listen on an address that is not loopback (the demo's passwords are published)")
	var proxies []netip.Prefix
	fs.Func("trusted-proxy", "CIDR or address of a reverse proxy whose X-Forwarded-For names the client (repeatable)", func(v string) error {
		p, err := parseProxy(v)
		if err != nil {
			return err
		}
		proxies = append(proxies, p)
		return nil
	})
	level := fs.String("log-level", "info", "debug, info, warn or error")
	secure := fs.Bool("secure-cookies", false, "mark the session cookie Secure (when served over HTTPS)")
	every := fs.Int64("audit-checkpoint-every", 1000, "write the audit chain's head to DATA/audit-checkpoint every this many records (and at shutdown)")
	natsURL := fs.String("nats", env.Getenv("OPSROOM_NATS"), "nats://host:4222 to share live changes with other instances on the same PostgreSQL database (env OPSROOM_NATS)")
	retention := fs.Duration("stream-retention", live.DefaultWindow, "how long live changes are kept for streams resuming with Last-Event-ID, also after a restart or on another instance")
	var tf takFlags
	tf.register(fs)
	var streamCaps connlimit.Caps
	fs.IntVar(&streamCaps.Total, "stream-max", 2000, "most live streams (SSE) held open in all (0: no cap)")
	fs.IntVar(&streamCaps.PerAddr, "stream-max-per-addr", 50, "most live streams from one client address (0: no cap)")
	fs.IntVar(&streamCaps.PerMember, "stream-max-per-member", 20, "most live streams of one member (0: no cap)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *withDemo && !*demoPublic && !loopback(*addr) {
		return fmt.Errorf("--addr %s: the demo's passwords are published, so --demo listens only on loopback (127.0.0.1, ::1, localhost); add --demo-public if the demo is meant to be reached from other machines", *addr)
	}
	if *retention <= 0 {
		return fmt.Errorf("--stream-retention %s: give a positive duration, such as 168h (7 days)", *retention)
	}
	log := logger(env.Stderr, *level)
	ctx, stop := signal.NotifyContext(ctx, syscall.SIGINT, syscall.SIGTERM)
	defer stop()

	db, err := dbf.open(ctx)
	if err != nil {
		return err
	}
	defer db.Close()
	svc := NewServices(db)
	if *withDemo {
		if err := loadDemo(ctx, env, svc); err != nil {
			return err
		}
	}
	// The checkpoint file anchors the audit chain outside the database
	// (see opsroom audit verify); it is written last at shutdown.
	anchorCtx, stopAnchor := context.WithCancel(context.WithoutCancel(ctx))
	anchorDone := make(chan struct{})
	go func() {
		defer close(anchorDone)
		a := &audit.Anchor{DB: db, Dir: dbf.data, Every: *every}
		a.Run(anchorCtx, func(err error) { log.Error("audit checkpoint", "err", err) })
	}()
	defer func() { stopAnchor(); <-anchorDone }()
	svc.Bus.Keep(&live.Log{DB: db, Window: *retention, Marking: item.LoadMarking})
	stopLive, err := live.Start(ctx, db, svc.Bus, *natsURL, log)
	if err != nil {
		return err
	}
	defer stopLive()
	ts, err := tf.start(ctx, svc, log)
	if err != nil {
		return err
	}
	if ts != nil {
		defer ts.Close()
		svc.collectors = append(svc.collectors, ts.Metrics())
	}
	svc.streamLimit = connlimit.New("live streams", streamCaps)
	svc.collectors = append(svc.collectors, svc.streamLimit.Collector("opsroom_stream_refused_total",
		"live streams refused because a cap was reached, by cap (total, address, member)"))
	extra := svc.routes()
	api := httpapi.New(&httpapi.Server{DB: db, Members: svc.Members, Rooms: svc.Rooms, Items: svc.Items, Bus: svc.Bus,
		SecureCookies: *secure, TrustedProxies: proxies, Extra: extra}, log)
	srv := &http.Server{
		Handler:           api.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second, // streaming routes lift it per request
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          nil,
		BaseContext:       func(net.Listener) context.Context { return ctx },
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	ln = httpapi.ProblemListener(ln)
	log.Info("opsroom listening", "url", "http://"+ln.Addr().String(), "engine", db.Engine(), "version", version.String())
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down")
	shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 15*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil && !errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	// Every request has finished: the refusals they queued go to the
	// audit trail before the database closes.
	if err := item.CloseRefusals(shutdownCtx, db); err != nil {
		return fmt.Errorf("write the queued refusals to the audit trail: %w", err)
	}
	return nil
}

// loadDemo loads the scenario into an empty server; on a server that has
// it already, it only prints the logins.
func loadDemo(ctx context.Context, env *Env, svc *Services) error {
	var n int
	if err := svc.DB.QueryRow(ctx, `SELECT COUNT(*) FROM partners`).Scan(&n); err != nil {
		return err
	}
	var logins []demo.Login
	var err error
	switch {
	case n == 0:
		// One transaction: a server stopped while loading keeps nothing.
		err = svc.DB.Batch(ctx, func(ctx context.Context) error {
			logins, err = svc.loadDemo(ctx)
			return err
		})
		if err != nil {
			return fmt.Errorf("load the demo: %v", err) // naming the record, as import does
		}
	default:
		if _, err := svc.Members.Member(ctx, "ru.general"); err != nil {
			return errors.New("--demo: the server already holds data that is not the demo; use another --data directory")
		}
		logins = demo.Logins()
	}
	fmt.Fprintln(env.Stdout, "Demo room loaded. Sign in with any of these (password "+demo.Password+"):")
	for _, l := range logins {
		fmt.Fprintf(env.Stdout, "  %-14s partner %s  %s\n", l.Username, l.Partner, l.Roles)
	}
	return nil
}

// parseProxy reads a --trusted-proxy value: a CIDR or a single address.
func parseProxy(v string) (netip.Prefix, error) {
	if p, err := netip.ParsePrefix(v); err == nil {
		return p.Masked(), nil
	}
	if a, err := netip.ParseAddr(v); err == nil {
		return netip.PrefixFrom(a, a.BitLen()), nil
	}
	return netip.Prefix{}, fmt.Errorf("--trusted-proxy %q: want a CIDR such as 10.0.0.0/8 or an address such as 127.0.0.1", v)
}

// loopback reports whether a listen address is on loopback only; an empty
// host listens on every interface.
func loopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	a, err := netip.ParseAddr(host)
	return err == nil && a.IsLoopback()
}

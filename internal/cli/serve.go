package cli

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os/signal"
	"syscall"
	"time"

	"github.com/opsroom/opsroom/internal/demo"
	"github.com/opsroom/opsroom/internal/httpapi"
	"github.com/opsroom/opsroom/internal/item"
	"github.com/opsroom/opsroom/internal/live"
	"github.com/opsroom/opsroom/internal/version"
)

func cmdServe(ctx context.Context, env *Env, args []string) error {
	fs := newFlags(env, "serve", "serve [--addr 127.0.0.1:8080] [--data DIR | --db postgres://...] [--demo]")
	var dbf dbFlags
	dbf.register(fs, env)
	addr := fs.String("addr", "127.0.0.1:8080", "address to listen on")
	withDemo := fs.Bool("demo", false, "load the reference scenario into an empty server and print its logins")
	level := fs.String("log-level", "info", "debug, info, warn or error")
	secure := fs.Bool("secure-cookies", false, "mark the session cookie Secure (when served over HTTPS)")
	natsURL := fs.String("nats", env.Getenv("OPSROOM_NATS"), "nats://host:4222 to share live changes with other instances on the same PostgreSQL database (env OPSROOM_NATS)")
	var tf takFlags
	tf.register(fs)
	if err := fs.Parse(args); err != nil {
		return err
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
	extra := svc.routes()
	api := httpapi.New(&httpapi.Server{DB: db, Members: svc.Members, Rooms: svc.Rooms, Items: svc.Items, Bus: svc.Bus,
		SecureCookies: *secure, Extra: extra}, log)
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

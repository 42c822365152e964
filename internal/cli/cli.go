// Package cli is opsroom's command line: serving, first-time set-up,
// administration of partners, members, rooms and tokens, and checking the
// audit trail. Administrative commands act directly on the database, as
// the operator of the machine the server runs on.
package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"sort"
	"strings"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/opsroom/opsroom/internal/account"
	"github.com/opsroom/opsroom/internal/connlimit"
	"github.com/opsroom/opsroom/internal/item"
	"github.com/opsroom/opsroom/internal/live"
	"github.com/opsroom/opsroom/internal/room"
	"github.com/opsroom/opsroom/internal/store"
	"github.com/opsroom/opsroom/internal/validate"
	"github.com/opsroom/opsroom/internal/version"
)

type command struct {
	name, summary string
	run           func(ctx context.Context, env *Env, args []string) error
}

// Env is where a command writes and what it reads.
type Env struct {
	Stdout, Stderr io.Writer
	Getenv         func(string) string
}

func commands() []command {
	return []command{
		{"serve", "run the server", cmdServe},
		{"init", "make the first server admin (and its partner)", cmdInit},
		{"partner", "add and list partners", cmdPartner},
		{"member", "add, list, disable members", cmdMember},
		{"room", "open rooms, list them, seat members", cmdRoom},
		{"token", "make, list and revoke API tokens", cmdToken},
		{"audit", "verify the audit trail's hash chain", cmdAudit},
		{"backup", "write a consistent copy of the SQLite database while serving", cmdBackup},
		{"restore", "bring a backup into an empty data directory", cmdRestore},
		{"bench", "measure the headline performance figures", cmdBench},
		{"import", "load an exchange document (all or nothing)", cmdImport},
		{"export", "write what one member may see as an exchange document", cmdExport},
		{"version", "print the version", func(ctx context.Context, env *Env, args []string) error {
			fmt.Fprintln(env.Stdout, "opsroom", version.String())
			return nil
		}},
	}
}

// Extra commands registered by other packages (import, export, cert,
// bench), so this package does not depend on every domain.
var extra []command

// Register adds a subcommand.
func Register(name, summary string, run func(ctx context.Context, env *Env, args []string) error) {
	extra = append(extra, command{name, summary, run})
}

// Run runs the command line and returns the process exit code.
func Run(ctx context.Context, args []string, env *Env) int {
	cmds := append(commands(), extra...)
	sort.SliceStable(cmds, func(i, j int) bool { return cmds[i].name == "serve" && cmds[j].name != "serve" })
	usage := func(w io.Writer) {
		fmt.Fprintln(w, "opsroom: a joint operations room server\n\nUsage: opsroom COMMAND [flags]\n\nCommands:")
		for _, c := range cmds {
			fmt.Fprintf(w, "  %-9s %s\n", c.name, c.summary)
		}
		fmt.Fprintln(w, "\nRun 'opsroom COMMAND --help' for a command's flags.")
	}
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(env.Stdout)
		return 0
	}
	for _, c := range cmds {
		if c.name == args[0] {
			err := c.run(ctx, env, args[1:])
			if errors.Is(err, flag.ErrHelp) {
				return 0
			}
			if err != nil {
				fmt.Fprintln(env.Stderr, "opsroom "+c.name+":", describe(err))
				return 1
			}
			return 0
		}
	}
	fmt.Fprintf(env.Stderr, "opsroom: unknown command %q\n\n", args[0])
	usage(env.Stderr)
	return 2
}

func describe(err error) string {
	var verrs validate.Errors
	if errors.As(err, &verrs) {
		var b strings.Builder
		b.WriteString("invalid input:")
		for _, f := range verrs {
			fmt.Fprintf(&b, "\n  %s: %s", f.Field, f.Detail)
		}
		return b.String()
	}
	return err.Error()
}

// dbFlags are the flags every command that opens the database shares.
type dbFlags struct {
	data, db, sync string
}

func (d *dbFlags) register(fs *flag.FlagSet, env *Env) {
	dataDefault := env.Getenv("OPSROOM_DATA")
	if dataDefault == "" {
		dataDefault = "opsroom-data"
	}
	fs.StringVar(&d.data, "data", dataDefault, "data directory for embedded SQLite (env OPSROOM_DATA)")
	fs.StringVar(&d.db, "db", env.Getenv("OPSROOM_DB"), "postgres://... to use PostgreSQL instead of SQLite (env OPSROOM_DB)")
	registerSync(fs, env, &d.sync)
}

// registerSync adds --sqlite-sync (env OPSROOM_SQLITE_SYNC).
func registerSync(fs *flag.FlagSet, env *Env, v *string) {
	def := env.Getenv("OPSROOM_SQLITE_SYNC")
	if def == "" {
		def = store.SyncFull
	}
	fs.StringVar(v, "sqlite-sync", def, "SQLite durability: full (an acknowledged write survives a power cut) or normal (faster; the last writes before a power cut or OS crash may be lost) (env OPSROOM_SQLITE_SYNC)")
}

func (d *dbFlags) open(ctx context.Context) (*store.DB, error) {
	if err := checkSync(d.sync); err != nil {
		return nil, err
	}
	return store.Open(ctx, store.Options{URL: d.db, Dir: d.data, SQLiteSync: d.sync})
}

func checkSync(v string) error {
	if v != store.SyncFull && v != store.SyncNormal {
		return fmt.Errorf("--sqlite-sync %q: want %s (the default) or %s", v, store.SyncFull, store.SyncNormal)
	}
	return nil
}

// Services are the domain services a command or the server uses.
type Services struct {
	DB      *store.DB
	Bus     *live.Bus
	Members *account.Service
	Rooms   *room.Service
	Items   *item.Service
	// collectors are more metrics for /metrics (the TAK listeners'),
	// added before the routes are built.
	collectors []prometheus.Collector
	// streamLimit caps the live streams (nil: no caps).
	streamLimit *connlimit.Limiter
}

// NewServices wires the services on db.
func NewServices(db *store.DB) *Services {
	bus := live.NewBus()
	rooms := room.NewService(db)
	return &Services{DB: db, Bus: bus, Members: account.NewService(db), Rooms: rooms, Items: item.NewService(db, rooms, bus)}
}

func newFlags(env *Env, name, usage string) *flag.FlagSet {
	fs := flag.NewFlagSet("opsroom "+name, flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	fs.Usage = func() {
		fmt.Fprintf(env.Stderr, "Usage: opsroom %s\n\nFlags:\n", usage)
		fs.PrintDefaults()
	}
	return fs
}

func logger(w io.Writer, level string) *slog.Logger {
	var l slog.Level
	if err := l.UnmarshalText([]byte(level)); err != nil {
		l = slog.LevelInfo
	}
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: l}))
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/opsroom/opsroom/internal/bench"
	"github.com/opsroom/opsroom/internal/bench/idleload"
	"github.com/opsroom/opsroom/internal/bench/takload"
	"github.com/opsroom/opsroom/internal/connlimit"
	"github.com/opsroom/opsroom/internal/store"
	"github.com/opsroom/opsroom/internal/tak"
)

// takFlags are `opsroom serve`'s flags for the TAK listeners.
type takFlags struct {
	tlsAddr, tlsRoom, certDir            string
	tcpAddr, tcpRoom, tcpPartner, tcpMem string
	caps                                 connlimit.Caps
}

func (f *takFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.tlsAddr, "cot-tls", "", "listen for TAK devices over mutual TLS on this address (e.g. 127.0.0.1:8089); needs --cot-certs")
	fs.StringVar(&f.certDir, "cot-certs", "opsroom-certs", "directory made by 'opsroom cert' (ca.pem, server.pem, server.key)")
	fs.StringVar(&f.tlsRoom, "cot-tls-room", "", "room a TLS device joins when its certificate names none and its member is in several rooms")
	fs.StringVar(&f.tcpAddr, "cot-tcp", "", "listen for TAK devices over plain TCP on this address (trusted networks only, e.g. 127.0.0.1:8087)")
	fs.StringVar(&f.tcpRoom, "cot-tcp-room", "", "room (slug) every plain-TCP device joins")
	fs.StringVar(&f.tcpPartner, "cot-tcp-partner", "", "partner code every plain-TCP device belongs to (checked against the member)")
	fs.StringVar(&f.tcpMem, "cot-tcp-member", "", "member (username) every plain-TCP device acts as")
	fs.IntVar(&f.caps.Total, "cot-max-conns", 12000, "most CoT connections held open in all (0: no cap)")
	fs.IntVar(&f.caps.PerAddr, "cot-max-conns-per-addr", 200, "most CoT connections from one client address (0: no cap)")
	fs.IntVar(&f.caps.PerMember, "cot-max-conns-per-member", 20, "most mutual-TLS CoT connections of one member (0: no cap; plain TCP is one member and is not counted)")
}

// start opens the TAK listeners the flags ask for; it returns nil when
// there are none.
func (f *takFlags) start(ctx context.Context, svc *Services, log *slog.Logger) (*tak.Server, error) {
	if f.tlsAddr == "" && f.tcpAddr == "" {
		return nil, nil
	}
	cfg := tak.Config{TLSAddr: f.tlsAddr, TLSRoom: f.tlsRoom, TCPAddr: f.tcpAddr, TCPRoom: f.tcpRoom, TCPPartner: f.tcpPartner, TCPMember: f.tcpMem, Caps: f.caps}
	if f.tcpAddr != "" && (f.tcpRoom == "" || f.tcpMem == "") {
		return nil, errors.New("--cot-tcp needs --cot-tcp-room and --cot-tcp-member")
	}
	if f.tlsAddr != "" {
		c, err := tak.ServerTLS(filepath.Join(f.certDir, "server.pem"), filepath.Join(f.certDir, "server.key"), filepath.Join(f.certDir, "ca.pem"))
		if err != nil {
			return nil, fmt.Errorf("--cot-tls: %w (make them with 'opsroom cert')", err)
		}
		cfg.TLS = c
	}
	s := tak.New(cfg, svc.DB, svc.Members, svc.Rooms, svc.Bus, log)
	if err := s.Start(ctx); err != nil {
		return nil, err
	}
	return s, nil
}

func init() {
	Register("cert", "make the room CA, server and device certificates, TAK data packages", cmdCert)
	RegisterBench("tak", "CoT fan-out over loopback TCP, clients in the same process (50 x 10/s, 200 x 4/s)", benchTAK)
	RegisterBench("idle", "sign-in and GET items p99 on an idle server, then holding 10,000 idle CoT devices and 1,000 idle streams (--scale 0.2: 2,000 and 200)", benchIdle)
}

func benchIdle(ctx context.Context, env *Env, db *store.DB, scale float64) ([]bench.Result, error) {
	return idleload.Workload{Devices: max(1, int(10000*scale)), Subscribers: max(1, int(1000*scale)), SignIns: 40, Calls: 400, Log: env.Stderr}.Run(ctx, db)
}

func benchTAK(ctx context.Context, env *Env, db *store.DB, scale float64) ([]bench.Result, error) {
	d := max(time.Duration(float64(10*time.Second)*scale), 2*time.Second)
	w, err := bench.NewWorld(ctx, db)
	if err != nil {
		return nil, err
	}
	var out []bench.Result
	for _, load := range [][2]int{{50, 10}, {200, 4}} {
		fmt.Fprintf(env.Stderr, "tak: %d clients x %d/s for %v...\n", load[0], load[1], d)
		r, err := takload.Run(ctx, w, load[0], load[1], d)
		if err != nil {
			return nil, err
		}
		out = append(out, r...)
	}
	return out, nil
}

func cmdCert(ctx context.Context, env *Env, args []string) error {
	usage := "cert ca|server|client [flags]\n\n" +
		"  cert ca     --dir DIR [--name NAME]                 make the room CA (ca.pem, ca.key)\n" +
		"  cert server --dir DIR --host HOST[,HOST...]         issue the listener's certificate (server.pem, server.key)\n" +
		"  cert client --dir DIR --member USER [--room SLUG] --connect HOST:PORT [--password P]\n" +
		"                                                       issue a device certificate and its TAK data package"
	if len(args) == 0 || args[0] == "--help" || args[0] == "-h" {
		fmt.Fprintln(env.Stderr, "Usage: opsroom "+usage)
		if len(args) == 0 {
			return errors.New("cert: name what to make: ca, server or client")
		}
		return nil
	}
	fs := newFlags(env, "cert", usage)
	dir := fs.String("dir", "opsroom-certs", "directory holding the room CA and the certificates")
	name := fs.String("name", "opsroom room CA", "the CA's name (ca)")
	hosts := fs.String("host", "127.0.0.1,localhost", "comma-separated host names and IP addresses the server is reached at (server)")
	member := fs.String("member", "", "member username the device acts as (client)")
	roomSlug := fs.String("room", "", "room the device joins, written in the certificate (client; optional when the member is in one room)")
	connect := fs.String("connect", "127.0.0.1:8089", "host:port of the TLS listener, written in the data package (client)")
	password := fs.String("password", "atakatak", "password of the .p12 files (client); 'atakatak' is what TAK clients expect by default")
	days := fs.Int("days", 365, "validity in days")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	valid := time.Duration(*days) * 24 * time.Hour
	write := func(file string, data []byte, mode os.FileMode) error {
		p := filepath.Join(*dir, file)
		if err := os.WriteFile(p, data, mode); err != nil {
			return err
		}
		fmt.Fprintln(env.Stdout, "wrote", p)
		return nil
	}
	if err := os.MkdirAll(*dir, 0o700); err != nil {
		return err
	}
	switch args[0] {
	case "ca":
		if _, err := os.Stat(filepath.Join(*dir, "ca.key")); err == nil {
			return fmt.Errorf("%s already holds a CA; a new one would orphan every certificate it issued", *dir)
		}
		ca, err := tak.NewCA(*name, valid*10)
		if err != nil {
			return err
		}
		if err := write("ca.key", tak.KeyPEM(ca.Key), 0o600); err != nil {
			return err
		}
		return write("ca.pem", tak.CertPEM(ca.Cert), 0o644)
	case "server", "client":
		ca, err := tak.LoadCA(filepath.Join(*dir, "ca.pem"), filepath.Join(*dir, "ca.key"))
		if err != nil {
			return fmt.Errorf("load the room CA (run 'opsroom cert ca' first): %w", err)
		}
		if args[0] == "server" {
			is, err := ca.IssueServer(strings.Split(*hosts, ","), valid)
			if err != nil {
				return err
			}
			if err := write("server.key", tak.KeyPEM(is.Key), 0o600); err != nil {
				return err
			}
			return write("server.pem", tak.CertPEM(is.Cert), 0o644)
		}
		if *member == "" {
			return errors.New("cert client: --member is required")
		}
		user := strings.ToLower(*member)
		is, err := ca.IssueClient(user, *roomSlug, valid)
		if err != nil {
			return err
		}
		p12, err := tak.P12(is, ca.Cert, *password)
		if err != nil {
			return err
		}
		pkg, err := tak.DataPackage("opsroom", *connect, is, ca.Cert, *password)
		if err != nil {
			return err
		}
		for _, f := range []struct {
			name string
			data []byte
			mode os.FileMode
		}{
			{user + ".pem", tak.CertPEM(is.Cert), 0o644},
			{user + ".key", tak.KeyPEM(is.Key), 0o600},
			{user + ".p12", p12, 0o600},
			{user + "-datapackage.zip", pkg, 0o600},
		} {
			if err := write(f.name, f.data, f.mode); err != nil {
				return err
			}
		}
		return nil
	}
	return fmt.Errorf("cert: unknown %q; want ca, server or client", args[0])
}

package storetest

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strings"
	"testing"
)

// OwnPostgres is a PostgreSQL server of a test's own, made with initdb in
// a temporary directory and listening on a free port of 127.0.0.1, so a
// test may stop and start it without disturbing any other.
type OwnPostgres struct {
	URL  string // postgres://postgres@127.0.0.1:PORT/postgres?sslmode=disable
	t    testing.TB
	bin  string
	data string
	port int
	log  string
	as   string // the user the server runs as ("" = the current one)
}

// StartOwnPostgres makes and starts a server, stopped and removed when the
// test ends. It skips the test with a message saying why when the
// PostgreSQL binaries are absent, or when it runs as root and there is no
// postgres user to run the server as (initdb refuses root).
func StartOwnPostgres(t testing.TB) *OwnPostgres {
	t.Helper()
	bins, _ := filepath.Glob("/usr/lib/postgresql/*/bin/initdb")
	if len(bins) == 0 {
		if p, err := exec.LookPath("initdb"); err == nil {
			bins = []string{p}
		}
	}
	if len(bins) == 0 {
		t.Skip("no PostgreSQL binaries (initdb, pg_ctl in /usr/lib/postgresql/*/bin or on PATH): install PostgreSQL to run this test")
	}
	pg := &OwnPostgres{t: t, bin: filepath.Dir(bins[len(bins)-1])}
	dir, err := os.MkdirTemp("", "opsroom-pg-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			t.Skip("running as root, and initdb refuses root: there is no postgres user to run the test's own PostgreSQL as")
		}
		pg.as = "postgres"
		var uid, gid int
		fmt.Sscan(u.Uid, &uid)
		fmt.Sscan(u.Gid, &gid)
		if err := os.Chmod(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Chown(dir, uid, gid); err != nil {
			t.Fatal(err)
		}
	}
	pg.data = filepath.Join(dir, "data")
	pg.log = filepath.Join(dir, "server.log")
	pg.port = freePort(t)
	pg.URL = fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", pg.port)
	pg.run("initdb", "-D", pg.data, "-U", "postgres", "-A", "trust", "--no-sync", "-E", "UTF8")
	pg.Start()
	t.Cleanup(func() {
		// Stop immediately: the test is over and the files go with it.
		_ = pg.cmd("pg_ctl", "-D", pg.data, "-m", "immediate", "-w", "stop").Run()
	})
	return pg
}

// Start starts the server and waits until it accepts connections.
func (pg *OwnPostgres) Start() {
	pg.t.Helper()
	opts := fmt.Sprintf("-p %d -k %s -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=40", pg.port, filepath.Dir(pg.data))
	pg.run("pg_ctl", "-D", pg.data, "-l", pg.log, "-o", opts, "-w", "-t", "30", "start")
}

// Stop stops the server the fast way (open connections are ended), as an
// operator's restart or a crash of the server would.
func (pg *OwnPostgres) Stop() {
	pg.t.Helper()
	pg.run("pg_ctl", "-D", pg.data, "-m", "fast", "-w", "-t", "30", "stop")
}

func (pg *OwnPostgres) cmd(name string, args ...string) *exec.Cmd {
	path := filepath.Join(pg.bin, name)
	if pg.as != "" {
		return exec.Command("runuser", append([]string{"-u", pg.as, "--", path}, args...)...)
	}
	return exec.Command(path, args...)
}

func (pg *OwnPostgres) run(name string, args ...string) {
	pg.t.Helper()
	out, err := pg.cmd(name, args...).CombinedOutput()
	if err != nil {
		logs, _ := os.ReadFile(pg.log)
		pg.t.Fatalf("%s %s: %v\n%s\n%s", name, strings.Join(args, " "), err, out, logs)
	}
}

// freePort returns a TCP port of 127.0.0.1 that nothing listens on now.
func freePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// FreePort returns a TCP port of 127.0.0.1 that nothing listens on now
// (for a test's own NATS server, say).
func FreePort(t testing.TB) int { return freePort(t) }

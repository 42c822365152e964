package tak

import (
	"bufio"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/opsroom/opsroom/internal/cot"
	"github.com/opsroom/opsroom/internal/store"
	"github.com/opsroom/opsroom/internal/store/storetest"
)

// idleConns is how many idle connections BenchmarkIdleConnections opens.
const idleConns = 1000

// BenchmarkIdleConnections measures what one idle device connection
// costs the server, plain TCP and mutual TLS: the Go heap and goroutine
// stacks in use after idleConns connections have joined the room and
// received their greeting, less before, divided by idleConns. The
// clients run in a process of their own so that their memory is not
// counted; the kernel's socket buffers are not counted either.
// tcp-after-ping has each device send one ping (answered) first, as a
// device does every 15 s or so. Run it
// once: go test -run XXX -bench IdleConnections -benchtime 1x ./internal/tak/
func BenchmarkIdleConnections(b *testing.B) {
	for _, v := range []struct {
		name      string
		tls, ping bool
	}{{"tcp", false, false}, {"tcp-after-ping", false, true}, {"tls", true, false}} {
		useTLS := v.tls
		b.Run(v.name, func(b *testing.B) {
			w := newWorld(b, storetest.Open(b, store.SQLite))
			cfg := Config{TCPAddr: "127.0.0.1:0", TCPRoom: "ops", TCPMember: "a1"}
			env := []string{"OPSROOM_IDLE_DIAL=" + strconv.Itoa(idleConns)}
			if v.ping {
				env = append(env, "OPSROOM_IDLE_PING=1")
			}
			if useTLS {
				pki := newPKI(b)
				cfg = Config{TLSAddr: "127.0.0.1:0", TLS: pki.serverTLS(b)}
				is, err := pki.ca.IssueClient("a1", "ops", time.Hour)
				if err != nil {
					b.Fatal(err)
				}
				dir := b.TempDir()
				os.WriteFile(filepath.Join(dir, "c.pem"), CertPEM(is.Cert), 0o600)
				os.WriteFile(filepath.Join(dir, "c.key"), KeyPEM(is.Key), 0o600)
				os.WriteFile(filepath.Join(dir, "ca.pem"), CertPEM(pki.ca.Cert), 0o600)
				env = append(env, "OPSROOM_IDLE_TLS="+dir)
			}
			s := w.server(b, cfg)
			before, beforeStack := inUse()
			beforeG := runtime.NumGoroutine()
			cmd := exec.Command(os.Args[0], "-test.run=^TestIdleDialer$")
			cmd.Env = append(os.Environ(), append(env, "OPSROOM_IDLE_ADDR="+s.Addrs()[0].String())...)
			stdin, _ := cmd.StdinPipe()
			stdout, _ := cmd.StdoutPipe()
			cmd.Stderr = os.Stderr
			if err := cmd.Start(); err != nil {
				b.Fatal(err)
			}
			defer func() { stdin.Close(); cmd.Wait() }()
			bufio.NewReader(stdout).ReadString('\n') // "ready"
			waitForLong(b, func() bool { return s.Metrics().ConnsOpen.Load() == idleConns })
			if v.ping {
				waitForLong(b, func() bool { return s.Metrics().Pings.Load() == idleConns })
			}
			time.Sleep(500 * time.Millisecond) // the greetings are written
			after, afterStack := inUse()
			for range b.N {
			}
			b.ReportMetric(float64(after-before)/idleConns, "bytes/conn")
			b.ReportMetric(float64(afterStack-beforeStack)/idleConns, "stack-bytes/conn")
			b.ReportMetric(float64(runtime.NumGoroutine()-beforeG)/idleConns, "goroutines/conn")
		})
	}
}

// inUse is the heap and stack memory in use after a collection, and the
// stacks' part of it.
func inUse() (total, stacks int64) {
	// Each collection at most halves a goroutine's stack that uses
	// little of it: a server collects all the time, so measure once the
	// stacks of the connections' first moments (reading the room's
	// picture) have settled.
	for range 8 {
		runtime.GC()
	}
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return int64(m.HeapAlloc + m.StackInuse), int64(m.StackInuse)
}

func waitForLong(t testing.TB, cond func() bool) {
	t.Helper()
	for range 3000 {
		if cond() {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatal("condition not met within 30 s")
}

// TestIdleDialer is BenchmarkIdleConnections' client process: it opens
// the connections, prints "ready" and holds them until its input closes.
// Run on its own it does nothing.
func TestIdleDialer(t *testing.T) {
	n, _ := strconv.Atoi(os.Getenv("OPSROOM_IDLE_DIAL"))
	if n == 0 {
		t.Skip("the client process of BenchmarkIdleConnections")
	}
	addr := os.Getenv("OPSROOM_IDLE_ADDR")
	var cfg *tls.Config
	if dir := os.Getenv("OPSROOM_IDLE_TLS"); dir != "" {
		pair, err := tls.LoadX509KeyPair(filepath.Join(dir, "c.pem"), filepath.Join(dir, "c.key"))
		if err != nil {
			t.Fatal(err)
		}
		caPEM, _ := os.ReadFile(filepath.Join(dir, "ca.pem"))
		roots := x509.NewCertPool()
		roots.AppendCertsFromPEM(caPEM)
		cfg = &tls.Config{RootCAs: roots, ServerName: "127.0.0.1", Certificates: []tls.Certificate{pair}}
	}
	conns := make([]net.Conn, 0, n)
	for range n {
		var nc net.Conn
		var err error
		if cfg != nil {
			var tc *tls.Conn
			if tc, err = tls.Dial("tcp", addr, cfg); err == nil {
				err = tc.Handshake()
			}
			nc = tc
		} else {
			nc, err = net.Dial("tcp", addr)
		}
		if err != nil {
			t.Fatal(err)
		}
		if os.Getenv("OPSROOM_IDLE_PING") != "" {
			// As a device does every 15 s or so; the pong is left unread.
			now := time.Now()
			ping := &cot.Event{Version: "2.0", UID: "ping", Type: cot.TypePing, How: "m-g", Time: now, Start: now, Stale: now.Add(time.Minute)}
			if _, err := nc.Write(ping.AppendXML(nil)); err != nil {
				t.Fatal(err)
			}
		}
		conns = append(conns, nc)
	}
	fmt.Println("ready")
	os.Stdin.Read(make([]byte, 1))
	for _, nc := range conns {
		nc.Close()
	}
}

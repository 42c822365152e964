package tak

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/opsroom/opsroom/internal/store"
	"github.com/opsroom/opsroom/internal/store/storetest"
)

// interopDir returns the directory of the Node interop scripts, skipping
// the test when node or the installed clients are missing.
func interopDir(t *testing.T) string {
	t.Helper()
	if _, err := exec.LookPath("node"); err != nil {
		t.Skip("interop: node is not installed; install Node 20 and run `npm ci` in interop/")
	}
	dir, err := filepath.Abs(filepath.Join("..", "..", "interop"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "@tak-ps", "node-tak")); err != nil {
		t.Skip("interop: interop/node_modules is missing; run `npm ci` in interop/ (scripts/test.sh does)")
	}
	return dir
}

// nodeResult is the JSON line a script prints.
type nodeResult struct {
	UID    string  `json:"uid"`
	Type   string  `json:"type"`
	Access string  `json:"access"`
	Lat    float64 `json:"lat"`
	Mode   string  `json:"mode"`
	Error  string  `json:"error"`
}

func runNode(ctx context.Context, dir string, args ...string) (nodeResult, error) {
	cmd := exec.CommandContext(ctx, "node", args...)
	cmd.Dir = dir
	out, err := cmd.Output()
	var r nodeResult
	if jerr := json.Unmarshal(out, &r); jerr != nil && err == nil {
		err = jerr
	}
	if err != nil {
		if ee, ok := err.(*exec.ExitError); ok {
			return r, &nodeError{string(out), string(ee.Stderr)}
		}
	}
	return r, err
}

type nodeError struct{ out, stderr string }

func (e *nodeError) Error() string { return "node: " + e.out + "\n" + e.stderr }

// TestInteropNodeTAK: two @tak-ps/node-tak clients, independent of this
// code base, connect over mutual TLS with certificates from the room CA,
// each report a position, receive the other's and get their pings
// answered.
func TestInteropNodeTAK(t *testing.T) {
	dir := interopDir(t)
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		pki := newPKI(t)
		s := w.server(t, Config{TLSAddr: "127.0.0.1:0", TLS: pki.serverTLS(t)})
		addr := s.Addrs()[0].(interface{ String() string }).String()
		host, port := splitHostPort(t, addr)
		files := map[string][2]string{}
		for _, user := range []string{"a1", "b1"} {
			is, err := pki.ca.IssueClient(user, "ops", time.Hour)
			if err != nil {
				t.Fatal(err)
			}
			cert, key := filepath.Join(pki.dir, user+".pem"), filepath.Join(pki.dir, user+".key")
			os.WriteFile(cert, CertPEM(is.Cert), 0o600)
			os.WriteFile(key, KeyPEM(is.Key), 0o600)
			files[user] = [2]string{cert, key}
		}
		if err := exchangeNodeTAK(dir, host, port, files); err != nil {
			t.Fatal(err)
		}
		if s.Metrics().Pings.Load() == 0 {
			t.Error("no ping was answered")
		}
	})
}

// TestInteropNodeCoT: @tak-ps/node-cot clients over plain TCP exchange
// positions in CoT XML and, after negotiating, in TAK protocol v1
// payloads encoded and decoded by node-cot.
func TestInteropNodeCoT(t *testing.T) {
	dir := interopDir(t)
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		s := w.server(t, Config{TCPAddr: "127.0.0.1:0", TCPRoom: "ops", TCPMember: "a1", TCPPartner: "AA"})
		host, port := splitHostPort(t, s.Addrs()[0].String())
		for _, mode := range []string{"xml", "proto"} {
			t.Run(mode, func(t *testing.T) {
				ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute) // node loads its modules slowly on a busy machine
				defer cancel()
				errs := make(chan error, 2)
				for _, pair := range [][2]string{{"x", "y"}, {"y", "x"}} {
					go func() {
						r, err := runNode(ctx, dir, "cot-tcp.mjs", host, port, mode, mode+"-"+pair[0], mode+"-"+pair[1])
						if err == nil && (r.Error != "" || r.Mode != mode || r.Lat != 34.1 || r.Access != "TLP:GREEN") {
							err = &nodeError{out: r.Error + " " + r.Mode + " " + r.Access}
						}
						errs <- err
					}()
				}
				for range 2 {
					if err := <-errs; err != nil {
						t.Fatal(err)
					}
				}
			})
		}
	})
}

func splitHostPort(t *testing.T, addr string) (string, string) {
	t.Helper()
	for i := len(addr) - 1; i >= 0; i-- {
		if addr[i] == ':' {
			return addr[:i], addr[i+1:]
		}
	}
	t.Fatalf("bad address %q", addr)
	return "", ""
}

// exchangeNodeTAK runs two node-tak clients, a1 and b1, that must each
// receive the other's position (TLP:GREEN, lat 33.5) and a pong.
func exchangeNodeTAK(dir, host, port string, files map[string][2]string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute) // node loads its modules slowly on a busy machine
	defer cancel()
	type res struct {
		r   nodeResult
		err error
	}
	results := map[string]chan res{}
	for user, want := range map[string]string{"a1": "node-b1", "b1": "node-a1"} {
		ch := make(chan res, 1)
		results[user] = ch
		go func() {
			r, err := runNode(ctx, dir, "tls-client.mjs", host, port, files[user][0], files[user][1], "node-"+user, want)
			ch <- res{r, err}
		}()
	}
	var errs []error
	for user, ch := range results {
		got := <-ch
		switch {
		case got.err != nil || got.r.Error != "":
			errs = append(errs, fmt.Errorf("%s: %v %s", user, got.err, got.r.Error))
		case got.r.Access != "TLP:GREEN" || got.r.Lat != 33.5:
			errs = append(errs, fmt.Errorf("%s received %+v", user, got.r))
		}
	}
	return errors.Join(errs...)
}

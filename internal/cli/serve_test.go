package cli

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// lockedBuffer is a bytes.Buffer safe for a server goroutine writing and
// a test reading.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestServeDemoWithTAK starts `opsroom serve --demo` with a plain-TCP TAK
// listener, checks that /metrics carries the live stream's and the TAK
// listeners' counters and /healthz answers, then stops it as SIGTERM
// would.
func TestServeDemoWithTAK(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out, errb lockedBuffer
	env := &Env{Stdout: &out, Stderr: &errb, Getenv: func(k string) string {
		if k == "OPSROOM_DATA" {
			return t.TempDir()
		}
		return ""
	}}
	done := make(chan int, 1)
	go func() {
		done <- Run(ctx, []string{"serve", "--demo", "--addr", "127.0.0.1:0",
			"--cot-tcp", "127.0.0.1:0", "--cot-tcp-room", "damascus", "--cot-tcp-member", "ru.general", "--cot-tcp-partner", "RU"}, env)
	}()
	listening := regexp.MustCompile(`opsroom listening" url=(http://[0-9.:]+)`)
	var base string
	for deadline := time.Now().Add(60 * time.Second); base == ""; {
		if m := listening.FindStringSubmatch(errb.String()); m != nil {
			base = m[1]
			break
		}
		select {
		case code := <-done:
			t.Fatalf("serve exited with %d\n%s%s", code, out.String(), errb.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("serve did not start within a minute:\n%s", errb.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	if !strings.Contains(out.String(), "ru.general") {
		t.Errorf("the demo's logins were not printed:\n%s", out.String())
	}
	get := func(path string) string {
		t.Helper()
		resp, err := http.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("GET %s: %s\n%s", path, resp.Status, b)
		}
		return string(b)
	}
	get("/healthz")
	metrics := get("/metrics")
	for _, want := range []string{"opsroom_live_subscribers 0", "opsroom_tak_connections_open 0", "opsroom_tak_deliveries_total 0", "go_goroutines"} {
		if !strings.Contains(metrics, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
	cancel()
	select {
	case code := <-done:
		if code != 0 {
			t.Errorf("serve exited with %d after the signal:\n%s", code, errb.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatal("serve did not stop within 30 s of the signal")
	}
}

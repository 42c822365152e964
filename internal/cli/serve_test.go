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

	"github.com/opsroom/opsroom/internal/audit"
	"github.com/opsroom/opsroom/internal/store"
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
	data := t.TempDir()
	env := &Env{Stdout: &out, Stderr: &errb, Getenv: func(k string) string {
		if k == "OPSROOM_DATA" {
			return data
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
	checkAnchoredAudit(t, data)
}

// checkAnchoredAudit: the server left the chain's head in the data
// directory at shutdown; audit verify checks against it and so detects a
// tail cut off with the head moved back, which the chain alone does not.
func checkAnchoredAudit(t *testing.T, data string) {
	ctx := context.Background()
	cp, ok, err := audit.ReadCheckpointFile(data)
	if err != nil || !ok || cp.Seq < 10 {
		t.Fatalf("no checkpoint left at shutdown: %v %v %v", cp, ok, err)
	}
	env := map[string]string{"OPSROOM_DATA": data}
	code, stdout, stderr := run(t, env, "audit", "checkpoint")
	if code != 0 || strings.TrimSpace(stdout) != cp.String() {
		t.Fatalf("audit checkpoint printed %q (%s), the file holds %s", stdout, stderr, cp)
	}
	if code, stdout, _ := run(t, env, "audit", "verify", "--against", cp.String()); code != 0 || !strings.Contains(stdout, "holds the checkpoint in") || !strings.Contains(stdout, "holds checkpoint "+cp.String()) {
		t.Fatalf("audit verify: %q", stdout)
	}
	db, err := store.Open(ctx, store.Options{Dir: data})
	if err != nil {
		t.Fatal(err)
	}
	var hash string
	err = db.Write(ctx, func(tx *store.Tx) error {
		if err := tx.QueryRow(ctx, `SELECT hash FROM audit WHERE seq = ?`, cp.Seq-2).Scan(&hash); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `DELETE FROM audit WHERE seq > ?`, cp.Seq-2); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `UPDATE audit_head SET seq = ?, hash = ? WHERE id = 1`, cp.Seq-2, hash)
		return err
	})
	db.Close()
	if err != nil {
		t.Fatal(err)
	}
	if code, _, stderr := run(t, env, "audit", "verify"); code == 0 || !strings.Contains(stderr, "records were removed from the end") {
		t.Errorf("audit verify after the tail was cut: %d %q", code, stderr)
	}
	if code, _, stderr := run(t, map[string]string{"OPSROOM_DATA": t.TempDir()}, "audit", "verify", "--against", "12:nothex"); code == 0 || !strings.Contains(stderr, "SEQ:HASH") {
		t.Errorf("a malformed --against: %d %q", code, stderr)
	}
}

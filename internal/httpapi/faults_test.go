package httpapi_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/opsroom/opsroom/internal/apitest"
	"github.com/opsroom/opsroom/internal/audit"
	"github.com/opsroom/opsroom/internal/demo"
	"github.com/opsroom/opsroom/internal/store"
	"github.com/opsroom/opsroom/internal/store/storetest"
)

// TestPostgresStoppedAndStarted: while the database is down every request
// that needs it gets a 503 problem document with Retry-After, quickly, and
// once it is back the same server serves again without a restart.
func TestPostgresStoppedAndStarted(t *testing.T) {
	pg := storetest.StartOwnPostgres(t)
	ctx := context.Background()
	db, err := store.Open(ctx, store.Options{URL: pg.URL})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	ts := demoServer(t, db)
	ru := ts.login(t, "ru.general", demo.Password)
	ru.HTTP.Timeout = 20 * time.Second
	note := map[string]any{"title": "before", "marking": map[string]any{"tlp": "GREEN"}}
	if res := ru.Do("POST", "/api/v1/rooms/damascus/notes", note); res.Status != http.StatusCreated {
		t.Fatalf("before: %d %s", res.Status, res.Body)
	}

	pg.Stop()
	anon := ts.anon(t)
	anon.HTTP.Timeout = 20 * time.Second
	for _, c := range []struct {
		cl           *client
		method, path string
		body         any
	}{
		{ru, "GET", "/api/v1/rooms/damascus/items", nil},
		{ru, "POST", "/api/v1/rooms/damascus/notes", map[string]any{"title": "while down", "marking": map[string]any{"tlp": "GREEN"}}},
		{ru, "GET", "/api/v1/rooms/damascus", nil},
		{anon, "POST", "/api/v1/login", map[string]string{"username": "ru.general", "password": demo.Password}},
		{anon, "GET", "/readyz", nil},
	} {
		start := time.Now()
		res := c.cl.Do(c.method, c.path, c.body)
		took := time.Since(start)
		if res.Status != http.StatusServiceUnavailable || res.Header.Get("Content-Type") != "application/problem+json" {
			t.Errorf("%s %s with the database down: %d %s %s", c.method, c.path, res.Status, res.Header.Get("Content-Type"), res.Body)
			continue
		}
		if c.path != "/readyz" && res.Header.Get("Retry-After") == "" {
			t.Errorf("%s %s: 503 without Retry-After", c.method, c.path)
		}
		var p struct{ Status int }
		res.JSON(t, &p)
		if p.Status != 503 || strings.Contains(string(res.Body), "127.0.0.1") {
			t.Errorf("%s %s: problem %s", c.method, c.path, res.Body)
		}
		if took > 6*time.Second {
			t.Errorf("%s %s took %v to fail", c.method, c.path, took)
		}
	}

	pg.Start()
	deadline := time.Now().Add(15 * time.Second)
	for {
		res := ru.Do("GET", "/api/v1/rooms/damascus/items", nil)
		if res.Status == http.StatusOK {
			break
		}
		if res.Status != http.StatusServiceUnavailable || time.Now().After(deadline) {
			t.Fatalf("after the database came back: %d %s", res.Status, res.Body)
		}
		time.Sleep(200 * time.Millisecond)
	}
	if res := ru.Do("POST", "/api/v1/rooms/damascus/notes", map[string]any{"title": "after", "marking": map[string]any{"tlp": "GREEN"}}); res.Status != http.StatusCreated {
		t.Fatalf("write after the database came back: %d %s", res.Status, res.Body)
	}
	var page struct{ Items []struct{ Title string } }
	ru.Get("/api/v1/rooms/damascus/items?limit=500", &page)
	var titles []string
	for _, it := range page.Items {
		if it.Title == "before" || it.Title == "after" || it.Title == "while down" {
			titles = append(titles, it.Title)
		}
	}
	if b, _ := json.Marshal(titles); !strings.Contains(string(b), "before") || !strings.Contains(string(b), "after") || strings.Contains(string(b), "while down") {
		t.Errorf("notes after the outage: %s", b)
	}
	if res := anon.Do("GET", "/readyz", nil); res.Status != http.StatusOK {
		t.Errorf("readyz after the outage: %d", res.Status)
	}
}

// TestSQLiteDiskFull: with the data directory on a small file system that
// fills up, a write gets a 507 problem document saying the disk is full,
// reads go on, nothing is corrupted (integrity check, audit chain), and
// writes resume once space is freed.
func TestSQLiteDiskFull(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to mount a small tmpfs for the data directory; run the tests as root to check a full disk")
	}
	dir, err := os.MkdirTemp("", "opsroom-full-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=8m", "tmpfs", dir).CombinedOutput(); err != nil {
		t.Skipf("cannot mount a tmpfs to fill (%v: %s); skipping the full-disk test", err, out)
	}
	t.Cleanup(func() { exec.Command("umount", "-l", dir).Run() })
	ctx := context.Background()
	db, err := store.Open(ctx, store.Options{Dir: filepath.Join(dir, "data")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	ts := demoServer(t, db)
	ru := ts.login(t, "ru.general", demo.Password)

	// Fill what is left of the file system.
	filler := filepath.Join(dir, "filler")
	f, err := os.Create(filler)
	if err != nil {
		t.Fatal(err)
	}
	chunk := make([]byte, 64<<10)
	for {
		if _, err := f.Write(chunk); err != nil {
			break
		}
	}
	for _, n := range []int{4096, 512, 1} { // the last bytes too
		for {
			if _, err := f.Write(chunk[:n]); err != nil {
				break
			}
		}
	}
	f.Close()

	text := strings.Repeat("the disk fills up. ", 200)
	created := 0
	var full apitestResponse
	for i := 0; i < 2000; i++ {
		res := ru.Do("POST", "/api/v1/rooms/damascus/notes", map[string]any{"title": fmt.Sprint("filling ", i), "text": text, "marking": map[string]any{"tlp": "GREEN"}})
		if res.Status == http.StatusCreated {
			created++
			continue
		}
		full = res
		break
	}
	if full.Status != http.StatusInsufficientStorage || full.Header.Get("Content-Type") != "application/problem+json" ||
		!strings.Contains(string(full.Body), "disk is full") {
		t.Fatalf("a write on a full disk (after %d fitted): %d %s %s", created, full.Status, full.Header.Get("Content-Type"), full.Body)
	}
	if res := ru.Do("GET", "/api/v1/rooms/damascus/items", nil); res.Status != http.StatusOK {
		t.Errorf("a read on a full disk: %d %s", res.Status, res.Body)
	}
	if res := ru.Do("POST", "/api/v1/rooms/damascus/notes", map[string]any{"title": "still full", "marking": map[string]any{"tlp": "GREEN"}}); res.Status != http.StatusInsufficientStorage {
		t.Errorf("a second write on a full disk: %d %s", res.Status, res.Body)
	}
	checkIntact(t, db)

	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	if res := ru.Do("POST", "/api/v1/rooms/damascus/notes", map[string]any{"title": "after", "text": text, "marking": map[string]any{"tlp": "GREEN"}}); res.Status != http.StatusCreated {
		t.Fatalf("a write once space is back: %d %s", res.Status, res.Body)
	}
	checkIntact(t, db)
}

type apitestResponse = apitest.Response

// checkIntact runs SQLite's integrity check and verifies the audit chain.
func checkIntact(t *testing.T, db *store.DB) {
	t.Helper()
	ctx := context.Background()
	var res string
	if err := store.Scan(db.QueryRow(ctx, `PRAGMA integrity_check`), &res); err != nil || res != "ok" {
		t.Errorf("integrity check: %q %v", res, err)
	}
	if _, err := audit.Verify(ctx, db); err != nil {
		t.Errorf("audit verify: %v", err)
	}
}

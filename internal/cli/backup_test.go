package cli

import (
	"context"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/opsroom/opsroom/internal/audit"
	"github.com/opsroom/opsroom/internal/store"
)

// TestBackupWhileWritingAndRestore: a backup taken while another process
// writes is one consistent snapshot; restored into an empty directory it
// verifies, and its head is a record of the live chain.
func TestBackupWhileWritingAndRestore(t *testing.T) {
	ctx := context.Background()
	live, backup, restored := t.TempDir(), filepath.Join(t.TempDir(), "b"), filepath.Join(t.TempDir(), "r")
	env := map[string]string{"OPSROOM_DATA": live, "OPSROOM_ADMIN_PASSWORD": "first operator passphrase"}
	if code, _, stderr := run(t, env, "init", "--partner", "UN"); code != 0 {
		t.Fatal(stderr)
	}
	db, err := store.Open(ctx, store.Options{Dir: live})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	var writes atomic.Int64
	go func() {
		defer wg.Done()
		for {
			select {
			case <-stop:
				return
			default:
			}
			if err := audit.Log(ctx, db, audit.Record{Action: "test.write"}); err != nil {
				t.Error(err)
				return
			}
			writes.Add(1)
		}
	}()
	for writes.Load() < 20 {
		time.Sleep(time.Millisecond)
	}
	code, stdout, stderr := run(t, env, "backup", "--to", backup)
	close(stop)
	wg.Wait()
	if code != 0 {
		t.Fatalf("backup: %s", stderr)
	}
	head := regexp.MustCompile(`head (\d+):([0-9a-f]+)`)
	m := head.FindStringSubmatch(stdout)
	if m == nil {
		t.Fatalf("backup printed %q", stdout)
	}
	seq, _ := strconv.ParseInt(m[1], 10, 64)
	var liveHash string
	if err := db.QueryRow(ctx, `SELECT hash FROM audit WHERE seq = ?`, seq).Scan(&liveHash); err != nil || liveHash != m[2] {
		t.Fatalf("the backup's head %d:%s is not the live chain's record (%q, %v)", seq, m[2], liveHash, err)
	}
	if seq < 20 {
		t.Fatalf("the backup's head is record %d, before the writes that had finished", seq)
	}
	t.Logf("%d writes ran before and during the backup; its head is record %d", writes.Load(), seq)

	code, stdout, stderr = run(t, map[string]string{}, "restore", "--from", backup, "--data", restored)
	if code != 0 || !strings.Contains(stdout, "head "+m[1]+":"+m[2]) {
		t.Fatalf("restore: %d %q %q", code, stdout, stderr)
	}
	if code, stdout, _ := run(t, map[string]string{"OPSROOM_DATA": restored}, "audit", "verify"); code != 0 || !strings.Contains(stdout, "audit trail intact: "+m[1]+" records") {
		t.Fatalf("audit verify on the restored copy: %q", stdout)
	}
	rdb, err := store.Open(ctx, store.Options{Dir: restored})
	if err != nil {
		t.Fatal(err)
	}
	var members, records int
	rdb.QueryRow(ctx, `SELECT COUNT(*) FROM members`).Scan(&members)
	rdb.QueryRow(ctx, `SELECT COUNT(*) FROM audit`).Scan(&records)
	rdb.Close()
	if members != 1 || int64(records) != seq {
		t.Fatalf("restored %d members and %d audit records, want 1 and %d", members, records, seq)
	}

	// Neither overwrites.
	if code, _, stderr := run(t, map[string]string{}, "restore", "--from", backup, "--data", restored); code == 0 || !strings.Contains(stderr, "already holds a database") {
		t.Errorf("restore over a database: %d %q", code, stderr)
	}
	if code, _, stderr := run(t, env, "backup", "--to", backup); code == 0 || !strings.Contains(stderr, "is not empty") {
		t.Errorf("backup into a used directory: %d %q", code, stderr)
	}
	if code, _, stderr := run(t, map[string]string{}, "restore", "--from", backup, "--db", "postgres://x@127.0.0.1:1/none"); code == 0 || !strings.Contains(stderr, "pg_dump") {
		t.Errorf("restore to PostgreSQL: %d %q", code, stderr)
	}
}

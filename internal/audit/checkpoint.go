package audit

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/opsroom/opsroom/internal/store"
)

// A Checkpoint anchors the chain: record Seq had hash Hash. Kept where
// rewriting the database alone does not reach (a file beside it, a value
// an operator writes down), it lets Verify detect a tail cut off or a
// chain rewritten and rehashed from some record on, which the chain alone
// cannot show: a consistent shorter or rewritten chain verifies.
type Checkpoint struct {
	Seq  int64
	Hash string
}

// String is the form `audit checkpoint` prints and `--against` reads.
func (c Checkpoint) String() string { return strconv.FormatInt(c.Seq, 10) + ":" + c.Hash }

// ParseCheckpoint reads "SEQ:HASH".
func ParseCheckpoint(v string) (Checkpoint, error) {
	s, h, ok := strings.Cut(strings.TrimSpace(v), ":")
	seq, err := strconv.ParseInt(s, 10, 64)
	if !ok || err != nil || seq < 0 || len(h) != 64 || strings.Trim(h, "0123456789abcdef") != "" {
		return Checkpoint{}, fmt.Errorf("checkpoint %q: want SEQ:HASH as printed by opsroom audit checkpoint", v)
	}
	return Checkpoint{Seq: seq, Hash: h}, nil
}

// CheckpointFile is the checkpoint's file in a data directory.
const CheckpointFile = "audit-checkpoint"

// ReadCheckpointFile returns dir's checkpoint; ok is false when there is
// none yet.
func ReadCheckpointFile(dir string) (c Checkpoint, ok bool, err error) {
	b, err := os.ReadFile(filepath.Join(dir, CheckpointFile))
	if errors.Is(err, os.ErrNotExist) {
		return c, false, nil
	}
	if err != nil {
		return c, false, err
	}
	c, err = ParseCheckpoint(string(b))
	if err != nil {
		return c, false, fmt.Errorf("%s: %w", filepath.Join(dir, CheckpointFile), err)
	}
	return c, true, nil
}

// writeCheckpointFile replaces dir's checkpoint, synced, in one rename.
func writeCheckpointFile(dir string, c Checkpoint) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	path := filepath.Join(dir, CheckpointFile)
	tmp := path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	_, err = f.WriteString(c.String() + "\n")
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(tmp)
		return err
	}
	return os.Rename(tmp, path)
}

// CurrentHead returns the chain's head as a checkpoint.
func CurrentHead(ctx context.Context, db *store.DB) (Checkpoint, error) {
	seq, hash, err := Head(ctx, db)
	return Checkpoint{Seq: seq, Hash: hash}, err
}

// VerifyAgainst verifies the chain (Verify), then that it still holds
// each checkpoint: record Seq exists and has Hash.
func VerifyAgainst(ctx context.Context, db *store.DB, cps ...Checkpoint) (int64, error) {
	n, err := Verify(ctx, db)
	if err != nil {
		return n, err
	}
	for _, c := range cps {
		if c.Seq == 0 {
			continue
		}
		if c.Seq > n {
			return n, &BrokenError{Seq: n + 1, Reason: fmt.Sprintf("the chain ends at record %d but checkpoint %s was taken after record %d: records were removed from the end", n, c, c.Seq)}
		}
		var hash string
		if err := store.Scan(db.QueryRow(ctx, `SELECT hash FROM audit WHERE seq = ?`, c.Seq), &hash); err != nil {
			return n, err
		}
		if hash != c.Hash {
			return n, &BrokenError{Seq: c.Seq, Reason: fmt.Sprintf("differs from checkpoint %s: the chain was rewritten up to here and rehashed", c)}
		}
	}
	return n, nil
}

// Anchor keeps a data directory's checkpoint file up to date with the
// chain's head: every Every records (checked each Interval) and when Run
// ends. It never moves the checkpoint back: a head behind the file is a
// cut tail, reported and left for Verify to name.
type Anchor struct {
	DB       *store.DB
	Dir      string
	Every    int64         // records between checkpoints (default 1000)
	Interval time.Duration // how often the head is looked at (default 5 s)
	last     Checkpoint
}

// Update writes the checkpoint when the head has moved Every records
// past the last one, or at all when force is set.
func (a *Anchor) Update(ctx context.Context, force bool) error {
	every := a.Every
	if every <= 0 {
		every = 1000
	}
	if a.last.Seq == 0 {
		if c, ok, err := ReadCheckpointFile(a.Dir); err != nil {
			return err
		} else if ok {
			a.last = c
		}
	}
	head, err := CurrentHead(ctx, a.DB)
	if err != nil {
		return err
	}
	switch {
	case head.Seq < a.last.Seq:
		return fmt.Errorf("the audit chain's head %d is behind the checkpoint %s in %s: records were removed from the end; run opsroom audit verify", head.Seq, a.last, a.Dir)
	case head == a.last, !force && head.Seq < a.last.Seq+every:
		return nil
	}
	if err := writeCheckpointFile(a.Dir, head); err != nil {
		return fmt.Errorf("write the audit checkpoint: %w", err)
	}
	a.last = head
	return nil
}

// Run updates the checkpoint until ctx ends, then once more. Errors go
// to report.
func (a *Anchor) Run(ctx context.Context, report func(error)) {
	iv := a.Interval
	if iv <= 0 {
		iv = 5 * time.Second
	}
	t := time.NewTicker(iv)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			if err := a.Update(context.WithoutCancel(ctx), true); err != nil {
				report(err)
			}
			return
		case <-t.C:
			if err := a.Update(ctx, false); err != nil {
				report(err)
			}
		}
	}
}

package audit

import (
	"strings"
	"testing"

	"github.com/opsroom/opsroom/internal/store"
	"github.com/opsroom/opsroom/internal/store/storetest"
)

// TestCheckpointDetectsCutAndRewrittenTails: cutting records off the end
// (and moving the head back), or rewriting a record and rehashing the
// chain after it, leaves a chain that verifies on its own; a checkpoint
// taken before names both.
func TestCheckpointDetectsCutAndRewrittenTails(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := t.Context()
		dir := t.TempDir()
		anchor := &Anchor{DB: db, Dir: dir, Every: 5}
		for i := range 12 {
			if err := Log(ctx, db, Record{Action: "test.append", ActorID: "tester"}); err != nil {
				t.Fatal(err)
			}
			if err := anchor.Update(ctx, false); err != nil {
				t.Fatal(err)
			}
			if c, ok, _ := ReadCheckpointFile(dir); (i >= 4) != ok || ok && c.Seq != int64(i+1)/5*5 {
				t.Fatalf("after %d records the file holds %v (%v)", i+1, c, ok)
			}
		}
		if err := anchor.Update(ctx, true); err != nil { // as at shutdown
			t.Fatal(err)
		}
		cp, _, err := ReadCheckpointFile(dir)
		if err != nil || cp.Seq != 12 {
			t.Fatalf("checkpoint at shutdown: %v %v", cp, err)
		}
		if p, err := ParseCheckpoint(cp.String()); err != nil || p != cp {
			t.Fatalf("round trip %v: %v %v", cp, p, err)
		}
		if _, err := VerifyAgainst(ctx, db, cp); err != nil {
			t.Fatalf("intact chain: %v", err)
		}
		records := func() []Record {
			rows, err := db.Query(ctx, `SELECT seq, at, actor_id, partner_id, action, room_id, kind, object_id, detail, prev_hash, hash FROM audit ORDER BY seq`)
			if err != nil {
				t.Fatal(err)
			}
			defer rows.Close()
			var out []Record
			for rows.Next() {
				r, err := scan(rows)
				if err != nil {
					t.Fatal(err)
				}
				out = append(out, r)
			}
			return out
		}
		exec := func(q string, args ...any) {
			t.Helper()
			if err := db.Write(ctx, func(tx *store.Tx) error { _, err := tx.Exec(ctx, q, args...); return err }); err != nil {
				t.Fatal(err)
			}
		}

		// Rewrite record 7 and rehash everything after it, head included.
		rs := records()
		rs[6].Detail = []byte(`{"forged":true}`)
		for i := 6; i < len(rs); i++ {
			rs[i].PrevHash = rs[i-1].Hash
			rs[i].Hash = rs[i].computeHash()
			exec(`UPDATE audit SET detail = ?, prev_hash = ?, hash = ? WHERE seq = ?`, string(rs[i].Detail), rs[i].PrevHash, rs[i].Hash, rs[i].Seq)
		}
		exec(`UPDATE audit_head SET hash = ? WHERE id = 1`, rs[len(rs)-1].Hash)
		if _, err := Verify(ctx, db); err != nil {
			t.Fatalf("the rehashed chain should verify on its own: %v", err)
		}
		if _, err := VerifyAgainst(ctx, db, cp); err == nil || !strings.Contains(err.Error(), "rewritten") {
			t.Fatalf("rewritten chain against %v: %v", cp, err)
		}

		// Cut the last three records and move the head back.
		exec(`DELETE FROM audit WHERE seq > 9`)
		exec(`UPDATE audit_head SET seq = 9, hash = ? WHERE id = 1`, rs[8].Hash)
		if _, err := Verify(ctx, db); err != nil {
			t.Fatalf("the cut chain should verify on its own: %v", err)
		}
		if _, err := VerifyAgainst(ctx, db, cp); err == nil || !strings.Contains(err.Error(), "removed from the end") {
			t.Fatalf("cut chain against %v: %v", cp, err)
		}
		// The anchor does not move the file back over a cut tail.
		if err := anchor.Update(ctx, true); err == nil || !strings.Contains(err.Error(), "behind the checkpoint") {
			t.Fatalf("anchor over a cut tail: %v", err)
		}
		if c, _, _ := ReadCheckpointFile(dir); c != cp {
			t.Fatalf("the checkpoint moved back to %v", c)
		}
	})
	for _, bad := range []string{"", "12", "x:ab", "12:" + strings.Repeat("g", 64), "-1:" + strings.Repeat("a", 64)} {
		if _, err := ParseCheckpoint(bad); err == nil {
			t.Errorf("ParseCheckpoint(%q) accepted", bad)
		}
	}
}

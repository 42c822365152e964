package audit

import (
	"errors"
	"testing"

	"github.com/opsroom/opsroom/internal/store"
	"github.com/opsroom/opsroom/internal/store/storetest"
)

// TestChainAcrossTransactions appends several records per transaction
// (the head is kept with the transaction and written before commit),
// rolls one transaction back, and checks that the chain verifies and the
// sequence numbers run on without a gap.
func TestChainAcrossTransactions(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := t.Context()
		appendN := func(n int, fail bool) ([]int64, error) {
			var seqs []int64
			err := db.Write(ctx, func(tx *store.Tx) error {
				for range n {
					r, err := Append(ctx, tx, Record{Action: "test.append", ActorID: "tester"})
					if err != nil {
						return err
					}
					seqs = append(seqs, r.Seq)
				}
				if fail {
					return errors.New("roll back")
				}
				return nil
			})
			return seqs, err
		}
		if s, err := appendN(3, false); err != nil || len(s) != 3 || s[0] != 1 || s[2] != 3 {
			t.Fatalf("first transaction: %v, %v", s, err)
		}
		if _, err := appendN(2, true); err == nil {
			t.Fatal("the failing transaction committed")
		}
		if s, err := appendN(2, false); err != nil || s[0] != 4 || s[1] != 5 {
			t.Fatalf("after a rollback: %v, %v (want 4, 5)", s, err)
		}
		if err := Log(ctx, db, Record{Action: "test.log"}); err != nil {
			t.Fatal(err)
		}
		n, err := Verify(ctx, db)
		if err != nil || n != 6 {
			t.Fatalf("Verify = %d, %v; want 6 records", n, err)
		}
	})
}

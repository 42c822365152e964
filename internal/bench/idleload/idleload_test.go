package idleload

import (
	"context"
	"testing"

	"github.com/opsroom/opsroom/internal/store"
	"github.com/opsroom/opsroom/internal/store/storetest"
)

// TestWorkload runs the workload at a tiny size on both engines: every
// connection is held and every figure is measured.
func TestWorkload(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		res, err := Workload{Devices: 20, Subscribers: 5, SignIns: 2, Calls: 5}.Run(context.Background(), db)
		if err != nil {
			t.Fatal(err)
		}
		if len(res) != 4 {
			t.Fatalf("%d results, want 4", len(res))
		}
		for _, r := range res {
			if r.N == 0 || r.P99 <= 0 {
				t.Errorf("%s: nothing measured", r.Name)
			}
		}
	})
}

package picture

import (
	"testing"

	"github.com/opsroom/opsroom/internal/store"
	"github.com/opsroom/opsroom/internal/store/storetest"
)

func TestMigrationCreatesTables(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		for _, tbl := range []string{"sites", "events", "event_links", "areas", "places", "tracks", "track_positions"} {
			var n int
			if err := store.Scan(db.QueryRow(t.Context(), `SELECT COUNT(*) FROM `+tbl), &n); err != nil {
				t.Errorf("%s: %v", tbl, err)
			}
		}
	})
}

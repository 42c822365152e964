package live_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/opsroom/opsroom/internal/connlimit"
	"github.com/opsroom/opsroom/internal/httpapi"
	"github.com/opsroom/opsroom/internal/store"
	"github.com/opsroom/opsroom/internal/store/storetest"
)

// TestStreamCaps: a stream over a cap is refused before it starts, with
// a problem document naming the cap (429 for a member's or an address's,
// 503 for the server's total), and counted; a stream that ends gives its
// place back.
func TestStreamCaps(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		lim := connlimit.New("live streams", connlimit.Caps{Total: 3, PerAddr: 2, PerMember: 1})
		w := newStreamWorld(t, db, httpapi.StreamConfig{Limit: lim}, nil)
		refused := func(user string, status int, words string) {
			t.Helper()
			st, body := get(t, w.URL+"/api/v1/rooms/ops/stream", w.tokens[user])
			if st != status || !strings.Contains(body, words) || !strings.Contains(body, `"status":`) {
				t.Errorf("%s: %d %s, want %d naming %q", user, st, body, status, words)
			}
		}
		a1 := openStream(t, w.URL, w.tokens["a1"], "", "")
		refused("a1", http.StatusTooManyRequests, "of this member (at most 1)")
		openStream(t, w.URL, w.tokens["a2"], "", "")
		refused("b1", http.StatusTooManyRequests, "from this address (at most 2)")
		if lim.Refused(connlimit.CapMember) != 1 || lim.Refused(connlimit.CapAddress) != 1 {
			t.Errorf("refusals: member %d, address %d", lim.Refused(connlimit.CapMember), lim.Refused(connlimit.CapAddress))
		}
		a1.close()
		waitSubscribers(t, w.bus, 1)
		for i := 0; lim.Open() != 1; i++ {
			if i == 300 {
				t.Fatal("a closed stream kept its place")
			}
			time.Sleep(10 * time.Millisecond)
		}
		openStream(t, w.URL, w.tokens["b1"], "", "")

		// The total: a server of one address cannot reach it past the
		// address's cap, so try it on a limiter of its own.
		tot := connlimit.New("live streams", connlimit.Caps{Total: 1})
		w2 := newStreamInstance(t, db, httpapi.StreamConfig{Limit: tot}, w.bus)
		openStream(t, w2.URL, w2.tokens["a1"], "", "")
		st, body := get(t, w2.URL+"/api/v1/rooms/ops/stream", w2.tokens["b2"])
		if st != http.StatusServiceUnavailable || !strings.Contains(body, "maximum of 1 live streams") {
			t.Errorf("over the total: %d %s", st, body)
		}
	})
}

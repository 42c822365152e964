package account

import (
	"errors"
	"sync"
	"time"
)

// ErrTooManyAttempts refuses a sign-in from an address after too many
// recent failures from it (against one username, or against any).
var ErrTooManyAttempts = errors.New("too many failed sign-ins; wait a few minutes and try again")

// throttle counts failed sign-ins per key (an address, or an address and a
// username) in a
// sliding window. It is per process: several instances each keep their
// own count, which still bounds guessing to a few attempts a minute.
type throttle struct {
	mu       sync.Mutex
	failures map[string][]time.Time
	limit    int
	window   time.Duration
}

func newThrottle(limit int, window time.Duration) *throttle {
	return &throttle{failures: map[string][]time.Time{}, limit: limit, window: window}
}

// blocked reports whether any key has reached the limit within the window.
func (t *throttle) blocked(now time.Time, keys ...string) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, k := range keys {
		if len(t.recent(now, k)) >= t.limit {
			return true
		}
	}
	return false
}

func (t *throttle) fail(now time.Time, keys ...string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(t.failures) > 100_000 { // bound memory under a spray of usernames
		for k := range t.failures {
			if len(t.recent(now, k)) == 0 {
				delete(t.failures, k)
			}
		}
	}
	for _, k := range keys {
		t.failures[k] = append(t.recent(now, k), now)
	}
}

func (t *throttle) reset(keys ...string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, k := range keys {
		delete(t.failures, k)
	}
}

// recent drops failures older than the window; t.mu is held.
func (t *throttle) recent(now time.Time, k string) []time.Time {
	fs := t.failures[k]
	i := 0
	for i < len(fs) && now.Sub(fs[i]) > t.window {
		i++
	}
	fs = fs[i:]
	if len(fs) == 0 {
		delete(t.failures, k)
		return nil
	}
	t.failures[k] = fs
	return fs
}

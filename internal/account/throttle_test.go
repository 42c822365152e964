package account

import (
	"testing"
	"time"
)

func TestThrottle(t *testing.T) {
	th := newThrottle(3, time.Minute)
	now := time.Unix(1000, 0)
	for i := range 3 {
		if th.blocked(now, "u:a", "a:1") {
			t.Fatalf("blocked after %d failures", i)
		}
		th.fail(now, "u:a", "a:1")
	}
	if !th.blocked(now, "u:a") || !th.blocked(now, "a:1") || !th.blocked(now, "u:b", "a:1") {
		t.Fatal("not blocked after 3 failures")
	}
	if th.blocked(now, "u:b", "a:2") {
		t.Fatal("an unrelated user and address are blocked")
	}
	if th.blocked(now.Add(61*time.Second), "u:a", "a:1") {
		t.Fatal("still blocked after the window")
	}
	th.fail(now, "u:c")
	th.reset("u:c")
	if len(th.failures["u:c"]) != 0 {
		t.Fatal("reset kept failures")
	}
}

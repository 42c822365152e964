package connlimit

import (
	"errors"
	"strings"
	"testing"
)

func TestCaps(t *testing.T) {
	l := New("streams", Caps{Total: 3, PerAddr: 2, PerMember: 1})
	r1, err := l.Addr("10.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := l.Addr("10.0.0.1"); err != nil {
		t.Fatal(err)
	}
	_, err = l.Addr("10.0.0.1")
	var le *Error
	if !errors.As(err, &le) || le.Cap != CapAddress || le.Limit != 2 || !strings.Contains(err.Error(), "from this address") {
		t.Fatalf("third from one address: %v", err)
	}
	if _, err := l.Addr("10.0.0.2"); err != nil {
		t.Fatal(err)
	}
	_, err = l.Addr("10.0.0.3")
	if !errors.As(err, &le) || le.Cap != CapTotal {
		t.Fatalf("fourth in all: %v", err)
	}
	m1, err := l.Member("u1")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := l.Member("u1"); !errors.As(err, &le) || le.Cap != CapMember {
		t.Fatalf("second of one member: %v", err)
	}
	if _, err := l.Member("u2"); err != nil {
		t.Fatal(err)
	}
	// Giving places back, twice over, frees exactly one each.
	r1()
	r1()
	m1()
	m1()
	if l.Open() != 2 {
		t.Fatalf("open = %d, want 2", l.Open())
	}
	if _, err := l.Addr("10.0.0.1"); err != nil {
		t.Fatal(err)
	}
	if _, err := l.Member("u1"); err != nil {
		t.Fatal(err)
	}
	for cap, want := range map[string]int64{CapTotal: 1, CapAddress: 1, CapMember: 1} {
		if got := l.Refused(cap); got != want {
			t.Errorf("refused %s = %d, want %d", cap, got, want)
		}
	}
}

func TestNoCaps(t *testing.T) {
	l := New("streams", Caps{})
	for range 1000 {
		if _, err := l.Addr("a"); err != nil {
			t.Fatal(err)
		}
		if _, err := l.Member("m"); err != nil {
			t.Fatal(err)
		}
	}
}

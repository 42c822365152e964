package tak

import (
	"crypto/tls"
	"crypto/x509"
	"io"
	"net"
	"testing"
	"time"

	"github.com/opsroom/opsroom/internal/connlimit"
	"github.com/opsroom/opsroom/internal/store"
	"github.com/opsroom/opsroom/internal/store/storetest"
)

// closedSoon reports whether the server closes nc within a few seconds
// without sending anything.
func closedSoon(t *testing.T, nc net.Conn) bool {
	t.Helper()
	nc.SetReadDeadline(time.Now().Add(3 * time.Second))
	var b [1]byte
	_, err := nc.Read(b[:])
	return err == io.EOF
}

// TestCapPerAddress: a plain-TCP connection over the per-address cap is
// closed at once and counted by cap; a place given back is free again.
func TestCapPerAddress(t *testing.T) {
	w := newWorld(t, storetest.Open(t, store.SQLite))
	s := w.server(t, Config{TCPAddr: "127.0.0.1:0", TCPRoom: "ops", TCPMember: "a1", Caps: connlimit.Caps{PerAddr: 2, PerMember: 1}})
	addr := s.Addrs()[0].String()
	dial := func() net.Conn {
		nc, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { nc.Close() })
		return nc
	}
	first := dial()
	dial()
	waitFor(t, func() bool { return s.Metrics().ConnsOpen.Load() == 2 }) // not capped per member: all plain TCP is one member
	if !closedSoon(t, dial()) {
		t.Fatal("third connection from one address was not closed")
	}
	if got := s.Metrics().Capped(connlimit.CapAddress); got != 1 {
		t.Fatalf("capped by address = %d, want 1", got)
	}
	first.Close()
	waitFor(t, func() bool { return s.Metrics().ConnsOpen.Load() == 1 })
	waitFor(t, func() bool { return s.limit.Open() == 1 })
	dial()
	waitFor(t, func() bool { return s.Metrics().ConnsOpen.Load() == 2 })
}

// TestCapTotalAndMember: TLS devices are capped per member once
// identified, and every listener shares the total.
func TestCapTotalAndMember(t *testing.T) {
	w := newWorld(t, storetest.Open(t, store.SQLite))
	pki := newPKI(t)
	s := w.server(t, Config{TLSAddr: "127.0.0.1:0", TLS: pki.serverTLS(t), Caps: connlimit.Caps{Total: 3, PerMember: 1}})
	addr := s.Addrs()[0].String()
	roots := x509.NewCertPool()
	roots.AddCert(pki.ca.Cert)
	dial := func(user string) *tls.Conn {
		c, err := tls.Dial("tcp", addr, &tls.Config{RootCAs: roots, ServerName: "127.0.0.1", Certificates: []tls.Certificate{pki.client(t, pki.ca, user, "ops")}})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		return c
	}
	dial("a1")
	waitFor(t, func() bool { return s.Metrics().ConnsOpen.Load() == 1 })
	if !closedSoon(t, dial("a1")) {
		t.Fatal("a1's second connection was not closed")
	}
	waitFor(t, func() bool { return s.Metrics().Capped(connlimit.CapMember) == 1 })
	dial("a2")
	dial("b1")
	waitFor(t, func() bool { return s.Metrics().ConnsOpen.Load() == 3 })
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	if !closedSoon(t, nc) {
		t.Fatal("a connection over the total was not closed")
	}
	if got := s.Metrics().Capped(connlimit.CapTotal); got != 1 {
		t.Fatalf("capped in total = %d, want 1", got)
	}
}

package httpapi

import (
	"net/http/httptest"
	"net/netip"
	"testing"
)

func TestClientAddr(t *testing.T) {
	s := &Server{TrustedProxies: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("::1/128")}}
	for _, c := range []struct {
		name, peer string
		xff        []string
		want       string
	}{
		{"untrusted peer, header ignored", "203.0.113.1:5000", []string{"198.51.100.1"}, "203.0.113.1"},
		{"trusted peer, no header", "10.0.0.1:5000", nil, "10.0.0.1"},
		{"trusted peer names the client", "10.0.0.1:5000", []string{"198.51.100.1"}, "198.51.100.1"},
		{"a spoofed left part is skipped", "10.0.0.1:5000", []string{"1.2.3.4, 198.51.100.1"}, "198.51.100.1"},
		{"a chain of trusted proxies", "10.0.0.1:5000", []string{"198.51.100.1, 10.0.0.2", "10.0.0.3"}, "198.51.100.1"},
		{"garbage stops at the last readable hop", "10.0.0.1:5000", []string{"198.51.100.1, nonsense, 10.0.0.2"}, "10.0.0.2"},
		{"only trusted hops", "10.0.0.1:5000", []string{"10.0.0.2"}, "10.0.0.2"},
		{"IPv6 proxy, address with port", "[::1]:5000", []string{"[2001:db8::1]:443"}, "2001:db8::1"},
		{"IPv4-mapped peer", "[::ffff:10.0.0.1]:5000", []string{"198.51.100.9"}, "198.51.100.9"},
	} {
		r := httptest.NewRequest("GET", "/", nil)
		r.RemoteAddr = c.peer
		for _, v := range c.xff {
			r.Header.Add("X-Forwarded-For", v)
		}
		if got := s.clientAddr(r); got != c.want {
			t.Errorf("%s: %s, want %s", c.name, got, c.want)
		}
	}
}

package httpapi

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestOwnRefusalsAreProblems: what net/http refuses before any handler
// runs reaches the client as a problem document.
func TestOwnRefusalsAreProblems(t *testing.T) {
	ts := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "ok") }))
	ts.Listener = ProblemListener(ts.Listener)
	ts.Config.MaxHeaderBytes = 1 << 10
	ts.Start()
	defer ts.Close()
	for _, c := range []struct {
		name, req string
		status    int
	}{
		{"oversized header", "GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + strings.Repeat("a", 8<<10) + "\r\n\r\n", 431},
		{"malformed header", "GET / HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n", 400},
		{"missing host", "GET / HTTP/1.1\r\n\r\n", 400},
	} {
		conn, err := net.Dial("tcp", ts.Listener.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprint(conn, c.req)
		res, err := http.ReadResponse(bufio.NewReader(conn), nil)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		var p Problem
		err = json.NewDecoder(res.Body).Decode(&p)
		conn.Close()
		if res.StatusCode != c.status || res.Header.Get("Content-Type") != "application/problem+json" || err != nil || p.Status != c.status || p.Detail == "" {
			t.Errorf("%s: %d %q %+v %v", c.name, res.StatusCode, res.Header.Get("Content-Type"), p, err)
		}
	}
	// Ordinary answers pass untouched.
	res, err := http.Get(ts.URL)
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("GET: %v %v", res, err)
	}
}

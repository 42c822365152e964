package httpapi

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"strconv"
)

// ProblemListener wraps ln so that the few answers net/http writes itself,
// before any handler runs, are problem documents like every other error
// instead of plain text: a header larger than the server's MaxHeaderBytes
// (431), a malformed request line or header (400), an unsupported HTTP
// version (505). net/http writes each of them in one Write, as the status
// line, exactly these headers and a short text, and closes the connection.
func ProblemListener(ln net.Listener) net.Listener { return problemListener{ln} }

type problemListener struct{ net.Listener }

func (l problemListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return &problemConn{Conn: c}, nil
}

type problemConn struct{ net.Conn }

// CloseWrite keeps the half-close net/http does before closing a
// connection it refused (so the client reads the answer).
func (c *problemConn) CloseWrite() error {
	if cw, ok := c.Conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return nil
}

const plainHeaders = "\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n\r\n"

func (c *problemConn) Write(p []byte) (int, error) {
	if doc, ok := asProblem(p); ok {
		if _, err := c.Conn.Write(doc); err != nil {
			return 0, err
		}
		return len(p), nil
	}
	return c.Conn.Write(p)
}

// asProblem turns net/http's own plain-text refusal into the same answer
// as a problem document; ok is false for anything else.
func asProblem(p []byte) ([]byte, bool) {
	if !bytes.HasPrefix(p, []byte("HTTP/1.1 ")) || len(p) < 12 {
		return nil, false
	}
	line, rest, found := bytes.Cut(p, []byte(plainHeaders))
	if !found || bytes.Contains(line, []byte("\r\n")) {
		return nil, false
	}
	status, err := strconv.Atoi(string(line[9:12]))
	if err != nil || status < 400 {
		return nil, false
	}
	detail := string(rest)
	switch status {
	case http.StatusRequestHeaderFieldsTooLarge:
		detail = "the request's header is larger than this server accepts"
	default:
		// "400 Bad Request: malformed Host header" and the like.
		if _, d, ok := bytes.Cut(rest, []byte(": ")); ok {
			detail = string(d)
		}
	}
	body, _ := json.Marshal(Problem{Type: "about:blank", Title: http.StatusText(status), Status: status, Detail: detail})
	return fmt.Appendf(nil, "%s\r\nContent-Type: application/problem+json\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s", line, len(body), body), true
}

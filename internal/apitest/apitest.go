// Package apitest is the HTTP client tests use to call a real opsroom
// server: a member signed in with a session cookie (or a bearer token)
// sending JSON, failing the test on transport errors.
package apitest

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"testing"
)

// Client calls one server. Token, when set, is sent as a bearer token.
type Client struct {
	T     testing.TB
	Base  string // the server's URL, without a trailing slash
	HTTP  *http.Client
	Token string
}

// New returns a client with an empty cookie jar.
func New(t testing.TB, base string) *Client {
	jar, _ := cookiejar.New(nil)
	return &Client{T: t, Base: base, HTTP: &http.Client{Jar: jar}}
}

// Login returns a client signed in as username, failing the test if the
// server refuses.
func Login(t testing.TB, base, username, password string) *Client {
	t.Helper()
	c := New(t, base)
	if res := c.Do("POST", "/api/v1/login", map[string]string{"username": username, "password": password}); res.Status != http.StatusOK {
		t.Fatalf("login %s: %d %s", username, res.Status, res.Body)
	}
	return c
}

// Response is a whole response.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
}

// JSON decodes the body into v, failing the test if it cannot.
func (r Response) JSON(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal(r.Body, v); err != nil {
		t.Fatalf("decode %s: %v", r.Body, err)
	}
}

// Do sends a request and reads the whole response. body is sent as is
// when it is a []byte or a string, as JSON otherwise (nil: no body).
func (c *Client) Do(method, path string, body any) Response {
	c.T.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case []byte:
		rd = bytes.NewReader(b)
	case string:
		rd = bytes.NewReader([]byte(b))
	default:
		j, err := json.Marshal(b)
		if err != nil {
			c.T.Fatal(err)
		}
		rd = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, c.Base+path, rd)
	if err != nil {
		c.T.Fatal(err)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.Token != "" {
		req.Header.Set("Authorization", "Bearer "+c.Token)
	}
	res, err := c.HTTP.Do(req)
	if err != nil {
		c.T.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return Response{Status: res.StatusCode, Header: res.Header, Body: b}
}

// Call sends in (nil: no body) and decodes the answer into out (nil:
// ignored), failing the test unless the status is 2xx.
func (c *Client) Call(method, path string, in, out any) {
	c.T.Helper()
	res := c.Do(method, path, in)
	if res.Status >= 300 {
		c.T.Fatalf("%s %s: %d %s", method, path, res.Status, res.Body)
	}
	if out != nil {
		res.JSON(c.T, out)
	}
}

// Post is Call with POST.
func (c *Client) Post(path string, in, out any) { c.T.Helper(); c.Call("POST", path, in, out) }

// Get is Call with GET.
func (c *Client) Get(path string, out any) { c.T.Helper(); c.Call("GET", path, nil, out) }

// Status makes a request without a body and returns only its status (0 on
// a transport error); unlike the others it does not touch the test, so
// several goroutines may call it at once.
func (c *Client) Status(method, path string) int {
	req, err := http.NewRequest(method, c.Base+path, nil)
	if err != nil {
		return 0
	}
	if c.Token != "" {
		req.Header.Set("Authorization", "Bearer "+c.Token)
	}
	res, err := c.HTTP.Do(req)
	if err != nil {
		return 0
	}
	io.Copy(io.Discard, res.Body)
	res.Body.Close()
	return res.StatusCode
}

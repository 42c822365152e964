package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"github.com/opsroom/opsroom/internal/httpapi"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"testing"

	"github.com/opsroom/opsroom/internal/access"
	"github.com/opsroom/opsroom/internal/item"
	"github.com/opsroom/opsroom/internal/live"
	"github.com/opsroom/opsroom/internal/room"
	"github.com/opsroom/opsroom/internal/store"
)

// testServer is a real server on a real database, reached over HTTP.
type testServer struct {
	*httptest.Server
	db      *store.DB
	members *access.Service
	rooms   *room.Service
	items   *item.Service
	api     *httpapi.Server
}

func newTestServer(t testing.TB, db *store.DB) *testServer {
	t.Helper()
	bus := live.NewBus()
	rooms := room.NewService(db)
	ts := &testServer{db: db, members: access.NewService(db), rooms: rooms, items: item.NewService(db, rooms, bus)}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	ts.api = httpapi.New(&httpapi.Server{DB: db, Members: ts.members, Rooms: rooms, Items: ts.items, Bus: bus}, log)
	ts.Server = httptest.NewServer(ts.api.Handler())
	t.Cleanup(ts.Close)
	return ts
}

// client is a signed-in browser-like client (cookie jar) or a token client.
type client struct {
	t     testing.TB
	base  string
	http  *http.Client
	token string
}

func (ts *testServer) anon(t testing.TB) *client {
	jar, _ := cookiejar.New(nil)
	return &client{t: t, base: ts.URL, http: &http.Client{Jar: jar}}
}

func (ts *testServer) login(t testing.TB, username, password string) *client {
	t.Helper()
	c := ts.anon(t)
	res := c.do("POST", "/api/v1/login", map[string]string{"username": username, "password": password})
	if res.status != http.StatusOK {
		t.Fatalf("login %s: %d %s", username, res.status, res.body)
	}
	return c
}

type response struct {
	status int
	header http.Header
	body   []byte
}

func (r response) json(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("decode %s: %v", r.body, err)
	}
}

func (c *client) do(method, path string, body any) response {
	c.t.Helper()
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
			c.t.Fatal(err)
		}
		rd = bytes.NewReader(j)
	}
	req, err := http.NewRequestWithContext(context.Background(), method, c.base+path, rd)
	if err != nil {
		c.t.Fatal(err)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	res, err := c.http.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return response{status: res.StatusCode, header: res.Header, body: b}
}

// status makes a request without a body and returns only its status (0 on
// a transport error); safe to call from several goroutines.
func (c *client) status(method, path string) int {
	req, err := http.NewRequest(method, c.base+path, nil)
	if err != nil {
		return 0
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	res, err := c.http.Do(req)
	if err != nil {
		return 0
	}
	io.Copy(io.Discard, res.Body)
	res.Body.Close()
	return res.StatusCode
}

package httpapi_test

import (
	"io"
	"log/slog"
	"net/http/httptest"
	"testing"

	"github.com/opsroom/opsroom/internal/account"
	"github.com/opsroom/opsroom/internal/apitest"
	"github.com/opsroom/opsroom/internal/httpapi"
	"github.com/opsroom/opsroom/internal/item"
	"github.com/opsroom/opsroom/internal/live"
	"github.com/opsroom/opsroom/internal/room"
	"github.com/opsroom/opsroom/internal/store"
)

// testServer is a real server on a real database, reached over HTTP.
type testServer struct {
	*httptest.Server
	db      *store.DB
	members *account.Service
	rooms   *room.Service
	items   *item.Service
	api     *httpapi.Server
}

func newTestServer(t testing.TB, db *store.DB) *testServer {
	t.Helper()
	bus := live.NewBus()
	rooms := room.NewService(db)
	ts := &testServer{db: db, members: account.NewService(db), rooms: rooms, items: item.NewService(db, rooms, bus)}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	ts.api = httpapi.New(&httpapi.Server{DB: db, Members: ts.members, Rooms: rooms, Items: ts.items, Bus: bus}, log)
	ts.Server = httptest.NewServer(ts.api.Handler())
	t.Cleanup(ts.Close)
	return ts
}

// client is a signed-in browser-like client (cookie jar) or a token
// client.
type client = apitest.Client

func (ts *testServer) anon(t testing.TB) *client { return apitest.New(t, ts.URL) }

func (ts *testServer) login(t testing.TB, username, password string) *client {
	t.Helper()
	return apitest.Login(t, ts.URL, username, password)
}

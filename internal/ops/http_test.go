package ops

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/opsroom/opsroom/internal/access"
	"github.com/opsroom/opsroom/internal/httpapi"
	"github.com/opsroom/opsroom/internal/item"
	"github.com/opsroom/opsroom/internal/store"
	"github.com/opsroom/opsroom/internal/store/storetest"
)

func TestRoutes(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		srv := httpapi.New(&httpapi.Server{DB: db, Members: w.members, Rooms: w.rooms, Items: item.NewService(db, w.rooms, w.bus), Bus: w.bus,
			Extra: []func(*httpapi.API){w.s.Routes}}, slog.New(slog.NewTextHandler(io.Discard, nil)))
		h := srv.Handler()
		call := func(p *access.Principal, method, path, body string) (int, map[string]any) {
			t.Helper()
			req := httptest.NewRequest(method, path, strings.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			if p != nil {
				req = req.WithContext(httpapi.WithPrincipal(context.Background(), *p))
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			var out map[string]any
			_ = json.NewDecoder(bytes.NewReader(rec.Body.Bytes())).Decode(&out)
			return rec.Code, out
		}
		ir, ru, sy, hz := w.as(t, "ir.commander"), w.as(t, "ru.general"), w.as(t, "sy.officer"), w.as(t, "hz.officer")
		code, out := call(&ir, "POST", "/api/v1/rooms/damascus/operations", `{"name":"NW offensive","window":{"start":"2015-10-01T00:00:00Z","end":"2015-10-20T00:00:00Z"}}`)
		if code != http.StatusUnprocessableEntity || !strings.Contains(toJSON(out), `"field":"area"`) {
			t.Fatalf("no area: %d %v", code, out)
		}
		code, out = call(&ir, "POST", "/api/v1/rooms/damascus/operations", `{"name":"NW offensive","lead":"IR","area":`+string(square(36.4, 35.1, 0.5))+
			`,"window":{"start":"2015-10-01T00:00:00Z","end":"2015-10-20T00:00:00Z"},"marking":{"tlp":"AMBER","releasable_to":["IR","RU","SY"]}}`)
		if code != http.StatusCreated {
			t.Fatalf("create: %d %v", code, out)
		}
		id := out["id"].(string)
		for _, step := range []struct {
			p      access.Principal
			path   string
			status int
		}{
			{ir, "/propose", http.StatusOK},
			{sy, "/approve", http.StatusForbidden},
			{hz, "/approve", http.StatusNotFound},
			{ru, "/approve", http.StatusOK},
		} {
			code, out = call(&step.p, "POST", "/api/v1/operations/"+id+step.path, `{}`)
			if code != step.status {
				t.Fatalf("%s %s: %d %v", step.p.Username, step.path, code, out)
			}
		}
		if out["status"] != Approved {
			t.Fatalf("after approval: %v", out)
		}
		code, out = call(&sy, "GET", "/api/v1/ops-history/"+id, "")
		if code != http.StatusOK {
			t.Fatalf("history: %d", code)
		}
		code, out = call(&ru, "GET", "/api/v1/rooms/damascus/log", "")
		if code != http.StatusOK || len(out["items"].([]any)) != 1 {
			t.Fatalf("log: %d %v", code, out)
		}
		if code, _ = call(nil, "GET", "/api/v1/rooms/damascus/conflicts", ""); code != http.StatusUnauthorized {
			t.Fatalf("anonymous: %d", code)
		}
		code, out = call(nil, "GET", "/api/v1/openapi.json", "")
		if code != http.StatusOK || !strings.Contains(toJSON(out), "/api/v1/conflicts/{id}/accept") {
			t.Fatalf("openapi: %d", code)
		}
	})
}

func toJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

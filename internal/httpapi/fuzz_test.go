package httpapi_test

import (
	"bytes"
	"context"
	"github.com/opsroom/opsroom/internal/httpapi"
	"net/http/httptest"
	"testing"

	"github.com/opsroom/opsroom/internal/demo"
	"github.com/opsroom/opsroom/internal/store"
	"github.com/opsroom/opsroom/internal/store/storetest"
)

// FuzzRequestBodies sends arbitrary bodies to the routes that read one:
// the server must answer every one with a success or a 4xx problem, never
// a 5xx, and never panic.
func FuzzRequestBodies(f *testing.F) {
	for _, s := range []string{`{"title":"t","marking":{"tlp":"RED","recipients":["ru.general"]}}`, `{"title":`, `[]`, `null`,
		`{"title":"t","marking":{"tlp":"AMBER","releasable_to":["RU",1]}}`, `{"username":"ru.general","password":"x"}`,
		`{"name":"t","expires_in":"-5h"}`, `{"code":"ZZ","name":"z","kind":"state"}`, "\x00\xff"} {
		for route := range 4 {
			f.Add(uint8(route), []byte(s))
		}
	}
	db := storetest.Open(f, store.SQLite)
	ts := newTestServer(f, db)
	if _, err := demo.Load(context.Background(), ts.members, ts.rooms); err != nil {
		f.Fatal(err)
	}
	p, err := ts.members.AsMember(context.Background(), "ru.general", "test")
	if err != nil {
		f.Fatal(err)
	}
	routes := []string{"/api/v1/rooms/damascus/notes", "/api/v1/login", "/api/v1/tokens", "/api/v1/partners"}
	f.Fuzz(func(t *testing.T, route uint8, body []byte) {
		path := routes[int(route)%len(routes)]
		req := httptest.NewRequest("POST", path, bytes.NewReader(body)).WithContext(httpapi.WithPrincipal(context.Background(), p))
		req.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		ts.api.Handler().ServeHTTP(rec, req) // no credentials in the request: the principal set in its context stands
		if rec.Code >= 500 {
			t.Fatalf("POST %s %q: %d %s", path, body, rec.Code, rec.Body)
		}
		if rec.Code >= 400 && rec.Header().Get("Content-Type") != "application/problem+json" {
			t.Fatalf("POST %s %q: %d without a problem document", path, body, rec.Code)
		}
	})
}

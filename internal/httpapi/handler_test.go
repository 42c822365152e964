package httpapi

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/opsroom/opsroom/internal/access"
)

// TestHandlerShapes checks what the three route shapes add to a route's
// description and how they answer: an Empty In takes no body, an Empty Out
// answers 204 with none, MaxBody lifts the body limit, and List adds the
// page parameters.
func TestHandlerShapes(t *testing.T) {
	type in struct {
		Text string `json:"text"`
	}
	type out struct {
		N int `json:"n"`
	}
	srv := New(&Server{Extra: []func(*API){func(a *API) {
		JSON(a, Route{Method: "POST", Path: "/t/json", Status: http.StatusCreated, MaxBody: 2 << 20},
			func(r *http.Request, p access.Principal, x in) (out, error) { return out{len(x.Text)}, nil })
		JSON(a, Route{Method: "PUT", Path: "/t/none", Status: http.StatusNoContent},
			func(r *http.Request, p access.Principal, x in) (Empty, error) { return Empty{}, nil })
		Call(a, Route{Method: "POST", Path: "/t/call"},
			func(r *http.Request, p access.Principal) (out, error) { return out{7}, nil })
		List(a, Route{Method: "GET", Path: "/t/list", Query: []Param{{Name: "x", Type: "string"}}}, func(s string) string { return s },
			func(r *http.Request, p access.Principal, after string, limit int) ([]string, error) {
				return []string{"a", "b", "c"}[:min(3, limit)], nil
			})
	}}}, slog.New(slog.NewTextHandler(io.Discard, nil)))

	byPath := map[string]Route{}
	for _, rt := range srv.API().Routes() {
		byPath[rt.Path] = rt
	}
	for path, want := range map[string]struct{ req, resp bool }{
		"/t/json": {true, true}, "/t/none": {true, false}, "/t/call": {false, true}, "/t/list": {false, true},
	} {
		rt := byPath[path]
		if rt.Auth != Member || (rt.Request != nil) != want.req || (rt.Response != nil) != want.resp {
			t.Errorf("%s: auth %v, request %T, response %T; want a member route with request %v, response %v", path, rt.Auth, rt.Request, rt.Response, want.req, want.resp)
		}
	}
	if q := byPath["/t/list"].Query; len(q) != 3 || q[0].Name != "x" || q[1].Name != "limit" || q[2].Name != "cursor" {
		t.Errorf("list query = %+v; want x, limit, cursor", q)
	}

	call := func(method, path, body string) *httptest.ResponseRecorder {
		r := httptest.NewRequest(method, path, strings.NewReader(body))
		r.Header.Set("Content-Type", "application/json")
		r = r.WithContext(WithPrincipal(r.Context(), access.Principal{Member: access.Member{ID: "m"}}))
		w := httptest.NewRecorder()
		srv.API().mux.ServeHTTP(w, r)
		return w
	}
	big := `{"text":"` + strings.Repeat("x", MaxBody+10) + `"}`
	if w := call("POST", "/t/json", big); w.Code != http.StatusCreated || w.Body.String() != `{"n":1048586}`+"\n" {
		t.Errorf("POST /t/json with a body over the default limit: %d %s", w.Code, w.Body)
	}
	if w := call("PUT", "/t/none", `{"text":"x"}`); w.Code != http.StatusNoContent || w.Body.Len() != 0 {
		t.Errorf("PUT /t/none: %d %q; want 204 with no body", w.Code, w.Body)
	}
	if w := call("PUT", "/t/none", `{"txt":"x"}`); w.Code != http.StatusBadRequest {
		t.Errorf("PUT /t/none with an unknown field: %d; want 400", w.Code)
	}
	if w := call("POST", "/t/call", ""); w.Code != http.StatusOK || w.Body.String() != `{"n":7}`+"\n" {
		t.Errorf("POST /t/call: %d %s", w.Code, w.Body)
	}
	if w := call("GET", "/t/list?limit=2", ""); w.Code != http.StatusOK || !strings.Contains(w.Body.String(), `"next_cursor":"`+encodeCursor("b")+`"`) {
		t.Errorf("GET /t/list?limit=2: %d %s; want two items and a cursor after b", w.Code, w.Body)
	}
	if w := call("GET", "/t/list?limit=0", ""); w.Code != http.StatusBadRequest {
		t.Errorf("GET /t/list?limit=0: %d; want 400", w.Code)
	}
}

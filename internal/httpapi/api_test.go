package httpapi_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/netip"

	"github.com/opsroom/opsroom/internal/account"
	"github.com/opsroom/opsroom/internal/httpapi"
	"github.com/opsroom/opsroom/internal/version"

	"sort"
	"strings"
	"testing"
	"time"

	"github.com/opsroom/opsroom/internal/access"
	"github.com/opsroom/opsroom/internal/audit"
	"github.com/opsroom/opsroom/internal/demo"
	"github.com/opsroom/opsroom/internal/store"
	"github.com/opsroom/opsroom/internal/store/storetest"
)

// snapshot counts the rows of every table but the audit trail, and lists
// the audit actions recorded, so a test can tell that a refused request
// wrote nothing but the record of its refusal.
func snapshot(t *testing.T, db *store.DB) (counts string, actions []string) {
	t.Helper()
	ctx := context.Background()
	var parts []string
	for _, table := range []string{"partners", "members", "tokens", "sessions", "rooms", "room_partners", "room_members", "items", "item_releasability", "item_recipients"} {
		var n int
		if err := db.QueryRow(ctx, `SELECT COUNT(*) FROM `+table).Scan(&n); err != nil {
			t.Fatal(err)
		}
		parts = append(parts, fmt.Sprintf("%s=%d", table, n))
	}
	rows, err := db.Query(ctx, `SELECT action FROM audit ORDER BY seq`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var a string
		rows.Scan(&a)
		actions = append(actions, a)
	}
	return strings.Join(parts, " "), actions
}

func demoServer(t *testing.T, db *store.DB) *testServer {
	ts := newTestServer(t, db)
	if _, err := demo.Load(context.Background(), ts.members, ts.rooms); err != nil {
		t.Fatal(err)
	}
	if _, err := ts.members.CreateMember(context.Background(), access.System, account.NewMember{Partner: "RU", Username: "admin", Password: "keep-the-watch-7", IsAdmin: true}); err != nil {
		t.Fatal(err)
	}
	return ts
}

func TestBadInputWritesNothing(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ts := demoServer(t, db)
		admin := ts.login(t, "admin", "keep-the-watch-7")
		ru := ts.login(t, "ru.general", demo.Password)
		expired, err := ts.members.CreateToken(context.Background(), access.System, account.NewToken{Member: "ru.general", Name: "old"})
		if err != nil {
			t.Fatal(err)
		}
		if err := db.Write(context.Background(), func(tx *store.Tx) error {
			_, err := tx.Exec(context.Background(), `UPDATE tokens SET expires_at = ? WHERE id = ?`, store.Micros(time.Now().Add(-time.Hour)), expired.ID)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		expiredClient := ts.anon(t)
		expiredClient.Token = expired.Secret
		big := `{"title":"` + strings.Repeat("x", httpapi.MaxBody) + `"}`
		tests := []struct {
			name    string
			c       *client
			method  string
			path    string
			body    any
			status  int
			field   string
			audited string // the one audit action the refusal may add
		}{
			{"unknown partner", admin, "POST", "/api/v1/members", map[string]any{"partner": "XX", "username": "new.one", "password": "long-enough-pw"}, 422, "partner", ""},
			{"duplicate partner code", admin, "POST", "/api/v1/partners", map[string]any{"code": "RU", "name": "Russia again", "kind": "state"}, 422, "code", ""},
			{"duplicate username", admin, "POST", "/api/v1/members", map[string]any{"partner": "RU", "username": "ru.general", "password": "long-enough-pw"}, 422, "username", ""},
			{"bad partner kind", admin, "POST", "/api/v1/partners", map[string]any{"code": "NZ", "name": "N", "kind": "planet"}, 422, "kind", ""},
			{"room with unknown partner", admin, "POST", "/api/v1/rooms", map[string]any{"slug": "x", "name": "x", "purpose": "x", "command_model": "director", "partners": []string{"RU", "XX"}}, 422, "partners", ""},
			{"unknown TLP label", ru, "POST", "/api/v1/rooms/damascus/notes", map[string]any{"title": "t", "marking": map[string]any{"tlp": "PURPLE"}}, 422, "marking.tlp", ""},
			{"RED without recipients", ru, "POST", "/api/v1/rooms/damascus/notes", map[string]any{"title": "t", "marking": map[string]any{"tlp": "RED"}}, 422, "marking.recipients", ""},
			{"releasable to a partner not in the room", ru, "POST", "/api/v1/rooms/anti-is-iraq-2014/notes", map[string]any{"title": "t", "marking": map[string]any{"tlp": "AMBER", "releasable_to": []string{"RU", "HZ"}}}, 422, "marking.releasable_to[1]", ""},
			{"sharing what you could not see", ru, "POST", "/api/v1/rooms/damascus/notes", map[string]any{"title": "t", "marking": map[string]any{"tlp": "AMBER", "releasable_to": []string{"IR"}}}, 422, "marking", ""},
			{"missing title", ru, "POST", "/api/v1/rooms/damascus/notes", map[string]any{"marking": map[string]any{"tlp": "GREEN"}}, 422, "title", ""},
			{"malformed body", ru, "POST", "/api/v1/rooms/damascus/notes", `{"title": "t",`, 400, "", ""},
			{"unknown field", ru, "POST", "/api/v1/rooms/damascus/notes", `{"title": "t", "tlp": "RED"}`, 400, "tlp", ""},
			{"two values", ru, "POST", "/api/v1/rooms/damascus/notes", `{"title": "t"} {"title": "u"}`, 400, "", ""},
			{"wrong type", ru, "POST", "/api/v1/rooms/damascus/notes", `{"title": 42}`, 400, "title", ""},
			{"oversized body", ru, "POST", "/api/v1/rooms/damascus/notes", big, 413, "", ""},
			{"not an admin", ru, "POST", "/api/v1/partners", map[string]any{"code": "NZ", "name": "N", "kind": "state"}, 403, "", ""},
			{"wrong password", ts.anon(t), "POST", "/api/v1/login", map[string]any{"username": "ru.general", "password": "wrong"}, 401, "", "login.fail"},
			{"unknown user", ts.anon(t), "POST", "/api/v1/login", map[string]any{"username": "nobody", "password": "wrong"}, 401, "", "login.fail"},
			{"expired token", expiredClient, "GET", "/api/v1/me", nil, 401, "", "token.refused"},
			{"no credentials", ts.anon(t), "GET", "/api/v1/me", nil, 401, "", ""},
			{"bad cursor", ru, "GET", "/api/v1/rooms/damascus/items?cursor=!!", nil, 400, "cursor", ""},
			{"bad limit", ru, "GET", "/api/v1/rooms/damascus/items?limit=0", nil, 400, "limit", ""},
			{"well-formed garbage cursor", ru, "GET", "/api/v1/rooms/damascus/items?cursor=Yg", nil, 400, "cursor", ""},
			{"garbage audit cursor", admin, "GET", "/api/v1/audit?cursor=MTIzNDU2", nil, 400, "cursor", ""},
			{"garbage members cursor", admin, "GET", "/api/v1/members?cursor=cnUuZ2VuZXJhbA", nil, 400, "cursor", ""},
			{"cursor on a whole list", ru, "GET", "/api/v1/rooms?cursor=anything", nil, 400, "cursor", ""},
			{"title not UTF-8", ru, "POST", "/api/v1/rooms/damascus/notes", "{\"title\": \"ok \xff\xfe ok\"}", 400, "title", ""},
			{"nested field not UTF-8", ru, "POST", "/api/v1/rooms/damascus/notes", "{\"title\": \"t\", \"marking\": {\"tlp\": \"GREEN\", \"releasable_to\": [\"RU\", \"S\xc0\"]}}", 400, "marking.releasable_to[1]", ""},
			{"NUL in a title", ru, "POST", "/api/v1/rooms/damascus/notes", map[string]any{"title": "a\x00b"}, 422, "title", ""},
			{"control character in a title", ru, "POST", "/api/v1/rooms/damascus/notes", map[string]any{"title": "ring\abell"}, 422, "title", ""},
			{"line break in a title", ru, "POST", "/api/v1/rooms/damascus/notes", map[string]any{"title": "two\nlines"}, 422, "title", ""},
			{"bidi override in a title", ru, "POST", "/api/v1/rooms/damascus/notes", map[string]any{"title": "invoice \u202Efdp.exe"}, 422, "title", ""},
			{"bidi isolate in a partner name", admin, "POST", "/api/v1/partners", map[string]any{"code": "NZ", "name": "New \u2067Zealand", "kind": "state"}, 422, "name", ""},
			{"bidi override in a display name", admin, "POST", "/api/v1/members", map[string]any{"partner": "RU", "username": "ru.new", "display_name": "\u202Dadmin", "password": "long-enough-pw"}, 422, "display_name", ""},
			{"control character in a username", admin, "POST", "/api/v1/members", map[string]any{"partner": "RU", "username": "ru.\x1bnew", "password": "long-enough-pw"}, 422, "username", ""},
			{"bidi override in a username", admin, "POST", "/api/v1/members", map[string]any{"partner": "RU", "username": "ru.\u202Enew", "password": "long-enough-pw"}, 422, "username", ""},
			{"NUL in a room name", admin, "PATCH", "/api/v1/rooms/damascus", map[string]any{"name": "Damascus\x00"}, 422, "name", ""},
			{"room PATCH with a null body", admin, "PATCH", "/api/v1/rooms/damascus", "null", 400, "", ""},
			{"weak password", admin, "POST", "/api/v1/members", map[string]any{"partner": "RU", "username": "ru.new", "password": "password1234"}, 422, "password", ""},
			{"short password in characters", admin, "PATCH", "/api/v1/members/ru.general", map[string]any{"password": "Дежурный-1"}, 422, "password", ""},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				before, beforeActions := snapshot(t, db)
				res := tt.c.Do(tt.method, tt.path, tt.body)
				if res.Status != tt.status {
					t.Fatalf("status %d, want %d: %s", res.Status, tt.status, res.Body)
				}
				if ct := res.Header.Get("Content-Type"); ct != "application/problem+json" {
					t.Fatalf("content type %q", ct)
				}
				var p httpapi.Problem
				res.JSON(t, &p)
				if p.Status != tt.status || p.Title == "" || p.Detail == "" {
					t.Fatalf("problem document incomplete: %s", res.Body)
				}
				if tt.field != "" {
					found := false
					for _, e := range p.Errors {
						found = found || e.Field == tt.field
					}
					if !found {
						t.Fatalf("no error names field %q: %s", tt.field, res.Body)
					}
				}
				after, afterActions := snapshot(t, db)
				if before != after {
					t.Fatalf("database changed:\n before %s\n after  %s", before, after)
				}
				added := afterActions[len(beforeActions):]
				if tt.audited == "" && len(added) > 0 || tt.audited != "" && (len(added) != 1 || added[0] != tt.audited) {
					t.Fatalf("audit records added %v, want %q", added, tt.audited)
				}
			})
		}
	})
}

func TestAuditTamperingIsNamed(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ts := demoServer(t, db)
		ctx := context.Background()
		n, err := audit.Verify(ctx, db)
		if err != nil || n < 20 {
			t.Fatalf("fresh chain: %d records, %v", n, err)
		}
		// An admin reads the trail through the API; a plain member may not.
		admin := ts.login(t, "admin", "keep-the-watch-7")
		if res := admin.Do("GET", "/api/v1/audit?limit=5", nil); res.Status != 200 {
			t.Fatalf("admin audit: %d", res.Status)
		}
		if res := ts.login(t, "sy.officer", demo.Password).Do("GET", "/api/v1/audit", nil); res.Status != 403 {
			t.Fatalf("member audit: %d", res.Status)
		}
		// A director reads its own room's trail.
		if res := ts.login(t, "ru.general", demo.Password).Do("GET", "/api/v1/audit?room=damascus", nil); res.Status != 200 {
			t.Fatalf("director audit: %d", res.Status)
		}
		if err := db.Write(ctx, func(tx *store.Tx) error {
			_, err := tx.Exec(ctx, `UPDATE audit SET detail = '{"code":"XX"}' WHERE seq = 7`)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		_, err = audit.Verify(ctx, db)
		if err == nil || !strings.Contains(err.Error(), "audit record 7:") {
			t.Fatalf("verify after tampering with record 7: %v", err)
		}
	})
}

// TestOpenAPIDescribesEveryResponse calls every route with a successful
// request and checks the answer against the schema the document gives
// for it, and that every documented route was called.
func TestOpenAPIDescribesEveryResponse(t *testing.T) {
	db := storetest.Open(t, store.SQLite)
	ts := demoServer(t, db)
	admin := ts.login(t, "admin", "keep-the-watch-7")
	ru := ts.login(t, "ru.general", demo.Password)
	var docMap map[string]any
	res := ts.anon(t).Do("GET", "/api/v1/openapi.json", nil)
	res.JSON(t, &docMap)
	if docMap["openapi"] != "3.1.0" {
		t.Fatalf("openapi = %v", docMap["openapi"])
	}
	if info, _ := docMap["info"].(map[string]any); info["version"] != version.String() {
		t.Errorf("info.version = %v, want the build's %q", info["version"], version.String())
	}
	var note struct{ ID string }
	ru.Do("POST", "/api/v1/rooms/damascus/notes", map[string]any{"title": "n", "marking": map[string]any{"tlp": "GREEN"}}).JSON(t, &note)
	var tok struct{ ID string }
	ru.Do("POST", "/api/v1/tokens", map[string]any{"name": "script"}).JSON(t, &tok)
	calls := []struct {
		c            *client
		method, path string
		body         any
	}{
		{ts.anon(t), "GET", "/api/v1/openapi.json", nil},
		{ts.anon(t), "GET", "/healthz", nil},
		{ts.anon(t), "GET", "/readyz", nil},
		{ts.anon(t), "POST", "/api/v1/login", map[string]string{"username": "sy.officer", "password": demo.Password}},
		{ts.login(t, "hz.officer", demo.Password), "POST", "/api/v1/logout", nil},
		{ru, "GET", "/api/v1/me", nil},
		{ru, "GET", "/api/v1/partners", nil},
		{admin, "POST", "/api/v1/partners", map[string]string{"code": "UN", "name": "United Nations", "kind": "international organization"}},
		{ru, "GET", "/api/v1/partners/RU", nil},
		{admin, "GET", "/api/v1/members", nil},
		{admin, "POST", "/api/v1/members", map[string]any{"partner": "UN", "username": "un.observer", "password": "long-enough-pw"}},
		{ru, "GET", "/api/v1/members/ru.general", nil},
		{ru, "PATCH", "/api/v1/members/ru.general", map[string]any{"display_name": "RU general"}},
		{ru, "GET", "/api/v1/tokens", nil},
		{ru, "POST", "/api/v1/tokens", map[string]any{"name": "another", "expires_in": "24h"}},
		{ru, "DELETE", "/api/v1/tokens/" + tok.ID, nil},
		{ru, "GET", "/api/v1/rooms", nil},
		{admin, "POST", "/api/v1/rooms", map[string]any{"slug": "geneva", "name": "Geneva", "purpose": "talks", "command_model": "director", "partners": []string{"UN", "RU"}}},
		{ru, "GET", "/api/v1/rooms/damascus", nil},
		{ru, "GET", "/api/v1/rooms/damascus/members", nil},
		{admin, "PUT", "/api/v1/rooms/geneva/members/un.observer", map[string]string{"role": "director"}},
		{admin, "DELETE", "/api/v1/rooms/geneva/members/un.observer", nil},
		{admin, "PATCH", "/api/v1/rooms/geneva", map[string]any{"purpose": "talks about talks", "default_tlp": "GREEN"}},
		{admin, "PUT", "/api/v1/rooms/geneva/partners/IR", nil},
		{admin, "DELETE", "/api/v1/rooms/geneva/partners/IR", nil},
		{ru, "GET", "/api/v1/rooms/damascus/items", nil},
		{ru, "POST", "/api/v1/rooms/damascus/notes", map[string]any{"title": "n2", "text": "t", "marking": map[string]any{"tlp": "RED", "recipients": []string{"ru.general"}}}},
		{ru, "GET", "/api/v1/items/" + note.ID, nil},
		{admin, "GET", "/api/v1/audit", nil},
	}
	called := map[string]bool{}
	for _, call := range calls {
		rt, ok := ts.api.API().Match(call.method, call.path)
		if !ok {
			t.Fatalf("%s %s matches no route", call.method, call.path)
		}
		called[rt.Method+" "+rt.Path] = true
		res := call.c.Do(call.method, call.path, call.body)
		if res.Status != rt.Status {
			t.Fatalf("%s %s: %d, documented %d: %s", call.method, call.path, res.Status, rt.Status, res.Body)
		}
		paths := docMap["paths"].(map[string]any)
		op := paths[rt.Path].(map[string]any)[strings.ToLower(rt.Method)].(map[string]any)
		resp := op["responses"].(map[string]any)[fmt.Sprint(rt.Status)].(map[string]any)
		content, hasContent := resp["content"].(map[string]any)
		if !hasContent {
			if len(res.Body) > 0 {
				t.Fatalf("%s %s: undocumented body %s", call.method, call.path, res.Body)
			}
			continue
		}
		schema := content["application/json"].(map[string]any)["schema"]
		var body any
		if err := json.Unmarshal(res.Body, &body); err != nil {
			t.Fatalf("%s %s: %v", call.method, call.path, err)
		}
		if err := conforms(docMap, schema, body, "$"); err != nil {
			t.Errorf("%s %s: response does not match its schema: %v", call.method, call.path, err)
		}
	}
	var missing []string
	for _, rt := range ts.api.API().Routes() {
		if !called[rt.Method+" "+rt.Path] {
			missing = append(missing, rt.Method+" "+rt.Path)
		}
	}
	sort.Strings(missing)
	if len(missing) > 0 {
		t.Fatalf("routes not exercised by this test: %v", missing)
	}
}

// conforms checks v against the subset of JSON Schema the generator
// emits: $ref, type (one or several), properties, required, items,
// additionalProperties.
func conforms(doc map[string]any, schema any, v any, path string) error {
	s, _ := schema.(map[string]any)
	if ref, ok := s["$ref"].(string); ok {
		name := strings.TrimPrefix(ref, "#/components/schemas/")
		return conforms(doc, doc["components"].(map[string]any)["schemas"].(map[string]any)[name], v, path)
	}
	if typ, ok := s["type"]; ok {
		var types []string
		switch tv := typ.(type) {
		case string:
			types = []string{tv}
		case []any:
			for _, x := range tv {
				types = append(types, x.(string))
			}
		}
		got := jsonType(v)
		okType := false
		for _, want := range types {
			okType = okType || want == got || (want == "number" && got == "integer")
		}
		if !okType {
			return fmt.Errorf("%s: %s, want %v", path, got, types)
		}
	}
	switch vv := v.(type) {
	case map[string]any:
		props, _ := s["properties"].(map[string]any)
		if req, ok := s["required"].([]any); ok {
			for _, r := range req {
				if _, ok := vv[r.(string)]; !ok {
					return fmt.Errorf("%s: required %q missing", path, r)
				}
			}
		}
		for k, x := range vv {
			if ps, ok := props[k]; ok {
				if err := conforms(doc, ps, x, path+"."+k); err != nil {
					return err
				}
			} else if ap, ok := s["additionalProperties"]; ok {
				if err := conforms(doc, ap, x, path+"."+k); err != nil {
					return err
				}
			} else if props != nil {
				return fmt.Errorf("%s: undocumented property %q", path, k)
			}
		}
	case []any:
		for i, x := range vv {
			if err := conforms(doc, s["items"], x, fmt.Sprintf("%s[%d]", path, i)); err != nil {
				return err
			}
		}
	}
	return nil
}

func jsonType(v any) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case bool:
		return "boolean"
	case float64:
		if x == float64(int64(x)) {
			return "integer"
		}
		return "number"
	case string:
		return "string"
	case []any:
		return "array"
	case map[string]any:
		return "object"
	}
	return "unknown"
}

// TestCrossSiteWritesAreRefused: a browser that carries the session
// cookie to a cross-site form or fetch cannot change anything.
func TestCrossSiteWritesAreRefused(t *testing.T) {
	db := storetest.Open(t, store.SQLite)
	ts := demoServer(t, db)
	ru := ts.login(t, "ru.general", demo.Password)
	before, _ := snapshot(t, db)
	for _, h := range []map[string]string{
		{"Sec-Fetch-Site": "cross-site"},
		{"Origin": "https://evil.example"},
	} {
		req, _ := http.NewRequest("POST", ts.URL+"/api/v1/rooms/damascus/notes", strings.NewReader(`{"title":"forged"}`))
		req.Header.Set("Content-Type", "application/json")
		for k, v := range h {
			req.Header.Set(k, v)
		}
		res, err := ru.HTTP.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusForbidden {
			t.Errorf("cross-site POST with %v: %d, want 403", h, res.StatusCode)
		}
	}
	if after, _ := snapshot(t, db); after != before {
		t.Fatalf("a cross-site request wrote: %s -> %s", before, after)
	}
	// Same-origin writes still work.
	if res := ru.Do("POST", "/api/v1/rooms/damascus/notes", map[string]any{"title": "fine"}); res.Status != http.StatusCreated {
		t.Fatalf("same-origin POST: %d %s", res.Status, res.Body)
	}
}

// forwardedFor is a transport that says the request comes from addr, as
// a reverse proxy would.
type forwardedFor struct{ addr string }

func (f forwardedFor) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("X-Forwarded-For", f.addr)
	return http.DefaultTransport.RoundTrip(r)
}

// from returns an anonymous client whose requests reach the server through
// a proxy on loopback, from addr.
func (ts *testServer) from(t *testing.T, addr string) *client {
	c := ts.anon(t)
	c.HTTP.Transport = forwardedFor{addr}
	return c
}

// TestPasswordGuessingIsThrottled: an address failing against a username
// is refused for a while, with 429 and Retry-After, even with the right
// password; the owner signs in from another address meanwhile. Behind a
// trusted proxy the address is the client's, from X-Forwarded-For.
func TestPasswordGuessingIsThrottled(t *testing.T) {
	db := storetest.Open(t, store.SQLite)
	ts := demoServer(t, db)
	ts.api.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("::1/128")}
	attacker := ts.from(t, "203.0.113.7")
	for i := range 20 {
		res := attacker.Do("POST", "/api/v1/login", map[string]string{"username": "sy.officer", "password": fmt.Sprint("guess", i)})
		if want := map[bool]int{true: 401, false: 429}[i < 10]; res.Status != want {
			t.Fatalf("guess %d: %d, want %d", i, res.Status, want)
		}
	}
	res := attacker.Do("POST", "/api/v1/login", map[string]string{"username": "sy.officer", "password": demo.Password})
	if res.Status != http.StatusTooManyRequests || res.Header.Get("Retry-After") == "" {
		t.Fatalf("the failing address with the right password: %d %v", res.Status, res.Header)
	}
	// The owner, from elsewhere, is not locked out, and neither is
	// another member behind the same proxy.
	owner := ts.from(t, "198.51.100.20")
	if res := owner.Do("POST", "/api/v1/login", map[string]string{"username": "sy.officer", "password": demo.Password}); res.Status != 200 {
		t.Fatalf("the owner from another address: %d %s", res.Status, res.Body)
	}
	if res := ts.from(t, "198.51.100.21").Do("POST", "/api/v1/login", map[string]string{"username": "ru.general", "password": demo.Password}); res.Status != 200 {
		t.Fatalf("another member: %d %s", res.Status, res.Body)
	}
	// The attacker's address has failed against one username ten times,
	// far from the per-address limit: other usernames still answer 401.
	if res := attacker.Do("POST", "/api/v1/login", map[string]string{"username": "ru.general", "password": "wrong"}); res.Status != 401 {
		t.Fatalf("the attacker against another username: %d", res.Status)
	}
	// Without a trusted proxy, X-Forwarded-For is the client's word and
	// is not believed: every request is from loopback.
	ts.api.TrustedProxies = nil
	direct := ts.from(t, "192.0.2.1")
	for i := range 10 {
		direct.Do("POST", "/api/v1/login", map[string]string{"username": "iq.commander", "password": fmt.Sprint("guess", i)})
	}
	if res := ts.from(t, "192.0.2.2").Do("POST", "/api/v1/login", map[string]string{"username": "iq.commander", "password": demo.Password}); res.Status != 429 {
		t.Fatalf("an untrusted peer chose its address with X-Forwarded-For: %d", res.Status)
	}
}

// TestLeavingARoomTakesItsItemsAway: membership is checked at every read.
func TestLeavingARoomTakesItsItemsAway(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ts := demoServer(t, db)
		admin := ts.login(t, "admin", "keep-the-watch-7")
		ru := ts.login(t, "ru.general", demo.Password)
		ir := ts.login(t, "ir.commander", demo.Password)
		var note struct{ ID string }
		ru.Do("POST", "/api/v1/rooms/damascus/notes", map[string]any{"title": "for all", "marking": map[string]any{"tlp": "GREEN"}}).JSON(t, &note)
		if res := ir.Do("GET", "/api/v1/items/"+note.ID, nil); res.Status != 200 {
			t.Fatalf("before: %d", res.Status)
		}
		if res := admin.Do("DELETE", "/api/v1/rooms/damascus/partners/IR", nil); res.Status != 204 {
			t.Fatalf("remove partner: %d %s", res.Status, res.Body)
		}
		for _, path := range []string{"/api/v1/items/" + note.ID, "/api/v1/rooms/damascus", "/api/v1/rooms/damascus/items"} {
			if res := ir.Do("GET", path, nil); res.Status != 404 {
				t.Errorf("after the partner left, GET %s: %d", path, res.Status)
			}
		}
		if res := ru.Do("GET", "/api/v1/items/"+note.ID, nil); res.Status != 200 {
			t.Fatalf("others keep it: %d", res.Status)
		}
	})
}

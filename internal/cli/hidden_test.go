package cli

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/opsroom/opsroom/internal/access"
	"github.com/opsroom/opsroom/internal/apitest"
	"github.com/opsroom/opsroom/internal/demo"
	"github.com/opsroom/opsroom/internal/httpapi"
	"github.com/opsroom/opsroom/internal/item"
	"github.com/opsroom/opsroom/internal/store"
	"github.com/opsroom/opsroom/internal/store/storetest"
)

// demoServer serves the demo on db through the whole API, as serve
// wires it, until the test ends.
func demoServer(t *testing.T, db *store.DB) (*Services, *httptest.Server) {
	t.Helper()
	svc := NewServices(db)
	if _, err := svc.LoadDemo(context.Background()); err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	api := httpapi.New(&httpapi.Server{DB: db, Members: svc.Members, Rooms: svc.Rooms, Items: svc.Items, Bus: svc.Bus, Extra: svc.Routes()}, log)
	srv := httptest.NewServer(api.Handler())
	t.Cleanup(srv.Close)
	return svc, srv
}

// TestHiddenAnswersLikeMissing: for every GET route of the OpenAPI
// document with an {id}, an id the viewer may not see (one of every kind
// the demo hides from the viewer) gets the very response a made-up id
// gets: status, headers (but Date) and body, byte for byte once the id
// itself is set aside. After a flush, each refusal of an existing item is
// in the audit trail with the viewer as actor, and the made-up id left no
// record.
func TestHiddenAnswersLikeMissing(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		_, srv := demoServer(t, db)

		var doc struct {
			Paths map[string]map[string]json.RawMessage `json:"paths"`
		}
		apitest.New(t, srv.URL).Get("/api/v1/openapi.json", &doc)
		var routes []string
		for path, ops := range doc.Paths {
			if _, ok := ops["get"]; ok && strings.Contains(path, "{id}") {
				routes = append(routes, path)
			}
		}
		slices.Sort(routes)
		if len(routes) < 15 {
			t.Fatalf("only %d GET routes with an {id}: %v", len(routes), routes)
		}
		// A note only its author may read: the demo has no notes.
		apitest.Login(t, srv.URL, "ru.general", demo.Password).Post("/api/v1/rooms/damascus/notes",
			map[string]any{"title": "eyes only", "text": "x", "marking": map[string]any{"tlp": "RED", "recipients": []string{"ru.general"}}}, nil)
		missing := store.NewID()
		kinds := map[string]bool{}
		asked := map[string]map[string]bool{} // member ID -> hidden IDs asked for
		for _, l := range demo.Logins() {
			v := viewerOf(t, db, l.Username)
			hidden := hiddenByKind(t, db, v)
			asked[v.MemberID] = map[string]bool{}
			c := apitest.Login(t, srv.URL, l.Username, demo.Password)
			for _, route := range routes {
				path := strings.ReplaceAll(route, "{room}", "damascus")
				want := c.Do("GET", strings.ReplaceAll(path, "{id}", missing), nil)
				if want.Status != http.StatusNotFound {
					t.Fatalf("GET %s with a made-up id: %d %s", route, want.Status, want.Body)
				}
				want.Header.Del("Date")
				wantBody := strings.ReplaceAll(string(want.Body), missing, "ID")
				for kind, id := range hidden {
					kinds[kind] = true
					asked[v.MemberID][id] = true
					got := c.Do("GET", strings.ReplaceAll(path, "{id}", id), nil)
					got.Header.Del("Date")
					if got.Status != want.Status {
						t.Errorf("%s: GET %s with a hidden %s: status %d, a made-up id %d", l.Username, route, kind, got.Status, want.Status)
					}
					if body := strings.ReplaceAll(string(got.Body), id, "ID"); body != wantBody || len(got.Body) != len(want.Body) {
						t.Errorf("%s: GET %s with a hidden %s:\n%s\na made-up id:\n%s", l.Username, route, kind, got.Body, want.Body)
					}
					if !headersEqual(got.Header, want.Header) {
						t.Errorf("%s: GET %s with a hidden %s: headers %v, a made-up id %v", l.Username, route, kind, got.Header, want.Header)
					}
				}
			}
		}
		if len(kinds) < 8 {
			t.Fatalf("the demo hides only these kinds from its members: %v", kinds)
		}
		t.Logf("hidden kinds tried on %d routes: %v", len(routes), kinds)

		if err := item.FlushRefusals(ctx, db); err != nil {
			t.Fatal(err)
		}
		for member, ids := range asked {
			refused, err := store.Strings(ctx, db, `SELECT object_id FROM audit WHERE action = 'access.refused' AND actor_id = ?`, member)
			if err != nil {
				t.Fatal(err)
			}
			for id := range ids {
				if !slices.Contains(refused, id) {
					t.Errorf("the refused read of %s by %s is not in the audit trail", id, member)
				}
			}
			if slices.Contains(refused, missing) {
				t.Errorf("a made-up id was audited as a refusal")
			}
		}
	})
}

func headersEqual(a, b http.Header) bool {
	if len(a) != len(b) {
		return false
	}
	for k, va := range a {
		if !slices.Equal(va, b[k]) {
			return false
		}
	}
	return true
}

// viewerOf reads a member's viewer from the database.
func viewerOf(t *testing.T, db *store.DB, username string) access.Viewer {
	t.Helper()
	ctx := context.Background()
	v := access.Viewer{Rooms: map[string]bool{}}
	if err := db.QueryRow(ctx, `SELECT id, partner_id FROM members WHERE username = ?`, username).Scan(&v.MemberID, &v.PartnerID); err != nil {
		t.Fatal(err)
	}
	rooms, err := store.Strings(ctx, db, `SELECT room_id FROM room_members WHERE member_id = ?`, v.MemberID)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rooms {
		v.Rooms[r] = true
	}
	return v
}

// hiddenByKind returns one item of each kind v may not see, by the
// policy in Go.
func hiddenByKind(t *testing.T, db *store.DB, v access.Viewer) map[string]string {
	t.Helper()
	ctx := context.Background()
	rows, err := db.Query(ctx, `SELECT id, room_id, kind FROM items ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	type row struct{ id, room, kind string }
	var all []row
	for rows.Next() {
		var r row
		if err := rows.Scan(&r.id, &r.room, &r.kind); err != nil {
			t.Fatal(err)
		}
		all = append(all, r)
	}
	rows.Close()
	out := map[string]string{}
	for _, r := range all {
		if _, ok := out[r.kind]; ok {
			continue
		}
		m, err := item.LoadMarking(ctx, db, r.id)
		if err != nil {
			t.Fatal(err)
		}
		if !access.CanSee(v, r.room, m) {
			out[r.kind] = r.id
		}
	}
	return out
}

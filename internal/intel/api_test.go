package intel_test

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/opsroom/opsroom/internal/apitest"
	"github.com/opsroom/opsroom/internal/demo"
	"github.com/opsroom/opsroom/internal/httpapi"
	"github.com/opsroom/opsroom/internal/item"
	"github.com/opsroom/opsroom/internal/live"
	"github.com/opsroom/opsroom/internal/room"
	"github.com/opsroom/opsroom/internal/store"
	"github.com/opsroom/opsroom/internal/store/storetest"
)

// apiClient is a signed-in demo member talking to a real server.
type apiClient struct{ *apitest.Client }

func serve(t *testing.T, d loadedDemo) string {
	t.Helper()
	bus := live.NewBus()
	rooms := room.NewService(d.db)
	srv := httpapi.New(&httpapi.Server{DB: d.db, Members: d.members, Rooms: rooms, Items: item.NewService(d.db, rooms, bus), Bus: bus,
		Extra: []func(*httpapi.API){d.svc.Routes}}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(ts.Close)
	return ts.URL
}

func login(t *testing.T, base, user string) *apiClient {
	t.Helper()
	return &apiClient{apitest.Login(t, base, user, demo.Password)}
}

// do returns the status and body of a request.
func (c *apiClient) do(method, path string, body any) (int, []byte) {
	c.T.Helper()
	res := c.Do(method, path, body)
	return res.Status, res.Body
}

type problem struct {
	Status int `json:"status"`
	Errors []struct {
		Field  string `json:"field"`
		Detail string `json:"detail"`
	} `json:"errors"`
}

func counts(t *testing.T, db *store.DB) [2]int {
	t.Helper()
	var c [2]int
	if err := store.Scan(db.QueryRow(t.Context(), `SELECT (SELECT COUNT(*) FROM items), (SELECT COUNT(*) FROM audit)`), &c[0], &c[1]); err != nil {
		t.Fatal(err)
	}
	return c
}

// TestAPIRefusesBadInput sends invalid sources, reports, links and claims:
// each is a 422 naming the offending field, and nothing is written (no
// item, no audit record).
func TestAPIRefusesBadInput(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		d := loadDemo(t, db)
		c := login(t, serve(t, d), "sy.officer")
		r2 := d.ids.Reports["r2"]
		var src struct {
			Items []struct{ ID string } `json:"items"`
		}
		if st, body := c.do("GET", "/api/v1/rooms/damascus/sources?limit=1", nil); st != 200 || json.Unmarshal(body, &src) != nil || len(src.Items) == 0 {
			t.Fatalf("list sources: %d %s", st, body)
		}
		okReport := func() map[string]any {
			return map[string]any{"title": "t", "text": "x", "source": src.Items[0].ID, "credibility": 3}
		}
		with := func(k string, v any) map[string]any { m := okReport(); m[k] = v; return m }
		for _, tc := range []struct {
			name, path string
			body       any
			field      string
		}{
			{"bad grade", "/sources", map[string]any{"name": "n", "kind": "outlet", "reliability": "G"}, "reliability"},
			{"bad source kind", "/sources", map[string]any{"name": "n", "kind": "rumour", "reliability": "C"}, "kind"},
			{"unnamed source without outlet", "/sources", map[string]any{"name": "n", "kind": "unnamed-via-outlet", "reliability": "F"}, "cited_by"},
			{"unknown source", "/reports", with("source", "no-such-source"), "source"},
			{"credibility 7", "/reports", with("credibility", 7), "credibility"},
			{"credibility 0", "/reports", with("credibility", 0), "credibility"},
			{"RED without recipients", "/reports", with("marking", map[string]any{"tlp": "RED"}), "marking.recipients"},
			{"unknown label", "/reports", with("marking", map[string]any{"tlp": "PURPLE"}), "marking.tlp"},
			{"bad place", "/reports", with("places", []any{map[string]any{"geometry": map[string]any{"type": "Point", "coordinates": []float64{200, 10}}}}), "places[0].geometry"},
			{"bad link kind", "/reports/" + r2 + "/links", map[string]any{"kind": "copies", "target": d.ids.Reports["r1"]}, "kind"},
			{"self link", "/reports/" + r2 + "/links", map[string]any{"kind": "repeats", "target": r2}, "target"},
			{"link to another room's report", "/reports/" + r2 + "/links", map[string]any{"kind": "cites", "target": d.ids.Reports["r5"]}, "target"},
			{"claim on no event", "/claims", map[string]any{"event": r2, "actor": "x", "proposition": "p", "stance": "asserts"}, "event"},
			{"claim with bad stance", "/claims", map[string]any{"event": d.ids.Events[demo.EventLatamnehStrike], "actor": "x", "proposition": "p", "stance": "maybe"}, "stance"},
			{"claim on both sides", "/claims", map[string]any{"event": d.ids.Events[demo.EventLatamnehStrike], "actor": "x", "proposition": "p", "stance": "asserts",
				"supporting": []string{r2}, "disputing": []string{r2}}, "disputing[0]"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				before := counts(t, db)
				st, body := c.do("POST", "/api/v1/rooms/damascus"+tc.path, tc.body)
				var p problem
				_ = json.Unmarshal(body, &p)
				found := false
				for _, e := range p.Errors {
					found = found || e.Field == tc.field
				}
				if st != http.StatusUnprocessableEntity || !found {
					t.Errorf("status %d, body %s; want 422 naming %s", st, body, tc.field)
				}
				if after := counts(t, db); after != before {
					t.Errorf("items and audit records %v -> %v: something was written", before, after)
				}
			})
		}
	})
}

// TestAPIRefusesCyclesNamingOnlyVisibleReports closes a cycle through a
// report the proposer may not see: refused, naming no chain and never the
// hidden report; its owner, who sees the whole chain, is told the path.
func TestAPIRefusesCyclesNamingOnlyVisibleReports(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		d := loadDemo(t, db)
		base := serve(t, d)
		ir, sy := login(t, base, "ir.commander"), login(t, base, "sy.officer")
		r3 := d.ids.Reports["r3"]
		src := func(c *apiClient) string {
			var page struct{ Items []struct{ ID string } }
			_, body := c.do("GET", "/api/v1/rooms/damascus/sources?limit=1", nil)
			_ = json.Unmarshal(body, &page)
			return page.Items[0].ID
		}(ir)
		create := func(title string, marking map[string]any) string {
			st, body := ir.do("POST", "/api/v1/rooms/damascus/reports", map[string]any{"title": title, "text": title, "source": src, "credibility": 6, "marking": marking})
			var r struct{ ID string }
			if st != http.StatusCreated || json.Unmarshal(body, &r) != nil {
				t.Fatalf("create %s: %d %s", title, st, body)
			}
			return r.ID
		}
		hidden := create("IR only", map[string]any{"tlp": "AMBER", "releasable_to": []string{"IR"}})
		shared := create("shared", map[string]any{"tlp": "GREEN"})
		for _, l := range [][2]string{{hidden, r3}, {shared, hidden}} {
			if st, body := ir.do("POST", "/api/v1/rooms/damascus/reports/"+l[0]+"/links", map[string]any{"kind": "repeats", "target": l[1]}); st != http.StatusCreated {
				t.Fatalf("link: %d %s", st, body)
			}
		}
		before := counts(t, db)
		st, body := sy.do("POST", "/api/v1/rooms/damascus/reports/"+r3+"/links", map[string]any{"kind": "cites", "target": shared})
		var p problem
		_ = json.Unmarshal(body, &p)
		if st != http.StatusUnprocessableEntity || len(p.Errors) != 1 || p.Errors[0].Field != "target" {
			t.Fatalf("closing the cycle: %d %s; want 422 on target", st, body)
		}
		want := "provenance cycle: " + r3 + " cites " + shared + " would close a cycle, because " + shared + " already derives from " + r3 + " through reports of this room"
		if p.Errors[0].Detail != want || strings.Contains(string(body), hidden) || strings.Contains(string(body), "IR only") {
			t.Errorf("detail %q\nwant   %q (and never the hidden report's ID)", p.Errors[0].Detail, want)
		}
		if after := counts(t, db); after != before {
			t.Errorf("a refused link wrote something: %v -> %v", before, after)
		}
		// IR sees the whole path.
		st, body = ir.do("POST", "/api/v1/rooms/damascus/reports/"+r3+"/links", map[string]any{"kind": "cites", "target": shared})
		if st != http.StatusUnprocessableEntity || !strings.Contains(string(body), hidden) {
			t.Errorf("IR closing the cycle: %d %s; want 422 naming %s", st, body, hidden)
		}
		// SY's view of r3's provenance leaves the hidden report out.
		var links struct {
			Upstream, Downstream []struct{ Report, Target string }
		}
		_, body = sy.do("GET", "/api/v1/rooms/damascus/reports/"+r3+"/links", nil)
		if err := json.Unmarshal(body, &links); err != nil || len(links.Upstream) != 2 || len(links.Downstream) != 0 {
			t.Errorf("SY's links of r3: %s; want r2 and r1 upstream, nothing downstream", body)
		}
	})
}

// TestAPICycleRefusalSaysNothingOfHiddenReports: the refusal of the same
// link is byte for byte the same whether the chain behind it passes
// through one report the proposer may not see or three, names none of
// them, and names a chain of reports the proposer may see when there is
// one.
func TestAPICycleRefusalSaysNothingOfHiddenReports(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		d := loadDemo(t, db)
		base := serve(t, d)
		ir, sy := login(t, base, "ir.commander"), login(t, base, "sy.officer")
		var page struct{ Items []struct{ ID string } }
		_, body := ir.do("GET", "/api/v1/rooms/damascus/sources?limit=1", nil)
		if err := json.Unmarshal(body, &page); err != nil || len(page.Items) == 0 {
			t.Fatalf("sources: %s", body)
		}
		var hiddenIDs []string
		create := func(title string, hidden bool) string {
			marking := map[string]any{"tlp": "GREEN"}
			if hidden {
				marking = map[string]any{"tlp": "AMBER", "releasable_to": []string{"IR"}}
			}
			st, body := ir.do("POST", "/api/v1/rooms/damascus/reports", map[string]any{"title": title, "text": title, "source": page.Items[0].ID, "credibility": 6, "marking": marking})
			var r struct{ ID string }
			if st != http.StatusCreated || json.Unmarshal(body, &r) != nil {
				t.Fatalf("create %s: %d %s", title, st, body)
			}
			if hidden {
				hiddenIDs = append(hiddenIDs, r.ID)
			}
			return r.ID
		}
		link := func(from, to string) {
			t.Helper()
			if st, body := ir.do("POST", "/api/v1/rooms/damascus/reports/"+from+"/links", map[string]any{"kind": "repeats", "target": to}); st != http.StatusCreated {
				t.Fatalf("link: %d %s", st, body)
			}
		}
		chain := func(from, to string, via ...string) {
			t.Helper()
			for _, v := range via {
				link(from, v)
				from = v
			}
			link(from, to)
		}
		// a and b are shared; SY proposes a cites b.
		a, b := create("shared a", false), create("shared b", false)
		refusal := func() string {
			t.Helper()
			st, body := sy.do("POST", "/api/v1/rooms/damascus/reports/"+a+"/links", map[string]any{"kind": "cites", "target": b})
			if st != http.StatusUnprocessableEntity {
				t.Fatalf("closing the cycle: %d %s; want 422", st, body)
			}
			for _, id := range hiddenIDs {
				if strings.Contains(string(body), id) {
					t.Errorf("refusal names hidden report %s: %s", id, body)
				}
			}
			if strings.Contains(string(body), "hidden") {
				t.Errorf("refusal names a hidden report's title: %s", body)
			}
			return string(body)
		}
		// Three hidden reports between b and a first, then one (the
		// shortest chain, found first from then on).
		chain(b, a, create("hidden one", true), create("hidden two", true), create("hidden three", true))
		three := refusal()
		chain(b, a, create("hidden four", true))
		one := refusal()
		if one != three {
			t.Errorf("refusals differ with the chain behind them:\n1 hidden: %s\n3 hidden: %s", one, three)
		}
		want := "provenance cycle: " + a + " cites " + b + " would close a cycle, because " + b + " already derives from " + a + " through reports of this room"
		if !strings.Contains(one, want) {
			t.Errorf("refusal %s; want %q", one, want)
		}
		// A longer chain of shared reports is one SY can find among the
		// links it sees: the refusal names it.
		v1, v2 := create("shared v1", false), create("shared v2", false)
		chain(b, a, v1, v2)
		if got, want := refusal(), a+" cites "+b+" which repeats "+v1+" which repeats "+v2+" which repeats "+a; !strings.Contains(got, want) {
			t.Errorf("refusal %s; want the visible chain %q", got, want)
		}
	})
}

// TestAPIKeepsVersions edits a report twice: every version stays readable,
// and a stale edit is refused.
func TestAPIKeepsVersions(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		d := loadDemo(t, db)
		base := serve(t, d)
		hz := login(t, base, "hz.officer")
		id := d.ids.Reports["r2"]
		var r map[string]any
		_, body := hz.do("GET", "/api/v1/rooms/damascus/reports/"+id, nil)
		if err := json.Unmarshal(body, &r); err != nil {
			t.Fatal(err)
		}
		edit := func(version int, title string) (int, []byte) {
			return hz.do("PUT", "/api/v1/rooms/damascus/reports/"+id, map[string]any{"version": version, "title": title, "text": r["text"],
				"source": r["source"], "credibility": 2, "observed": r["observed"], "marking": map[string]any{"tlp": "GREEN"}})
		}
		for v, title := range []string{"second", "third"} {
			if st, body := edit(v+1, title); st != http.StatusOK {
				t.Fatalf("edit %d: %d %s", v+1, st, body)
			}
		}
		if st, body := edit(1, "stale"); st != http.StatusConflict {
			t.Errorf("stale edit: %d %s; want 409", st, body)
		}
		var vs []struct {
			Version     int
			Title       string
			Credibility int
			EditedBy    string `json:"edited_by"`
		}
		_, body = hz.do("GET", "/api/v1/rooms/damascus/reports/"+id+"/versions", nil)
		if err := json.Unmarshal(body, &vs); err != nil {
			t.Fatal(err)
		}
		if len(vs) != 3 || vs[0].Title != r["title"] || vs[0].Credibility != 3 || vs[1].Title != "second" || vs[2].Title != "third" || vs[2].Version != 3 {
			t.Errorf("versions %+v; want the original, second and third", vs)
		}
		// Someone else's partner may not edit the report.
		sy := login(t, base, "sy.officer")
		if st, _ := sy.do("PUT", "/api/v1/rooms/damascus/reports/"+id, map[string]any{"version": 3, "title": "x", "text": "x", "source": r["source"], "credibility": 2}); st != http.StatusForbidden {
			t.Errorf("SY editing HZ's report: %d; want 403", st)
		}
		// A source's grade changes keep their history; only the partner that
		// shared the source regrades it.
		ru := login(t, base, "ru.general")
		src, _ := r["source"].(string)
		if st, body := ru.do("POST", "/api/v1/rooms/damascus/sources/"+src+"/grade", map[string]any{"reliability": "E", "reason": "contradicted twice"}); st != http.StatusOK {
			t.Errorf("regrade: %d %s", st, body)
		}
		if st, _ := sy.do("POST", "/api/v1/rooms/damascus/sources/"+src+"/grade", map[string]any{"reliability": "A", "reason": "x"}); st != http.StatusForbidden {
			t.Errorf("SY regrading RU's source: %d; want 403", st)
		}
		var grades []struct{ Reliability string }
		_, body = ru.do("GET", "/api/v1/rooms/damascus/sources/"+src+"/grades", nil)
		if err := json.Unmarshal(body, &grades); err != nil || len(grades) != 2 || grades[0].Reliability != "F" || grades[1].Reliability != "E" {
			t.Errorf("grade history %s; want F then E", body)
		}
		// Search finds the current title, not the old one.
		var page struct {
			Hits []struct{ Report struct{ ID string } }
		}
		_, body = hz.do("GET", "/api/v1/rooms/damascus/search?q=third", nil)
		if err := json.Unmarshal(body, &page); err != nil || len(page.Hits) != 1 || page.Hits[0].Report.ID != id {
			t.Errorf("search for the new title: %s", body)
		}
	})
}

package cli

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/opsroom/opsroom/internal/apitest"
	"github.com/opsroom/opsroom/internal/demo"
	"github.com/opsroom/opsroom/internal/store"
	"github.com/opsroom/opsroom/internal/store/storetest"
)

// refsWorld is the demo with, in damascus, items only partner RU may see
// and items every partner sees that reference them, one for each kind of
// reference. B (ir.commander, partner IR) must read no ID or title of the
// hidden ones on any path.
type refsWorld struct {
	t      *testing.T
	svc    *Services
	url    string
	a, b   *apitest.Client
	hidden map[string]string // what B may not read: ID or title -> what it is
	ids    map[string]string // name -> ID
}

var (
	onlyRU = map[string]any{"tlp": "GREEN", "releasable_to": []string{"RU"}}
	green  = map[string]any{"tlp": "GREEN"}
)

func (w *refsWorld) create(name, path string, in map[string]any, hidden bool) string {
	w.t.Helper()
	var out struct {
		ID string `json:"id"`
	}
	res := w.a.Do("POST", path, in)
	if res.Status != http.StatusCreated && res.Status != http.StatusOK {
		w.t.Fatalf("create %s: %d %s", name, res.Status, res.Body)
	}
	res.JSON(w.t, &out)
	w.ids[name] = out.ID
	if hidden {
		w.hidden[out.ID] = name + " (ID)"
		for _, k := range []string{"title", "name"} {
			if s, ok := in[k].(string); ok {
				w.hidden[s] = name + " (" + k + ")"
			}
		}
	}
	return out.ID
}

// check fails if b names a hidden item.
func (w *refsWorld) check(where string, b []byte) {
	w.t.Helper()
	for s, what := range w.hidden {
		if bytes.Contains(b, []byte(s)) {
			w.t.Errorf("%s: B reads %s: %s", where, what, excerpt(b, s))
		}
	}
}

func excerpt(b []byte, s string) string {
	i := bytes.Index(b, []byte(s))
	lo, hi := max(0, i-200), min(len(b), i+len(s)+200)
	return string(b[lo:hi])
}

// stream reads B's stream of damascus for d (after lastID when set:
// a replay).
func (w *refsWorld) stream(d time.Duration, lastID string) []byte {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", w.url+"/api/v1/rooms/damascus/stream", nil)
	req.Header.Set("Accept", "text/event-stream")
	if lastID != "" {
		req.Header.Set("Last-Event-ID", lastID)
	}
	res, err := w.b.HTTP.Do(req)
	if err != nil {
		w.t.Fatal(err)
	}
	defer res.Body.Close()
	var out bytes.Buffer
	_, _ = io.Copy(&out, bufio.NewReader(res.Body)) // ends at the deadline
	return out.Bytes()
}

// TestReferencesFiltered: for every kind of reference from one item to
// another (a claim's reports and event, a report's source, a provenance
// link, an event's links, a site notice's site, an RFI's answers, a watch
// log entry's item, the audit trail's objects), an item partner IR may
// see that names one only partner RU may see reaches IR without the
// hidden item's ID or title, on the generic item endpoints, the kind's
// endpoints and lists, the live stream and its replay, the exports and
// the audit list. It includes the regression for the first finding: a
// TLP:GREEN claim supported by a report released only to RU, whose ID
// the generic endpoints and the stream used to show to every partner.
func TestReferencesFiltered(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		svc, srv := demoServer(t, db)
		w := &refsWorld{t: t, svc: svc, url: srv.URL, hidden: map[string]string{}, ids: map[string]string{},
			a: apitest.Login(t, srv.URL, "ru.general", demo.Password), b: apitest.Login(t, srv.URL, "ir.commander", demo.Password)}
		// The director of damascus (RU) logs reports graded B2 or better.
		if res := w.a.Do("PATCH", "/api/v1/rooms/damascus", map[string]any{"log_grade": "B2"}); res.Status != http.StatusOK {
			t.Fatalf("log grade: %d %s", res.Status, res.Body)
		}

		// B follows the room live while RU writes.
		live := make(chan []byte)
		go func() { live <- w.stream(6*time.Second, "") }()
		time.Sleep(300 * time.Millisecond)

		const room = "/api/v1/rooms/damascus"
		srcOpen := w.create("open source", room+"/sources", map[string]any{"name": "Open outlet", "kind": "outlet", "reliability": "B", "marking": green}, false)
		srcHidden := w.create("hidden source", room+"/sources", map[string]any{"name": "CANARY hidden source", "kind": "outlet", "reliability": "C", "marking": onlyRU}, true)
		repHidden := w.create("hidden report", room+"/reports", map[string]any{"title": "CANARY hidden report", "text": "x", "source": srcOpen, "credibility": 3, "marking": onlyRU}, true)
		repOpen := w.create("open report", room+"/reports", map[string]any{"title": "Open report", "text": "y", "source": srcHidden, "credibility": 3, "marking": green}, false)
		// An unnamed source everyone sees, cited by the hidden outlet.
		unnamed := w.create("unnamed source", room+"/sources", map[string]any{"name": "Unnamed official", "kind": "unnamed-via-outlet", "cited_by": srcHidden,
			"reliability": "C", "marking": green}, false)
		// RU regrades it: the change names the outlet to RU only.
		if res := w.a.Do("POST", room+"/sources/"+unnamed+"/grade", map[string]any{"reliability": "D", "reason": "r"}); res.Status != http.StatusOK {
			t.Fatalf("regrade: %d %s", res.Status, res.Body)
		}
		// A report whose first version cited the hidden source.
		repVersioned := w.create("report edited", room+"/reports", map[string]any{"title": "Edited report", "text": "v1", "source": srcHidden, "credibility": 3, "marking": green}, false)
		if res := w.a.Do("PUT", room+"/reports/"+repVersioned, map[string]any{"title": "Edited report", "text": "v2", "source": srcOpen, "credibility": 3,
			"marking": green, "version": 1}); res.Status != http.StatusOK {
			t.Fatalf("edit: %d %s", res.Status, res.Body)
		}
		evOpen := w.create("open event", room+"/events", map[string]any{"title": "Open event", "event_kind": "strike", "start": "2015-10-01T00:00:00Z", "end": "2015-10-01T01:00:00Z", "marking": green}, false)
		evHidden := w.create("hidden event", room+"/events", map[string]any{"title": "CANARY hidden event", "event_kind": "strike", "start": "2015-10-01T00:00:00Z", "end": "2015-10-01T01:00:00Z", "marking": onlyRU}, true)
		// The finding: a GREEN claim supported by a report released to RU only.
		claim := w.create("claim", room+"/claims", map[string]any{"event": evOpen, "actor": "RU MoD", "proposition": "the strikes hit IS targets", "stance": "asserts",
			"supporting": []string{repOpen, repHidden}, "marking": green}, false)
		claimHiddenEvent := w.create("claim about a hidden event", room+"/claims", map[string]any{"event": evHidden, "actor": "US", "proposition": "p", "stance": "denies",
			"supporting": []string{repOpen}, "marking": green}, false)
		linked := w.create("event with links", room+"/events", map[string]any{"title": "Linked event", "event_kind": "strike", "start": "2015-10-01T00:00:00Z", "end": "2015-10-01T01:00:00Z",
			"links": []string{repHidden, repOpen}, "marking": green}, false)
		if res := w.a.Do("POST", room+"/reports/"+repOpen+"/links", map[string]any{"kind": "cites", "target": repHidden}); res.Status != http.StatusCreated && res.Status != http.StatusOK {
			t.Fatalf("link: %d %s", res.Status, res.Body)
		}
		siteHidden := w.create("hidden site", "/api/v1/rooms/damascus/sites", map[string]any{"title": "CANARY hidden site", "category": "hospital",
			"geometry": json.RawMessage(`{"type":"Point","coordinates":[36.3,33.5]}`), "marking": onlyRU}, true)
		notice := w.create("site notice", "/api/v1/rooms/damascus/site-notices", map[string]any{"site": siteHidden, "marking": green}, false)
		var rfi struct {
			ID string `json:"id"`
		}
		w.b.Post(room+"/rfis", map[string]any{"question": "What was hit?", "assignee": "RU", "deadline": time.Now().Add(time.Hour).UTC(), "marking": green}, &rfi)
		if res := w.a.Do("POST", "/api/v1/rfis/"+rfi.ID+"/answer", map[string]any{"items": []string{repHidden, repOpen}}); res.Status != http.StatusOK {
			t.Fatalf("answer: %d %s", res.Status, res.Body)
		}
		// A B2 report logs an entry as wide as the report and its source
		// (GREEN); the report then narrows to RU, and the entry with it.
		repNarrowed := w.create("report narrowed later", room+"/reports", map[string]any{"title": "CANARY narrowed report", "text": "z", "source": srcOpen, "credibility": 2, "marking": green}, false)
		var rep struct {
			Version int `json:"version"`
		}
		w.a.Get(room+"/reports/"+repNarrowed, &rep)
		if res := w.a.Do("PUT", room+"/reports/"+repNarrowed, map[string]any{"title": "CANARY narrowed report", "text": "z", "source": srcOpen, "credibility": 2,
			"marking": onlyRU, "version": rep.Version}); res.Status != http.StatusOK {
			t.Fatalf("narrow: %d %s", res.Status, res.Body)
		}
		// Two claims contest an event, which logs an entry naming it; the
		// event then narrows to RU, and the entry with it.
		evLater := w.create("event narrowed later", room+"/events", map[string]any{"title": "CANARY contested event", "event_kind": "strike",
			"start": "2015-10-02T00:00:00Z", "end": "2015-10-02T01:00:00Z", "marking": green}, false)
		for _, stance := range []string{"asserts", "denies"} {
			w.create("claim "+stance, room+"/claims", map[string]any{"event": evLater, "actor": "actor " + stance, "proposition": "q", "stance": stance, "marking": green}, false)
		}
		var ev struct {
			Version int `json:"version"`
		}
		w.a.Get("/api/v1/events/"+evLater, &ev)
		if res := w.a.Do("PUT", "/api/v1/events/"+evLater, map[string]any{"title": "CANARY contested event", "event_kind": "strike",
			"start": "2015-10-02T00:00:00Z", "end": "2015-10-02T01:00:00Z", "marking": onlyRU, "version": ev.Version}); res.Status != http.StatusOK {
			t.Fatalf("narrow the event: %d %s", res.Status, res.Body)
		}
		narrowed := []string{repNarrowed, "CANARY narrowed report", evLater, "CANARY contested event"}
		for _, s := range narrowed {
			w.hidden[s] = "an item narrowed later: " + s
		}
		var entries struct {
			Items []struct {
				Text string `json:"text"`
			} `json:"items"`
		}
		w.a.Get(room+"/log?limit=500", &entries)
		logged := 0
		for _, e := range entries.Items {
			if strings.Contains(e.Text, "CANARY") {
				logged++
			}
		}
		if logged != 2 {
			t.Errorf("RU reads %d entries about the narrowed items; want 2: %+v", logged, entries)
		}

		// What B may see of each still shows what it may see.
		var c struct {
			Event      string   `json:"event"`
			Supporting []string `json:"supporting"`
		}
		w.b.Get(room+"/claims/"+claim, &c)
		if c.Event != evOpen || len(c.Supporting) != 1 || c.Supporting[0] != repOpen {
			t.Errorf("B's claim: %+v; want event %s and supporting [%s]", c, evOpen, repOpen)
		}
		var it struct {
			Body struct {
				Event      string   `json:"event"`
				Supporting []string `json:"supporting"`
			} `json:"body"`
		}
		w.b.Get("/api/v1/items/"+claim, &it)
		if it.Body.Event != evOpen || len(it.Body.Supporting) != 1 || it.Body.Supporting[0] != repOpen {
			t.Errorf("B's claim through /items: %+v", it.Body)
		}
		w.a.Get("/api/v1/items/"+claim, &it)
		if len(it.Body.Supporting) != 2 {
			t.Errorf("A's claim through /items lost a report it may see: %+v", it.Body)
		}

		for _, path := range []string{
			"/api/v1/items/" + claim, "/api/v1/items/" + claimHiddenEvent, "/api/v1/items/" + repOpen, "/api/v1/items/" + linked, "/api/v1/items/" + notice,
			room + "/items", room + "/items?kind=claim", room + "/items?kind=report", room + "/items?kind=log-entry", room + "/items?limit=500",
			room + "/claims/" + claim, room + "/claims/" + claimHiddenEvent, room + "/events/" + evOpen + "/claims", room + "/events/" + evOpen + "/board",
			room + "/reports/" + repOpen, room + "/reports?limit=500", room + "/reports/" + repOpen + "/links", room + "/reports/" + repOpen + "/versions", room + "/sources/" + unnamed, room + "/sources?limit=500", "/api/v1/items/" + unnamed, room + "/reports/" + repVersioned + "/versions",
			room + "/search?q=CANARY", room + "/search?q=report",
			"/api/v1/events/" + linked, room + "/events?limit=500", "/api/v1/site-notices/" + notice, room + "/site-notices",
			"/api/v1/rfis/" + rfi.ID, room + "/rfis", room + "/log?limit=500", room + "/conflicts",
			room + "/export.geojson", room + "/export.kml", room + "/picture",
		} {
			res := w.b.Do("GET", path, nil)
			if res.Status != http.StatusOK {
				t.Errorf("GET %s: %d %s", path, res.Status, res.Body)
			}
			w.check("GET "+path, res.Body)
		}
		w.checkAudit(claim)

		// The exchange export as B.
		pb, err := svc.Members.AsMember(ctx, "ir.commander", "test")
		if err != nil {
			t.Fatal(err)
		}
		doc, err := svc.Exchanger().Export(ctx, pb, []string{"damascus"})
		if err != nil {
			t.Fatal(err)
		}
		b, _ := json.Marshal(doc)
		w.check("exchange export", b)

		// The narrowed items reached B live while B could see them.
		got := <-live
		for _, s := range narrowed {
			delete(w.hidden, s)
		}
		w.check("live stream", got)
		for _, s := range narrowed {
			w.hidden[s] = "an item narrowed later: " + s
		}
		replay := w.stream(time.Second, "0")
		if !bytes.Contains(replay, []byte(claim)) {
			t.Errorf("B's replay misses the claim it may see")
		}
		w.check("stream replay", replay)
	})
}

// checkAudit: the director (RU) reads the room's audit list, which
// keeps the records of a note only B may read without naming the note.
func (w *refsWorld) checkAudit(claim string) {
	w.t.Helper()
	var note struct {
		ID string `json:"id"`
	}
	w.b.Post("/api/v1/rooms/damascus/notes", map[string]any{"title": "CANARY eyes only", "text": "x",
		"marking": map[string]any{"tlp": "RED", "recipients": []string{"ir.commander"}}}, &note)
	res := w.a.Do("GET", "/api/v1/audit?room=damascus&limit=500", nil)
	if res.Status != http.StatusOK {
		w.t.Fatalf("audit list: %d %s", res.Status, res.Body)
	}
	if bytes.Contains(res.Body, []byte(note.ID)) {
		w.t.Errorf("the director's audit list names a note only B may read: %s", excerpt(res.Body, note.ID))
	}
	if !bytes.Contains(res.Body, []byte(claim)) || !bytes.Contains(res.Body, []byte("note.create")) {
		w.t.Errorf("the director's audit list lost records it may read")
	}
}

// TestMigrationMovesReferencesOutOfBodies: the statements of migration
// 0010 that rewrite existing rows take a claim's event and reports and a
// report's source out of items.body (as earlier versions wrote them) and
// leave the rest of the body; the generic endpoint then shows the
// references through the kind's hook, filtered.
func TestMigrationMovesReferencesOutOfBodies(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		svc := NewServices(db)
		if _, err := svc.LoadDemo(ctx); err != nil {
			t.Fatal(err)
		}
		ids, err := store.Strings(ctx, db, `SELECT item_id FROM claims ORDER BY item_id LIMIT 1`)
		if err != nil || len(ids) == 0 {
			t.Fatalf("no claim in the demo: %v", err)
		}
		claim := ids[0]
		old := `{"actor":"A","proposition":"p","stance":"asserts","statement":"","event":"E","supporting":["R1"],"disputing":["R2"]}`
		if err := db.Write(ctx, func(tx *store.Tx) error {
			_, err := tx.Exec(ctx, `UPDATE items SET body = ? WHERE id = ?`, old, claim)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile("../store/migrations/" + string(db.Engine()) + "/0010_references.sql")
		if err != nil {
			t.Fatal(err)
		}
		for _, stmt := range strings.Split(string(b), ";") {
			var lines []string
			for _, l := range strings.Split(stmt, "\n") {
				if !strings.HasPrefix(strings.TrimSpace(l), "--") {
					lines = append(lines, l)
				}
			}
			if stmt = strings.TrimSpace(strings.Join(lines, "\n")); strings.HasPrefix(stmt, "UPDATE items SET body") {
				if err := db.Write(ctx, func(tx *store.Tx) error { _, err := tx.Exec(ctx, stmt); return err }); err != nil {
					t.Fatalf("%s: %v", stmt, err)
				}
			}
		}
		var body string
		if err := store.Scan(db.QueryRow(ctx, `SELECT body FROM items WHERE id = ?`, claim), &body); err != nil {
			t.Fatal(err)
		}
		var got map[string]any
		if err := json.Unmarshal([]byte(body), &got); err != nil {
			t.Fatal(err)
		}
		for _, k := range []string{"event", "supporting", "disputing"} {
			if _, ok := got[k]; ok {
				t.Errorf("the body keeps %s: %s", k, body)
			}
		}
		if got["actor"] != "A" || got["proposition"] != "p" {
			t.Errorf("the body lost its own fields: %s", body)
		}
		n, err := store.Strings(ctx, db, `SELECT id FROM items WHERE kind IN ('claim', 'report') AND (body LIKE '%"supporting"%' OR body LIKE '%"source"%')`)
		if err != nil || len(n) > 0 {
			t.Errorf("bodies still naming references: %v %v", n, err)
		}
	})
}

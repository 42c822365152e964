package ops

import (
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
	"github.com/opsroom/opsroom/internal/intel"
	"github.com/opsroom/opsroom/internal/item"
	"github.com/opsroom/opsroom/internal/picture"
	"github.com/opsroom/opsroom/internal/room"
	"github.com/opsroom/opsroom/internal/store"
	"github.com/opsroom/opsroom/internal/store/storetest"
)

// intelWorld is the world with the intelligence service and the picture
// wired to the watch log and deconfliction as internal/cli wires them.
type intelWorld struct {
	*world
	intel *intel.Service
	pic   *picture.Service
	h     http.Handler
}

func newIntelWorld(t *testing.T, db *store.DB) *intelWorld {
	w := &intelWorld{world: newWorld(t, db)}
	items := item.NewService(db, w.rooms, w.bus)
	w.intel = intel.NewService(db, w.rooms, items, w.bus)
	w.intel.OnSignificant = func(ctx context.Context, tx *store.Tx, e intel.Significant) error {
		m, ok := access.Meet(e.About...)
		if !ok {
			return nil
		}
		return AutoLog(ctx, tx, w.bus, AutoEntry{RoomID: e.RoomID, Text: e.Text, Marking: m, Owner: e.Owner, Author: e.Author, SourceKind: e.Kind, SourceID: e.ID})
	}
	w.pic = picture.NewService(db, w.rooms, w.bus)
	w.pic.OnSiteChange = w.s.SiteChanged
	srv := httpapi.New(&httpapi.Server{DB: db, Members: w.members, Rooms: w.rooms, Items: items, Bus: w.bus,
		Extra: []func(*httpapi.API){w.s.Routes, w.intel.Routes}}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	w.h = srv.Handler()
	return w
}

// logTexts returns the texts of the room's watch log entries starting
// with prefix, as p reads them through the API.
func (w *intelWorld) logTexts(t *testing.T, p access.Principal, slug, prefix string) []string {
	t.Helper()
	req := httptest.NewRequest("GET", "/api/v1/rooms/"+slug+"/log?limit=500", nil)
	req = req.WithContext(httpapi.WithPrincipal(context.Background(), p))
	rec := httptest.NewRecorder()
	w.h.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK {
		t.Fatalf("log as %s: %d %s", p.Username, rec.Code, rec.Body)
	}
	var page struct {
		Items []LogEntry `json:"items"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &page); err != nil {
		t.Fatal(err)
	}
	out := []string{}
	for _, e := range page.Items {
		if strings.HasPrefix(e.Text, prefix) {
			if !e.Automatic {
				t.Errorf("entry %q is not automatic", e.Text)
			}
			out = append(out, e.Text)
		}
	}
	return out
}

func setLogGrade(t *testing.T, w *intelWorld, slug, grade string) {
	t.Helper()
	if _, err := w.rooms.UpdateRoom(context.Background(), access.System, slug, room.RoomPatch{LogGrade: &grade}); err != nil {
		t.Fatal(err)
	}
}

// In a room whose log grade is B2, a B2 report is entered in the watch
// log and a C3 one is not; regrading its source to B enters the report
// that is now B2 once; raising a report's credibility to 2 enters it. Each
// entry is shown only to those who may see both the report and its
// source.
func TestReportsAtLogGradeAreLogged(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		w := newIntelWorld(t, db)
		setLogGrade(t, w, "damascus", "B2")
		ir, ru, hz := w.as(t, "ir.commander"), w.as(t, "ru.general"), w.as(t, "hz.officer")
		src := func(name, rel string, m item.Marking) string {
			t.Helper()
			s, err := w.intel.CreateSource(ctx, ir, "damascus", intel.NewSource{Name: name, Kind: "partner-collection", Reliability: rel, Marking: m})
			if err != nil {
				t.Fatal(err)
			}
			return s.ID
		}
		report := func(title, source string, cred int, m item.Marking) intel.SharedReport {
			t.Helper()
			r, err := w.intel.CreateReport(ctx, ir, "damascus", intel.NewReport{Title: title, Text: title, Source: source, Credibility: cred, Marking: m})
			if err != nil {
				t.Fatal(err)
			}
			return r
		}
		irOnly := item.Marking{TLP: "AMBER", ReleasableTo: []string{"IR", "RU"}}
		collection := src("IR field collection", "B", item.Marking{TLP: "GREEN"})
		outlet := src("Al-Rai", "C", item.Marking{TLP: "GREEN"})
		report("Strikes on Talbiseh", collection, 2, irOnly)
		report("Convoy seen near Rastan", outlet, 3, irOnly)
		want := []string{"Report B2 from IR field collection: Strikes on Talbiseh"}
		if got := w.logTexts(t, ru, "damascus", "Report "); strings.Join(got, "|") != strings.Join(want, "|") {
			t.Fatalf("RU's log: %q, want %q", got, want)
		}
		if got := w.logTexts(t, hz, "damascus", "Report "); len(got) != 0 {
			t.Fatalf("HZ may not see the report but sees %q", got)
		}

		// Al-Rai regraded to B: the C3 report is now B3 (not entered), a C2
		// one is now B2 (entered, once: a further regrade to A adds nothing).
		report("Rebels withdraw from Rastan", outlet, 2, irOnly)
		for _, rel := range []string{"B", "A"} {
			if _, err := w.intel.RegradeSource(ctx, ir, "damascus", outlet, intel.Regrade{Reliability: rel, Reason: "checked against imagery"}); err != nil {
				t.Fatal(err)
			}
		}
		want = append(want, "Report B2 from Al-Rai: Rebels withdraw from Rastan")
		if got := w.logTexts(t, ir, "damascus", "Report "); strings.Join(got, "|") != strings.Join(want, "|") {
			t.Fatalf("after regrading: %q, want %q", got, want)
		}

		// A report's credibility raised from 4 to 2 is entered once; a
		// later edit that keeps it at B2 adds nothing.
		r := report("Airfield at Hama busy", collection, 4, irOnly)
		for i, cred := range []int{2, 1} {
			patch := intel.ReportPatch{NewReport: intel.NewReport{Title: r.Title, Text: r.Text, Source: collection, Credibility: cred, Marking: irOnly}, Version: 1 + i}
			if _, err := w.intel.UpdateReport(ctx, ir, "damascus", r.ID, patch); err != nil {
				t.Fatal(err)
			}
		}
		want = append(want, "Report B2 from IR field collection: Airfield at Hama busy")
		if got := w.logTexts(t, ru, "damascus", "Report "); strings.Join(got, "|") != strings.Join(want, "|") {
			t.Fatalf("after editing: %q, want %q", got, want)
		}

		// A source only IR may see: its report, shared wider, is entered
		// for IR alone (the entry names the source and its grade).
		secret := src("IR agent in Homs", "A", item.Marking{TLP: "AMBER", ReleasableTo: []string{"IR"}})
		report("Checkpoint moved", secret, 1, item.Marking{TLP: "GREEN"})
		if got := w.logTexts(t, ir, "damascus", "Report A1"); len(got) != 1 || got[0] != "Report A1 from IR agent in Homs: Checkpoint moved" {
			t.Fatalf("IR's entry: %q", got)
		}
		if got := w.logTexts(t, ru, "damascus", "Report A1"); len(got) != 0 {
			t.Fatalf("RU may not see the source but sees %q", got)
		}

		// A room without a log grade enters no report.
		setLogGrade(t, w, "damascus", "")
		report("Another strike", collection, 1, irOnly)
		if got := w.logTexts(t, ir, "damascus", "Report "); len(got) != 4 {
			t.Fatalf("with no log grade: %q", got)
		}
	})
}

// An event whose claims come to assert and deny the same proposition is
// entered once as contested, for those who may see the event and both
// claims.
func TestContestedEventIsLoggedOnce(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		w := newIntelWorld(t, db)
		ru, ir, sy, hz := w.as(t, "ru.general"), w.as(t, "ir.commander"), w.as(t, "sy.officer"), w.as(t, "hz.officer")
		ev, err := w.pic.CreateEvent(ctx, ru, "damascus", picture.EventInput{Title: "Air strikes on Rastan", EventKind: "strike",
			Start: day(1), End: day(1), Geometry: point(36.68, 34.93)})
		if err != nil {
			t.Fatal(err)
		}
		claim := func(p access.Principal, actor, stance string, m item.Marking) {
			t.Helper()
			if _, err := w.intel.CreateClaim(ctx, p, "damascus", intel.NewClaim{Event: ev.ID, Actor: actor, Proposition: "The strikes hit IS targets",
				Stance: stance, Marking: m}); err != nil {
				t.Fatal(err)
			}
		}
		claim(ru, "RU MoD", "asserts", item.Marking{TLP: "GREEN"})
		claim(sy, "Syrian state TV", "asserts", item.Marking{TLP: "GREEN"})
		if got := w.logTexts(t, ru, "damascus", "Event "); len(got) != 0 {
			t.Fatalf("uncontested event logged: %q", got)
		}
		claim(ir, "Local activists", "denies", item.Marking{TLP: "AMBER", ReleasableTo: []string{"IR", "RU"}})
		claim(sy, "Rebel groups", "denies", item.Marking{TLP: "GREEN"})
		want := `Event Air strikes on Rastan is now contested: "The strikes hit IS targets" is asserted by RU MoD and denied by Local activists`
		for _, p := range []access.Principal{ru, ir} {
			if got := w.logTexts(t, p, "damascus", "Event "); len(got) != 1 || got[0] != want {
				t.Fatalf("%s's log: %q", p.Username, got)
			}
		}
		// SY and HZ may not see the denial named in the entry.
		for _, p := range []access.Principal{sy, hz} {
			if got := w.logTexts(t, p, "damascus", "Event "); len(got) != 0 {
				t.Fatalf("%s sees %q", p.Username, got)
			}
		}
	})
}

// A protected site created, moved, unprotected and protected again
// through the picture: conflicts with another partner's operation are
// raised, resolved as adjusted when the overlap goes, and as withdrawn
// when the site stops being protected.
func TestSiteChangesRecheckConflicts(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		w := newIntelWorld(t, db)
		ru, ir := w.as(t, "ru.general"), w.as(t, "ir.commander")
		op, err := w.s.CreateOperation(ctx, ir, "baghdad", OperationInput{Name: "Erbil sweep", Area: square(43.9, 36.1, 0.2), Window: window(20, 25)})
		if err != nil {
			t.Fatal(err)
		}
		statuses := func() map[string]int {
			t.Helper()
			cs, err := w.s.Conflicts(ctx, ir, "baghdad", ConflictQuery{Item: op.ID})
			if err != nil {
				t.Fatal(err)
			}
			out := map[string]int{}
			for _, c := range cs {
				out[c.Status]++
			}
			return out
		}
		in := picture.SiteInput{Title: "Erbil aid distribution site", Category: "aid", Protected: true, Geometry: point(44.009, 36.191)}
		site, err := w.pic.CreateSite(ctx, ru, "baghdad", in)
		if err != nil {
			t.Fatal(err)
		}
		if got := statuses(); got["open"] != 1 || len(got) != 1 {
			t.Fatalf("after creating the site: %v", got)
		}
		step := func(name string, change func(*picture.SiteInput), want map[string]int) {
			t.Helper()
			change(&in)
			in.Version = site.Version
			if site, err = w.pic.UpdateSite(ctx, ru, site.ID, in); err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			got := statuses()
			for k, v := range want {
				if got[k] != v {
					t.Fatalf("%s: conflicts %v, want %v", name, got, want)
				}
			}
		}
		step("renamed", func(in *picture.SiteInput) { in.Title = "Erbil aid site" }, map[string]int{"open": 1})
		step("moved away", func(in *picture.SiteInput) { in.Geometry = point(45.5, 35.5) }, map[string]int{"open": 0, "adjusted": 1})
		step("moved back", func(in *picture.SiteInput) { in.Geometry = point(44.0, 36.2) }, map[string]int{"open": 1, "adjusted": 1})
		step("unprotected", func(in *picture.SiteInput) { in.Protected = false }, map[string]int{"open": 0, "adjusted": 1, "withdrawn": 1})
		step("protected again", func(in *picture.SiteInput) { in.Protected = true }, map[string]int{"open": 1, "adjusted": 1, "withdrawn": 1})
		until := day(19)
		step("validity ends before the operation", func(in *picture.SiteInput) { in.ValidTo = &until }, map[string]int{"open": 0, "adjusted": 2, "withdrawn": 1})
		raised := w.logTexts(t, ir, "baghdad", "Conflict raised")
		resolved := w.logTexts(t, ir, "baghdad", "Conflict resolved")
		if len(raised) != 3 || len(resolved) != 3 {
			t.Fatalf("watch log: raised %q, resolved %q", raised, resolved)
		}
	})
}

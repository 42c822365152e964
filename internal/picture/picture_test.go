package picture

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/opsroom/opsroom/internal/access"
	"github.com/opsroom/opsroom/internal/bench"
	"github.com/opsroom/opsroom/internal/geo"
	"github.com/opsroom/opsroom/internal/item"
	"github.com/opsroom/opsroom/internal/live"
	"github.com/opsroom/opsroom/internal/store"
	"github.com/opsroom/opsroom/internal/store/storetest"
	"github.com/opsroom/opsroom/internal/validate"
)

var t0 = time.Date(2015, 9, 30, 12, 0, 0, 0, time.UTC)

func tp(t time.Time) *time.Time { return &t }
func fp(f float64) *float64     { return &f }

func point(lon, lat float64) json.RawMessage {
	b, _ := geo.Point{Lon: lon, Lat: lat}.Geometry().MarshalJSON()
	return b
}

func box(minLon, minLat, maxLon, maxLat float64) json.RawMessage {
	b, _ := geo.BBox{MinLon: minLon, MinLat: minLat, MaxLon: maxLon, MaxLat: maxLat}.Polygon().Geometry().MarshalJSON()
	return b
}

func newWorld(t *testing.T, db *store.DB) (*bench.World, *Service) {
	t.Helper()
	w, err := bench.NewWorld(t.Context(), db)
	if err != nil {
		t.Fatal(err)
	}
	return w, NewService(db, w.Rooms, live.NewBus())
}

func must[T any](t *testing.T) func(T, error) T {
	return func(v T, err error) T {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}

func ids[T identified](vs []T) []string {
	out := []string{}
	for _, v := range vs {
		out = append(out, v.itemID())
	}
	slices.Sort(out)
	return out
}

// TestSpaceTime: boxes, polygons, windows and moments select the same
// items on both engines, exactly at the edges (beyond the R*Tree's 32-bit
// floats).
func TestSpaceTime(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := t.Context()
		w, s := newWorld(t, db)
		p := w.People[0]
		// An edge value that float32 cannot hold: the R*Tree rounds it
		// outward, the exact test must still decide.
		const edge = 36.123456789
		in := must[Site](t)(s.CreateSite(ctx, p, "bench", SiteInput{Title: "inside", Category: "hospital", Protected: true, Geometry: point(edge, 35)}))
		out := must[Site](t)(s.CreateSite(ctx, p, "bench", SiteInput{Title: "outside", Geometry: point(40, 35)}))
		old := must[Site](t)(s.CreateSite(ctx, p, "bench", SiteInput{Title: "closed in 2014", Geometry: point(36.5, 35),
			ValidFrom: tp(time.Date(2014, 1, 1, 0, 0, 0, 0, time.UTC)), ValidTo: tp(time.Date(2014, 12, 31, 0, 0, 0, 0, time.UTC))}))
		area := must[Area](t)(s.CreateArea(ctx, p, "bench", AreaInput{Title: "sector", Geometry: box(36.4, 34.9, 36.6, 35.1)}))
		ev := must[Event](t)(s.CreateEvent(ctx, p, "bench", EventInput{Title: "strike", EventKind: "air strike", Start: t0.Add(-time.Hour), End: t0, Geometry: point(36.5, 35)}))
		nowhere := must[Event](t)(s.CreateEvent(ctx, p, "bench", EventInput{Title: "campaign", EventKind: "campaign", Start: t0.Add(-time.Hour), End: t0}))
		pl := must[Place](t)(s.CreatePlace(ctx, p, "bench", PlaceInput{Name: "Latamneh", Lat: fp(35.321), Lon: fp(36.623)}))

		cases := []struct {
			name string
			q    Query
			want []string
		}{
			{"box edge included", Query{BBox: &geo.BBox{MinLon: edge, MinLat: 34, MaxLon: 37, MaxLat: 36}, At: t0},
				[]string{in.ID, area.ID, ev.ID, pl.ID}},
			{"box edge excluded", Query{BBox: &geo.BBox{MinLon: edge + 1e-9, MinLat: 34, MaxLon: 37, MaxLat: 36}, At: t0},
				[]string{area.ID, ev.ID, pl.ID}},
			{"box max edge", Query{BBox: &geo.BBox{MinLon: 30, MinLat: 34, MaxLon: edge - 1e-9, MaxLat: 36}, At: t0}, []string{}},
			{"2014 moment", Query{BBox: &geo.BBox{MinLon: 36, MinLat: 34, MaxLon: 41, MaxLat: 36}, At: time.Date(2014, 6, 1, 0, 0, 0, 0, time.UTC)},
				[]string{in.ID, out.ID, old.ID, area.ID, pl.ID}},
			{"window over the event", Query{From: t0.Add(-2 * time.Hour), To: t0.Add(-90 * time.Minute)}, []string{in.ID, out.ID, area.ID, pl.ID}},
			{"window touching the event", Query{From: t0, To: t0.Add(time.Hour)}, []string{in.ID, out.ID, area.ID, ev.ID, nowhere.ID, pl.ID}},
			{"polygon", Query{Within: ptrGeom(geo.Polygon{{{Lon: 36.45, Lat: 34.95}, {Lon: 36.55, Lat: 34.95}, {Lon: 36.5, Lat: 35.05}, {Lon: 36.45, Lat: 34.95}}}.Geometry()), At: t0},
				[]string{area.ID, ev.ID}},
			{"polygon missing the point in its box", Query{Within: ptrGeom(geo.Polygon{{{Lon: 36.45, Lat: 34.95}, {Lon: 36.55, Lat: 34.95}, {Lon: 36.55, Lat: 34.99}, {Lon: 36.45, Lat: 34.95}}}.Geometry()), At: t0},
				[]string{area.ID}},
		}
		for _, c := range cases {
			pic, err := s.Picture(ctx, p, "bench", c.q)
			if err != nil {
				t.Fatalf("%s: %v", c.name, err)
			}
			got := append(append(append(ids(pic.Sites), ids(pic.Areas)...), ids(pic.Events)...), ids(pic.Places)...)
			slices.Sort(got)
			want := slices.Clone(c.want)
			slices.Sort(want)
			if !slices.Equal(got, want) {
				t.Errorf("%s: got %v, want %v", c.name, got, want)
			}
		}
		// The protected flag and the column types the deconfliction reads.
		var prot bool
		var cat string
		if err := store.Scan(db.QueryRow(ctx, `SELECT protected, category FROM sites WHERE item_id = ?`, in.ID), &prot, &cat); err != nil || !prot || cat != "hospital" {
			t.Errorf("sites row = %v %q %v", prot, cat, err)
		}
		// Stored as the engine's own truth value (1 on SQLite), so other
		// packages may write protected = 1 / WHERE protected.
		cond := "protected"
		if db.Engine() == store.SQLite {
			cond = "protected = 1"
		}
		var n int
		if err := store.Scan(db.QueryRow(ctx, `SELECT COUNT(*) FROM sites WHERE `+cond), &n); err != nil || n != 1 {
			t.Errorf("sites WHERE %s: %d, %v", cond, n, err)
		}
	})
}

func ptrGeom(g geo.Geometry) *geo.Geometry { return &g }

// TestTracksAtAndStale: the picture at a moment shows each track's last
// position at or before it, unless stale then; a window shows every
// position in it and the area.
func TestTracksAtAndStale(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := t.Context()
		w, s := newWorld(t, db)
		p := w.People[1]
		a := must[Track](t)(s.CreateTrack(ctx, p, "bench", TrackInput{Title: "patrol", UID: "a-1", Type: "a-f-G-U-C", StaleSeconds: 600}))
		b := must[Track](t)(s.CreateTrack(ctx, p, "bench", TrackInput{Title: "jet", UID: "b-1", Type: "a-h-A-M-F"}))
		must[BatchResult](t)(s.AppendPositions(ctx, p, a.ID, PositionBatch{Positions: []Position{
			{At: t0, Lon: 36.5, Lat: 35, Course: fp(90), Speed: fp(5)},
			{At: t0.Add(30 * time.Minute), Lon: 38, Lat: 35},
		}}))
		must[BatchResult](t)(s.AppendPositions(ctx, p, b.ID, PositionBatch{Positions: []Position{
			{At: t0.Add(-time.Hour), Lon: 36.6, Lat: 35.1, Stale: tp(t0.Add(5 * time.Minute))},
		}}))
		area := &geo.BBox{MinLon: 36, MinLat: 34, MaxLon: 37, MaxLat: 36}
		cases := []struct {
			name string
			q    Query
			want map[string]int // track id -> positions
		}{
			{"before anything", Query{At: t0.Add(-2 * time.Hour)}, map[string]int{}},
			{"both current", Query{At: t0.Add(time.Minute)}, map[string]int{a.ID: 1, b.ID: 1}},
			{"b stale exactly at its stale time", Query{At: t0.Add(5 * time.Minute)}, map[string]int{a.ID: 1}},
			{"a stale after 600 s", Query{At: t0.Add(11 * time.Minute)}, map[string]int{}},
			{"a moved out of the area", Query{At: t0.Add(31 * time.Minute), BBox: area}, map[string]int{}},
			{"a moved, anywhere", Query{At: t0.Add(31 * time.Minute)}, map[string]int{a.ID: 1}},
			{"window in the area", Query{From: t0.Add(-2 * time.Hour), To: t0.Add(2 * time.Hour), BBox: area}, map[string]int{a.ID: 1, b.ID: 1}},
			{"window anywhere", Query{From: t0.Add(-2 * time.Hour), To: t0.Add(2 * time.Hour)}, map[string]int{a.ID: 2, b.ID: 1}},
			{"window cut", Query{From: t0.Add(time.Second), To: t0.Add(2 * time.Hour)}, map[string]int{a.ID: 1}},
		}
		for _, c := range cases {
			pic, err := s.Picture(ctx, p, "bench", c.q)
			if err != nil {
				t.Fatalf("%s: %v", c.name, err)
			}
			got := map[string]int{}
			for _, tr := range pic.Tracks {
				got[tr.ID] = len(tr.Positions)
			}
			if fmt.Sprint(got) != fmt.Sprint(c.want) {
				t.Errorf("%s: got %v, want %v", c.name, got, c.want)
			}
		}
		pic := must[Picture](t)(s.Picture(ctx, p, "bench", Query{At: t0.Add(time.Minute)}))
		for _, tr := range pic.Tracks {
			if tr.ID == a.ID && (tr.Positions[0].Course == nil || *tr.Positions[0].Course != 90 || !tr.Positions[0].At.Equal(t0)) {
				t.Errorf("a's position = %+v", tr.Positions[0])
			}
		}
		// History pages in time order.
		h := must[History](t)(s.TrackHistory(ctx, p, a.ID, HistoryQuery{Limit: 1}))
		if len(h.Positions) != 1 || !h.Positions[0].At.Equal(t0) || h.NextCursor == "" {
			t.Fatalf("history page 1 = %+v", h)
		}
		h = must[History](t)(s.TrackHistory(ctx, p, a.ID, HistoryQuery{Limit: 1, Cursor: h.NextCursor}))
		if len(h.Positions) != 1 || !h.Positions[0].At.Equal(t0.Add(30*time.Minute)) {
			t.Fatalf("history page 2 = %+v", h)
		}
		// Truncation.
		pic = must[Picture](t)(s.Picture(ctx, p, "bench", Query{From: t0.Add(-2 * time.Hour), To: t0.Add(2 * time.Hour), MaxPositions: 2}))
		if !pic.Truncated {
			t.Error("3 positions with max 2: not truncated")
		}
	})
}

// TestWritesRefused: bad input names its fields and writes nothing;
// another partner may not change or extend what it does not own; a stale
// version is a conflict.
func TestWritesRefused(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := t.Context()
		w, s := newWorld(t, db)
		p, other := w.People[0], w.People[1] // different partners
		fieldsOf := func(err error) []string {
			var ve validate.Errors
			if !errors.As(err, &ve) {
				t.Fatalf("error %v is not validate.Errors", err)
			}
			var fs []string
			for _, f := range ve {
				fs = append(fs, f.Field)
			}
			return fs
		}
		_, err := s.CreateSite(ctx, p, "bench", SiteInput{Geometry: json.RawMessage(`{"type":"Point","coordinates":[200,0]}`), Marking: item.Marking{TLP: "PURPLE"}})
		if fs := fieldsOf(err); !slices.Contains(fs, "title") || !slices.Contains(fs, "marking.tlp") || len(fs) < 3 {
			t.Errorf("site fields = %v", fs)
		}
		_, err = s.CreateEvent(ctx, p, "bench", EventInput{Title: "x", EventKind: "k", Start: t0, End: t0.Add(-time.Second), Links: []string{"nope"}})
		if fs := fieldsOf(err); !slices.Contains(fs, "end") || !slices.Contains(fs, "links[0]") {
			t.Errorf("event fields = %v", fs)
		}
		_, err = s.CreateArea(ctx, p, "bench", AreaInput{Title: "x", Geometry: point(1, 1)})
		if fs := fieldsOf(err); !slices.Contains(fs, "geometry") {
			t.Errorf("area fields = %v", fs)
		}
		tr := must[Track](t)(s.CreateTrack(ctx, p, "bench", TrackInput{Title: "t", UID: "u", Type: "a-f-G"}))
		if _, err := s.CreateTrack(ctx, p, "bench", TrackInput{Title: "t", UID: "u", Type: "a-f-G"}); !errors.Is(err, store.ErrConflict) {
			t.Errorf("same uid twice: %v", err)
		}
		_, err = s.AppendPositions(ctx, p, tr.ID, PositionBatch{Positions: []Position{{Lon: 1, Lat: 95, Course: fp(360)}}})
		if fs := fieldsOf(err); !slices.Equal(fs, []string{"positions[0].at", "positions[0].lat", "positions[0].course"}) {
			t.Errorf("position fields = %v", fs)
		}
		if _, err := s.AppendPositions(ctx, other, tr.ID, PositionBatch{Positions: []Position{{At: t0, Lon: 1, Lat: 1}}}); !errors.Is(err, access.ErrForbidden) {
			t.Errorf("another partner appends: %v", err)
		}
		if _, err := s.UpdateTrack(ctx, other, tr.ID, TrackInput{Title: "t", UID: "u", Type: "a-f-G", Version: 1}); !errors.Is(err, access.ErrForbidden) {
			t.Errorf("another partner updates: %v", err)
		}
		up := must[Track](t)(s.UpdateTrack(ctx, p, tr.ID, TrackInput{Title: "renamed", UID: "u", Type: "a-f-G", Version: 1}))
		if up.Version != 2 || up.Title != "renamed" {
			t.Errorf("updated = %+v", up)
		}
		if _, err := s.UpdateTrack(ctx, p, tr.ID, TrackInput{Title: "again", UID: "u", Type: "a-f-G", Version: 1}); !errors.Is(err, store.ErrConflict) {
			t.Errorf("stale version: %v", err)
		}
		var n int
		if err := store.Scan(db.QueryRow(ctx, `SELECT COUNT(*) FROM items WHERE kind IN ('site', 'event', 'area')`), &n); err != nil || n != 0 {
			t.Errorf("refused writes left %d items (%v)", n, err)
		}
	})
}

// TestUpdateMovesIndex: a site moved by an update is found at its new
// place only.
func TestUpdateMovesIndex(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := t.Context()
		w, s := newWorld(t, db)
		p := w.People[0]
		site := must[Site](t)(s.CreateSite(ctx, p, "bench", SiteInput{Title: "depot", Geometry: point(10, 10)}))
		must[Site](t)(s.UpdateSite(ctx, p, site.ID, SiteInput{Title: "depot", Geometry: point(20, 20), Version: 1}))
		for _, c := range []struct {
			b    geo.BBox
			want int
		}{{geo.BBox{MinLon: 9, MinLat: 9, MaxLon: 11, MaxLat: 11}, 0}, {geo.BBox{MinLon: 19, MinLat: 19, MaxLon: 21, MaxLat: 21}, 1}} {
			pic := must[Picture](t)(s.Picture(ctx, p, "bench", Query{BBox: &c.b}))
			if len(pic.Sites) != c.want {
				t.Errorf("box %v: %d sites, want %d", c.b, len(pic.Sites), c.want)
			}
		}
	})
}

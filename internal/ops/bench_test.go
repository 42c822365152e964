package ops

import (
	"context"
	"fmt"
	"math/rand/v2"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/opsroom/opsroom/internal/geo"
	"github.com/opsroom/opsroom/internal/store"
	"github.com/opsroom/opsroom/internal/store/storetest"
	"github.com/opsroom/opsroom/internal/timespan"
)

// seedIndex writes n active footprints into one room, a third each
// operations, movements (routes with corridors) and protected sites,
// spread over Syria and Iraq (35-45 E, 30-38 N) with windows over one year.
// Rows are written directly (items row, kind row, index row) in batches:
// going through the service would check each against the others, which
// is not what is measured.
func seedIndex(b *testing.B, w *world, slug string, n int) {
	ctx := context.Background()
	rm, _, err := w.s.memberRoom(ctx, w.as(b, "ru.general"), slug)
	if err != nil {
		b.Fatal(err)
	}
	var owners, authors []string
	for _, u := range users {
		p := w.as(b, u)
		owners, authors = append(owners, p.PartnerID), append(authors, p.ID)
	}
	r := rand.New(rand.NewPCG(1, 2))
	year := time.Date(2015, 1, 1, 0, 0, 0, 0, time.UTC)
	type row []any
	var items, fps, sites, shapes, rtree []row
	flush := func(tx *store.Tx, table, cols string, rows []row) error {
		if len(rows) == 0 {
			return nil
		}
		ph := "(" + strings.TrimSuffix(strings.Repeat("?, ", len(rows[0])), ", ") + ")"
		var args []any
		for _, rr := range rows {
			args = append(args, rr...)
		}
		_, err := tx.Exec(ctx, `INSERT INTO `+table+` (`+cols+`) VALUES `+strings.TrimSuffix(strings.Repeat(ph+", ", len(rows)), ", "), args...)
		return err
	}
	write := func() {
		err := w.db.Write(ctx, func(tx *store.Tx) error {
			for _, f := range []struct {
				table, cols string
				rows        []row
			}{
				{"items", "id, room_id, kind, title, tlp, rel_restricted, owner_partner_id, created_by, created_at, updated_at, version, marking, body", items},
				{"ops_footprints", "part_id, item_id, room_id, owner_partner_id, kind, label, geometry, half_width, start_at, end_at, active, min_lon, min_lat, max_lon, max_lat", fps},
				{"sites", "item_id, category, protected, geometry, min_lon, min_lat, max_lon, max_lat, valid_start, valid_end", sites},
				{"picture_shapes", "id, item_id", shapes},
				{"picture_rtree", "id, min_lon, max_lon, min_lat, max_lat", rtree},
			} {
				if err := flush(tx, f.table, f.cols, f.rows); err != nil {
					return fmt.Errorf("%s: %w", f.table, err)
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
		items, fps, sites, shapes, rtree = nil, nil, nil, nil, nil
	}
	for i := range n {
		id := store.NewID()
		o := r.IntN(len(owners))
		lon, lat := 35+r.Float64()*10, 30+r.Float64()*8
		start := year.Add(time.Duration(r.IntN(365*24)) * time.Hour)
		end := start.Add(time.Duration(24+r.IntN(10*24)) * time.Hour)
		kind := []string{"operation", "movement", "site"}[i%3]
		items = append(items, row{id, rm.ID, kind, "x", "AMBER", false, owners[o], authors[o], 1, 1, 1, `{"tlp":"AMBER"}`, "{}"})
		var raw string
		var hw float64
		var bb geo.BBox
		switch kind {
		case "operation":
			d := 0.01 + r.Float64()*0.05
			raw = fmt.Sprintf(`{"type":"Polygon","coordinates":[[[%f,%f],[%f,%f],[%f,%f],[%f,%f]]]}`, lon, lat, lon+d, lat, lon+d, lat+d, lon, lat)
			bb = geo.BBox{MinLon: lon, MinLat: lat, MaxLon: lon + d, MaxLat: lat + d}
		case "movement":
			dx, dy := (r.Float64()-0.5)*0.1, (r.Float64()-0.5)*0.1
			raw = fmt.Sprintf(`{"type":"LineString","coordinates":[[%f,%f],[%f,%f]]}`, lon, lat, lon+dx, lat+dy)
			hw = 1000
			bb = grow(geo.BBox{MinLon: min(lon, lon+dx), MinLat: min(lat, lat+dy), MaxLon: max(lon, lon+dx), MaxLat: max(lat, lat+dy)}, hw)
		case "site":
			raw = fmt.Sprintf(`{"type":"Point","coordinates":[%f,%f]}`, lon, lat)
			bb = geo.BBox{MinLon: lon, MinLat: lat, MaxLon: lon, MaxLat: lat}
		}
		if kind == "site" {
			sites = append(sites, row{id, "aid", true, raw, bb.MinLon, bb.MinLat, bb.MaxLon, bb.MaxLat, store.Micros(start), store.Micros(end)})
			if w.db.Engine() == store.SQLite {
				shapes = append(shapes, row{i + 1, id})
				rtree = append(rtree, row{i + 1, bb.MinLon, bb.MaxLon, bb.MinLat, bb.MaxLat})
			}
		} else {
			fps = append(fps, row{id, id, rm.ID, owners[o], kind, "", raw, hw, store.Micros(start), store.Micros(end), 1, bb.MinLon, bb.MinLat, bb.MaxLon, bb.MaxLat})
		}
		if len(items) == 500 {
			write()
		}
	}
	write()
	if w.db.Engine() == store.Postgres {
		if err := w.db.Write(ctx, func(tx *store.Tx) error {
			_, err := tx.Exec(ctx, `ANALYZE`)
			return err
		}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCheckOperation measures checking one new operation (an area
// of about 0.1 x 0.1 degree, a window of 5 days) against 100,000 active
// operations, movements and protected sites of other partners in the
// room: the spatial index query, the window filter and the exact test.
// It reports the median and 99th percentile of the checks.
func BenchmarkCheckOperation(b *testing.B) {
	for _, engine := range storetest.Engines() {
		b.Run(string(engine), func(b *testing.B) {
			db := storetest.Open(b, engine)
			w := newWorld(b, db)
			const slug = "damascus"
			seedIndex(b, w, slug, 100_000)
			p := w.as(b, "hz.officer")
			rm, _, err := w.s.memberRoom(context.Background(), p, slug)
			if err != nil {
				b.Fatal(err)
			}
			r := rand.New(rand.NewPCG(3, 4))
			year := time.Date(2015, 1, 1, 0, 0, 0, 0, time.UTC)
			ctx := context.Background()
			var durations, cpu []time.Duration
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			found := 0
			b.ResetTimer()
			for b.Loop() {
				lon, lat := 35+r.Float64()*10, 30+r.Float64()*8
				start := year.Add(time.Duration(r.IntN(365*24)) * time.Hour)
				g := geo.Polygon{geo.Ring{{Lon: lon, Lat: lat}, {Lon: lon + 0.1, Lat: lat}, {Lon: lon + 0.1, Lat: lat + 0.1}, {Lon: lon, Lat: lat + 0.1}, {Lon: lon, Lat: lat}}}.Geometry()
				f := footprint{PartID: "new", ItemID: "new", Owner: p.PartnerID, Kind: "operation", Geom: g,
					Window: timespan.Span{Start: start, End: start.Add(5 * 24 * time.Hour)}}
				t0, c0 := time.Now(), threadCPU()
				got, err := w.s.overlaps(ctx, db, engine, rm.ID, p.PartnerID, []footprint{f})
				durations, cpu = append(durations, time.Since(t0)), append(cpu, threadCPU()-c0)
				if err != nil {
					b.Fatal(err)
				}
				found += len(got)
			}
			b.StopTimer()
			slices.Sort(durations)
			slices.Sort(cpu)
			q := func(d []time.Duration, f float64) float64 {
				return float64(d[int(f*float64(len(d)-1))].Microseconds()) / 1000
			}
			b.ReportMetric(q(durations, 0.5), "p50-ms")
			b.ReportMetric(q(durations, 0.99), "p99-ms")
			// CPU time of the checking thread: on SQLite (a Go driver) the
			// whole check; on PostgreSQL the client side only.
			b.ReportMetric(q(cpu, 0.5), "cpu-p50-ms")
			b.ReportMetric(q(cpu, 0.99), "cpu-p99-ms")
			b.ReportMetric(float64(found)/float64(len(durations)), "overlaps/op")
		})
	}
}

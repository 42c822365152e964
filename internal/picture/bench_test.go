package picture

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/opsroom/opsroom/internal/bench"
	"github.com/opsroom/opsroom/internal/geo"
	"github.com/opsroom/opsroom/internal/live"
	"github.com/opsroom/opsroom/internal/store"
	"github.com/opsroom/opsroom/internal/store/storetest"
)

// benchPositions is the number of track positions the query benchmark
// loads (OPSROOM_BENCH_POSITIONS; default 200,000 so a plain -bench run
// stays short; the headline figure is for 10,000,000).
func benchPositions() int {
	if n, err := strconv.Atoi(os.Getenv("OPSROOM_BENCH_POSITIONS")); err == nil && n > 0 {
		return n
	}
	return 200_000
}

// The benchmark region (Syria and Iraq, roughly) and time span start.
const (
	regionLon, regionLat  = 35.0, 30.0
	regionW, regionH      = 10.0, 8.0
	benchTracks           = 1000
	benchStep             = time.Minute
	positionsPerStatement = 500
)

var benchStart = time.Date(2015, 9, 1, 0, 0, 0, 0, time.UTC)

// positions opens a database holding n track positions. On SQLite, with
// OPSROOM_BENCH_DIR set, the data set is kept in that directory and
// reused by later runs of the same size (a 10,000,000-position load takes
// ten minutes or more here; the queries can then be measured again when
// the machine is quiet).
func positions(b *testing.B, e store.Engine, n int) (*bench.World, *Service) {
	dir := os.Getenv("OPSROOM_BENCH_DIR")
	if dir == "" || e != store.SQLite {
		return loadPositions(b, storetest.Open(b, e), n)
	}
	ctx := context.Background()
	dir = filepath.Join(dir, fmt.Sprintf("picture-%d", n))
	done := filepath.Join(dir, "loaded")
	_, err := os.Stat(done)
	kept := err == nil
	if !kept {
		if err := os.RemoveAll(dir); err != nil {
			b.Fatal(err)
		}
	}
	db, err := store.Open(ctx, store.Options{Dir: dir})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	if !kept {
		w, s := loadPositions(b, db, n)
		if err := os.WriteFile(done, nil, 0o644); err != nil {
			b.Fatal(err)
		}
		return w, s
	}
	w, err := bench.OpenWorld(ctx, db)
	if err != nil {
		b.Fatal(err)
	}
	b.Logf("sqlite: reusing the %d positions kept in %s", n, dir)
	return w, NewService(db, w.Rooms, live.NewBus())
}

// loadPositions creates benchTracks tracks (random markings, through the
// service) and n positions, each track a random walk sampled every
// minute, written time-major as a live feed would be. Positions are bulk
// inserted with multi-row statements (the API path appends at most
// MaxBatch per request and is measured by BenchmarkAppendPositions).
func loadPositions(b *testing.B, db *store.DB, n int) (*bench.World, *Service) {
	ctx := context.Background()
	w, err := bench.NewWorld(ctx, db)
	if err != nil {
		b.Fatal(err)
	}
	s := NewService(db, w.Rooms, live.NewBus())
	rng := rand.New(rand.NewPCG(3, 4))
	seqs := make([]int64, benchTracks)
	lon := make([]float64, benchTracks)
	lat := make([]float64, benchTracks)
	for k := range benchTracks {
		p := w.People[rng.IntN(len(w.People))]
		tr, err := s.CreateTrack(ctx, p, "bench", TrackInput{Title: fmt.Sprintf("track %d", k), UID: fmt.Sprintf("uid-%d", k), Type: "a-f-G-U-C",
			Marking: w.RandomMarking(rng, p), StaleSeconds: 600})
		if err != nil {
			b.Fatal(err)
		}
		seqs[k], lon[k], lat[k] = tr.seq, regionLon+rng.Float64()*regionW, regionLat+rng.Float64()*regionH
	}
	sqlite := db.Engine() == store.SQLite
	cols := 9
	if sqlite {
		cols = 10
	}
	row := "(" + strings.Repeat("?, ", cols-1) + "?)"
	var stmt, rtree string
	if sqlite {
		stmt = `INSERT INTO track_positions (id, track_seq, at, lon, lat, hae, course, speed, accuracy, stale) VALUES `
		rtree = `INSERT INTO track_positions_rtree (id, min_lon, max_lon, min_lat, max_lat, min_t, max_t) VALUES `
	} else {
		stmt = `INSERT INTO track_positions (track_seq, at, lon, lat, hae, course, speed, accuracy, stale) VALUES `
	}
	// PostgreSQL: load without the positions' indexes and build them
	// after, as a bulk import would (incremental GiST inserts on this
	// shared machine made a 10,000,000-row load take 24 minutes). The
	// queries measured run on the same indexes either way.
	if !sqlite {
		if err := db.Write(ctx, func(tx *store.Tx) error {
			_, err := tx.Exec(ctx, `DROP INDEX track_positions_lon_time; DROP INDEX track_positions_track_at`)
			return err
		}); err != nil {
			b.Fatal(err)
		}
	}
	const perTx = 100_000
	start := time.Now()
	for done := 0; done < n; {
		err := db.Write(ctx, func(tx *store.Tx) error {
			for end := min(done+perTx, n); done < end; {
				m := min(positionsPerStatement, end-done)
				args := make([]any, 0, m*cols)
				rargs := make([]any, 0, m*7)
				for j := range m {
					id := int64(done + j + 1)
					k := (done + j) % benchTracks
					step := (done + j) / benchTracks
					lon[k] = min(max(lon[k]+(rng.Float64()-0.5)*0.01, regionLon), regionLon+regionW)
					lat[k] = min(max(lat[k]+(rng.Float64()-0.5)*0.01, regionLat), regionLat+regionH)
					at := store.Micros(benchStart.Add(time.Duration(step) * benchStep))
					if sqlite {
						args = append(args, id)
						rargs = append(rargs, id, lon[k], lon[k], lat[k], lat[k], rtreeTime(at), rtreeTime(at))
					}
					args = append(args, seqs[k], at, lon[k], lat[k], nil, rng.Float64()*359, rng.Float64()*30, 10.0, nil)
				}
				if _, err := tx.Exec(ctx, stmt+strings.TrimSuffix(strings.Repeat(row+", ", m), ", "), args...); err != nil {
					return err
				}
				if sqlite {
					if _, err := tx.Exec(ctx, rtree+strings.TrimSuffix(strings.Repeat("(?, ?, ?, ?, ?, ?, ?), ", m), ", "), rargs...); err != nil {
						return err
					}
				}
				done += m
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	if !sqlite {
		err := db.Write(ctx, func(tx *store.Tx) error {
			_, err := tx.Exec(ctx, `CREATE INDEX track_positions_track_at ON track_positions(track_seq, at);
				CREATE INDEX track_positions_lon_time ON track_positions USING gist (point(lon, at / 3600000000.0));
				ANALYZE`)
			return err
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	b.Logf("%s: loaded %d positions in %v", db.Engine(), n, time.Since(start).Round(time.Second))
	return w, s
}

// BenchmarkPictureBBoxTime: the picture of a 0.5° x 0.5° box over one
// hour (random place and time) for a random member, over
// benchPositions() track positions of 1,000 tracks with mixed markings.
// Reports p50 and p95 latency of the whole Picture call.
func BenchmarkPictureBBoxTime(b *testing.B) {
	for _, e := range storetest.Engines() {
		b.Run(string(e), func(b *testing.B) {
			n := benchPositions()
			w, s := positions(b, e, n)
			span := time.Duration(n/benchTracks) * benchStep
			rng := rand.New(rand.NewPCG(5, 6))
			ctx := context.Background()
			var lat []time.Duration
			found := 0
			b.ResetTimer()
			for b.Loop() {
				minLon, minLat := regionLon+rng.Float64()*(regionW-0.5), regionLat+rng.Float64()*(regionH-0.5)
				from := benchStart.Add(time.Duration(rng.Int64N(int64(max(span-time.Hour, 1)))))
				q := Query{BBox: &geo.BBox{MinLon: minLon, MinLat: minLat, MaxLon: minLon + 0.5, MaxLat: minLat + 0.5}, From: from, To: from.Add(time.Hour)}
				t := time.Now()
				pic, err := s.Picture(ctx, w.People[rng.IntN(len(w.People))], "bench", q)
				lat = append(lat, time.Since(t))
				if err != nil {
					b.Fatal(err)
				}
				for _, tr := range pic.Tracks {
					found += len(tr.Positions)
				}
			}
			slices.Sort(lat)
			q := func(p float64) float64 {
				return float64(lat[min(len(lat)-1, int(p*float64(len(lat))))].Microseconds()) / 1000
			}
			b.ReportMetric(q(0.50), "p50-ms")
			b.ReportMetric(q(0.95), "p95-ms")
			b.ReportMetric(float64(found)/float64(len(lat)), "positions/op")
		})
	}
}

// BenchmarkPictureAt: the picture at a moment (each track's current
// position) of a 0.5° x 0.5° box, same data as above.
func BenchmarkPictureAt(b *testing.B) {
	for _, e := range storetest.Engines() {
		b.Run(string(e), func(b *testing.B) {
			n := benchPositions()
			w, s := positions(b, e, n)
			span := time.Duration(n/benchTracks) * benchStep
			rng := rand.New(rand.NewPCG(7, 8))
			ctx := context.Background()
			var lat []time.Duration
			b.ResetTimer()
			for b.Loop() {
				minLon, minLat := regionLon+rng.Float64()*(regionW-0.5), regionLat+rng.Float64()*(regionH-0.5)
				at := benchStart.Add(time.Duration(rng.Int64N(int64(max(span, 1)))))
				q := Query{BBox: &geo.BBox{MinLon: minLon, MinLat: minLat, MaxLon: minLon + 0.5, MaxLat: minLat + 0.5}, At: at}
				t := time.Now()
				if _, err := s.Picture(ctx, w.People[rng.IntN(len(w.People))], "bench", q); err != nil {
					b.Fatal(err)
				}
				lat = append(lat, time.Since(t))
			}
			slices.Sort(lat)
			q := func(p float64) float64 {
				return float64(lat[min(len(lat)-1, int(p*float64(len(lat))))].Microseconds()) / 1000
			}
			b.ReportMetric(q(0.50), "p50-ms")
			b.ReportMetric(q(0.95), "p95-ms")
		})
	}
}

// BenchmarkAppendPositions: batches of 1,000 positions through the
// service (validation, one transaction, audit record, publication).
func BenchmarkAppendPositions(b *testing.B) {
	for _, e := range storetest.Engines() {
		b.Run(string(e), func(b *testing.B) {
			ctx := context.Background()
			db := storetest.Open(b, e)
			w, err := bench.NewWorld(ctx, db)
			if err != nil {
				b.Fatal(err)
			}
			s := NewService(db, w.Rooms, live.NewBus())
			p := w.People[0]
			tr, err := s.CreateTrack(ctx, p, "bench", TrackInput{Title: "t", UID: "u", Type: "a-f-G"})
			if err != nil {
				b.Fatal(err)
			}
			batch := make([]Position, 1000)
			at := benchStart
			b.ResetTimer()
			for b.Loop() {
				for k := range batch {
					at = at.Add(time.Second)
					batch[k] = Position{At: at, Lon: 36 + float64(k)/1e4, Lat: 35}
				}
				if _, err := s.AppendPositions(ctx, p, tr.ID, PositionBatch{Positions: batch}); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N*len(batch))/b.Elapsed().Seconds(), "positions/s")
		})
	}
}

package intel

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/opsroom/opsroom/internal/item"
	"github.com/opsroom/opsroom/internal/store"
	"github.com/opsroom/opsroom/internal/store/storetest"
	"github.com/opsroom/opsroom/internal/timespan"
)

// benchSize reads a size from the environment, for the large runs the
// documented figures come from; the defaults keep `go test -bench` quick.
func benchSize(name string, def int) int {
	if n, err := strconv.Atoi(os.Getenv(name)); err == nil && n > 0 {
		return n
	}
	return def
}

// corpus generates report texts: words drawn from a vocabulary of 20,000
// with a Zipf distribution, as in natural text, so that some words are in
// most reports and most words in few.
type corpus struct {
	rng   *rand.Rand
	zipf  *rand.Zipf
	vocab []string
}

func newCorpus(seed uint64) *corpus {
	rng := rand.New(rand.NewPCG(seed, 1))
	c := &corpus{rng: rng, zipf: rand.NewZipf(rng, 1.1, 2, 19_999)}
	syll := []string{"ka", "ro", "mi", "ta", "sel", "dun", "var", "po", "li", "zen", "qa", "bri", "tor", "ne", "has", "ul"}
	seen := map[string]bool{}
	for len(c.vocab) < 20_000 {
		var b strings.Builder
		for range 2 + rng.IntN(3) {
			b.WriteString(syll[rng.IntN(len(syll))])
		}
		if w := b.String(); !seen[w] {
			seen[w] = true
			c.vocab = append(c.vocab, w)
		}
	}
	return c
}

func (c *corpus) words(n int) string {
	ws := make([]string, n)
	for i := range ws {
		ws[i] = c.vocab[c.zipf.Uint64()]
	}
	return strings.Join(ws, " ")
}

// importReports writes n generated reports in one transaction through
// CreateReportTx (items row, marking, audit record, full-text index).
// A fifth are released to partner A only, so b's searches have hidden
// reports to skip.
func importReports(tb testing.TB, f fixture, c *corpus, n int) {
	tb.Helper()
	ctx := context.Background()
	sc, err := f.svc.Scope(ctx, f.a, "r")
	if err != nil {
		tb.Fatal(err)
	}
	err = f.db.Write(ctx, func(tx *store.Tx) error {
		var srcs []string
		for i := range 10 {
			id, err := f.svc.CreateSourceTx(ctx, tx, sc, NewSource{Name: fmt.Sprintf("source %d", i), Kind: "outlet", Reliability: string(rune('A' + i%6)), Marking: item.Marking{TLP: "CLEAR"}})
			if err != nil {
				return err
			}
			srcs = append(srcs, id)
		}
		base := time.Date(2015, 1, 1, 0, 0, 0, 0, time.UTC)
		for i := range n {
			m := item.Marking{TLP: "GREEN"}
			if i%5 == 0 {
				m = hiddenFromB
			}
			start := base.Add(time.Duration(c.rng.IntN(365*24)) * time.Hour)
			lon, lat := 35+c.rng.Float64()*10, 30+c.rng.Float64()*8
			_, err := f.svc.CreateReportTx(ctx, tx, sc, NewReport{
				Title: c.words(6), Text: c.words(60), Source: srcs[c.rng.IntN(len(srcs))], Credibility: 1 + c.rng.IntN(6),
				Observed: timespan.Span{Start: start, End: start.Add(time.Duration(c.rng.IntN(72)) * time.Hour)},
				Places:   []Place{{Geometry: fmt.Appendf(nil, `{"type":"Point","coordinates":[%.4f,%.4f]}`, lon, lat)}},
				Marking:  m,
			})
			if err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		tb.Fatal(err)
	}
}

// BenchmarkImport measures reports/s written in one transaction with the
// search index and the audit trail (OPSROOM_BENCH_IMPORT reports per
// transaction, default 2,000).
func BenchmarkImport(b *testing.B) {
	n := benchSize("OPSROOM_BENCH_IMPORT", 2_000)
	for _, engine := range storetest.Engines() {
		b.Run(string(engine), func(b *testing.B) {
			f := newFixture(b, storetest.Open(b, engine))
			c := newCorpus(1)
			b.ResetTimer()
			for range b.N {
				importReports(b, f, c, n)
			}
			b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "reports/s")
		})
	}
}

// BenchmarkSearch measures search latency as b (who may not see a fifth of
// the reports) over OPSROOM_BENCH_SEARCH reports (default 20,000; the
// documented figures use 1,000,000), reporting p50 and p95 over queries of
// one and two words of middling frequency, first page of 20.
func BenchmarkSearch(b *testing.B) {
	n := benchSize("OPSROOM_BENCH_SEARCH", 20_000)
	for _, engine := range storetest.Engines() {
		// The data is generated here, once per engine: a sub-benchmark's
		// function runs more than once (b.N = 1 first).
		f := newFixture(b, storetest.Open(b, engine))
		c := newCorpus(2)
		for done := 0; done < n; done += 50_000 {
			importReports(b, f, c, min(50_000, n-done))
		}
		b.Run(string(engine), func(b *testing.B) {
			if engine == store.Postgres {
				if err := f.db.Write(context.Background(), func(tx *store.Tx) error {
					_, err := tx.Exec(context.Background(), `ANALYZE`)
					return err
				}); err != nil {
					b.Fatal(err)
				}
			}
			// Words ranked 500..5,000 in the Zipf vocabulary: each in roughly
			// 0.05% to 0.5% of reports (500 to 5,000 of a million), the kind
			// of name or term an analyst searches for; every other query adds
			// a second word ranked 50..500 (in about 0.5% to 5%).
			queries := make([]SearchQuery, 64)
			for i := range queries {
				q := c.vocab[500+c.rng.IntN(4500)]
				if i%2 == 1 {
					q += " " + c.vocab[50+c.rng.IntN(450)]
				}
				queries[i] = SearchQuery{Text: q, Limit: 20}
			}
			var lat []time.Duration
			b.ResetTimer()
			for i := range b.N {
				t0 := time.Now()
				if _, err := f.svc.Search(context.Background(), f.b, "r", queries[i%len(queries)]); err != nil {
					b.Fatal(err)
				}
				lat = append(lat, time.Since(t0))
			}
			slices.Sort(lat)
			b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
			b.ReportMetric(float64(lat[len(lat)*95/100].Microseconds())/1000, "p95-ms")
		})
	}
}

package intel

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/opsroom/opsroom/internal/item"
	"github.com/opsroom/opsroom/internal/store"
	"github.com/opsroom/opsroom/internal/store/storetest"
	"github.com/opsroom/opsroom/internal/timespan"
)

// TestSearchMatchesPlainReading checks search against a plain reading of
// what it promises, over random reports: the reports b may see that hold
// every word and pass every filter; those with every word in the title
// first (rank 2), then the others (rank 1); each rank most recently shared
// first; page by page. The observed intervals range from a moment to
// years (and unknown), so the index's filter tokens (weeks, quarters,
// "any") are all exercised, including windows across their boundaries;
// on PostgreSQL the reports are spread over enough doc buckets that a
// search reads them in every step.
func TestSearchMatchesPlainReading(t *testing.T) {
	vocab := []string{"strike", "convoy", "airfield", "hotel", "experts", "rooms"}
	spans := []time.Duration{0, time.Hour, 30 * time.Hour, 6 * 24 * time.Hour, 7 * 24 * time.Hour, 8 * 24 * time.Hour,
		40 * 24 * time.Hour, 91 * 24 * time.Hour, 92 * 24 * time.Hour, 400 * 24 * time.Hour, -1}
	worlds := 3
	if testing.Short() {
		worlds = 1
	}
	for _, engine := range storetest.Engines() {
		t.Run(string(engine), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(5, 8))
			for wi := range worlds {
				f := newFixture(t, storetest.Open(t, engine))
				type rep struct {
					id, title, text string
					cred            int
					hidden          bool
					obs             timespan.Span
				}
				base := time.Date(2015, 1, 1, 0, 0, 0, 0, time.UTC)
				words := func(k int) string {
					var ws []string
					for range k {
						ws = append(ws, vocab[rng.IntN(len(vocab))])
					}
					return strings.Join(ws, " ")
				}
				reps := make([]rep, 60+rng.IntN(60))
				for i := range reps {
					r := rep{id: store.NewID(), title: words(1 + rng.IntN(3)), text: words(2 + rng.IntN(8)), cred: 1 + rng.IntN(6), hidden: rng.IntN(4) == 0}
					if d := spans[rng.IntN(len(spans))]; d >= 0 {
						start := base.Add(time.Duration(rng.IntN(365*24)) * time.Hour)
						r.obs = timespan.Span{Start: start, End: start.Add(d)}
					}
					reps[i] = r
				}
				sc, err := f.svc.Scope(t.Context(), f.a, "r")
				if err != nil {
					t.Fatal(err)
				}
				// Shared over several transactions, as imports are.
				for part := range slices.Chunk(reps, 25) {
					err = f.db.Write(t.Context(), func(tx *store.Tx) error {
						src, err := f.svc.CreateSourceTx(t.Context(), tx, sc, NewSource{Name: "s", Kind: "outlet", Reliability: "B", Marking: item.Marking{TLP: "CLEAR"}})
						if err != nil {
							return err
						}
						for _, r := range part {
							m := item.Marking{TLP: "GREEN"}
							if r.hidden {
								m = hiddenFromB
							}
							if _, err := f.svc.CreateReportTx(t.Context(), tx, sc, NewReport{ID: r.id, Title: r.title, Text: r.text, Source: src,
								Credibility: r.cred, Observed: r.obs, Marking: m}); err != nil {
								return err
							}
						}
						return nil
					})
					if err != nil {
						t.Fatal(err)
					}
				}
				if engine == store.Postgres {
					// Spread the doc numbers (keeping their order) over some
					// thirty buckets of 4,096, so that searches read them in
					// all their steps: the newest buckets, the ones before,
					// the rest.
					if err := f.db.Write(t.Context(), func(tx *store.Tx) error {
						_, err := tx.Exec(t.Context(), `UPDATE reports SET doc = doc * 1000`)
						return err
					}); err != nil {
						t.Fatal(err)
					}
				}
				for qi := range 25 {
					var q SearchQuery
					q.Text = words(rng.IntN(3))
					if rng.IntN(2) == 0 {
						q.MaxCredibility = 1 + rng.IntN(6)
					}
					if rng.IntN(3) > 0 {
						q.ObservedFrom = base.Add(time.Duration(rng.IntN(400*24)-20*24) * time.Hour)
						q.ObservedTo = q.ObservedFrom.Add(time.Duration(rng.IntN(120*24)) * time.Hour)
						if rng.IntN(5) == 0 {
							q.ObservedTo = time.Time{}
						}
					}
					q.Limit = 1 + rng.IntN(7)
					var want []string
					for rank := 2; rank >= 1; rank-- {
						for i := len(reps) - 1; i >= 0; i-- {
							r := reps[i]
							if r.hidden || (q.MaxCredibility > 0 && r.cred > q.MaxCredibility) {
								continue
							}
							if !q.ObservedFrom.IsZero() && (r.obs.IsZero() || r.obs.End.Before(q.ObservedFrom)) {
								continue
							}
							if !q.ObservedTo.IsZero() && (r.obs.IsZero() || r.obs.Start.After(q.ObservedTo)) {
								continue
							}
							inTitle, inText := true, true
							for _, w := range strings.Fields(q.Text) {
								inTitle = inTitle && slices.Contains(strings.Fields(r.title), w)
								inText = inText && (slices.Contains(strings.Fields(r.title), w) || slices.Contains(strings.Fields(r.text), w))
							}
							switch {
							case q.Text == "" && rank == 2:
								want = append(want, r.id+" 0")
							case q.Text != "" && rank == 2 && inTitle, q.Text != "" && rank == 1 && inText && !inTitle:
								want = append(want, fmt.Sprintf("%s %d", r.id, rank))
							}
						}
					}
					if got := pages(t, f, q); !reflect.DeepEqual(got, want) {
						t.Errorf("world %d query %d %+v (filter terms %q):\ngot  %v\nwant %v", wi, qi, q, fmt.Sprint(filterTokens(q)), got, want)
					}
				}
			}
		})
	}
}

// TestDocBlocks checks that the tokens naming a range of doc blocks cover
// exactly that range, each block once, and that a search's steps cover
// every block from the newest down, in order, each slice (but the last)
// 4 to 9 times the reports read before it.
func TestDocBlocks(t *testing.T) {
	size := map[byte]int64{'d': 1, 'e': 8, 'f': 64, 'g': 512}
	expand := func(tokens []string) []int64 {
		var out []int64
		for _, tok := range tokens {
			var n int64
			if _, err := fmt.Sscan(tok[strings.LastIndex(tok, "x")+1:], &n); err != nil || tok[1:strings.LastIndex(tok, "x")] != "R" {
				t.Fatalf("token %q", tok)
			}
			w := size[tok[0]]
			for k := n * w; k < (n+1)*w; k++ {
				out = append(out, k)
			}
		}
		slices.Sort(out)
		return out
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for range 2000 {
		lo := rng.Int64N(5000)
		hi := lo + rng.Int64N(3000)
		got := expand(blocks("R", lo, hi))
		if int64(len(got)) != hi-lo+1 || got[0] != lo || got[len(got)-1] != hi || slices.Compact(slices.Clone(got)) == nil || len(slices.Compact(slices.Clone(got))) != len(got) {
			t.Fatalf("blocks(%d, %d) covers %d blocks from %d to %d", lo, hi, len(got), got[0], got[len(got)-1])
		}
		if n := int64(len(blocks("R", lo, hi))); n > 6*7+(hi-lo)/512+2 {
			t.Errorf("blocks(%d, %d): %d tokens", lo, hi, n)
		}
	}
	for _, top := range []int64{16384, 20000, 1_000_000, 9_999_999, 123_456_789} {
		var read int64 // docs read by the steps so far
		next := top >> docBlock
		for i, st := range docSteps("R", top) {
			got := expand(strings.Split(strings.Trim(st, "()"), " | "))
			if got[len(got)-1] != next {
				t.Fatalf("top %d step %d starts at block %d, want %d", top, i, got[len(got)-1], next)
			}
			n := top - (got[0] << docBlock) + 1 - read
			if i == 0 && (n < firstStep || n > firstStep+1<<docBlock) || i > 0 && got[0] > 0 && (n < 4*read || n > 9*read) {
				t.Errorf("top %d step %d reads %d docs after %d", top, i, n, read)
			}
			read += n
			next = got[0] - 1
		}
		if next != -1 {
			t.Errorf("top %d: the steps end at block %d", top, next+1)
		}
	}
	if got := docSteps("R", 1000); len(got) != 1 || got[0] != "" {
		t.Errorf("a small room: %v", got)
	}
}

package intel

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// benchWorld is a room with 100,000 reports from 5,000 sources. 60% are
// originals; the rest repeat or cite one to three of the 2,000 reports
// before them, as news echoes recent news. A claim has 1,000 supporting
// reports, drawn at random.
type benchWorld struct {
	sources    map[string]string
	parents    map[string][]string
	links      []Link
	supporting []string
}

func newBenchWorld() benchWorld {
	const n, nsrc, window = 100_000, 5_000, 2_000
	rng := rand.New(rand.NewPCG(42, 42))
	w := benchWorld{sources: make(map[string]string, n), parents: make(map[string][]string)}
	id := func(i int) string { return fmt.Sprintf("r%06d", i) }
	for i := range n {
		w.sources[id(i)] = fmt.Sprintf("s%04d", rng.IntN(nsrc))
		if i == 0 || rng.IntN(10) < 6 {
			continue
		}
		for range 1 + rng.IntN(3) {
			p := i - 1 - rng.IntN(min(i, window))
			w.parents[id(i)] = append(w.parents[id(i)], id(p))
			w.links = append(w.links, Link{id(i), Repeats, id(p)})
		}
	}
	for _, i := range rng.Perm(n)[:1000] {
		w.supporting = append(w.supporting, id(i))
	}
	return w
}

// relevant is what a caller passes to Corroborate: the supporting reports,
// everything upstream of them and the links among those.
func (w benchWorld) relevant() (map[string]string, []Link) {
	src := map[string]string{}
	var links []Link
	stack := append([]string{}, w.supporting...)
	for len(stack) > 0 {
		cur := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if _, ok := src[cur]; ok {
			continue
		}
		src[cur] = w.sources[cur]
		for _, p := range w.parents[cur] {
			links = append(links, Link{cur, Repeats, p})
			stack = append(stack, p)
		}
	}
	return src, links
}

// BenchmarkCorroborate: 1,000 supporting reports in a 100,000-report DAG,
// given the relevant subgraph as slices.
//
//	go test -run '^$' -bench Corroborate -benchmem ./internal/intel/
func BenchmarkCorroborate(b *testing.B) {
	w := newBenchWorld()
	src, links := w.relevant()
	want := CorroborateWalk(w.supporting,
		func(id string) (string, bool) { s, ok := w.sources[id]; return s, ok },
		func(id string) []string { return w.parents[id] })
	for b.Loop() {
		c := Corroborate(src, links, w.supporting)
		if c.Independent != want.Independent {
			b.Fatalf("subgraph gives %d, walk gives %d", c.Independent, want.Independent)
		}
	}
	b.ReportMetric(float64(len(src)), "reports-upstream")
}

// BenchmarkCorroborateWalk: the same claim, walking the full 100,000-report
// graph through lookups, visiting only what is upstream of the claim.
func BenchmarkCorroborateWalk(b *testing.B) {
	w := newBenchWorld()
	sourceOf := func(id string) (string, bool) { s, ok := w.sources[id]; return s, ok }
	parentsOf := func(id string) []string { return w.parents[id] }
	var c Corroboration
	for b.Loop() {
		c = CorroborateWalk(w.supporting, sourceOf, parentsOf)
	}
	b.ReportMetric(float64(c.Independent), "origins")
}

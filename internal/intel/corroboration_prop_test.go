package intel

import (
	"fmt"
	"maps"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"
)

// world is a random room: reports with sources, acyclic provenance links, a
// claim's supporting reports and one viewer's visible reports.
type world struct {
	sources    map[string]string
	links      []Link
	supporting []string
	visible    map[string]bool
}

func randomWorld(rng *rand.Rand) world {
	n := 1 + rng.IntN(14)
	nsrc := 1 + rng.IntN(5)
	// Reports are created in order and only link to earlier ones, which
	// is how a real room grows and guarantees acyclicity; the IDs are
	// shuffled so that ID order says nothing about creation order.
	ids := make([]string, n)
	for i, p := range rng.Perm(n) {
		ids[i] = fmt.Sprintf("r%02d", p)
	}
	w := world{sources: map[string]string{}, visible: map[string]bool{}}
	density := rng.Float64()
	for i, id := range ids {
		w.sources[id] = fmt.Sprintf("s%d", rng.IntN(nsrc))
		for j := range i {
			if rng.Float64() < density/2 {
				w.links = append(w.links, Link{id, []LinkKind{Repeats, Cites}[rng.IntN(2)], ids[j]})
			}
		}
	}
	ps, pv := rng.Float64(), rng.Float64()
	for _, id := range ids {
		if rng.Float64() < ps {
			w.supporting = append(w.supporting, id)
		}
		if rng.Float64() < pv {
			w.visible[id] = true
		}
	}
	return w
}

// restrict returns the world as the viewer sees it: hidden reports deleted,
// with every link and supporting entry that names one.
func (w world) restrict() (map[string]string, []Link, []string) {
	src := map[string]string{}
	for id, s := range w.sources {
		if w.visible[id] {
			src[id] = s
		}
	}
	var links []Link
	for _, l := range w.links {
		if w.visible[l.Report] && w.visible[l.Target] {
			links = append(links, l)
		}
	}
	var sup []string
	for _, id := range w.supporting {
		if w.visible[id] {
			sup = append(sup, id)
		}
	}
	return src, links, sup
}

// reference computes corroboration by brute force from the definition,
// with a transitive-closure matrix instead of a walk: the origins are the
// sources of every root upstream of (or equal to) an earliest supporting
// report, one with no supporting report strictly upstream of it; a
// supporting report is attributed to the roots of the earliest supporting
// reports at or upstream of it.
func reference(sources map[string]string, links []Link, supporting []string) Corroboration {
	ids := slices.Sorted(maps.Keys(sources))
	n := len(ids)
	at := map[string]int{}
	for i, id := range ids {
		at[id] = i
	}
	anc := make([][]bool, n) // anc[i][j]: j is strictly upstream of i
	hasParent := make([]bool, n)
	for i := range anc {
		anc[i] = make([]bool, n)
	}
	for _, l := range links {
		i, ok1 := at[l.Report]
		j, ok2 := at[l.Target]
		if ok1 && ok2 && i != j {
			anc[i][j] = true
			hasParent[i] = true
		}
	}
	for k := range n {
		for i := range n {
			if anc[i][k] {
				for j := range n {
					anc[i][j] = anc[i][j] || anc[k][j]
				}
			}
		}
	}
	sup := make([]bool, n)
	for _, id := range supporting {
		if i, ok := at[id]; ok {
			sup[i] = true
		}
	}
	earliest := make([]bool, n)
	for i := range n {
		earliest[i] = sup[i]
		for j := range n {
			if sup[j] && anc[i][j] {
				earliest[i] = false
			}
		}
	}
	atOrUp := func(i, j int) bool { return i == j || anc[i][j] }
	type acc struct{ roots, echoes map[string]bool }
	by := map[string]*acc{}
	c := Corroboration{Supporting: []string{}, Origins: []Origin{}}
	for s := range n {
		if !sup[s] {
			continue
		}
		c.Supporting = append(c.Supporting, ids[s])
		for m := range n {
			if !earliest[m] || !atOrUp(s, m) {
				continue
			}
			for r := range n {
				if hasParent[r] || !atOrUp(m, r) {
					continue
				}
				a := by[sources[ids[r]]]
				if a == nil {
					a = &acc{map[string]bool{}, map[string]bool{}}
					by[sources[ids[r]]] = a
				}
				a.roots[ids[r]] = true
				if hasParent[s] {
					a.echoes[ids[s]] = true
				}
			}
		}
	}
	for _, src := range slices.Sorted(maps.Keys(by)) {
		c.Origins = append(c.Origins, Origin{src, sortedKeys(by[src].roots), sortedKeys(by[src].echoes)})
	}
	c.Independent = len(c.Origins)
	return c
}

func TestCorroborateMatchesReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 11))
	for round := range 5000 {
		w := randomWorld(rng)
		want := reference(w.sources, w.links, w.supporting)
		got := Corroborate(w.sources, w.links, w.supporting)
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("round %d: world %+v\n got %+v\nwant %+v", round, w, got, want)
		}
		// Order of the input must not matter.
		links := slices.Clone(w.links)
		sup := slices.Clone(w.supporting)
		rng.Shuffle(len(links), func(i, j int) { links[i], links[j] = links[j], links[i] })
		rng.Shuffle(len(sup), func(i, j int) { sup[i], sup[j] = sup[j], sup[i] })
		if again := Corroborate(w.sources, links, append(sup, sup...)); !reflect.DeepEqual(again, want) {
			t.Fatalf("round %d: result depends on input order", round)
		}
	}
}

// TestCorroborateVisibility is the need-to-know property: computing over the
// visible reports (with links and supporting IDs passed unfiltered) equals
// computing on the world restricted to them, equals the reference there,
// and does not change whatever happens among the hidden reports.
func TestCorroborateVisibility(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 5))
	for round := range 3000 {
		w := randomWorld(rng)
		src, links, sup := w.restrict()
		want := reference(src, links, sup)

		if got := Corroborate(src, links, sup); !reflect.DeepEqual(got, want) {
			t.Fatalf("round %d: restricted world: got %+v want %+v", round, got, want)
		}
		if got := Corroborate(src, w.links, w.supporting); !reflect.DeepEqual(got, want) {
			t.Fatalf("round %d: unfiltered links and supporting leaked hidden reports: got %+v want %+v", round, got, want)
		}
		walked := CorroborateWalk(w.supporting,
			func(id string) (string, bool) { return w.sources[id], w.visible[id] },
			func(id string) []string {
				var ps []string
				for _, l := range w.links {
					if l.Report == id {
						ps = append(ps, l.Target)
					}
				}
				return ps
			})
		if !reflect.DeepEqual(walked, want) {
			t.Fatalf("round %d: CorroborateWalk with a visibility lookup: got %+v want %+v", round, walked, want)
		}

		// Change everything hidden: sources, links touching hidden
		// reports, whether they support. Nothing visible may move.
		m := world{sources: maps.Clone(w.sources), visible: w.visible}
		for id := range m.sources {
			if !w.visible[id] {
				m.sources[id] = fmt.Sprintf("hidden%d", rng.IntN(3))
				if rng.IntN(2) == 0 {
					m.supporting = append(m.supporting, id)
				}
			}
		}
		for _, l := range w.links {
			if w.visible[l.Report] && w.visible[l.Target] {
				m.links = append(m.links, l)
			}
		}
		all := slices.Collect(maps.Keys(m.sources))
		for range rng.IntN(10) {
			a, b := all[rng.IntN(len(all))], all[rng.IntN(len(all))]
			if !w.visible[a] || !w.visible[b] {
				m.links = append(m.links, Link{a, Repeats, b})
			}
		}
		m.supporting = append(m.supporting, sup...)
		msrc, _, _ := m.restrict()
		if got := Corroborate(msrc, m.links, m.supporting); !reflect.DeepEqual(got, want) {
			t.Fatalf("round %d: result depends on hidden reports: got %+v want %+v", round, got, want)
		}
	}
}

// TestCorroborateLinkingEchoesNeverAdds: recording that one supporting
// report repeats another can only remove origins, never add one.
func TestCorroborateLinkingEchoesNeverAdds(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 17))
	for round := range 3000 {
		w := randomWorld(rng)
		if len(w.supporting) < 2 {
			continue
		}
		a := w.supporting[rng.IntN(len(w.supporting))]
		b := w.supporting[rng.IntN(len(w.supporting))]
		l := Link{a, Repeats, b}
		if CheckLink(w.links, l) != nil {
			continue
		}
		before := Corroborate(w.sources, w.links, w.supporting)
		after := Corroborate(w.sources, append(slices.Clone(w.links), l), w.supporting)
		if after.Independent > before.Independent {
			t.Fatalf("round %d: adding %v raised %d to %d", round, l, before.Independent, after.Independent)
		}
		if before.Independent > 0 && after.Independent == 0 {
			t.Fatalf("round %d: adding %v lost every origin", round, l)
		}
	}
}

func sortedKeys(m map[string]bool) []string {
	return append([]string{}, slices.Sorted(maps.Keys(m))...)
}

package intel

import (
	"cmp"
	"slices"
)

// Origin is one independent origin behind a claim: one source, the root
// reports of that source the claim rests on, and the supporting reports that
// only echo them.
type Origin struct {
	Source string `json:"source"`
	// Roots are reports from Source that repeat or cite no (visible) report
	// and on which some supporting report rests. A root need not support
	// the claim itself: when r3 supports and repeats r2, which the room has
	// not linked to the claim, r2 is still where the information came from.
	Roots []string `json:"roots"`
	// Echoes are the supporting reports that repeat or cite, directly or
	// along a chain, into Roots. A report resting on several origins is an
	// echo of each.
	Echoes []string `json:"echoes"`
}

// Corroboration answers "how many independent sources support this claim?"
// with the count and the reasoning behind it.
type Corroboration struct {
	// Independent is len(Origins).
	Independent int `json:"independent"`
	// Supporting are the supporting reports that were taken into account:
	// the ones passed in that are in the input, deduplicated and sorted.
	Supporting []string `json:"supporting"`
	// Origins is sorted by source; Roots and Echoes by report ID.
	Origins []Origin `json:"origins"`
}

// SourcesOf maps each report's ID to its source ID, the shape Corroborate
// takes.
func SourcesOf(reports []Report) map[string]string {
	m := make(map[string]string, len(reports))
	for _, r := range reports {
		m[r.ID] = r.Source
	}
	return m
}

// Corroborate counts the independent origins of a claim.
//
// sources maps every report the viewer may see to its source ID; it is the
// definition of the world the answer is computed in. links are provenance
// links; supporting are the claim's supporting reports. Anything naming a
// report that is not in sources (a link either end of which is missing, a
// supporting report that is missing) is ignored, so the result equals the
// result on the world restricted to sources: passing all links and all
// supporting IDs with only the visible reports is safe and cannot reveal
// hidden ones.
//
// The rules:
//
//   - A root is a report that repeats or cites no report in the input. A
//     report whose only parents are hidden therefore counts as its own root:
//     the viewer may over-count, but the count never betrays that hidden
//     reports exist.
//   - A supporting report that repeats or cites (along any chain) another
//     supporting report adds nothing: it collapses into that earlier
//     supporting report. Its other parents are not credited with the claim:
//     when NOW (r3) repeats both Al-Rai (r2, which supports the claim) and
//     Al-Akhbar (r1, which does not), the claim came to NOW from Al-Rai, and
//     crediting Al-Akhbar would invent a second origin the scenario rules
//     out.
//   - An earliest supporting report (no supporting report upstream of it)
//     collapses into all the roots upstream of it, supporting or not: with
//     several parents it rests on all of them, since nothing says which one
//     carried the claim.
//   - The independent origins are the distinct sources of those roots; roots
//     from one source count once.
//
// Cycles are refused by CheckLink and cannot occur in a store that uses it.
// If one is passed anyway, the link closing it (in a deterministic walk
// order) is ignored, so the function still terminates.
func Corroborate(sources map[string]string, links []Link, supporting []string) Corroboration {
	parents := make(map[string][]string)
	for _, l := range links {
		parents[l.Report] = append(parents[l.Report], l.Target)
	}
	return CorroborateWalk(supporting,
		func(id string) (string, bool) { s, ok := sources[id]; return s, ok },
		func(id string) []string { return parents[id] })
}

// CorroborateWalk is Corroborate over a graph the caller looks up lazily,
// for a store holding far more reports than one claim touches. It visits
// only the supporting reports and what is upstream of them.
//
// sourceOf returns a report's source and whether the viewer may see the
// report; a report it answers false for is treated as absent, exactly as a
// report missing from Corroborate's sources. parentsOf returns the targets
// of the report's repeats and cites links (order and duplicates do not
// matter; hidden ones are filtered through sourceOf). Neither is called
// concurrently.
func CorroborateWalk(supporting []string, sourceOf func(report string) (string, bool), parentsOf func(report string) []string) Corroboration {
	g := walkUpstream(supporting, sourceOf, parentsOf)
	return g.corroborate()
}

// graph is the part of the provenance graph upstream of the supporting
// reports, with reports interned as dense indexes so the per-report state
// is slices rather than maps.
type graph struct {
	ids        []string
	source     []string
	parents    [][]int32
	supporting []bool
	index      map[string]int32
}

func walkUpstream(supporting []string, sourceOf func(string) (string, bool), parentsOf func(string) []string) *graph {
	g := &graph{index: make(map[string]int32)}
	add := func(id string) (int32, bool) {
		if i, ok := g.index[id]; ok {
			return i, true
		}
		src, ok := sourceOf(id)
		if !ok {
			return -1, false
		}
		i := int32(len(g.ids))
		g.index[id] = i
		g.ids = append(g.ids, id)
		g.source = append(g.source, src)
		g.parents = append(g.parents, nil)
		g.supporting = append(g.supporting, false)
		return i, true
	}
	var queue []int32
	for _, id := range supporting {
		n := int32(len(g.ids))
		i, ok := add(id)
		if !ok {
			continue
		}
		g.supporting[i] = true
		if i == n {
			queue = append(queue, i)
		}
	}
	for len(queue) > 0 {
		i := queue[0]
		queue = queue[1:]
		var ps []int32
		for _, pid := range parentsOf(g.ids[i]) {
			n := int32(len(g.ids))
			p, ok := add(pid)
			if !ok || p == i {
				continue // hidden parent, or a self-link that CheckLink would have refused
			}
			if p == n {
				queue = append(queue, p)
			}
			ps = append(ps, p)
		}
		// Sort by ID, not index, so that which link is dropped when a cycle
		// slips through does not depend on the order of the input.
		slices.SortFunc(ps, func(a, b int32) int { return cmp.Compare(g.ids[a], g.ids[b]) })
		g.parents[i] = slices.Compact(ps)
	}
	return g
}

// postOrder returns every report with its parents before it, dropping any
// link that would close a cycle. Iterative, because a chain of repeats can
// be as long as the room's history.
func (g *graph) postOrder() []int32 {
	const (
		unseen = iota
		onStack
		done
	)
	state := make([]uint8, len(g.ids))
	order := make([]int32, 0, len(g.ids))
	type frame struct {
		node int32
		next int
	}
	starts := make([]int32, len(g.ids))
	for i := range starts {
		starts[i] = int32(i)
	}
	slices.SortFunc(starts, func(a, b int32) int { return cmp.Compare(g.ids[a], g.ids[b]) })
	var stack []frame
	for _, s := range starts {
		if state[s] != unseen {
			continue
		}
		state[s] = onStack
		stack = append(stack[:0], frame{node: s})
		for len(stack) > 0 {
			top := &stack[len(stack)-1]
			ps := g.parents[top.node]
			if top.next < len(ps) {
				p := ps[top.next]
				switch state[p] {
				case unseen:
					top.next++
					state[p] = onStack
					stack = append(stack, frame{node: p})
				case onStack:
					// A cycle: forget this link.
					g.parents[top.node] = slices.Delete(slices.Clone(ps), top.next, top.next+1)
				default:
					top.next++
				}
				continue
			}
			state[top.node] = done
			order = append(order, top.node)
			stack = stack[:len(stack)-1]
		}
	}
	return order
}

func (g *graph) corroborate() Corroboration {
	order := g.postOrder()
	n := len(g.ids)
	// carries: the report supports the claim or something upstream does.
	carries := make([]bool, n)
	// roots: every root upstream of the report (itself if it is one).
	roots := make([][]int32, n)
	// attr: the roots the claim is attributed to, for reports that carry it.
	attr := make([][]int32, n)
	for _, i := range order {
		ps := g.parents[i]
		if len(ps) == 0 {
			roots[i] = []int32{i}
		} else {
			roots[i] = unionAll(ps, roots)
		}
		var carrying []int32
		for _, p := range ps {
			if carries[p] {
				carrying = append(carrying, p)
			}
		}
		carries[i] = g.supporting[i] || len(carrying) > 0
		if !carries[i] {
			continue
		}
		if len(carrying) > 0 {
			attr[i] = unionAll(carrying, attr)
		} else {
			attr[i] = roots[i]
		}
	}

	// Collect with duplicates and sort once at the end: cheaper than a set
	// per origin when a claim has thousands of them.
	type acc struct{ roots, echoes []int32 }
	bySource := make(map[string]*acc)
	var sup []string
	for i := range n {
		if !g.supporting[i] {
			continue
		}
		sup = append(sup, g.ids[i])
		for _, r := range attr[i] {
			a := bySource[g.source[r]]
			if a == nil {
				a = &acc{}
				bySource[g.source[r]] = a
			}
			a.roots = append(a.roots, r)
			if len(g.parents[i]) > 0 {
				a.echoes = append(a.echoes, int32(i))
			}
		}
	}
	slices.Sort(sup)
	c := Corroboration{Supporting: sup, Origins: []Origin{}}
	if c.Supporting == nil {
		c.Supporting = []string{}
	}
	for src, a := range bySource {
		c.Origins = append(c.Origins, Origin{Source: src, Roots: g.sortedIDs(a.roots), Echoes: g.sortedIDs(a.echoes)})
	}
	slices.SortFunc(c.Origins, func(a, b Origin) int { return cmp.Compare(a.Source, b.Source) })
	c.Independent = len(c.Origins)
	return c
}

func (g *graph) sortedIDs(set []int32) []string {
	out := make([]string, 0, len(set))
	for _, i := range set {
		out = append(out, g.ids[i])
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// unionAll merges the sorted sets sets[i] for i in of. With one member it
// shares the slice rather than copying, which keeps long chains linear.
func unionAll(of []int32, sets [][]int32) []int32 {
	if len(of) == 1 {
		return sets[of[0]]
	}
	var out []int32
	for _, p := range of {
		out = mergeSorted(out, sets[p])
	}
	return out
}

func mergeSorted(a, b []int32) []int32 {
	out := make([]int32, 0, len(a)+len(b))
	i, j := 0, 0
	for i < len(a) && j < len(b) {
		switch {
		case a[i] < b[j]:
			out = append(out, a[i])
			i++
		case a[i] > b[j]:
			out = append(out, b[j])
			j++
		default:
			out = append(out, a[i])
			i++
			j++
		}
	}
	out = append(out, a[i:]...)
	return append(out, b[j:]...)
}

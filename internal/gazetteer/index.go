package gazetteer

import (
	"bytes"
	"cmp"
	"compress/gzip"
	"fmt"
	"io"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
)

// Match scores by how the name matched; see Match.Score.
const (
	scoreExactMain  = 1.0
	scoreExactAlt   = 0.9
	scorePrefixMain = 0.6
	scorePrefixAlt  = 0.5
	scoreSkeleton   = 0.3
	variantPenalty  = 0.05
	countryBonus    = 0.05
)

// minPrefixKey is the shortest key that is also matched as a prefix: one or
// two letters would match a large part of the world for no use.
const minPrefixKey = 3

// maxPrefixScan bounds the index entries one prefix match visits (about
// 45 ns each), so a query's cost stays flat: "san" alone starts 9,235 names,
// "mar" 2,168. Past the bound, prefix matches further on in alphabetical
// order are missed, however large; exact matches never are.
const maxPrefixScan = 5000

// Values of entry.alt other than an index into the place's alternates.
const (
	altMain  = -1
	altASCII = -2
)

type place struct {
	id       int32
	pop      int32
	lat, lon float64
	name     string
	ascii    string // empty when it folds like name
	alts     string // alternate names joined by '|'
	country  string
	feature  string
}

// entry is one folded name of one place; entries are sorted by key.
type entry struct {
	key   string
	place int32
	alt   int16
}

type index struct {
	places    []place
	names     []entry // folded names
	skeletons []entry // consonant skeletons of the folded names
	scratch   sync.Pool
}

// readIndex parses the gzip'd TSV written by gen (see gen/main.go);
// sizeHint, if known, is the size of the unzipped text.
func readIndex(r io.Reader, sizeHint int) (*index, error) {
	zr, err := gzip.NewReader(r)
	if err != nil {
		return nil, fmt.Errorf("gazetteer: %w", err)
	}
	// One string for the whole file: the names below are slices of it, which
	// costs less than a string each.
	var sb strings.Builder
	sb.Grow(min(max(sizeHint, 0), 1<<30) + bytes.MinRead)
	if _, err := io.Copy(&sb, zr); err != nil {
		return nil, fmt.Errorf("gazetteer: %w", err)
	}
	text := sb.String()

	idx := &index{}
	idx.places = make([]place, 0, strings.Count(text, "\n"))
	nNames := len(idx.places)*2 + strings.Count(text, "|")
	idx.names = make([]entry, 0, nNames)
	idx.skeletons = make([]entry, 0, nNames)
	var seen []string // keys of the current place, to skip repeats
	var fold folder
	for n := 1; text != ""; n++ {
		var line string
		line, text, _ = strings.Cut(text, "\n")
		if line == "" || line[0] == '#' {
			continue
		}
		var f [9]string
		rest := line
		for i := range f {
			f[i], rest, _ = strings.Cut(rest, "\t")
		}
		id, err1 := strconv.ParseInt(f[0], 10, 32)
		lat, err2 := strconv.ParseFloat(f[4], 64)
		lon, err3 := strconv.ParseFloat(f[5], 64)
		pop, err4 := strconv.ParseInt(f[6], 10, 32)
		if err := cmpOr(err1, err2, err3, err4); err != nil || f[1] == "" {
			return nil, fmt.Errorf("gazetteer: line %d: bad record", n)
		}
		pi := int32(len(idx.places))
		idx.places = append(idx.places, place{
			id: int32(id), pop: int32(pop), lat: lat, lon: lon,
			name: f[1], ascii: f[2], country: f[3], feature: internFeature(f[7]), alts: f[8],
		})
		seen = seen[:0]
		add := func(name string, alt int16) {
			k := fold.key(name)
			if len(k) == 0 {
				return
			}
			for _, s := range seen {
				if s == string(k) {
					return
				}
			}
			key := string(k)
			seen = append(seen, key)
			idx.names = append(idx.names, entry{key, pi, alt})
			if sk := skeleton(key); len(sk) >= minPrefixKey {
				idx.skeletons = append(idx.skeletons, entry{sk, pi, alt})
			}
		}
		add(f[1], altMain)
		if f[2] != "" {
			add(f[2], altASCII)
		}
		alts := f[8]
		for i := int16(0); alts != ""; i++ {
			var a string
			a, alts, _ = strings.Cut(alts, "|")
			add(a, i)
		}
	}
	sortEntries(idx.names)
	sortEntries(idx.skeletons)
	idx.skeletons = dedupSkeletons(idx.skeletons)
	clear(features) // the strings live on in the places
	return idx, nil
}

func cmpOr(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

var features = map[string]string{}

// internFeature shares the few feature-code strings instead of keeping a
// slice of the file alive per place for them; only called while loading,
// under the index's sync.Once.
func internFeature(s string) string {
	if v, ok := features[s]; ok {
		return v
	}
	s = strings.Clone(s)
	features[s] = s
	return s
}

// sortEntries sorts by key, place and alt. Sorting is most of the load time,
// so the entries are first spread into buckets by the key's first byte (one
// counting pass), and the buckets are sorted on all cores.
func sortEntries(es []entry) {
	var counts [257]int
	for i := range es {
		counts[int(es[i].key[0])+1]++
	}
	for i := 1; i < len(counts); i++ {
		counts[i] += counts[i-1]
	}
	starts := counts
	sorted := make([]entry, len(es))
	for _, e := range es {
		b := e.key[0]
		sorted[counts[b]] = e
		counts[b]++
	}
	copy(es, sorted)

	work := make(chan []entry, 256)
	for b := range 256 {
		if bucket := es[starts[b]:starts[b+1]]; len(bucket) > 1 {
			work <- bucket
		}
	}
	close(work)
	var wg sync.WaitGroup
	for range runtime.GOMAXPROCS(0) {
		wg.Go(func() {
			for bucket := range work {
				slices.SortFunc(bucket, compareEntries)
			}
		})
	}
	wg.Wait()
}

func compareEntries(a, b entry) int {
	if c := strings.Compare(a.key, b.key); c != 0 {
		return c
	}
	if a.place != b.place {
		return cmp.Compare(a.place, b.place)
	}
	return cmp.Compare(a.alt, b.alt)
}

// dedupSkeletons keeps one skeleton entry per (skeleton, place): the one of
// the main name if there is one, which sorts first.
func dedupSkeletons(es []entry) []entry {
	return slices.CompactFunc(es, func(a, b entry) bool { return a.key == b.key && a.place == b.place })
}

// lowerBound is the first entry whose key is >= key.
func lowerBound(es []entry, key string) int {
	i, _ := slices.BinarySearchFunc(es, key, func(e entry, k string) int { return strings.Compare(e.key, k) })
	return i
}

// cand is a candidate match during one search.
type cand struct {
	score   float64
	pop     int
	place   int32  // index into index.places, or into Query.Extra for room
	alt     int16  // for GeoNames places
	matched string // for room places
	room    bool
}

// better is the ranking order: score, then a room's own place, then
// population, then a stable tie-break.
func better(a, b *cand) bool {
	if a.score != b.score {
		return a.score > b.score
	}
	if a.room != b.room {
		return a.room
	}
	if a.pop != b.pop {
		return a.pop > b.pop
	}
	return a.place < b.place
}

type scratch struct {
	stamp []uint32 // stamp[p] == gen: slot[p] holds place p's candidate
	slot  []int32
	gen   uint32
	cands []cand
}

func (idx *index) getScratch() *scratch {
	if s, ok := idx.scratch.Get().(*scratch); ok {
		return s
	}
	return &scratch{stamp: make([]uint32, len(idx.places)), slot: make([]int32, len(idx.places))}
}

// offer records place p as a candidate, keeping its best score.
func (s *scratch) offer(p int32, alt int16, score float64, pop int) {
	if s.stamp[p] == s.gen {
		c := &s.cands[s.slot[p]]
		if score > c.score {
			c.score, c.alt = score, alt
		}
		return
	}
	s.stamp[p] = s.gen
	s.slot[p] = int32(len(s.cands))
	s.cands = append(s.cands, cand{score: score, pop: pop, place: p, alt: alt})
}

func search(idx *index, q Query) []Match {
	limit := q.Limit
	if limit <= 0 {
		limit = DefaultLimit
	}
	limit = min(limit, MaxLimit)
	var fold folder
	fold.tokens(q.Text)
	key := string(fold.finish(fold.toks))
	if key == "" {
		return nil
	}
	variant, hasVariant := fold.articleVariant()
	hasVariant = hasVariant && variant != "" && variant != key
	skel := skeleton(key)
	if len(skel) < minPrefixKey {
		skel = ""
	}
	prefer := func(country string) float64 {
		for _, c := range q.Countries {
			if strings.EqualFold(c, country) && country != "" {
				return countryBonus
			}
		}
		return 0
	}

	var s *scratch
	var cands []cand
	if idx != nil {
		s = idx.getScratch()
		defer idx.scratch.Put(s)
		s.gen++
		if s.gen == 0 { // wrapped: old stamps could collide
			clear(s.stamp)
			s.gen = 1
		}
		s.cands = s.cands[:0]
		offer := func(e entry, score float64) {
			p := &idx.places[e.place]
			s.offer(e.place, e.alt, score+prefer(p.country), int(p.pop))
		}
		i := lowerBound(idx.names, key)
		for ; i < len(idx.names) && idx.names[i].key == key; i++ {
			offer(idx.names[i], pick(idx.names[i].alt < 0, scoreExactMain, scoreExactAlt))
		}
		if len(key) >= minPrefixKey {
			for n := 0; i < len(idx.names) && n < maxPrefixScan && strings.HasPrefix(idx.names[i].key, key); i, n = i+1, n+1 {
				offer(idx.names[i], pick(idx.names[i].alt < 0, scorePrefixMain, scorePrefixAlt))
			}
		}
		if hasVariant {
			for i := lowerBound(idx.names, variant); i < len(idx.names) && idx.names[i].key == variant; i++ {
				offer(idx.names[i], pick(idx.names[i].alt < 0, scoreExactMain, scoreExactAlt)-variantPenalty)
			}
		}
		if skel != "" {
			for i := lowerBound(idx.skeletons, skel); i < len(idx.skeletons) && idx.skeletons[i].key == skel; i++ {
				offer(idx.skeletons[i], scoreSkeleton)
			}
		}
		cands = s.cands
	}

	for pi := range q.Extra {
		p := &q.Extra[pi]
		best := cand{place: int32(pi), pop: p.Population, room: true}
		try := func(name string, main bool) {
			k := string(fold.key(name))
			if k == "" {
				return
			}
			var sc float64
			switch {
			case k == key:
				sc = pick(main, scoreExactMain, scoreExactAlt)
			case hasVariant && k == variant:
				sc = pick(main, scoreExactMain, scoreExactAlt) - variantPenalty
			case len(key) >= minPrefixKey && strings.HasPrefix(k, key):
				sc = pick(main, scorePrefixMain, scorePrefixAlt)
			case skel != "" && skeleton(k) == skel:
				sc = scoreSkeleton
			}
			if sc > best.score {
				best.score, best.matched = sc, name
			}
		}
		try(p.Name, true)
		for _, a := range p.AltNames {
			try(a, false)
		}
		if best.score > 0 {
			best.score += prefer(p.Country)
			cands = append(cands, best)
		}
	}
	if s != nil {
		s.cands = cands // keep the grown buffer for the next query
	}

	top := topN(cands, limit)
	out := make([]Match, len(top))
	for i, c := range top {
		if c.room {
			p := &q.Extra[c.place]
			out[i] = Match{
				ID: p.ID, Name: p.Name, Matched: c.matched, Country: p.Country,
				Lat: p.Lat, Lon: p.Lon, Population: p.Population,
				Score: round(c.score), Source: SourceRoom,
			}
			continue
		}
		p := &idx.places[c.place]
		out[i] = Match{
			ID: "geonames:" + strconv.Itoa(int(p.id)), Name: p.name, Matched: p.nameAt(c.alt),
			Country: p.country, Lat: p.lat, Lon: p.lon, Population: int(p.pop), Feature: p.feature,
			Score: round(c.score), Source: SourceGeoNames,
		}
	}
	return out
}

// topN returns the best n candidates in ranking order, without sorting them
// all: a short prefix like "san" can offer thousands.
func topN(cands []cand, n int) []cand {
	top := make([]cand, 0, min(n, len(cands)))
	for i := range cands {
		c := &cands[i]
		if len(top) == n && !better(c, &top[n-1]) {
			continue
		}
		j := len(top)
		if j < n {
			top = append(top, cand{})
		} else {
			j = n - 1
		}
		for ; j > 0 && better(c, &top[j-1]); j-- {
			top[j] = top[j-1]
		}
		top[j] = *c
	}
	return top
}

func (p *place) nameAt(alt int16) string {
	switch alt {
	case altMain:
		return p.name
	case altASCII:
		return p.ascii
	}
	alts := p.alts
	for i := int16(0); alts != ""; i++ {
		var a string
		a, alts, _ = strings.Cut(alts, "|")
		if i == alt {
			return a
		}
	}
	return p.name
}

func pick(main bool, a, b float64) float64 {
	if main {
		return a
	}
	return b
}

// round hides float noise (0.9-0.05 = 0.8500000000000001) from callers.
func round(f float64) float64 {
	return float64(int64(f*1000+0.5)) / 1000
}

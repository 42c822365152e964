package intel

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/opsroom/opsroom/internal/access"
	"github.com/opsroom/opsroom/internal/item"
	"github.com/opsroom/opsroom/internal/store"
	"github.com/opsroom/opsroom/internal/validate"
)

// SearchQuery is a full-text search over a room's reports with filters.
// Every filter is applied inside the database together with the
// need-to-know predicate.
type SearchQuery struct {
	// Text is matched word by word (every word must occur; English
	// stemming). Empty lists by the filters alone, oldest first.
	Text string
	// Reliability keeps reports whose source (visible to the caller) has
	// one of these grades.
	Reliability []Reliability
	// MaxCredibility keeps reports with credibility 1..MaxCredibility
	// (1 is best); 0 means any.
	MaxCredibility int
	// ObservedFrom and ObservedTo keep reports whose observed interval
	// overlaps [from, to]; either may be zero (open).
	ObservedFrom, ObservedTo time.Time
	// BBox keeps reports with a place in the box (min lon, min lat, max
	// lon, max lat); nil means anywhere.
	BBox *[4]float64
	// Partner keeps reports shared by this partner (code).
	Partner string
	// Contested keeps reports behind a claim of a contested event, as the
	// caller sees it (both sides visible).
	Contested bool
	// After is the cursor of the previous page; Limit the page size.
	After string
	Limit int
}

// Hit is one search result: the report and its rank (higher is better):
// RankTitle, RankText or RankNone.
type Hit struct {
	Report SharedReport `json:"report"`
	Rank   float64      `json:"rank"`
}

// SearchPage is one page of hits.
type SearchPage struct {
	Hits       []Hit  `json:"hits"`
	NextCursor string `json:"next_cursor,omitempty"`
}

// words splits free text into the words the index holds (letters and
// digits), so the user's text can never be read as query syntax.
func words(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsNumber(r) })
}

// Ranks a hit can have. The rank depends only on the report and the
// query, never on statistics over the whole index (which would let hidden
// reports shift the order).
const (
	// RankTitle: every word of the query is in the report's title.
	RankTitle = 2
	// RankText: every word is in the report, not all of them in the title.
	RankText = 1
	// RankNone: a search by filters alone.
	RankNone = 0
)

// tier is one rank's share of a search: its rank, the full-text
// predicate that selects its reports, and (PostgreSQL) the tsquery over
// the terms column its reports match too ("" for none).
type tier struct {
	rank  float64
	pred  string
	args  []any
	terms string
}

// tiers returns the full-text predicates of each rank, best first, and
// whether they read SQLite's full-text index.
//
// Within a rank, hits come in the order they were shared, the most recent
// first (by the reports' doc number), so that each rank's hits can be read
// from the index in order and a search stops after the page it returns:
// a word in a third of a million reports costs no more than a rare one.
func (s *Service) tiers(ws []string, q SearchQuery) ([]tier, bool) {
	cred, window := filterTokens(q)
	if s.db.Engine() == store.Postgres {
		// The window's tokens, as a tsquery over the terms column that the
		// GIN indexes of migration 0009_report_terms hold next to the
		// words, so that one index scan intersects words and window. (Not
		// the credibility's: a sixth of the reports or more hold each, and
		// reading such long lists from the index costs more than checking
		// the credibility of each row the index returns.)
		ft := ""
		if window != nil {
			ft = "(" + strings.Join(window, " | ") + ")"
		}
		if len(ws) == 0 {
			return []tier{{rank: RankNone, pred: "1 = 1", terms: ft}}, false
		}
		// tsv holds the title and body, title_tsv the title alone.
		//
		// The words are written into the SQL as literals, not passed as
		// parameters: PostgreSQL then plans each search knowing how common
		// its words are, where a cached generic plan would pick one way
		// for all. words() keeps only letters and digits, and the filter
		// tokens are letters and digits made here, so a literal cannot end
		// early, hold a placeholder or be read as query syntax.
		q := "plainto_tsquery('english', '" + strings.Join(ws, " ") + "')"
		return []tier{
			{RankTitle, "rp.title_tsv @@ " + q, nil, ft},
			{RankText, "rp.tsv @@ " + q + " AND NOT rp.title_tsv @@ " + q, nil, ft},
		}, false
	}
	// The filters' tokens (migration 0008).
	var parts []string
	for _, g := range [][]string{cred, window} {
		if g != nil {
			parts = append(parts, "("+strings.Join(g, " OR ")+")")
		}
	}
	pre := ""
	if len(parts) > 0 {
		pre = "({terms} : (" + strings.Join(parts, " AND ") + "))"
	}
	if len(ws) == 0 {
		if pre == "" {
			return []tier{{rank: RankNone, pred: "1 = 1"}}, false
		}
		return []tier{{rank: RankNone, pred: "f.report_fts MATCH ?", args: []any{pre}}}, true
	}
	quoted := make([]string, len(ws))
	for i, w := range ws {
		quoted[i] = `"` + w + `"`
	}
	all := "(" + strings.Join(quoted, " ") + ")"
	title := "({title} : " + all + ")"
	text := "(({title body} : " + all + ") NOT " + title + ")"
	if pre != "" {
		title, text = "("+title+" AND "+pre+")", "("+text+" AND "+pre+")"
	}
	return []tier{
		{rank: RankTitle, pred: "f.report_fts MATCH ?", args: []any{title}},
		{rank: RankText, pred: "f.report_fts MATCH ?", args: []any{text}},
	}, true
}

// The buckets of the filter tokens (migrations 0008_report_terms on
// SQLite, 0009_report_terms on PostgreSQL).
const (
	weekMicros    = 604_800_000_000
	quarterMicros = 13 * weekMicros
)

// roomKey is a room's part of PostgreSQL's doc-block tokens: its ID
// without dashes, or "" when the ID holds anything but ASCII letters and
// digits (the search then reads in one step, without block tokens).
func roomKey(id string) string {
	k := strings.ReplaceAll(id, "-", "")
	for _, r := range k {
		if !('0' <= r && r <= '9' || 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z') {
			return ""
		}
	}
	return k
}

// filterTokens returns the filter tokens every report passing q's
// credibility and observed-window filters holds: one of cred and one of
// window (nil when q has no such filter, or none worth it). The tokens
// are those the migrations compute for each report; they only narrow the
// candidates, the filters are still applied exactly.
func filterTokens(q SearchQuery) (cred, window []string) {
	if q.MaxCredibility >= 1 && q.MaxCredibility < 6 {
		for c := 1; c <= q.MaxCredibility; c++ {
			cred = append(cred, "c"+strconv.Itoa(c))
		}
	}
	if !q.ObservedFrom.IsZero() && !q.ObservedTo.IsZero() && !q.ObservedTo.Before(q.ObservedFrom) {
		from, to := store.Micros(q.ObservedFrom), store.Micros(q.ObservedTo)
		if to/weekMicros-from/weekMicros < 60 {
			window = []string{"tany"}
			for k := from / weekMicros; k <= to/weekMicros; k++ {
				window = append(window, "tw"+bucket(k))
			}
			for k := from / quarterMicros; k <= to/quarterMicros; k++ {
				window = append(window, "tq"+bucket(k))
			}
		}
	}
	return cred, window
}

func bucket(k int64) string { return strings.ReplaceAll(strconv.FormatInt(k, 10), "-", "m") }

// Search runs a ranked full-text search over the reports of a room the
// caller may see.
//
// Hits whose title holds every word of the query come first (rank 2),
// then those holding every word anywhere (rank 1); within a rank, the most
// recently shared first. A search by filters alone (no words) lists the
// reports most recently shared first, with rank 0. Every filter and the
// need-to-know predicate are applied inside the query, row by row as the
// index yields them, so a search reads about as many rows as it returns
// (more when filters or the marking reject many). It returns no count.
func (s *Service) Search(ctx context.Context, p access.Principal, slug string, q SearchQuery) (SearchPage, error) {
	rm, err := s.readRoom(ctx, p, slug)
	if err != nil {
		return SearchPage{}, err
	}
	ws := words(q.Text)
	if len(ws) > 32 {
		return SearchPage{}, validate.Field("q", "at most 32 words")
	}
	if q.Limit <= 0 {
		q.Limit = 50
	}
	afterRank, afterID := math.Inf(1), ""
	if q.After != "" {
		sc, id, ok := strings.Cut(q.After, "|")
		f, err := strconv.ParseFloat(sc, 64)
		if !ok || err != nil || id == "" {
			return SearchPage{}, validate.Field("cursor", "is not one this server gave out")
		}
		afterRank, afterID = f, id
	}
	read := item.For(p.Viewer)
	where := []string{"i.room_id = ?", "i.kind = 'report'", "{visible i}"}
	wargs := []any{rm.ID}
	if len(q.Reliability) > 0 {
		grades := make([]any, len(q.Reliability))
		for i, r := range q.Reliability {
			grades[i] = r.String()
		}
		where = append(where, `EXISTS (SELECT 1 FROM {items fi} JOIN sources fs ON fs.item_id = fi.id WHERE fi.id = rp.source_id AND fs.reliability IN (`+marks(len(grades))+`) AND {visible fi})`)
		wargs = append(wargs, grades...)
	}
	// Numbers go into PostgreSQL's SQL as literals, for the reason given
	// in tiers (a plan made for the actual window and grade); they are
	// formatted here from Go numbers, so they are only digits, a sign and
	// a point.
	num := func(v any) string {
		if s.db.Engine() != store.Postgres {
			wargs = append(wargs, v)
			return "?"
		}
		switch v := v.(type) {
		case int:
			return strconv.Itoa(v)
		case int64:
			return strconv.FormatInt(v, 10)
		case float64:
			return strconv.FormatFloat(v, 'g', -1, 64)
		}
		panic(fmt.Sprintf("search: no literal for %T", v))
	}
	if q.MaxCredibility > 0 {
		where = append(where, "rp.credibility <= "+num(q.MaxCredibility))
	}
	if !q.ObservedFrom.IsZero() {
		where = append(where, "rp.observed_end >= "+num(store.Micros(q.ObservedFrom)))
	}
	if !q.ObservedTo.IsZero() {
		where = append(where, "rp.observed_start <= "+num(store.Micros(q.ObservedTo)))
	}
	if q.BBox != nil {
		b := q.BBox
		where = append(where, "rp.max_lon >= "+num(b[0])+" AND rp.min_lon <= "+num(b[2])+" AND rp.max_lat >= "+num(b[1])+" AND rp.min_lat <= "+num(b[3]))
	}
	if q.Partner != "" {
		where = append(where, "i.owner_partner_id = (SELECT id FROM partners WHERE code = ?)")
		wargs = append(wargs, strings.ToUpper(q.Partner))
	}
	if q.Contested {
		where = append(where, `EXISTS (SELECT 1 FROM claim_reports cr JOIN claims c1 ON c1.item_id = cr.claim_id JOIN {items ci1} ON ci1.id = c1.item_id
			WHERE cr.report_id = rp.item_id AND {visible ci1} AND EXISTS (SELECT 1 FROM claims ca JOIN {items cia} ON cia.id = ca.item_id
				JOIN claims cb ON cb.event_id = ca.event_id AND cb.proposition = ca.proposition AND cb.stance <> ca.stance JOIN {items cib} ON cib.id = cb.item_id
				WHERE ca.event_id = c1.event_id AND {visible cia} AND {visible cib}))`)
	}
	// A cursor names the last report of the previous page; the next page
	// starts after it, in its rank. The report must be one the caller may
	// see (otherwise the page is empty), so a cursor made up from a hidden
	// report's ID tells nothing about where that report stands.
	afterDoc := int64(math.MaxInt64)
	if afterID != "" {
		err := store.Scan(read.QueryRow(ctx, s.db, `SELECT crp.doc FROM reports crp JOIN {items ci} ON ci.id = crp.item_id WHERE crp.item_id = ? AND {visible ci}`,
			afterID), &afterDoc)
		if errors.Is(err, store.ErrNotFound) {
			return SearchPage{Hits: []Hit{}}, nil
		}
		if err != nil {
			return SearchPage{}, err
		}
	}
	top, err := s.topDoc(ctx)
	if err != nil {
		return SearchPage{}, err
	}
	room := roomKey(rm.ID)
	tiers, fts := s.tiers(ws, q)
	// The hits are found first, as doc numbers in order, with every filter
	// and the need-to-know predicate applied to reports and items alone;
	// then only those rows are read with what a hit shows (source,
	// members, partner), in one query. The rows are driven by the
	// full-text index in doc order (SQLite; its CROSS JOIN fixes the join
	// order) or by whichever of its GIN indexes and the doc order
	// PostgreSQL finds cheaper.
	from, order := "FROM reports rp JOIN {items i} ON i.id = rp.item_id", "rp.doc DESC"
	if s.db.Engine() == store.SQLite {
		from = "FROM reports rp CROSS JOIN {items i} ON i.id = rp.item_id"
		if fts {
			from, order = "FROM report_fts f CROSS JOIN reports rp ON rp.doc = f.rowid CROSS JOIN {items i} ON i.id = rp.item_id", "f.rowid DESC"
		}
	}
	type hit struct {
		doc  int64
		rank float64
	}
	var hits []hit
	want := q.Limit + 1
	for _, t := range tiers {
		if t.rank > afterRank {
			continue
		}
		bound := int64(math.MaxInt64)
		if t.rank == afterRank {
			bound = afterDoc
		}
		for _, st := range s.steps(room, min(top, bound-1)) {
			if len(hits) >= want {
				break
			}
			tw := append(slices.Clone(where), t.pred)
			args := append(slices.Clone(wargs), t.args...)
			if terms := strings.Trim(st+" & "+t.terms, " &"); terms != "" {
				tw = append(tw, "rp.terms @@ '"+terms+"'::tsquery")
			}
			if bound != math.MaxInt64 {
				tw = append(tw, "rp.doc < "+strconv.FormatInt(bound, 10))
			}
			sq, sargs := read.SQL(`SELECT rp.doc `+from+` WHERE `+strings.Join(tw, " AND ")+` ORDER BY `+order+` LIMIT `+strconv.Itoa(want-len(hits)), args...)
			docs, err := store.Column[int64](ctx, s.db, sq, sargs...)
			if err != nil {
				return SearchPage{}, err
			}
			for _, d := range docs {
				hits = append(hits, hit{d, t.rank})
			}
		}
	}
	out := SearchPage{Hits: []Hit{}}
	if len(hits) == 0 {
		return out, nil
	}
	docs := make([]any, len(hits))
	for i, h := range hits {
		docs[i] = h.doc
	}
	// The hits' rows, read with the room and the need-to-know predicate
	// again: a report whose marking changed since the query above is left
	// out, not shown.
	reps := map[int64]SharedReport{}
	rows, err := read.Query(ctx, s.db, s.reportSelect("rp.doc")+` WHERE rp.doc IN (`+marks(len(docs))+`) AND i.room_id = ? AND {visible i}`,
		append(docs, rm.ID)...)
	if err != nil {
		return SearchPage{}, err
	}
	defer rows.Close()
	for rows.Next() {
		var doc int64
		r, err := scanReport(rows, &doc)
		if err != nil {
			return SearchPage{}, err
		}
		reps[doc] = r
	}
	if err := rows.Err(); err != nil {
		return SearchPage{}, err
	}
	for _, h := range hits {
		if r, ok := reps[h.doc]; ok {
			out.Hits = append(out.Hits, Hit{Report: r, Rank: h.rank})
		}
	}
	if len(out.Hits) > q.Limit {
		out.Hits = out.Hits[:q.Limit]
		last := out.Hits[q.Limit-1]
		out.NextCursor = strconv.FormatFloat(last.Rank, 'g', -1, 64) + "|" + last.Report.ID
	}
	return out, nil
}

// The doc blocks of migration 0009_report_terms (PostgreSQL): "d" tokens
// name a room's reports in blocks of 1<<docBlock docs, "e", "f" and "g"
// in blocks of 8, 64 and 512 of those ("d<room>x<block>").
const (
	docBlock  = 12
	firstStep = 8192 // docs in a search's first slice; each next is 8 times larger
)

// steps returns the slices of the reports a search reads in turn, for
// reports with doc numbers up to top, newest first: each a PostgreSQL
// tsquery over doc-block tokens, "" for all reports.
//
// SQLite reads each rank from its full-text index in doc order and stops
// after the page: one step. PostgreSQL's GIN indexes return their
// matches in no useful order, and each match costs a visit to the table
// to be sorted, so a search over a large room reads the newest 8,192
// reports first, then the 57,344 before them, and so on, each slice 8
// times the reports read so far, stopping as soon as the page is full. A
// later slice is read only when the earlier ones held fewer matches than
// the page, which bounds what it holds (about 7 pages' worth, if matches
// are spread evenly): a common word fills the page from the first slice,
// a rare one has few matches anywhere. The blocks are the room's own, so
// the slices never read another room's reports, however large.
func (s *Service) steps(room string, top int64) []string {
	if s.db.Engine() != store.Postgres || room == "" {
		return []string{""}
	}
	return docSteps(room, top)
}

// docSteps returns PostgreSQL's steps for a room's reports up to doc top.
func docSteps(room string, top int64) []string {
	if top < 2*firstStep {
		return []string{""}
	}
	var out []string
	hi := top >> docBlock // the newest block not yet read
	for span := int64(firstStep); hi >= 0; span *= 8 {
		lo := max(0, (top-span)>>docBlock)
		if lo > hi {
			continue
		}
		out = append(out, "("+strings.Join(blocks(room, lo, hi), " | ")+")")
		hi = lo - 1
	}
	return out
}

// blocks names a room's doc blocks from lo to hi (in blocks of
// 1<<docBlock docs) with the fewest tokens, using the larger blocks that
// fit whole.
func blocks(room string, lo, hi int64) []string {
	var out []string
	for k := lo; k <= hi; {
		switch {
		case k%512 == 0 && k+511 <= hi:
			out = append(out, "g"+room+"x"+strconv.FormatInt(k/512, 10))
			k += 512
		case k%64 == 0 && k+63 <= hi:
			out = append(out, "f"+room+"x"+strconv.FormatInt(k/64, 10))
			k += 64
		case k%8 == 0 && k+7 <= hi:
			out = append(out, "e"+room+"x"+strconv.FormatInt(k/8, 10))
			k += 8
		default:
			out = append(out, "d"+room+"x"+strconv.FormatInt(k, 10))
			k++
		}
	}
	return out
}

// topDoc returns the newest report's doc number on PostgreSQL (where
// steps needs it), 0 on SQLite.
func (s *Service) topDoc(ctx context.Context) (int64, error) {
	var top int64
	if s.db.Engine() != store.Postgres {
		return 0, nil
	}
	err := store.Scan(s.db.QueryRow(ctx, `SELECT COALESCE(MAX(doc), 0) FROM reports`), &top)
	return top, err
}

// ParseReliabilities reads "A,B" into grades, naming field on error.
func ParseReliabilities(field, s string) ([]Reliability, error) {
	var out []Reliability
	for _, part := range strings.Split(s, ",") {
		if part = strings.TrimSpace(part); part == "" {
			continue
		}
		r, err := ParseReliability(part)
		if err != nil {
			return nil, validate.Field(field, "%q is not a reliability grade; want letters A to F separated by commas", part)
		}
		out = append(out, r)
	}
	return out, nil
}

// ParseBBox reads "minLon,minLat,maxLon,maxLat".
func ParseBBox(field, s string) (*[4]float64, error) {
	parts := strings.Split(s, ",")
	if len(parts) != 4 {
		return nil, validate.Field(field, "want min_lon,min_lat,max_lon,max_lat")
	}
	var b [4]float64
	for i, p := range parts {
		f, err := strconv.ParseFloat(strings.TrimSpace(p), 64)
		if err != nil {
			return nil, validate.Field(field, "%q is not a number", p)
		}
		b[i] = f
	}
	if b[0] > b[2] || b[1] > b[3] || b[1] < -90 || b[3] > 90 || b[0] < -180 || b[2] > 180 {
		return nil, validate.Field(field, "%s is not a box: want min <= max within -180..180 and -90..90", fmt.Sprint(b))
	}
	return &b, nil
}

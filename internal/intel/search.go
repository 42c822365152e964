package intel

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/opsroom/opsroom/internal/access"
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

// tier is one rank's share of a search: its rank and the full-text
// predicate that selects its reports.
type tier struct {
	rank float64
	pred string
	args []any
}

// tiers returns the full-text predicates of each rank, best first, and
// whether they read SQLite's full-text index.
//
// Within a rank, hits come in the order they were shared, the most recent
// first (by the reports' doc number), so that each rank's hits can be read
// straight from the index in order and a search stops after the page it
// returns, however many reports match: a word in a third of a million
// reports costs no more than a rare one.
func (s *Service) tiers(ws []string, q SearchQuery) ([]tier, bool) {
	if s.db.Engine() == store.Postgres {
		if len(ws) == 0 {
			return []tier{{rank: RankNone, pred: "1 = 1"}}, false
		}
		// tsv holds the title and body, title_tsv the title alone (with
		// its own statistics, so the planner can tell a word rare in
		// titles from a common one).
		//
		// The words are written into the SQL as literals, not passed as
		// parameters: PostgreSQL then plans each search knowing how common
		// its words are (reading a word in a third of the reports in doc
		// order and stopping after the page, but a rare one through the GIN
		// index), where a cached generic plan would pick one way for all.
		// words() keeps only letters and digits, so a literal cannot end
		// early, hold a placeholder or be read as query syntax.
		q := "plainto_tsquery('english', '" + strings.Join(ws, " ") + "')"
		return []tier{
			{RankTitle, "rp.title_tsv @@ " + q, nil},
			{RankText, "rp.tsv @@ " + q + " AND NOT rp.title_tsv @@ " + q, nil},
		}, false
	}
	pre := filterTerms(q)
	if len(ws) == 0 {
		if pre == "" {
			return []tier{{rank: RankNone, pred: "1 = 1"}}, false
		}
		return []tier{{RankNone, "f.report_fts MATCH ?", []any{pre}}}, true
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
		{RankTitle, "f.report_fts MATCH ?", []any{title}},
		{RankText, "f.report_fts MATCH ?", []any{text}},
	}, true
}

// The buckets of SQLite's filter tokens (migration 0008_report_terms).
const (
	weekMicros    = 604_800_000_000
	quarterMicros = 13 * weekMicros
)

// filterTerms returns an expression over the full-text index's terms
// column that every report passing q's credibility and observed-window
// filters matches, or "" when q has no filter worth it. The tokens are
// those migration 0008_report_terms computes for each report; they only
// narrow the candidates, the filters are still applied exactly.
func filterTerms(q SearchQuery) string {
	var parts []string
	if q.MaxCredibility >= 1 && q.MaxCredibility < 6 {
		var cs []string
		for c := 1; c <= q.MaxCredibility; c++ {
			cs = append(cs, "c"+strconv.Itoa(c))
		}
		parts = append(parts, "("+strings.Join(cs, " OR ")+")")
	}
	if !q.ObservedFrom.IsZero() && !q.ObservedTo.IsZero() && !q.ObservedTo.Before(q.ObservedFrom) {
		from, to := store.Micros(q.ObservedFrom), store.Micros(q.ObservedTo)
		if to/weekMicros-from/weekMicros < 60 {
			ts := []string{"tany"}
			for k := from / weekMicros; k <= to/weekMicros; k++ {
				ts = append(ts, "tw"+bucket(k))
			}
			for k := from / quarterMicros; k <= to/quarterMicros; k++ {
				ts = append(ts, "tq"+bucket(k))
			}
			parts = append(parts, "("+strings.Join(ts, " OR ")+")")
		}
	}
	if len(parts) == 0 {
		return ""
	}
	return "({terms} : (" + strings.Join(parts, " AND ") + "))"
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
	sel, selArgs := reportSelect(p.Viewer)
	pred, pargs := access.Filter("i", p.Viewer)
	where := []string{"i.room_id = ?", "i.kind = 'report'", pred}
	wargs := append([]any{rm.ID}, pargs...)
	if len(q.Reliability) > 0 {
		spred, sargs := access.Filter("fi", p.Viewer)
		grades := make([]any, len(q.Reliability))
		for i, r := range q.Reliability {
			grades[i] = r.String()
		}
		where = append(where, `EXISTS (SELECT 1 FROM items fi JOIN sources fs ON fs.item_id = fi.id WHERE fi.id = rp.source_id AND fs.reliability IN (`+marks(len(grades))+`) AND `+spred+`)`)
		wargs = append(append(wargs, grades...), sargs...)
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
	if s.db.Engine() == store.Postgres && !q.ObservedFrom.IsZero() && !q.ObservedTo.IsZero() && !q.ObservedTo.Before(q.ObservedFrom) {
		// The same overlap, in the form the GiST index of migration
		// 0008_report_terms answers.
		where = append(where, "int8range(rp.observed_start, rp.observed_end, '[]') && int8range("+
			num(store.Micros(q.ObservedFrom))+", "+num(store.Micros(q.ObservedTo))+", '[]')")
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
		p1, a1 := access.Filter("ci1", p.Viewer)
		pa, aa := access.Filter("cia", p.Viewer)
		pb, ab := access.Filter("cib", p.Viewer)
		where = append(where, `EXISTS (SELECT 1 FROM claim_reports cr JOIN claims c1 ON c1.item_id = cr.claim_id JOIN items ci1 ON ci1.id = c1.item_id
			WHERE cr.report_id = rp.item_id AND `+p1+` AND EXISTS (SELECT 1 FROM claims ca JOIN items cia ON cia.id = ca.item_id
				JOIN claims cb ON cb.event_id = ca.event_id AND cb.proposition = ca.proposition AND cb.stance <> ca.stance JOIN items cib ON cib.id = cb.item_id
				WHERE ca.event_id = c1.event_id AND `+pa+` AND `+pb+`))`)
		wargs = append(append(append(wargs, a1...), aa...), ab...)
	}
	// The rows are driven by the full-text index in doc order (SQLite) or
	// by whichever of the GIN index and the doc index PostgreSQL finds
	// cheaper; items and the marking tables are joined to each candidate.
	// (SQLite's CROSS JOIN fixes the join order.)
	tiers, fts := s.tiers(ws, q)
	from, order := "FROM reports rp JOIN items i ON i.id = rp.item_id", "rp.doc DESC"
	if s.db.Engine() == store.SQLite {
		from = "FROM reports rp CROSS JOIN items i ON i.id = rp.item_id"
		if fts {
			from, order = "FROM report_fts f CROSS JOIN reports rp ON rp.doc = f.rowid CROSS JOIN items i ON i.id = rp.item_id", "f.rowid DESC"
		}
	}
	sel = strings.Replace(sel, "FROM items i JOIN reports rp ON rp.item_id = i.id", from, 1)
	// A cursor names the last report of the previous page; the next page
	// starts after it, in its rank. The report must be one the caller may
	// see (otherwise the page is empty), so a cursor made up from a hidden
	// report's ID tells nothing about where that report stands.
	cpred, cargs := access.Filter("ci", p.Viewer)
	cursor := `rp.doc < (SELECT crp.doc FROM reports crp JOIN items ci ON ci.id = crp.item_id WHERE crp.item_id = ? AND ` + cpred + `)`
	out := SearchPage{Hits: []Hit{}}
	want := q.Limit + 1
	for _, t := range tiers {
		if t.rank > afterRank || len(out.Hits) >= want {
			continue
		}
		tw := append(slices.Clone(where), t.pred)
		args := append(append(slices.Clone(selArgs), wargs...), t.args...)
		if t.rank == afterRank {
			tw = append(tw, cursor)
			args = append(append(args, afterID), cargs...)
		}
		args = append(args, want-len(out.Hits))
		if err := s.searchTier(ctx, &out, t.rank, sel+` WHERE `+strings.Join(tw, " AND ")+` ORDER BY `+order+` LIMIT ?`, args); err != nil {
			return SearchPage{}, err
		}
	}
	if len(out.Hits) > q.Limit {
		out.Hits = out.Hits[:q.Limit]
		last := out.Hits[q.Limit-1]
		out.NextCursor = strconv.FormatFloat(last.Rank, 'g', -1, 64) + "|" + last.Report.ID
	}
	return out, nil
}

// searchTier appends one rank's hits.
func (s *Service) searchTier(ctx context.Context, out *SearchPage, rank float64, query string, args []any) error {
	rows, err := s.db.Query(ctx, query, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		r, err := scanReport(rows)
		if err != nil {
			return err
		}
		out.Hits = append(out.Hits, Hit{Report: r, Rank: rank})
	}
	return rows.Err()
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

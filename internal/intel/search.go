package intel

import (
	"context"
	"fmt"
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

// Hit is one search result: the report and its rank (higher is better).
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

// Search runs a ranked full-text search over the reports of a room the
// caller may see.
//
// The rank depends only on the report itself and the query (never on
// corpus statistics, which would let hidden reports shift the order): on
// SQLite, twice the number of matched words in the title plus those in the
// body; on PostgreSQL, ts_rank with title words weighted above body
// words. Ties are broken by report ID.
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
	sel, args := reportSelect(p.Viewer)
	pred, pargs := access.Filter("i", p.Viewer)
	var score, from, cte string
	var fromArgs []any
	switch {
	case len(ws) == 0:
		score = "0.0"
	case s.db.Engine() == store.Postgres:
		// ts_rank is real (float4); widen it so the cursor round-trips.
		score = "ts_rank(rp.tsv, plainto_tsquery('english', ?))::float8"
		fromArgs = append(fromArgs, strings.Join(ws, " "))
	default:
		// The matches are found and scored first, in the full-text index
		// alone, then joined to reports and items (SQLite would otherwise
		// drive from items and run the MATCH once per row). highlight()
		// marks each matched token with \x01; counting the marks gives the
		// matches per column without any corpus statistics. Hidden matches
		// are scored too but filtered out below before anything is returned.
		score = "m.score"
		cte = `WITH m AS MATERIALIZED (SELECT rowid AS doc,
			2.0 * (length(highlight(report_fts, 0, char(1), '')) - length(replace(highlight(report_fts, 0, char(1), ''), char(1), '')))
			+ (length(highlight(report_fts, 1, char(1), '')) - length(replace(highlight(report_fts, 1, char(1), ''), char(1), ''))) AS score
			FROM report_fts WHERE report_fts MATCH ?) `
		quoted := make([]string, len(ws))
		for i, w := range ws {
			quoted[i] = `"` + w + `"`
		}
		fromArgs = append(fromArgs, strings.Join(quoted, " "))
		from = "FROM m CROSS JOIN reports rp ON rp.doc = m.doc CROSS JOIN items i ON i.id = rp.item_id"
	}
	where := []string{"i.room_id = ?", "i.kind = 'report'", pred}
	wargs := append([]any{rm.ID}, pargs...)
	if len(ws) > 0 && s.db.Engine() == store.Postgres {
		where = append(where, "rp.tsv @@ plainto_tsquery('english', ?)")
		wargs = append(wargs, strings.Join(ws, " "))
	}
	if len(q.Reliability) > 0 {
		spred, sargs := access.Filter("fi", p.Viewer)
		grades := make([]any, len(q.Reliability))
		for i, r := range q.Reliability {
			grades[i] = r.String()
		}
		where = append(where, `EXISTS (SELECT 1 FROM items fi JOIN sources fs ON fs.item_id = fi.id WHERE fi.id = rp.source_id AND fs.reliability IN (`+marks(len(grades))+`) AND `+spred+`)`)
		wargs = append(append(wargs, grades...), sargs...)
	}
	if q.MaxCredibility > 0 {
		where = append(where, "rp.credibility <= ?")
		wargs = append(wargs, q.MaxCredibility)
	}
	if !q.ObservedFrom.IsZero() {
		where = append(where, "rp.observed_end >= ?")
		wargs = append(wargs, store.Micros(q.ObservedFrom))
	}
	if !q.ObservedTo.IsZero() {
		where = append(where, "rp.observed_start <= ?")
		wargs = append(wargs, store.Micros(q.ObservedTo))
	}
	if q.BBox != nil {
		b := q.BBox
		where = append(where, "rp.max_lon >= ? AND rp.min_lon <= ? AND rp.max_lat >= ? AND rp.min_lat <= ?")
		wargs = append(wargs, b[0], b[2], b[1], b[3])
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
	// The score is computed in an inner query so the keyset cursor can
	// compare it.
	inner := strings.Replace(sel, "SELECT ", "SELECT "+score+" AS score, ", 1)
	if from != "" {
		inner = strings.Replace(inner, "FROM items i JOIN reports rp ON rp.item_id = i.id", from, 1)
	}
	all := append(append(fromArgs, args...), wargs...)
	query := cte + `SELECT * FROM (` + inner + ` WHERE ` + strings.Join(where, " AND ") + `) hits`
	if q.After != "" {
		sc, id, ok := strings.Cut(q.After, "|")
		f, err := strconv.ParseFloat(sc, 64)
		if !ok || err != nil {
			return SearchPage{}, validate.Field("cursor", "is not one this server gave out")
		}
		query += ` WHERE hits.score < ? OR (hits.score = ? AND hits.id > ?)`
		all = append(all, f, f, id)
	}
	query += ` ORDER BY hits.score DESC, hits.id LIMIT ?`
	all = append(all, q.Limit+1)
	rows, err := s.db.Query(ctx, query, all...)
	if err != nil {
		return SearchPage{}, err
	}
	defer rows.Close()
	out := SearchPage{Hits: []Hit{}}
	for rows.Next() {
		var h Hit
		var rank float64
		r, err := scanReportScored(rows, &rank)
		if err != nil {
			return SearchPage{}, err
		}
		h.Report, h.Rank = r, rank
		out.Hits = append(out.Hits, h)
	}
	if err := rows.Err(); err != nil {
		return SearchPage{}, err
	}
	if len(out.Hits) > q.Limit {
		out.Hits = out.Hits[:q.Limit]
		last := out.Hits[q.Limit-1]
		out.NextCursor = strconv.FormatFloat(last.Rank, 'g', -1, 64) + "|" + last.Report.ID
	}
	return out, nil
}

// scanReportScored scans a row whose first column is the score.
func scanReportScored(rows interface{ Scan(...any) error }, score *float64) (SharedReport, error) {
	return scanReport(prefixScanner{rows, score})
}

// prefixScanner scans a leading column into first and hands the rest on.
type prefixScanner struct {
	s     interface{ Scan(...any) error }
	first *float64
}

func (p prefixScanner) Scan(dest ...any) error {
	return p.s.Scan(append([]any{p.first}, dest...)...)
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

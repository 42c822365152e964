package intel

import (
	"net/http"
	"strconv"
	"time"

	"github.com/opsroom/opsroom/internal/access"
	"github.com/opsroom/opsroom/internal/httpapi"
	"github.com/opsroom/opsroom/internal/validate"
)

const tag = "intel"

// Routes adds the intelligence API to a (listed in internal/cli/wire.go).
func (s *Service) Routes(a *httpapi.API) {
	const room = "/api/v1/rooms/{room}"

	// Sources.
	httpapi.JSON(a, httpapi.Route{Method: "POST", Path: room + "/sources", Summary: "Share a source (kind, who is behind it, reliability A-F)", Tag: tag, Status: http.StatusCreated},
		func(r *http.Request, p access.Principal, in NewSource) (SharedSource, error) {
			return s.CreateSource(r.Context(), p, r.PathValue("room"), in)
		})
	httpapi.List(a, httpapi.Route{Method: "GET", Path: room + "/sources", Summary: "The room's sources you may see", Tag: tag},
		func(x SharedSource) string { return x.ID },
		func(r *http.Request, p access.Principal, after string, limit int) ([]SharedSource, error) {
			return s.Sources(r.Context(), p, r.PathValue("room"), after, limit)
		})
	httpapi.Call(a, httpapi.Route{Method: "GET", Path: room + "/sources/{id}", Summary: "One source", Tag: tag},
		func(r *http.Request, p access.Principal) (SharedSource, error) {
			return s.Source(r.Context(), p, r.PathValue("room"), r.PathValue("id"))
		})
	httpapi.JSON(a, httpapi.Route{Method: "POST", Path: room + "/sources/{id}/grade", Summary: "Regrade a source; the old grade stays in its history", Tag: tag},
		func(r *http.Request, p access.Principal, in Regrade) (SharedSource, error) {
			return s.RegradeSource(r.Context(), p, r.PathValue("room"), r.PathValue("id"), in)
		})
	httpapi.Call(a, httpapi.Route{Method: "GET", Path: room + "/sources/{id}/grades", Summary: "A source's grade history, oldest first", Tag: tag},
		func(r *http.Request, p access.Principal) ([]GradeChange, error) {
			return s.Grades(r.Context(), p, r.PathValue("room"), r.PathValue("id"))
		})

	// Reports.
	httpapi.JSON(a, httpapi.Route{Method: "POST", Path: room + "/reports", Summary: "Share a report (source, credibility 1-6, observed interval, places, marking)", Tag: tag, Status: http.StatusCreated},
		func(r *http.Request, p access.Principal, in NewReport) (SharedReport, error) {
			return s.CreateReport(r.Context(), p, r.PathValue("room"), in)
		})
	httpapi.List(a, httpapi.Route{Method: "GET", Path: room + "/reports", Summary: "The room's reports you may see, newest first", Tag: tag},
		func(x SharedReport) string { return x.ID },
		func(r *http.Request, p access.Principal, after string, limit int) ([]SharedReport, error) {
			return s.Reports(r.Context(), p, r.PathValue("room"), after, limit)
		})
	httpapi.Call(a, httpapi.Route{Method: "GET", Path: room + "/reports/{id}", Summary: "One report", Tag: tag},
		func(r *http.Request, p access.Principal) (SharedReport, error) {
			return s.Report(r.Context(), p, r.PathValue("room"), r.PathValue("id"))
		})
	httpapi.JSON(a, httpapi.Route{Method: "PUT", Path: room + "/reports/{id}", Summary: "Replace a report's content; the replaced version is kept", Tag: tag},
		func(r *http.Request, p access.Principal, in ReportPatch) (SharedReport, error) {
			return s.UpdateReport(r.Context(), p, r.PathValue("room"), r.PathValue("id"), in)
		})
	httpapi.Call(a, httpapi.Route{Method: "GET", Path: room + "/reports/{id}/versions", Summary: "A report's versions you may see, oldest first, the current one last", Tag: tag},
		func(r *http.Request, p access.Principal) ([]ReportVersion, error) {
			return s.Versions(r.Context(), p, r.PathValue("room"), r.PathValue("id"))
		})

	// Provenance.
	httpapi.JSON(a, httpapi.Route{Method: "POST", Path: room + "/reports/{id}/links", Summary: "Record that this report repeats or cites an earlier one (cycles refused)", Tag: tag, Status: http.StatusCreated},
		func(r *http.Request, p access.Principal, in NewLink) (SharedLink, error) {
			return s.CreateLink(r.Context(), p, r.PathValue("room"), r.PathValue("id"), in)
		})
	httpapi.Call(a, httpapi.Route{Method: "GET", Path: room + "/reports/{id}/links", Summary: "A report's provenance: upstream and downstream reports you may see", Tag: tag},
		func(r *http.Request, p access.Principal) (ReportLinks, error) {
			return s.Links(r.Context(), p, r.PathValue("room"), r.PathValue("id"))
		})

	// Claims.
	httpapi.JSON(a, httpapi.Route{Method: "POST", Path: room + "/claims", Summary: "Record a claim about an event, with its supporting and disputing reports", Tag: tag, Status: http.StatusCreated},
		func(r *http.Request, p access.Principal, in NewClaim) (SharedClaim, error) {
			return s.CreateClaim(r.Context(), p, r.PathValue("room"), in)
		})
	httpapi.Call(a, httpapi.Route{Method: "GET", Path: room + "/claims/{id}", Summary: "One claim with its independent corroboration (origins, roots, echoes) over what you may see", Tag: tag},
		func(r *http.Request, p access.Principal) (SharedClaim, error) {
			return s.Claim(r.Context(), p, r.PathValue("room"), r.PathValue("id"))
		})
	httpapi.Call(a, httpapi.Route{Method: "GET", Path: room + "/events/{id}/claims", Summary: "An event's claims you may see", Tag: tag},
		func(r *http.Request, p access.Principal) ([]SharedClaim, error) {
			return s.EventClaims(r.Context(), p, r.PathValue("room"), r.PathValue("id"))
		})
	httpapi.Call(a, httpapi.Route{Method: "GET", Path: room + "/events/{id}/board", Summary: "An event's claims side by side with their corroboration and whether it is contested", Tag: tag},
		func(r *http.Request, p access.Principal) (Board, error) {
			return s.EventBoard(r.Context(), p, r.PathValue("room"), r.PathValue("id"))
		})

	// Search.
	httpapi.Call(a, httpapi.Route{Method: "GET", Path: room + "/search", Summary: "Full-text search over the reports you may see: every word in the title first (rank 2), then anywhere (rank 1); most recently shared first within a rank", Tag: tag,
		Query: []httpapi.Param{
			{Name: "q", Type: "string", Description: "words, all of which must occur (English stemming)"},
			{Name: "reliability", Type: "string", Description: "source grades to keep, e.g. A,B"},
			{Name: "max_credibility", Type: "integer", Description: "keep credibility 1..N"},
			{Name: "observed_from", Type: "string", Description: "RFC 3339; keep reports observed at or after"},
			{Name: "observed_to", Type: "string", Description: "RFC 3339; keep reports observed at or before"},
			{Name: "bbox", Type: "string", Description: "min_lon,min_lat,max_lon,max_lat"},
			{Name: "partner", Type: "string", Description: "code of the partner that shared the report"},
			{Name: "contested", Type: "boolean", Description: "only reports behind claims of contested events"},
			{Name: "limit", Type: "integer", Description: "page size, 1 to 500 (default 50)"},
			{Name: "cursor", Type: "string", Description: "next_cursor of the previous page"},
		}},
		func(r *http.Request, p access.Principal) (SearchPage, error) {
			q, err := searchQuery(r)
			if err != nil {
				return SearchPage{}, err
			}
			return s.Search(r.Context(), p, r.PathValue("room"), q)
		})
}

func searchQuery(r *http.Request) (SearchQuery, error) {
	v := r.URL.Query()
	q := SearchQuery{Text: v.Get("q"), Partner: v.Get("partner"), After: v.Get("cursor"), Limit: 50}
	var errs validate.Errors
	if s := v.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > 500 {
			errs.Add("limit", "must be a whole number from 1 to 500")
		}
		q.Limit = n
	}
	if s := v.Get("reliability"); s != "" {
		rs, err := ParseReliabilities("reliability", s)
		if err != nil {
			return q, err
		}
		q.Reliability = rs
	}
	if s := v.Get("max_credibility"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > 6 {
			errs.Add("max_credibility", "must be 1 to 6")
		}
		q.MaxCredibility = n
	}
	for _, f := range []struct {
		name string
		dst  *time.Time
	}{{"observed_from", &q.ObservedFrom}, {"observed_to", &q.ObservedTo}} {
		if s := v.Get(f.name); s != "" {
			t, err := time.Parse(time.RFC3339, s)
			if err != nil {
				errs.Add(f.name, "is not an RFC 3339 time")
			}
			*f.dst = t
		}
	}
	if s := v.Get("bbox"); s != "" {
		b, err := ParseBBox("bbox", s)
		if err != nil {
			return q, err
		}
		q.BBox = b
	}
	if s := v.Get("contested"); s != "" {
		b, err := strconv.ParseBool(s)
		if err != nil {
			errs.Add("contested", "want true or false")
		}
		q.Contested = b
	}
	return q, errs.Err()
}

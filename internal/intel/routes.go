package intel

import (
	"net/http"
	"strconv"
	"time"

	"github.com/opsroom/opsroom/internal/httpapi"
	"github.com/opsroom/opsroom/internal/validate"
)

const tag = "intel"

// Routes adds the intelligence API to a (listed in internal/cli/wire.go).
func (s *Service) Routes(a *httpapi.API) {
	const room = "/api/v1/rooms/{room}"
	pq := httpapi.PageQuery

	// Sources.
	a.Handle(httpapi.Route{Method: "POST", Path: room + "/sources", Summary: "Share a source (kind, who is behind it, reliability A-F)", Tag: tag, Auth: httpapi.Member,
		Request: NewSource{}, Response: SharedSource{}, Status: http.StatusCreated}, func(w http.ResponseWriter, r *http.Request) error {
		var in NewSource
		if err := httpapi.Decode(r, w, &in); err != nil {
			return err
		}
		out, err := s.CreateSource(r.Context(), httpapi.Caller(r), r.PathValue("room"), in)
		if err != nil {
			return err
		}
		return httpapi.WriteJSON(w, http.StatusCreated, out)
	})
	a.Handle(httpapi.Route{Method: "GET", Path: room + "/sources", Summary: "The room's sources you may see", Tag: tag, Auth: httpapi.Member,
		Query: pq, Response: httpapi.Page[SharedSource]{}}, func(w http.ResponseWriter, r *http.Request) error {
		limit, after, err := httpapi.PageParams(r)
		if err != nil {
			return err
		}
		out, err := s.Sources(r.Context(), httpapi.Caller(r), r.PathValue("room"), after, limit+1)
		if err != nil {
			return err
		}
		return httpapi.WriteJSON(w, http.StatusOK, httpapi.NewPage(out, limit, func(x SharedSource) string { return x.ID }))
	})
	a.Handle(httpapi.Route{Method: "GET", Path: room + "/sources/{id}", Summary: "One source", Tag: tag, Auth: httpapi.Member,
		Response: SharedSource{}}, func(w http.ResponseWriter, r *http.Request) error {
		out, err := s.Source(r.Context(), httpapi.Caller(r), r.PathValue("room"), r.PathValue("id"))
		if err != nil {
			return err
		}
		return httpapi.WriteJSON(w, http.StatusOK, out)
	})
	a.Handle(httpapi.Route{Method: "POST", Path: room + "/sources/{id}/grade", Summary: "Regrade a source; the old grade stays in its history", Tag: tag, Auth: httpapi.Member,
		Request: Regrade{}, Response: SharedSource{}}, func(w http.ResponseWriter, r *http.Request) error {
		var in Regrade
		if err := httpapi.Decode(r, w, &in); err != nil {
			return err
		}
		out, err := s.RegradeSource(r.Context(), httpapi.Caller(r), r.PathValue("room"), r.PathValue("id"), in)
		if err != nil {
			return err
		}
		return httpapi.WriteJSON(w, http.StatusOK, out)
	})
	a.Handle(httpapi.Route{Method: "GET", Path: room + "/sources/{id}/grades", Summary: "A source's grade history, oldest first", Tag: tag, Auth: httpapi.Member,
		Response: []GradeChange{}}, func(w http.ResponseWriter, r *http.Request) error {
		out, err := s.Grades(r.Context(), httpapi.Caller(r), r.PathValue("room"), r.PathValue("id"))
		if err != nil {
			return err
		}
		return httpapi.WriteJSON(w, http.StatusOK, out)
	})

	// Reports.
	a.Handle(httpapi.Route{Method: "POST", Path: room + "/reports", Summary: "Share a report (source, credibility 1-6, observed interval, places, marking)", Tag: tag, Auth: httpapi.Member,
		Request: NewReport{}, Response: SharedReport{}, Status: http.StatusCreated}, func(w http.ResponseWriter, r *http.Request) error {
		var in NewReport
		if err := httpapi.Decode(r, w, &in); err != nil {
			return err
		}
		out, err := s.CreateReport(r.Context(), httpapi.Caller(r), r.PathValue("room"), in)
		if err != nil {
			return err
		}
		return httpapi.WriteJSON(w, http.StatusCreated, out)
	})
	a.Handle(httpapi.Route{Method: "GET", Path: room + "/reports", Summary: "The room's reports you may see, newest first", Tag: tag, Auth: httpapi.Member,
		Query: pq, Response: httpapi.Page[SharedReport]{}}, func(w http.ResponseWriter, r *http.Request) error {
		limit, after, err := httpapi.PageParams(r)
		if err != nil {
			return err
		}
		out, err := s.Reports(r.Context(), httpapi.Caller(r), r.PathValue("room"), after, limit+1)
		if err != nil {
			return err
		}
		return httpapi.WriteJSON(w, http.StatusOK, httpapi.NewPage(out, limit, func(x SharedReport) string { return x.ID }))
	})
	a.Handle(httpapi.Route{Method: "GET", Path: room + "/reports/{id}", Summary: "One report", Tag: tag, Auth: httpapi.Member,
		Response: SharedReport{}}, func(w http.ResponseWriter, r *http.Request) error {
		out, err := s.Report(r.Context(), httpapi.Caller(r), r.PathValue("room"), r.PathValue("id"))
		if err != nil {
			return err
		}
		return httpapi.WriteJSON(w, http.StatusOK, out)
	})
	a.Handle(httpapi.Route{Method: "PUT", Path: room + "/reports/{id}", Summary: "Replace a report's content; the replaced version is kept", Tag: tag, Auth: httpapi.Member,
		Request: ReportPatch{}, Response: SharedReport{}}, func(w http.ResponseWriter, r *http.Request) error {
		var in ReportPatch
		if err := httpapi.Decode(r, w, &in); err != nil {
			return err
		}
		out, err := s.UpdateReport(r.Context(), httpapi.Caller(r), r.PathValue("room"), r.PathValue("id"), in)
		if err != nil {
			return err
		}
		return httpapi.WriteJSON(w, http.StatusOK, out)
	})
	a.Handle(httpapi.Route{Method: "GET", Path: room + "/reports/{id}/versions", Summary: "A report's versions you may see, oldest first, the current one last", Tag: tag, Auth: httpapi.Member,
		Response: []ReportVersion{}}, func(w http.ResponseWriter, r *http.Request) error {
		out, err := s.Versions(r.Context(), httpapi.Caller(r), r.PathValue("room"), r.PathValue("id"))
		if err != nil {
			return err
		}
		return httpapi.WriteJSON(w, http.StatusOK, out)
	})

	// Provenance.
	a.Handle(httpapi.Route{Method: "POST", Path: room + "/reports/{id}/links", Summary: "Record that this report repeats or cites an earlier one (cycles refused)", Tag: tag, Auth: httpapi.Member,
		Request: NewLink{}, Response: SharedLink{}, Status: http.StatusCreated}, func(w http.ResponseWriter, r *http.Request) error {
		var in NewLink
		if err := httpapi.Decode(r, w, &in); err != nil {
			return err
		}
		out, err := s.CreateLink(r.Context(), httpapi.Caller(r), r.PathValue("room"), r.PathValue("id"), in)
		if err != nil {
			return err
		}
		return httpapi.WriteJSON(w, http.StatusCreated, out)
	})
	a.Handle(httpapi.Route{Method: "GET", Path: room + "/reports/{id}/links", Summary: "A report's provenance: upstream and downstream reports you may see", Tag: tag, Auth: httpapi.Member,
		Response: ReportLinks{}}, func(w http.ResponseWriter, r *http.Request) error {
		out, err := s.Links(r.Context(), httpapi.Caller(r), r.PathValue("room"), r.PathValue("id"))
		if err != nil {
			return err
		}
		return httpapi.WriteJSON(w, http.StatusOK, out)
	})

	// Claims.
	a.Handle(httpapi.Route{Method: "POST", Path: room + "/claims", Summary: "Record a claim about an event, with its supporting and disputing reports", Tag: tag, Auth: httpapi.Member,
		Request: NewClaim{}, Response: SharedClaim{}, Status: http.StatusCreated}, func(w http.ResponseWriter, r *http.Request) error {
		var in NewClaim
		if err := httpapi.Decode(r, w, &in); err != nil {
			return err
		}
		out, err := s.CreateClaim(r.Context(), httpapi.Caller(r), r.PathValue("room"), in)
		if err != nil {
			return err
		}
		return httpapi.WriteJSON(w, http.StatusCreated, out)
	})
	a.Handle(httpapi.Route{Method: "GET", Path: room + "/claims/{id}", Summary: "One claim with its independent corroboration (origins, roots, echoes) over what you may see", Tag: tag, Auth: httpapi.Member,
		Response: SharedClaim{}}, func(w http.ResponseWriter, r *http.Request) error {
		out, err := s.Claim(r.Context(), httpapi.Caller(r), r.PathValue("room"), r.PathValue("id"))
		if err != nil {
			return err
		}
		return httpapi.WriteJSON(w, http.StatusOK, out)
	})
	a.Handle(httpapi.Route{Method: "GET", Path: room + "/events/{id}/claims", Summary: "An event's claims you may see", Tag: tag, Auth: httpapi.Member,
		Response: []SharedClaim{}}, func(w http.ResponseWriter, r *http.Request) error {
		out, err := s.EventClaims(r.Context(), httpapi.Caller(r), r.PathValue("room"), r.PathValue("id"))
		if err != nil {
			return err
		}
		return httpapi.WriteJSON(w, http.StatusOK, out)
	})
	a.Handle(httpapi.Route{Method: "GET", Path: room + "/events/{id}/board", Summary: "An event's claims side by side with their corroboration and whether it is contested", Tag: tag, Auth: httpapi.Member,
		Response: Board{}}, func(w http.ResponseWriter, r *http.Request) error {
		out, err := s.EventBoard(r.Context(), httpapi.Caller(r), r.PathValue("room"), r.PathValue("id"))
		if err != nil {
			return err
		}
		return httpapi.WriteJSON(w, http.StatusOK, out)
	})

	// Search.
	a.Handle(httpapi.Route{Method: "GET", Path: room + "/search", Summary: "Full-text search over the reports you may see: every word in the title first (rank 2), then anywhere (rank 1); most recently shared first within a rank", Tag: tag, Auth: httpapi.Member,
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
		},
		Response: SearchPage{}}, func(w http.ResponseWriter, r *http.Request) error {
		q, err := searchQuery(r)
		if err != nil {
			return err
		}
		out, err := s.Search(r.Context(), httpapi.Caller(r), r.PathValue("room"), q)
		if err != nil {
			return err
		}
		return httpapi.WriteJSON(w, http.StatusOK, out)
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

package ops

import (
	"net/http"

	"github.com/opsroom/opsroom/internal/access"
	"github.com/opsroom/opsroom/internal/httpapi"
)

type seenResponse struct {
	Status string `json:"status"`
}

// list registers a paged list route of a room.
func list[T any](a *httpapi.API, path, summary, tag string, query []httpapi.Param, key func(T) string,
	fn func(r *http.Request, p access.Principal, slug, after string, limit int) ([]T, error)) {
	a.Handle(httpapi.Route{Method: "GET", Path: path, Summary: summary, Tag: tag, Auth: httpapi.Member,
		Query: append(query, httpapi.PageQuery...), Response: httpapi.Page[T]{}}, func(w http.ResponseWriter, r *http.Request) error {
		limit, after, err := httpapi.PageParams(r)
		if err != nil {
			return err
		}
		out, err := fn(r, httpapi.Caller(r), r.PathValue("room"), after, limit+1)
		if err != nil {
			return err
		}
		return httpapi.WriteJSON(w, http.StatusOK, httpapi.NewPage(out, limit, key))
	})
}

// post registers a route that decodes In and answers Out.
func post[In, Out any](a *httpapi.API, method, path, summary, tag string, status int, fn func(r *http.Request, p access.Principal, in In) (Out, error)) {
	var in In
	var out Out
	a.Handle(httpapi.Route{Method: method, Path: path, Summary: summary, Tag: tag, Auth: httpapi.Member, Request: in, Response: out, Status: status},
		func(w http.ResponseWriter, r *http.Request) error {
			var in In
			if err := httpapi.Decode(r, w, &in); err != nil {
				return err
			}
			res, err := fn(r, httpapi.Caller(r), in)
			if err != nil {
				return err
			}
			return httpapi.WriteJSON(w, status, res)
		})
}

// get registers a route that reads one thing by {id}.
func get[Out any](a *httpapi.API, path, summary, tag string, fn func(r *http.Request, p access.Principal, id string) (Out, error)) {
	var out Out
	a.Handle(httpapi.Route{Method: "GET", Path: path, Summary: summary, Tag: tag, Auth: httpapi.Member, Response: out},
		func(w http.ResponseWriter, r *http.Request) error {
			res, err := fn(r, httpapi.Caller(r), r.PathValue("id"))
			if err != nil {
				return err
			}
			return httpapi.WriteJSON(w, http.StatusOK, res)
		})
}

// Routes adds the operations API: operations and their workflow,
// movements and site notices with their history, conflicts, the watch
// log and requests for information.
func (s *Service) Routes(a *httpapi.API) {
	const v = "/api/v1"
	id := func(r *http.Request) string { return r.PathValue("id") }

	// Operations.
	list(a, v+"/rooms/{room}/operations", "The room's operations you may see, newest first", "operations",
		[]httpapi.Param{{Name: "status", Type: "string", Description: "only this status"}}, func(o Operation) string { return o.ID },
		func(r *http.Request, p access.Principal, slug, after string, limit int) ([]Operation, error) {
			return s.Operations(r.Context(), p, slug, r.URL.Query().Get("status"), after, limit)
		})
	post(a, "POST", v+"/rooms/{room}/operations", "Draft an operation (checked for conflicts at once)", "operations", http.StatusCreated,
		func(r *http.Request, p access.Principal, in OperationInput) (Operation, error) {
			return s.CreateOperation(r.Context(), p, r.PathValue("room"), in)
		})
	get(a, v+"/operations/{id}", "One operation with the decisions on its current proposal", "operations",
		func(r *http.Request, p access.Principal, id string) (Operation, error) {
			return s.Operation(r.Context(), p, id)
		})
	post(a, "PUT", v+"/operations/{id}", "Change an operation (send the version you change); checked again for conflicts", "operations", http.StatusOK,
		func(r *http.Request, p access.Principal, in OperationInput) (Operation, error) {
			return s.UpdateOperation(r.Context(), p, id(r), in)
		})
	for _, act := range Actions {
		post(a, "POST", v+"/operations/{id}/"+act, "Workflow: "+act+" the operation", "operations", http.StatusOK,
			func(r *http.Request, p access.Principal, in Action) (Operation, error) {
				return s.Act(r.Context(), p, id(r), act, in)
			})
	}

	// Movements and site notices.
	list(a, v+"/rooms/{room}/movements", "The room's notified movements you may see, newest first", "notifications", nil, func(m Movement) string { return m.ID },
		func(r *http.Request, p access.Principal, slug, after string, limit int) ([]Movement, error) {
			return s.Movements(r.Context(), p, slug, after, limit)
		})
	post(a, "POST", v+"/rooms/{room}/movements", "Notify a movement (a route with a window); checked for conflicts at once", "notifications", http.StatusCreated,
		func(r *http.Request, p access.Principal, in MovementInput) (Movement, error) {
			return s.CreateMovement(r.Context(), p, r.PathValue("room"), in)
		})
	get(a, v+"/movements/{id}", "One movement", "notifications",
		func(r *http.Request, p access.Principal, id string) (Movement, error) {
			return s.Movement(r.Context(), p, id)
		})
	post(a, "PUT", v+"/movements/{id}", "Change a movement (send the version you change)", "notifications", http.StatusOK,
		func(r *http.Request, p access.Principal, in MovementInput) (Movement, error) {
			return s.UpdateMovement(r.Context(), p, id(r), in)
		})
	list(a, v+"/rooms/{room}/site-notices", "The room's notices of protected sites you may see, newest first", "notifications", nil, func(n SiteNotice) string { return n.ID },
		func(r *http.Request, p access.Principal, slug, after string, limit int) ([]SiteNotice, error) {
			return s.SiteNotices(r.Context(), p, slug, after, limit)
		})
	post(a, "POST", v+"/rooms/{room}/site-notices", "Notify a site of the picture as protected", "notifications", http.StatusCreated,
		func(r *http.Request, p access.Principal, in SiteNoticeInput) (SiteNotice, error) {
			return s.NotifySite(r.Context(), p, r.PathValue("room"), in)
		})
	get(a, v+"/site-notices/{id}", "One site notice", "notifications",
		func(r *http.Request, p access.Principal, id string) (SiteNotice, error) {
			return s.SiteNotice(r.Context(), p, id)
		})
	a.Handle(httpapi.Route{Method: "POST", Path: v + "/notifications/{id}/seen", Summary: "Record that your partner has seen a movement or site notice", Tag: "notifications",
		Auth: httpapi.Member, Response: seenResponse{}}, func(w http.ResponseWriter, r *http.Request) error {
		if err := s.Seen(r.Context(), httpapi.Caller(r), id(r)); err != nil {
			return err
		}
		return httpapi.WriteJSON(w, http.StatusOK, seenResponse{"seen"})
	})
	post(a, "POST", v+"/notifications/{id}/withdraw", "Withdraw a movement or site notice your partner submitted", "notifications", http.StatusOK,
		func(r *http.Request, p access.Principal, in Action) (seenResponse, error) {
			return seenResponse{Withdrawn}, s.Withdraw(r.Context(), p, id(r), in)
		})
	get(a, v+"/ops-history/{id}", "Who did what, when and why to an operation, movement, site notice or request for information", "operations",
		func(r *http.Request, p access.Principal, id string) ([]History, error) {
			return s.History(r.Context(), p, id)
		})

	// Conflicts.
	list(a, v+"/rooms/{room}/conflicts", "The room's conflicts you may see, each side only as far as you may see it", "conflicts",
		[]httpapi.Param{{Name: "status", Type: "string", Description: "open, adjusted, accepted or withdrawn"}, {Name: "item", Type: "string", Description: "only the conflicts of this item"}},
		func(c Conflict) string { return c.ID },
		func(r *http.Request, p access.Principal, slug, after string, limit int) ([]Conflict, error) {
			return s.Conflicts(r.Context(), p, slug, ConflictQuery{Status: r.URL.Query().Get("status"), Item: r.URL.Query().Get("item"), After: after, Limit: limit})
		})
	get(a, v+"/conflicts/{id}", "One conflict", "conflicts",
		func(r *http.Request, p access.Principal, id string) (Conflict, error) {
			return s.Conflict(r.Context(), p, id)
		})
	post(a, "POST", v+"/conflicts/{id}/accept", "Accept an open conflict with a reason (the room's authority)", "conflicts", http.StatusOK,
		func(r *http.Request, p access.Principal, in Action) (Conflict, error) {
			return s.AcceptConflict(r.Context(), p, id(r), in)
		})

	// Watch log.
	list(a, v+"/rooms/{room}/log", "The room's watch log you may see, oldest first", "log", nil, func(e LogEntry) string { return e.ID },
		func(r *http.Request, p access.Principal, slug, after string, limit int) ([]LogEntry, error) {
			return s.Entries(r.Context(), p, slug, after, limit)
		})
	post(a, "POST", v+"/rooms/{room}/log", "Add an entry to the watch log", "log", http.StatusCreated,
		func(r *http.Request, p access.Principal, in NewLogEntry) (LogEntry, error) {
			return s.AddEntry(r.Context(), p, r.PathValue("room"), in)
		})
	get(a, v+"/log/{id}", "One watch log entry", "log",
		func(r *http.Request, p access.Principal, id string) (LogEntry, error) {
			return s.Entry(r.Context(), p, id)
		})
	post(a, "POST", v+"/log/{id}/strike", "Strike an entry through with a reason (its author or the room's authority); the text stays", "log", http.StatusOK,
		func(r *http.Request, p access.Principal, in Action) (LogEntry, error) {
			return s.Strike(r.Context(), p, id(r), in)
		})

	// Requests for information.
	list(a, v+"/rooms/{room}/rfis", "The room's requests for information you may see, newest first", "rfis",
		[]httpapi.Param{{Name: "status", Type: "string", Description: "open, answered, accepted or reopened"}}, func(f RFI) string { return f.ID },
		func(r *http.Request, p access.Principal, slug, after string, limit int) ([]RFI, error) {
			return s.RFIs(r.Context(), p, slug, r.URL.Query().Get("status"), after, limit)
		})
	post(a, "POST", v+"/rooms/{room}/rfis", "Ask a request for information, assigned to a partner", "rfis", http.StatusCreated,
		func(r *http.Request, p access.Principal, in RFIInput) (RFI, error) {
			return s.AskRFI(r.Context(), p, r.PathValue("room"), in)
		})
	get(a, v+"/rfis/{id}", "One request for information with the answers you may see", "rfis",
		func(r *http.Request, p access.Principal, id string) (RFI, error) { return s.RFI(r.Context(), p, id) })
	post(a, "POST", v+"/rfis/{id}/answer", "Answer by linking reports (members of the assigned partner)", "rfis", http.StatusOK,
		func(r *http.Request, p access.Principal, in RFIAnswerInput) (RFI, error) {
			return s.AnswerRFI(r.Context(), p, id(r), in)
		})
	post(a, "POST", v+"/rfis/{id}/accept", "Accept the answer (the asker)", "rfis", http.StatusOK,
		func(r *http.Request, p access.Principal, _ Action) (RFI, error) {
			return s.AcceptRFI(r.Context(), p, id(r))
		})
	post(a, "POST", v+"/rfis/{id}/reopen", "Reopen with a reason (the asker)", "rfis", http.StatusOK,
		func(r *http.Request, p access.Principal, in Action) (RFI, error) {
			return s.ReopenRFI(r.Context(), p, id(r), in)
		})
}

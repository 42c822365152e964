package ops

import (
	"net/http"

	"github.com/opsroom/opsroom/internal/access"
	"github.com/opsroom/opsroom/internal/httpapi"
)

type seenResponse struct {
	Status string `json:"status"`
}

// Routes adds the operations API: operations and their workflow,
// movements and site notices with their history, conflicts, the watch
// log and requests for information.
func (s *Service) Routes(a *httpapi.API) {
	const v = "/api/v1"
	id := func(r *http.Request) string { return r.PathValue("id") }

	// Operations.
	httpapi.List(a, httpapi.Route{Method: "GET", Path: v + "/rooms/{room}/operations", Summary: "The room's operations you may see, newest first", Tag: "operations", Query: []httpapi.Param{{Name: "status", Type: "string", Description: "only this status"}}},
		func(o Operation) string { return o.ID },
		func(r *http.Request, p access.Principal, after string, limit int) ([]Operation, error) {
			return s.Operations(r.Context(), p, r.PathValue("room"), r.URL.Query().Get("status"), after, limit)
		})
	httpapi.JSON(a, httpapi.Route{Method: "POST", Path: v + "/rooms/{room}/operations", Summary: "Draft an operation (checked for conflicts at once)", Tag: "operations", Status: http.StatusCreated},
		func(r *http.Request, p access.Principal, in OperationInput) (Operation, error) {
			return s.CreateOperation(r.Context(), p, r.PathValue("room"), in)
		})
	httpapi.Call(a, httpapi.Route{Method: "GET", Path: v + "/operations/{id}", Summary: "One operation with the decisions on its current proposal", Tag: "operations"},
		func(r *http.Request, p access.Principal) (Operation, error) {
			return s.Operation(r.Context(), p, id(r))
		})
	httpapi.JSON(a, httpapi.Route{Method: "PUT", Path: v + "/operations/{id}", Summary: "Change an operation (send the version you change); checked again for conflicts", Tag: "operations"},
		func(r *http.Request, p access.Principal, in OperationInput) (Operation, error) {
			return s.UpdateOperation(r.Context(), p, id(r), in)
		})
	for _, act := range Actions {
		httpapi.JSON(a, httpapi.Route{Method: "POST", Path: v + "/operations/{id}/" + act, Summary: "Workflow: " + act + " the operation", Tag: "operations"},
			func(r *http.Request, p access.Principal, in Action) (Operation, error) {
				return s.Act(r.Context(), p, id(r), act, in)
			})
	}

	// Movements and site notices.
	httpapi.List(a, httpapi.Route{Method: "GET", Path: v + "/rooms/{room}/movements", Summary: "The room's notified movements you may see, newest first", Tag: "notifications"},
		func(m Movement) string { return m.ID },
		func(r *http.Request, p access.Principal, after string, limit int) ([]Movement, error) {
			return s.Movements(r.Context(), p, r.PathValue("room"), after, limit)
		})
	httpapi.JSON(a, httpapi.Route{Method: "POST", Path: v + "/rooms/{room}/movements", Summary: "Notify a movement (a route with a window); checked for conflicts at once", Tag: "notifications", Status: http.StatusCreated},
		func(r *http.Request, p access.Principal, in MovementInput) (Movement, error) {
			return s.CreateMovement(r.Context(), p, r.PathValue("room"), in)
		})
	httpapi.Call(a, httpapi.Route{Method: "GET", Path: v + "/movements/{id}", Summary: "One movement", Tag: "notifications"},
		func(r *http.Request, p access.Principal) (Movement, error) {
			return s.Movement(r.Context(), p, id(r))
		})
	httpapi.JSON(a, httpapi.Route{Method: "PUT", Path: v + "/movements/{id}", Summary: "Change a movement (send the version you change)", Tag: "notifications"},
		func(r *http.Request, p access.Principal, in MovementInput) (Movement, error) {
			return s.UpdateMovement(r.Context(), p, id(r), in)
		})
	httpapi.List(a, httpapi.Route{Method: "GET", Path: v + "/rooms/{room}/site-notices", Summary: "The room's notices of protected sites you may see, newest first", Tag: "notifications"},
		func(n SiteNotice) string { return n.ID },
		func(r *http.Request, p access.Principal, after string, limit int) ([]SiteNotice, error) {
			return s.SiteNotices(r.Context(), p, r.PathValue("room"), after, limit)
		})
	httpapi.JSON(a, httpapi.Route{Method: "POST", Path: v + "/rooms/{room}/site-notices", Summary: "Notify a site of the picture as protected", Tag: "notifications", Status: http.StatusCreated},
		func(r *http.Request, p access.Principal, in SiteNoticeInput) (SiteNotice, error) {
			return s.NotifySite(r.Context(), p, r.PathValue("room"), in)
		})
	httpapi.Call(a, httpapi.Route{Method: "GET", Path: v + "/site-notices/{id}", Summary: "One site notice", Tag: "notifications"},
		func(r *http.Request, p access.Principal) (SiteNotice, error) {
			return s.SiteNotice(r.Context(), p, id(r))
		})
	httpapi.Call(a, httpapi.Route{Method: "POST", Path: v + "/notifications/{id}/seen", Summary: "Record that your partner has seen a movement or site notice", Tag: "notifications"},
		func(r *http.Request, p access.Principal) (seenResponse, error) {
			return seenResponse{"seen"}, s.Seen(r.Context(), p, id(r))
		})
	httpapi.JSON(a, httpapi.Route{Method: "POST", Path: v + "/notifications/{id}/withdraw", Summary: "Withdraw a movement or site notice your partner submitted", Tag: "notifications"},
		func(r *http.Request, p access.Principal, in Action) (seenResponse, error) {
			return seenResponse{Withdrawn}, s.Withdraw(r.Context(), p, id(r), in)
		})
	httpapi.Call(a, httpapi.Route{Method: "GET", Path: v + "/ops-history/{id}", Summary: "Who did what, when and why to an operation, movement, site notice or request for information", Tag: "operations"},
		func(r *http.Request, p access.Principal) ([]History, error) {
			return s.History(r.Context(), p, id(r))
		})

	// Conflicts.
	httpapi.List(a, httpapi.Route{Method: "GET", Path: v + "/rooms/{room}/conflicts", Summary: "The room's conflicts you may see, each side only as far as you may see it", Tag: "conflicts", Query: []httpapi.Param{{Name: "status", Type: "string", Description: "open, adjusted, accepted or withdrawn"}, {Name: "item", Type: "string", Description: "only the conflicts of this item"}}},
		func(c Conflict) string { return c.ID },
		func(r *http.Request, p access.Principal, after string, limit int) ([]Conflict, error) {
			return s.Conflicts(r.Context(), p, r.PathValue("room"), ConflictQuery{Status: r.URL.Query().Get("status"), Item: r.URL.Query().Get("item"), After: after, Limit: limit})
		})
	httpapi.Call(a, httpapi.Route{Method: "GET", Path: v + "/conflicts/{id}", Summary: "One conflict", Tag: "conflicts"},
		func(r *http.Request, p access.Principal) (Conflict, error) {
			return s.Conflict(r.Context(), p, id(r))
		})
	httpapi.JSON(a, httpapi.Route{Method: "POST", Path: v + "/conflicts/{id}/accept", Summary: "Accept an open conflict with a reason (the room's authority)", Tag: "conflicts"},
		func(r *http.Request, p access.Principal, in Action) (Conflict, error) {
			return s.AcceptConflict(r.Context(), p, id(r), in)
		})

	// Watch log.
	httpapi.List(a, httpapi.Route{Method: "GET", Path: v + "/rooms/{room}/log", Summary: "The room's watch log you may see, oldest first", Tag: "log"},
		func(e LogEntry) string { return e.ID },
		func(r *http.Request, p access.Principal, after string, limit int) ([]LogEntry, error) {
			return s.Entries(r.Context(), p, r.PathValue("room"), after, limit)
		})
	httpapi.JSON(a, httpapi.Route{Method: "POST", Path: v + "/rooms/{room}/log", Summary: "Add an entry to the watch log", Tag: "log", Status: http.StatusCreated},
		func(r *http.Request, p access.Principal, in NewLogEntry) (LogEntry, error) {
			return s.AddEntry(r.Context(), p, r.PathValue("room"), in)
		})
	httpapi.Call(a, httpapi.Route{Method: "GET", Path: v + "/log/{id}", Summary: "One watch log entry", Tag: "log"},
		func(r *http.Request, p access.Principal) (LogEntry, error) {
			return s.Entry(r.Context(), p, id(r))
		})
	httpapi.JSON(a, httpapi.Route{Method: "POST", Path: v + "/log/{id}/strike", Summary: "Strike an entry through with a reason (its author or the room's authority); the text stays", Tag: "log"},
		func(r *http.Request, p access.Principal, in Action) (LogEntry, error) {
			return s.Strike(r.Context(), p, id(r), in)
		})

	// Requests for information.
	httpapi.List(a, httpapi.Route{Method: "GET", Path: v + "/rooms/{room}/rfis", Summary: "The room's requests for information you may see, newest first", Tag: "rfis", Query: []httpapi.Param{{Name: "status", Type: "string", Description: "open, answered, accepted or reopened"}}},
		func(f RFI) string { return f.ID },
		func(r *http.Request, p access.Principal, after string, limit int) ([]RFI, error) {
			return s.RFIs(r.Context(), p, r.PathValue("room"), r.URL.Query().Get("status"), after, limit)
		})
	httpapi.JSON(a, httpapi.Route{Method: "POST", Path: v + "/rooms/{room}/rfis", Summary: "Ask a request for information, assigned to a partner", Tag: "rfis", Status: http.StatusCreated},
		func(r *http.Request, p access.Principal, in RFIInput) (RFI, error) {
			return s.AskRFI(r.Context(), p, r.PathValue("room"), in)
		})
	httpapi.Call(a, httpapi.Route{Method: "GET", Path: v + "/rfis/{id}", Summary: "One request for information with the answers you may see", Tag: "rfis"},
		func(r *http.Request, p access.Principal) (RFI, error) { return s.RFI(r.Context(), p, id(r)) })
	httpapi.JSON(a, httpapi.Route{Method: "POST", Path: v + "/rfis/{id}/answer", Summary: "Answer by linking reports (members of the assigned partner)", Tag: "rfis"},
		func(r *http.Request, p access.Principal, in RFIAnswerInput) (RFI, error) {
			return s.AnswerRFI(r.Context(), p, id(r), in)
		})
	httpapi.JSON(a, httpapi.Route{Method: "POST", Path: v + "/rfis/{id}/accept", Summary: "Accept the answer (the asker)", Tag: "rfis"},
		func(r *http.Request, p access.Principal, _ Action) (RFI, error) {
			return s.AcceptRFI(r.Context(), p, id(r))
		})
	httpapi.JSON(a, httpapi.Route{Method: "POST", Path: v + "/rfis/{id}/reopen", Summary: "Reopen with a reason (the asker)", Tag: "rfis"},
		func(r *http.Request, p access.Principal, in Action) (RFI, error) {
			return s.ReopenRFI(r.Context(), p, id(r), in)
		})
}

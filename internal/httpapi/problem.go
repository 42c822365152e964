package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"

	"github.com/opsroom/opsroom/internal/access"
	"github.com/opsroom/opsroom/internal/account"
	"github.com/opsroom/opsroom/internal/store"
	"github.com/opsroom/opsroom/internal/validate"
)

// Problem is an RFC 9457 problem document. Errors names the offending
// fields of a request.
type Problem struct {
	Type     string                `json:"type"`
	Title    string                `json:"title"`
	Status   int                   `json:"status"`
	Detail   string                `json:"detail,omitempty"`
	Instance string                `json:"instance,omitempty"`
	Errors   []validate.FieldError `json:"errors,omitempty"`
}

// statusError is an error with a status and words fit for the client.
type statusError struct {
	status int
	detail string
	field  string
}

func (e *statusError) Error() string { return e.detail }

func badRequest(field, format string, args ...any) error {
	return &statusError{status: http.StatusBadRequest, field: field, detail: fmt.Sprintf(format, args...)}
}

var errNotFound = &statusError{status: http.StatusNotFound, detail: "no such resource, or not one you may see"}

// writeError maps an error to its one response. Internal error text never
// reaches the client: it is logged with the request's method and path.
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	p := Problem{Type: "about:blank", Instance: r.URL.Path}
	// Errors that reached here without passing the store's boundary (a
	// row scanned by a service) are classified here too.
	err = store.Classify(err)
	var verrs validate.Errors
	var se *statusError
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &verrs):
		p.Status, p.Title, p.Detail, p.Errors = http.StatusUnprocessableEntity, "Invalid input", "the request has invalid fields; nothing was written", verrs
	case errors.As(err, &mbe):
		p.Status, p.Title, p.Detail = http.StatusRequestEntityTooLarge, "Request body too large", fmt.Sprintf("the body is larger than %d bytes", mbe.Limit)
	case errors.As(err, &se):
		p.Status, p.Title, p.Detail = se.status, http.StatusText(se.status), se.detail
		if se.field != "" {
			p.Errors = []validate.FieldError{{Field: se.field, Detail: se.detail}}
		}
	case errors.Is(err, account.ErrBadCredentials):
		p.Status, p.Title, p.Detail = http.StatusUnauthorized, "Unauthorized", err.Error()
	case errors.Is(err, account.ErrTooManyAttempts):
		p.Status, p.Title, p.Detail = http.StatusTooManyRequests, "Too Many Requests", err.Error()
		w.Header().Set("Retry-After", "900")
	case errors.Is(err, access.ErrUnauthenticated):
		p.Status, p.Title, p.Detail = http.StatusUnauthorized, "Unauthorized", err.Error()
		w.Header().Set("WWW-Authenticate", `Bearer realm="opsroom"`)
	case errors.Is(err, access.ErrForbidden):
		p.Status, p.Title, p.Detail = http.StatusForbidden, "Forbidden", "you do not have the right to do this"
	case errors.Is(err, store.ErrNotFound):
		p.Status, p.Title, p.Detail = http.StatusNotFound, "Not Found", errNotFound.detail
	case errors.Is(err, store.ErrConflict):
		p.Status, p.Title, p.Detail = http.StatusConflict, "Conflict", "the change conflicts with the current state; reload and try again"
	case errors.Is(err, context.Canceled):
		return
	case errors.Is(err, store.ErrDiskFull):
		s.log.Error("database disk full", "method", r.Method, "path", r.URL.Path, "err", err)
		p.Status, p.Title, p.Detail = http.StatusInsufficientStorage, "Insufficient Storage",
			"the server's disk is full; nothing was written. Try again once the operator has freed space"
		w.Header().Set("Retry-After", "60")
	case errors.Is(err, store.ErrUnavailable):
		s.log.Error("database unavailable", "method", r.Method, "path", r.URL.Path, "err", err)
		p.Status, p.Title, p.Detail = http.StatusServiceUnavailable, "Service Unavailable",
			"the database is unavailable; try again shortly"
		w.Header().Set("Retry-After", "5")
	default:
		s.log.Error("request failed", "method", r.Method, "path", r.URL.Path, "err", err)
		p.Status, p.Title, p.Detail = http.StatusInternalServerError, "Internal Server Error", "something went wrong on the server; it has been logged"
	}
	if p.Status >= 500 {
		s.log.Log(r.Context(), slog.LevelError, "server error", "status", p.Status, "path", r.URL.Path)
	}
	w.Header().Set("Content-Type", "application/problem+json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(p.Status)
	_ = json.NewEncoder(w).Encode(p)
}

package httpapi

import (
	"net/http"

	"github.com/opsroom/opsroom/internal/access"
)

// The helpers below let a domain package's route set (a func(*API) listed
// in internal/cli/wire.go) read and answer requests exactly as the base
// routes do, without duplicating the body limits, paging or error mapping.

// Decode reads a JSON request body into v (size-limited, unknown fields
// refused); its errors map to 400/413/415 problem documents.
func Decode(r *http.Request, w http.ResponseWriter, v any) error { return decode(r, w, v) }

// DecodeMax is Decode with a body limit of max bytes, for routes that take
// larger bodies (batches of track positions).
func DecodeMax(r *http.Request, w http.ResponseWriter, v any, max int64) error {
	return decodeMax(r, w, v, max)
}

// WriteJSON writes v as the JSON response with status.
func WriteJSON(w http.ResponseWriter, status int, v any) error { return writeJSON(w, status, v) }

// PageParams reads ?limit= (1..500, default 50) and ?cursor= (the decoded
// cursor value of the previous page's last element).
func PageParams(r *http.Request) (limit int, after string, err error) { return pageParams(r) }

// NewPage builds a Page from up to limit+1 elements; key gives the cursor
// value of an element.
func NewPage[T any](items []T, limit int, key func(T) string) Page[T] { return page(items, limit, key) }

// BadRequest is a 400 problem naming field.
func BadRequest(field, format string, args ...any) error { return badRequest(field, format, args...) }

// Caller is the signed-in principal of a Member route.
func Caller(r *http.Request) access.Principal { return principal(r) }

// PageQuery describes ?limit= and ?cursor= for a route's OpenAPI entry.
var PageQuery = pageQuery

package httpapi

import (
	"net/http"
	"reflect"

	"github.com/opsroom/opsroom/internal/access"
)

// Every member route of every domain is written in one of three shapes,
// so that decoding, paging, the caller and the answer are done once, here:
//
//   - JSON: a request body decoded into In, an answer Out;
//   - Call: no request body, an answer Out;
//   - List: a page of T, after ?cursor=, at most ?limit=.
//
// Each takes the Route as it appears in the OpenAPI document; Auth is
// Member, and Request and Response are filled in from In and Out when left
// nil. The handler gets the caller's principal and returns its answer or
// an error, which writeError maps. A route whose answer is not one JSON
// value (a file download, the live stream, sign-in with its cookie) or
// that anyone may call uses API.Handle and writes its own response.

// Caller is the signed-in principal of a Member route that writes its own
// response with API.Handle.
func Caller(r *http.Request) access.Principal { return principal(r) }

// Empty is the In of a route without a request body, or the Out of a
// route that answers 204 No Content.
type Empty struct{}

// JSON registers a member route that decodes its body into In (within
// rt.MaxBody, or the default limit) and answers fn's Out with rt.Status.
func JSON[In, Out any](a *API, rt Route, fn func(r *http.Request, p access.Principal, in In) (Out, error)) {
	var in In
	if _, empty := any(in).(Empty); !empty && rt.Request == nil {
		rt.Request = in
	}
	a.Handle(member[Out](rt), func(w http.ResponseWriter, r *http.Request) error {
		var in In
		if _, empty := any(in).(Empty); !empty {
			var err error
			if rt.MaxBody > 0 {
				err = decodeMax(r, w, &in, rt.MaxBody)
			} else {
				err = decode(r, w, &in)
			}
			if err != nil {
				return err
			}
		}
		out, err := fn(r, principal(r), in)
		if err != nil {
			return err
		}
		return answer(w, rt, out)
	})
}

// Call registers a member route without a request body that answers fn's
// Out with rt.Status.
func Call[Out any](a *API, rt Route, fn func(r *http.Request, p access.Principal) (Out, error)) {
	var out Out
	_, whole := any(out).(interface{ whole() })
	a.Handle(member[Out](rt), func(w http.ResponseWriter, r *http.Request) error {
		if whole && r.URL.Query().Has("cursor") {
			return badRequest("cursor", "this list is answered whole; it gives out no cursor")
		}
		out, err := fn(r, principal(r))
		if err != nil {
			return err
		}
		return answer(w, rt, out)
	})
}

// List registers a member route answering a Page of T. fn gets the cursor
// value after which to start and is asked for limit+1 elements, so that
// the page knows whether another follows; key gives an element's cursor
// value. The page parameters are added to rt.Query.
func List[T any](a *API, rt Route, key func(T) string, fn func(r *http.Request, p access.Principal, after string, limit int) ([]T, error)) {
	rt.Query = append(rt.Query[:len(rt.Query):len(rt.Query)], pageQuery...)
	if rt.Response == nil {
		rt.Response = Page[T]{}
	}
	a.Handle(member[Page[T]](rt), func(w http.ResponseWriter, r *http.Request) error {
		limit, after, err := pageParams(r)
		if err != nil {
			return err
		}
		out, err := fn(r, principal(r), after, limit+1)
		if err != nil {
			return err
		}
		return writeJSON(w, http.StatusOK, page(out, limit, key))
	})
}

// member completes a member route's description from its answer's type.
func member[Out any](rt Route) Route {
	rt.Auth = Member
	if rt.Response == nil && reflect.TypeFor[Out]() != reflect.TypeFor[Empty]() {
		var out Out
		rt.Response = out
	}
	return rt
}

// answer writes out with the route's status, or only the status when the
// route answers Empty.
func answer[Out any](w http.ResponseWriter, rt Route, out Out) error {
	status := rt.Status
	if status == 0 {
		status = http.StatusOK
	}
	if _, empty := any(out).(Empty); empty {
		w.WriteHeader(status)
		return nil
	}
	return writeJSON(w, status, out)
}

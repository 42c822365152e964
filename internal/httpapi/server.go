// Package httpapi serves opsroom's JSON API under /api/v1: sign-in with a
// session cookie (browsers) or a bearer token (scripts and devices), the
// partners, members, rooms, tokens, audit trail and shared items, errors
// as RFC 9457 problem documents, and an OpenAPI 3.1 document generated
// from the same route table that registers the handlers.
package httpapi

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/opsroom/opsroom/internal/access"
	"github.com/opsroom/opsroom/internal/account"
	"github.com/opsroom/opsroom/internal/item"
	"github.com/opsroom/opsroom/internal/live"
	"github.com/opsroom/opsroom/internal/room"
	"github.com/opsroom/opsroom/internal/store"
)

// MaxBody is the largest request body accepted (larger bodies get 413).
const MaxBody = 1 << 20

// SessionCookie is the browser session cookie's name.
const SessionCookie = "opsroom_session"

// Server holds what the handlers use.
type Server struct {
	DB      *store.DB
	Members *account.Service
	Rooms   *room.Service
	Items   *item.Service
	Bus     *live.Bus
	// SecureCookies marks the session cookie Secure (set when served over
	// TLS or behind a TLS proxy).
	SecureCookies bool
	// TrustedProxies are the reverse proxies whose X-Forwarded-For is
	// believed. A request from any other peer is from its peer address,
	// whatever headers it sends, so that a client cannot choose the
	// address its failed sign-ins are counted against.
	TrustedProxies []netip.Prefix
	// Extra lets other packages add routes (UI, metrics, streams) to the
	// same mux and OpenAPI document.
	Extra []func(*API)

	log *slog.Logger
	api *API
}

// New returns a server with its routes registered.
func New(s *Server, log *slog.Logger) *Server {
	s.log = log
	s.api = newAPI(s)
	s.routes(s.api)
	for _, f := range s.Extra {
		f(s.api)
	}
	return s
}

// API returns the route table (for the OpenAPI document and tests).
func (s *Server) API() *API { return s.api }

// Handler is the whole HTTP handler: routes, then authentication,
// cross-origin protection for cookie-authenticated writes, panic recovery
// and access logging.
func (s *Server) Handler() http.Handler {
	var h http.Handler = s.api.mux
	h = s.authenticate(h)
	cop := http.NewCrossOriginProtection()
	h = cop.Handler(h)
	h = s.recoverer(h)
	h = s.accessLog(h)
	return h
}

type principalKey struct{}

// PrincipalFrom returns the caller, if signed in.
func PrincipalFrom(ctx context.Context) (access.Principal, bool) {
	p, ok := ctx.Value(principalKey{}).(access.Principal)
	return p, ok
}

// WithPrincipal returns ctx carrying p (for tests and in-process callers).
func WithPrincipal(ctx context.Context, p access.Principal) context.Context {
	return context.WithValue(ctx, principalKey{}, p)
}

// authenticate resolves a bearer token or session cookie. A request with
// bad credentials is refused at once; one with none goes on anonymously
// and the route decides.
func (s *Server) authenticate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var p access.Principal
		var err error
		authz := r.Header.Get("Authorization")
		switch {
		case authz != "":
			scheme, tok, _ := strings.Cut(authz, " ")
			if !strings.EqualFold(scheme, "Bearer") {
				s.writeError(w, r, access.ErrUnauthenticated)
				return
			}
			p, err = s.Members.Token(r.Context(), strings.TrimSpace(tok), s.clientAddr(r))
		default:
			c, cerr := r.Cookie(SessionCookie)
			if cerr != nil {
				next.ServeHTTP(w, r)
				return
			}
			p, err = s.Members.Session(r.Context(), c.Value)
			if errors.Is(err, access.ErrUnauthenticated) {
				// A stale cookie is not an error for public routes.
				http.SetCookie(w, &http.Cookie{Name: SessionCookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true})
				next.ServeHTTP(w, r)
				return
			}
		}
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		r2 := r.WithContext(WithPrincipal(r.Context(), p))
		next.ServeHTTP(w, r2)
		// The mux records the matched route on the request it was given
		// (the copy); hand it back so the access log and Observer see it.
		r.Pattern = r2.Pattern
	})
}

// clientAddr is the address a request comes from: its peer, or, when the
// peer is a trusted proxy, the nearest address in X-Forwarded-For that is
// not a trusted proxy. The list is read from the right, where the proxies
// append, because everything to the left of them is what the client said.
func (s *Server) clientAddr(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	peer, err := netip.ParseAddr(host)
	if err != nil || !s.trusted(peer) {
		return host
	}
	client := peer
	hops := r.Header.Values("X-Forwarded-For")
	for i := len(hops) - 1; i >= 0; i-- {
		list := strings.Split(hops[i], ",")
		for j := len(list) - 1; j >= 0; j-- {
			a, ok := parseHop(list[j])
			if !ok {
				// Garbage where an address should be: the last hop
				// that could be read is as far as can be trusted.
				return client.String()
			}
			client = a
			if !s.trusted(a) {
				return a.String()
			}
		}
	}
	return client.String()
}

func (s *Server) trusted(a netip.Addr) bool {
	a = a.Unmap()
	for _, p := range s.TrustedProxies {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// parseHop reads one X-Forwarded-For entry: an address, possibly with a
// port or in brackets.
func parseHop(v string) (netip.Addr, bool) {
	v = strings.TrimSpace(v)
	if a, err := netip.ParseAddr(v); err == nil {
		return a.Unmap(), true
	}
	if ap, err := netip.ParseAddrPort(v); err == nil {
		return ap.Addr().Unmap(), true
	}
	if a, err := netip.ParseAddr(strings.TrimSuffix(strings.TrimPrefix(v, "["), "]")); err == nil {
		return a.Unmap(), true
	}
	return netip.Addr{}, false
}

func (s *Server) recoverer(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				s.log.Error("panic", "method", r.Method, "path", r.URL.Path, "panic", fmt.Sprint(v))
				s.writeError(w, r, fmt.Errorf("panic: %v", v))
			}
		}()
		next.ServeHTTP(w, r)
	})
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (w *statusRecorder) WriteHeader(code int) {
	w.status = code
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusRecorder) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// Observer, if set, receives each request's route pattern, status and
// duration (for the Prometheus histogram).
var Observer func(pattern string, status int, d time.Duration)

func (s *Server) accessLog(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &statusRecorder{ResponseWriter: w, status: 200}
		next.ServeHTTP(rec, r)
		d := time.Since(start)
		if Observer != nil {
			Observer(r.Pattern, rec.status, d)
		}
		s.log.Debug("http", "method", r.Method, "path", r.URL.Path, "status", rec.status, "ms", d.Milliseconds())
	})
}

// decode reads a JSON body into v: at most MaxBody bytes, unknown fields
// refused, exactly one value.
func decode(r *http.Request, w http.ResponseWriter, v any) error {
	return decodeMax(r, w, v, MaxBody)
}

// decodeMax is decode with a body limit of max bytes.
func decodeMax(r *http.Request, w http.ResponseWriter, v any, max int64) error {
	if ct := r.Header.Get("Content-Type"); ct != "" && !strings.HasPrefix(ct, "application/json") {
		return &statusError{status: http.StatusUnsupportedMediaType, detail: "send the body as application/json"}
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, max))
	if err != nil {
		return err
	}
	// encoding/json would put U+FFFD in place of bytes that are not
	// UTF-8, storing something other than what was sent; refuse instead.
	if !utf8.Valid(body) {
		f := invalidUTF8Field(body)
		if f == "" {
			return badRequest("", "the body is not valid UTF-8")
		}
		return badRequest(f, "%s is not valid UTF-8", f)
	}
	if t := bytes.TrimSpace(body); string(t) == "null" {
		return badRequest("", "the body is null; send a JSON object")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var mbe *http.MaxBytesError
		var syn *json.SyntaxError
		var typ *json.UnmarshalTypeError
		var te *time.ParseError
		switch {
		case errors.As(err, &mbe):
			return err
		case errors.As(err, &te):
			return badRequest("", "the body holds a time that is not RFC 3339: %q", te.Value)
		case errors.Is(err, io.EOF):
			return badRequest("", "the request body is empty; send a JSON object")
		case errors.As(err, &syn):
			return badRequest("", "the body is not valid JSON (at byte %d)", syn.Offset)
		case errors.As(err, &typ):
			return badRequest(typ.Field, "%s: want a JSON %s", typ.Field, typ.Type.Kind())
		case strings.HasPrefix(err.Error(), "json: unknown field "):
			f := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
			return badRequest(f, "unknown field %q", f)
		default:
			return badRequest("", "the body could not be read: %s", strings.TrimPrefix(err.Error(), "json: "))
		}
	}
	if dec.More() {
		return badRequest("", "the body holds more than one JSON value")
	}
	return nil
}

// invalidUTF8Field names the first field of a JSON body whose string (or
// key) holds bytes that are not UTF-8, as a path such as "places[2].name",
// or "" when it cannot tell. Each bad byte is replaced by a noncharacter
// no client sends, the body decoded, and the value holding it found.
func invalidUTF8Field(body []byte) string {
	const mark = "\U0010FFFF"
	var b strings.Builder
	for len(body) > 0 {
		r, n := utf8.DecodeRune(body)
		if r == utf8.RuneError && n <= 1 {
			b.WriteString(mark)
		} else {
			b.Write(body[:n])
		}
		body = body[n:]
	}
	var v any
	if json.Unmarshal([]byte(b.String()), &v) != nil {
		return ""
	}
	var find func(path string, v any) (string, bool)
	find = func(path string, v any) (string, bool) {
		switch t := v.(type) {
		case string:
			return path, strings.Contains(t, mark)
		case []any:
			for i, e := range t {
				if p, ok := find(fmt.Sprintf("%s[%d]", path, i), e); ok {
					return p, true
				}
			}
		case map[string]any:
			keys := make([]string, 0, len(t))
			for k := range t {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			for _, k := range keys {
				p := k
				if path != "" {
					p = path + "." + k
				}
				if strings.Contains(k, mark) {
					return strings.ReplaceAll(p, mark, "\uFFFD"), true
				}
				if p, ok := find(p, t[k]); ok {
					return p, true
				}
			}
		}
		return "", false
	}
	p, _ := find("", v)
	return p
}

// writeJSON writes v with status.
func writeJSON(w http.ResponseWriter, status int, v any) error {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	return json.NewEncoder(w).Encode(v)
}

// Page is one page of a list; NextCursor is empty on the last page.
type Page[T any] struct {
	Items      []T    `json:"items"`
	NextCursor string `json:"next_cursor,omitempty"`
}

// whole marks a Page answered by Call: the whole list at once, so that a
// cursor sent to it is refused rather than ignored.
func (Page[T]) whole() {}

// pageParams reads ?limit= (1..500, default 50) and ?cursor=.
func pageParams(r *http.Request) (limit int, after string, err error) {
	limit = 50
	if v := r.URL.Query().Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 500 {
			return 0, "", badRequest("limit", "limit must be a whole number from 1 to 500")
		}
		limit = n
	}
	if c := r.URL.Query().Get("cursor"); c != "" {
		var ok bool
		if after, ok = decodeCursor(c); !ok {
			return 0, "", badRequest("cursor", "cursor is not one this server gave out")
		}
	}
	return limit, after, nil
}

// A cursor is the last element's key and a CRC-32 of it, in base64url: the
// check tells a cursor this server gave out from garbage, which would
// otherwise be taken as a key and answer some page. It is not a secret: a
// made-up key only starts a page elsewhere among what the caller may see.
func encodeCursor(key string) string {
	b := binary.BigEndian.AppendUint32([]byte(key), crc32.ChecksumIEEE([]byte(key)))
	return base64.RawURLEncoding.EncodeToString(b)
}

func decodeCursor(c string) (string, bool) {
	b, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil || len(b) < 5 {
		return "", false
	}
	key, sum := b[:len(b)-4], binary.BigEndian.Uint32(b[len(b)-4:])
	if crc32.ChecksumIEEE(key) != sum || !utf8.Valid(key) {
		return "", false
	}
	return string(key), true
}

// page builds a Page; key gives the cursor value of an element. It asks
// for limit+1 rows so it knows whether there is a next page.
func page[T any](items []T, limit int, key func(T) string) Page[T] {
	p := Page[T]{Items: items}
	if len(items) > limit {
		p.Items = items[:limit]
		p.NextCursor = encodeCursor(key(items[limit-1]))
	}
	return p
}

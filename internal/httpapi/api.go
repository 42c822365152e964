package httpapi

import (
	"encoding/json"
	"net/http"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/opsroom/opsroom/internal/access"
	"github.com/opsroom/opsroom/internal/geo"
	"github.com/opsroom/opsroom/internal/timespan"
)

// HandlerFunc is an API handler: it returns an error instead of writing
// one, and writeError maps it to the single problem response.
type HandlerFunc func(w http.ResponseWriter, r *http.Request) error

// Auth says who may call a route.
type Auth int

// Route access levels.
const (
	Public Auth = iota // anyone
	Member             // a signed-in member
)

// Param is a query parameter, for the OpenAPI document.
type Param struct {
	Name, Description string
	Type              string // "string", "integer", "boolean", "number"
}

// Route describes one operation of the API.
type Route struct {
	Method, Path string // e.g. "GET", "/api/v1/rooms/{room}"
	Summary      string
	Tag          string
	Auth         Auth
	Query        []Param
	Request      any // a value of the request body's type, or nil
	Response     any // a value of the response body's type, or nil
	Status       int // success status (default 200)
	// Produces overrides the response media type (e.g. text/event-stream).
	Produces string
	// MaxBody, when set, is the request body limit of a JSON route, for
	// the few that take larger bodies (batches of track positions).
	MaxBody int64
}

// API is the route table: it registers handlers on the mux and describes
// them in the OpenAPI document, from one list.
type API struct {
	s      *Server
	mux    *http.ServeMux
	routes []Route
}

func newAPI(s *Server) *API { return &API{s: s, mux: http.NewServeMux()} }

// Routes returns every registered route.
func (a *API) Routes() []Route { return a.routes }

// Handle registers h for the route.
func (a *API) Handle(rt Route, h HandlerFunc) {
	if rt.Status == 0 {
		rt.Status = http.StatusOK
	}
	a.routes = append(a.routes, rt)
	a.mux.Handle(rt.Method+" "+rt.Path, a.wrap(rt, h))
}

// Raw registers a plain handler that is not part of the API document
// (the UI's assets, /metrics).
func (a *API) Raw(pattern string, h http.Handler) { a.mux.Handle(pattern, h) }

func (a *API) wrap(rt Route, h HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if rt.Auth == Member {
			if _, ok := PrincipalFrom(r.Context()); !ok {
				a.s.writeError(w, r, access.ErrUnauthenticated)
				return
			}
		}
		if err := h(w, r); err != nil {
			a.s.writeError(w, r, err)
		}
	})
}

// OpenAPI returns the OpenAPI 3.1 document of every route.
func (a *API) OpenAPI(version string) map[string]any {
	schemas := map[string]any{}
	paths := map[string]map[string]any{}
	gen := &schemaGen{defs: schemas}
	schemas["Problem"] = gen.schema(reflect.TypeOf(Problem{}))
	for _, rt := range a.routes {
		op := map[string]any{
			"summary":     rt.Summary,
			"operationId": operationID(rt),
			"tags":        []string{rt.Tag},
		}
		var params []any
		for _, seg := range strings.Split(rt.Path, "/") {
			if strings.HasPrefix(seg, "{") {
				name := strings.Trim(seg, "{}.")
				params = append(params, map[string]any{"name": name, "in": "path", "required": true, "schema": map[string]any{"type": "string"}})
			}
		}
		for _, q := range rt.Query {
			params = append(params, map[string]any{"name": q.Name, "in": "query", "description": q.Description, "schema": map[string]any{"type": q.Type}})
		}
		if params != nil {
			op["parameters"] = params
		}
		if rt.Request != nil {
			op["requestBody"] = map[string]any{"required": true, "content": map[string]any{
				"application/json": map[string]any{"schema": gen.schema(reflect.TypeOf(rt.Request))}}}
		}
		ok := map[string]any{"description": http.StatusText(rt.Status)}
		if rt.Response != nil {
			media := rt.Produces
			if media == "" {
				media = "application/json"
			}
			var sch any = map[string]any{"type": "string"}
			if media == "application/json" {
				sch = gen.schema(reflect.TypeOf(rt.Response))
			}
			ok["content"] = map[string]any{media: map[string]any{"schema": sch}}
		}
		problem := map[string]any{"description": "a problem document (RFC 9457)", "content": map[string]any{
			"application/problem+json": map[string]any{"schema": map[string]any{"$ref": "#/components/schemas/Problem"}}}}
		op["responses"] = map[string]any{statusKey(rt.Status): ok, "default": problem}
		if rt.Auth == Member {
			op["security"] = []any{map[string]any{"session": []string{}}, map[string]any{"bearer": []string{}}}
		}
		if paths[rt.Path] == nil {
			paths[rt.Path] = map[string]any{}
		}
		paths[rt.Path][strings.ToLower(rt.Method)] = op
	}
	return map[string]any{
		"openapi": "3.1.0",
		"info": map[string]any{"title": "opsroom API", "version": version,
			"description": "The JSON API of an opsroom server. Every list is cursor-paginated; every error is an RFC 9457 problem document naming the offending fields; every read is filtered by the need-to-know policy."},
		"paths": paths,
		"components": map[string]any{
			"schemas": schemas,
			"securitySchemes": map[string]any{
				"session": map[string]any{"type": "apiKey", "in": "cookie", "name": SessionCookie},
				"bearer":  map[string]any{"type": "http", "scheme": "bearer", "description": "an API token (opr_...)"},
			},
		},
	}
}

func statusKey(s int) string { return strconv.Itoa(s) }

func operationID(rt Route) string {
	parts := []string{strings.ToLower(rt.Method)}
	for _, seg := range strings.Split(strings.TrimPrefix(rt.Path, "/api/v1/"), "/") {
		seg = strings.Trim(seg, "{}.")
		if seg != "" {
			parts = append(parts, seg)
		}
	}
	return strings.Join(parts, "_")
}

// schemaGen turns Go types into JSON Schema (the OpenAPI 3.1 dialect),
// named struct types into components.
type schemaGen struct {
	defs map[string]any
}

var (
	timeType     = reflect.TypeOf(time.Time{})
	spanType     = reflect.TypeOf(timespan.Span{})
	rawType      = reflect.TypeOf(json.RawMessage{})
	durationType = reflect.TypeOf(time.Duration(0))
	geometryType = reflect.TypeOf(geo.Geometry{})
)

func (g *schemaGen) schema(t reflect.Type) map[string]any {
	switch t {
	case timeType:
		return map[string]any{"type": "string", "format": "date-time"}
	case spanType:
		return map[string]any{"type": []string{"object", "null"}, "description": "a closed time interval; an exact moment has start = end",
			"properties": map[string]any{"start": map[string]any{"type": "string", "format": "date-time"}, "end": map[string]any{"type": "string", "format": "date-time"}},
			"required":   []string{"start", "end"}}
	case rawType:
		return map[string]any{"description": "any JSON value"}
	case durationType:
		return map[string]any{"type": "integer"}
	case geometryType:
		// geo.Geometry marshals itself as GeoJSON; its Go fields are not
		// what clients see.
		return map[string]any{"type": "object", "description": "a GeoJSON geometry (RFC 7946), WGS84 longitude/latitude",
			"properties": map[string]any{"type": map[string]any{"type": "string"}, "coordinates": map[string]any{"type": "array"}},
			"required":   []string{"type", "coordinates"}}
	}
	switch t.Kind() {
	case reflect.Pointer:
		s := g.schema(t.Elem())
		return s
	case reflect.String:
		return map[string]any{"type": "string"}
	case reflect.Bool:
		return map[string]any{"type": "boolean"}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64, reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return map[string]any{"type": "integer"}
	case reflect.Float32, reflect.Float64:
		return map[string]any{"type": "number"}
	case reflect.Slice, reflect.Array:
		return map[string]any{"type": "array", "items": g.schema(t.Elem())}
	case reflect.Map:
		return map[string]any{"type": "object", "additionalProperties": g.schema(t.Elem())}
	case reflect.Interface:
		return map[string]any{}
	case reflect.Struct:
		name := t.Name()
		if name != "" && !strings.Contains(name, "[") {
			name = pkgPrefix(t) + name
			if _, ok := g.defs[name]; !ok {
				g.defs[name] = map[string]any{} // break recursion
				g.defs[name] = g.object(t)
			}
			return map[string]any{"$ref": "#/components/schemas/" + name}
		}
		return g.object(t)
	}
	return map[string]any{}
}

func pkgPrefix(t reflect.Type) string {
	p := t.PkgPath()
	if i := strings.LastIndex(p, "/"); i >= 0 {
		p = p[i+1:]
	}
	if p == "httpapi" || p == "" {
		return ""
	}
	return strings.ToUpper(p[:1]) + p[1:]
}

func (g *schemaGen) object(t reflect.Type) map[string]any {
	props := map[string]any{}
	var required []string
	g.fields(t, props, &required)
	sort.Strings(required)
	o := map[string]any{"type": "object", "properties": props}
	if len(required) > 0 {
		o["required"] = required
	}
	return o
}

func (g *schemaGen) fields(t reflect.Type, props map[string]any, required *[]string) {
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		tag := f.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		if f.Anonymous && name == "" {
			ft := f.Type
			if ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			if ft.Kind() == reflect.Struct {
				g.fields(ft, props, required)
				continue
			}
		}
		if name == "" {
			name = f.Name
		}
		props[name] = g.schema(f.Type)
		if !strings.Contains(opts, "omitempty") && !strings.Contains(opts, "omitzero") && f.Type.Kind() != reflect.Pointer {
			*required = append(*required, name)
		}
	}
}

// Match finds the route a request path would be served by (for tests and
// for naming the route in logs).
func (a *API) Match(method, path string) (Route, bool) {
	path, _, _ = strings.Cut(path, "?")
	got := strings.Split(strings.Trim(path, "/"), "/")
	for _, rt := range a.routes {
		if rt.Method != method {
			continue
		}
		want := strings.Split(strings.Trim(rt.Path, "/"), "/")
		if len(want) != len(got) {
			continue
		}
		ok := true
		for i := range want {
			if !strings.HasPrefix(want[i], "{") && want[i] != got[i] {
				ok = false
				break
			}
		}
		if ok {
			return rt, true
		}
	}
	return Route{}, false
}

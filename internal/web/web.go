// Package web serves the browser UI: a single page at / and its assets
// under /assets/, all embedded in the binary so the room works with no
// internet. The assets are built from web/ by `cd web && npm ci && npm run
// build` and committed, so a plain `go build` needs no Node.
package web

import (
	"bytes"
	"compress/gzip"
	"embed"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"regexp"
	"strings"
	"sync"

	"github.com/opsroom/opsroom/internal/httpapi"
)

//go:embed assets
var embedded embed.FS

// CSP allows only this origin's scripts (no inline or eval'd script),
// images from this origin and from data: URLs (milsymbol draws symbols
// into them), and inline styles, which Leaflet sets on the elements it
// positions.
const CSP = "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; " +
	"connect-src 'self'; font-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

// hashed matches the content-hashed names the build gives assets
// (app.0123456789ab.js); only those may be cached for good.
var hashed = regexp.MustCompile(`\.[0-9a-f]{12}\.[a-z]+$`)

// Handler serves the UI.
type Handler struct {
	files fs.FS
	index []byte
	gz    sync.Map // name -> []byte, gzipped on first request
}

// New returns a Handler over the embedded assets.
func New() *Handler {
	files, err := fs.Sub(embedded, "assets")
	if err != nil {
		panic(err) // the embed pattern above guarantees the folder
	}
	index, err := fs.ReadFile(files, "index.html")
	if err != nil {
		panic("web: assets/index.html missing; run `cd web && npm ci && npm run build`")
	}
	return &Handler{files: files, index: index}
}

// Register adds the UI's routes to the API: wire it in with
// `web.Register` in internal/cli/wire.go.
func Register(a *httpapi.API) { New().Mount(a.Raw) }

// Mount registers the page and the assets with handle (API.Raw, or a
// ServeMux's Handle).
func (h *Handler) Mount(handle func(pattern string, h http.Handler)) {
	handle("GET /{$}", http.HandlerFunc(h.serveIndex))
	handle("GET /assets/", http.StripPrefix("/assets/", http.HandlerFunc(h.serveAsset)))
}

func security(w http.ResponseWriter) {
	hd := w.Header()
	hd.Set("Content-Security-Policy", CSP)
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("Referrer-Policy", "no-referrer")
	hd.Set("X-Frame-Options", "DENY")
}

// serveIndex serves the page itself: never cached, so a new build's
// hashed asset names reach the browser at once.
func (h *Handler) serveIndex(w http.ResponseWriter, r *http.Request) {
	security(w)
	w.Header().Set("Cache-Control", "no-cache")
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	h.write(w, r, "index.html", h.index)
}

func (h *Handler) serveAsset(w http.ResponseWriter, r *http.Request) {
	name := path.Clean(r.URL.Path)
	if name == "index.html" || strings.HasPrefix(name, "..") {
		http.NotFound(w, r)
		return
	}
	b, err := fs.ReadFile(h.files, name)
	if err != nil {
		http.NotFound(w, r)
		return
	}
	security(w)
	if hashed.MatchString(name) {
		w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		w.Header().Set("Cache-Control", "public, max-age=3600")
	}
	ct := mime.TypeByExtension(path.Ext(name))
	if ct == "" {
		ct = "application/octet-stream"
	}
	w.Header().Set("Content-Type", ct)
	h.write(w, r, name, b)
}

// write sends b, gzipped when the client accepts it and the type is text
// (the basemap and milsymbol shrink to a fifth).
func (h *Handler) write(w http.ResponseWriter, r *http.Request, name string, b []byte) {
	w.Header().Add("Vary", "Accept-Encoding")
	if !compressible(name) || !strings.Contains(r.Header.Get("Accept-Encoding"), "gzip") {
		_, _ = w.Write(b)
		return
	}
	z, ok := h.gz.Load(name)
	if !ok {
		var buf bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
		_, _ = zw.Write(b)
		_ = zw.Close()
		z, _ = h.gz.LoadOrStore(name, buf.Bytes())
	}
	w.Header().Set("Content-Encoding", "gzip")
	_, _ = w.Write(z.([]byte))
}

func compressible(name string) bool {
	switch path.Ext(name) {
	case ".html", ".js", ".css", ".json", ".svg":
		return true
	}
	return false
}

// Package graphiql serves the GraphiQL page from the binary: the page and its
// assets are built from npm packages by `make graphiql` (web/ → dist/) and
// embedded, so it works offline and under a strict Content-Security-Policy.
// The example operations (examples/, the README's examples) open as tabs.
package graphiql

import (
	"bytes"
	"cmp"
	"compress/gzip"
	"embed"
	"encoding/json"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"slices"
	"strconv"
	"strings"
	"sync"
)

//go:embed dist
var dist embed.FS

//go:embed examples
var examples embed.FS

// Paths the handler answers; the server routes them here.
const (
	PagePath     = "/"
	AssetsPrefix = "/graphiql/"
	examplesPath = "/graphiql/examples.json"
)

// CSP allows the page nothing beyond its own origin. Monaco and GraphiQL set
// inline styles and style elements at run time (style-src 'unsafe-inline');
// the icon fonts and a few images are data: URLs; the editor's language
// services run in workers loaded from the page's origin.
const CSP = "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; " +
	"img-src 'self' data:; font-src 'self' data:; connect-src 'self'; worker-src 'self'; " +
	"base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

// Example is one example operation, opened as a GraphiQL tab.
type Example struct {
	Name      string `json:"name"`      // file name without extension, e.g. 1-customer360
	Query     string `json:"query"`     // the .graphql file
	Variables string `json:"variables"` // the .json file next to it, "" when there is none
}

// Examples returns the example operations in the order of their files'
// numbers (1-customer360 ... 10-new-detractors).
func Examples() ([]Example, error) {
	names, err := fs.Glob(examples, "examples/*.graphql")
	if err != nil {
		return nil, err
	}
	number := func(name string) int {
		n, _ := strconv.Atoi(strings.SplitN(path.Base(name), "-", 2)[0])
		return n
	}
	slices.SortFunc(names, func(a, b string) int { return cmp.Compare(number(a), number(b)) })
	out := make([]Example, 0, len(names))
	for _, n := range names {
		q, err := examples.ReadFile(n)
		if err != nil {
			return nil, err
		}
		e := Example{Name: strings.TrimSuffix(path.Base(n), ".graphql"), Query: string(q)}
		if v, err := examples.ReadFile(strings.TrimSuffix(n, ".graphql") + ".json"); err == nil {
			e.Variables = string(v)
		}
		out = append(out, e)
	}
	return out, nil
}

// Handler serves the page at PagePath and its assets and examples under
// AssetsPrefix; anything else is 404.
func Handler() http.Handler {
	page, err := dist.ReadFile("dist/index.html")
	if err != nil {
		panic("graphiql: dist/index.html is not embedded; run make graphiql: " + err.Error())
	}
	ex, err := Examples()
	if err != nil {
		panic("graphiql: reading the embedded examples: " + err.Error())
	}
	exJSON, err := json.Marshal(ex)
	if err != nil {
		panic(err)
	}
	return &handler{page: page, examples: exJSON}
}

type handler struct {
	page, examples []byte
	gzipped        sync.Map // asset path → *gzipAsset
}

type gzipAsset struct {
	once sync.Once
	body []byte
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	hd := w.Header()
	hd.Set("Content-Security-Policy", CSP)
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("Referrer-Policy", "no-referrer")
	switch p := r.URL.Path; {
	case p == PagePath:
		// The page names the current hashed assets: always revalidate it.
		hd.Set("Cache-Control", "no-cache")
		h.write(w, r, p, "text/html; charset=utf-8", h.page)
	case p == examplesPath:
		hd.Set("Cache-Control", "no-cache")
		h.write(w, r, p, "application/json", h.examples)
	case strings.HasPrefix(p, AssetsPrefix+"assets/") && !strings.Contains(p, ".."):
		body, err := dist.ReadFile("dist" + strings.TrimPrefix(p, "/graphiql"))
		if err != nil {
			http.NotFound(w, r)
			return
		}
		// File names carry a content hash: a name never changes content.
		hd.Set("Cache-Control", "public, max-age=31536000, immutable")
		h.write(w, r, p, contentType(p), body)
	default:
		http.NotFound(w, r)
	}
}

// write sends body, gzipped once and kept when the client accepts it (the
// assets are 7 MB raw, 2 MB gzipped).
func (h *handler) write(w http.ResponseWriter, r *http.Request, key, ctype string, body []byte) {
	hd := w.Header()
	hd.Set("Content-Type", ctype)
	hd.Add("Vary", "Accept-Encoding")
	if acceptsGzip(r) && compressible(ctype) {
		v, _ := h.gzipped.LoadOrStore(key, &gzipAsset{})
		g := v.(*gzipAsset)
		g.once.Do(func() {
			var b bytes.Buffer
			zw, _ := gzip.NewWriterLevel(&b, gzip.BestCompression)
			_, _ = zw.Write(body)
			_ = zw.Close()
			g.body = b.Bytes()
		})
		hd.Set("Content-Encoding", "gzip")
		body = g.body
	}
	hd.Set("Content-Length", strconv.Itoa(len(body)))
	_, _ = w.Write(body)
}

func contentType(p string) string {
	switch path.Ext(p) {
	case ".js":
		return "text/javascript; charset=utf-8"
	case ".css":
		return "text/css; charset=utf-8"
	case ".ttf":
		return "font/ttf"
	}
	if t := mime.TypeByExtension(path.Ext(p)); t != "" {
		return t
	}
	return "application/octet-stream"
}

func compressible(ctype string) bool {
	return strings.HasPrefix(ctype, "text/") || ctype == "application/json" || ctype == "font/ttf"
}

func acceptsGzip(r *http.Request) bool {
	for _, part := range strings.Split(r.Header.Get("Accept-Encoding"), ",") {
		enc, q, _ := strings.Cut(strings.TrimSpace(part), ";")
		if strings.EqualFold(strings.TrimSpace(enc), "gzip") && strings.ReplaceAll(strings.TrimSpace(q), " ", "") != "q=0" {
			return true
		}
	}
	return false
}

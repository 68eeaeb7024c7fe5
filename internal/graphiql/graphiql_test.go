package graphiql

import (
	"encoding/json"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"testing"
)

func get(t *testing.T, srv *httptest.Server, path string, header ...string) (*http.Response, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, srv.URL+path, nil)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	// Ask for identity encoding: the tests read the bytes.
	if req.Header.Get("Accept-Encoding") == "" {
		req.Header.Set("Accept-Encoding", "identity")
	}
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp, string(body)
}

func TestPageIsServedWithAStrictCSP(t *testing.T) {
	srv := httptest.NewServer(Handler())
	defer srv.Close()
	resp, body := get(t, srv, "/")
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
		t.Fatalf("page: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	csp := resp.Header.Get("Content-Security-Policy")
	for _, want := range []string{"default-src 'none'", "script-src 'self';", "connect-src 'self'", "worker-src 'self'", "frame-ancestors 'none'"} {
		if !strings.Contains(csp, want) {
			t.Errorf("CSP %q lacks %q", csp, want)
		}
	}
	if strings.Contains(csp, "unsafe-eval") || strings.Contains(csp, "http") || strings.Contains(csp, "*") {
		t.Errorf("CSP %q allows more than the page's origin", csp)
	}
	if resp.Header.Get("Cache-Control") != "no-cache" || resp.Header.Get("X-Content-Type-Options") != "nosniff" {
		t.Errorf("page headers: %v", resp.Header)
	}
	// Inline scripts and styles would be refused by that CSP.
	if regexp.MustCompile(`<script(\s[^>]*)?>\s*[^<\s]`).MatchString(body) || strings.Contains(body, "<style") {
		t.Errorf("the page has inline script or style:\n%s", body)
	}
	if !strings.Contains(body, `<div id="graphiql">`) {
		t.Errorf("no GraphiQL root in the page:\n%s", body)
	}
}

var (
	htmlRef  = regexp.MustCompile(`(?:src|href)="([^"]*)"`)
	assetRef = regexp.MustCompile(`/graphiql/assets/[A-Za-z0-9._-]+`)
	cssURL   = regexp.MustCompile(`url\(\s*['"]?([^'")]+)`)
	// Constructs that load something at run time, aimed at another host.
	externalLoad = regexp.MustCompile(`(?:import\(|importScripts\(|new (?:Shared)?Worker\(|fetch\(|@import\s|url\(|\bsrc\s*=)\s*['"` + "`" + `]?\s*(?:https?:)?//`)
	// Hosts that serve GraphiQL, React, Monaco or fonts to pages.
	cdnHost = regexp.MustCompile(`(?i)unpkg\.com|jsdelivr|esm\.sh|cdnjs|fonts\.googleapis|fonts\.gstatic|skypack|jspm\.io`)
)

func TestEveryReferenceIsSameOriginAndEmbedded(t *testing.T) {
	srv := httptest.NewServer(Handler())
	defer srv.Close()
	_, page := get(t, srv, "/")
	refs := htmlRef.FindAllStringSubmatch(page, -1)
	if len(refs) < 2 {
		t.Fatalf("the page references %d files; expected its script and stylesheet:\n%s", len(refs), page)
	}
	toCheck := map[string]bool{}
	for _, m := range refs {
		ref := m[1]
		switch {
		case strings.HasPrefix(ref, "data:"):
		case strings.HasPrefix(ref, AssetsPrefix+"assets/"):
			toCheck[ref] = true
		default:
			t.Errorf("the page references %q, not an embedded asset", ref)
		}
	}
	// Every asset: no load from another host, and every asset it names is served.
	assets, err := fs.Glob(dist, "dist/assets/*")
	if err != nil || len(assets) == 0 {
		t.Fatalf("no embedded assets (%v); run make graphiql", err)
	}
	for _, a := range assets {
		b, _ := dist.ReadFile(a)
		s := string(b)
		if strings.HasSuffix(a, ".ttf") {
			continue
		}
		if m := externalLoad.FindString(s); m != "" {
			t.Errorf("%s loads from another host: %q", a, m)
		}
		if m := cdnHost.FindString(s); m != "" {
			t.Errorf("%s names a CDN: %q", a, m)
		}
		for _, ref := range assetRef.FindAllString(s, -1) {
			toCheck[ref] = true
		}
		if strings.HasSuffix(a, ".css") {
			for _, m := range cssURL.FindAllStringSubmatch(s, -1) {
				switch ref := m[1]; {
				case strings.HasPrefix(ref, "data:"), strings.HasPrefix(ref, "#"):
				case strings.HasPrefix(ref, "/"):
					toCheck[ref] = true
				default: // relative to the stylesheet, in assets/
					toCheck[AssetsPrefix+"assets/"+strings.TrimPrefix(ref, "./")] = true
				}
			}
		}
	}
	if len(toCheck) < 5 {
		t.Fatalf("found only %d asset references: %v", len(toCheck), toCheck)
	}
	types := map[string]string{".js": "text/javascript", ".css": "text/css", ".ttf": "font/ttf"}
	for ref := range toCheck {
		resp, body := get(t, srv, ref)
		if resp.StatusCode != http.StatusOK || body == "" {
			t.Errorf("%s: %d", ref, resp.StatusCode)
			continue
		}
		ext := ref[strings.LastIndex(ref, "."):]
		if want, ok := types[ext]; ok && !strings.HasPrefix(resp.Header.Get("Content-Type"), want) {
			t.Errorf("%s: Content-Type %q, want %s", ref, resp.Header.Get("Content-Type"), want)
		}
		if !strings.Contains(resp.Header.Get("Cache-Control"), "immutable") {
			t.Errorf("%s: Cache-Control %q", ref, resp.Header.Get("Cache-Control"))
		}
	}
}

func TestAssetsAreGzippedOnRequest(t *testing.T) {
	srv := httptest.NewServer(Handler())
	defer srv.Close()
	js, _ := fs.Glob(dist, "dist/assets/index-*.js")
	if len(js) != 1 {
		t.Fatalf("entry scripts: %v", js)
	}
	path := AssetsPrefix + strings.TrimPrefix(js[0], "dist/")
	plain, pbody := get(t, srv, path)
	zipped, zbody := get(t, srv, path, "Accept-Encoding", "gzip, br")
	if plain.Header.Get("Content-Encoding") != "" || zipped.Header.Get("Content-Encoding") != "gzip" ||
		len(zbody) == 0 || len(zbody) > len(pbody)/2 {
		t.Fatalf("plain %d bytes (%q), gzip %d bytes (%q)", len(pbody), plain.Header.Get("Content-Encoding"),
			len(zbody), zipped.Header.Get("Content-Encoding"))
	}
}

func TestExampleTabsAreServed(t *testing.T) {
	srv := httptest.NewServer(Handler())
	defer srv.Close()
	resp, body := get(t, srv, examplesPath)
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "application/json" {
		t.Fatalf("examples: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	var got []Example
	if err := json.Unmarshal([]byte(body), &got); err != nil {
		t.Fatal(err)
	}
	want := map[string]bool{"query Customer360": false, "query BIPullPage": false, "query PersonasWithMembers": false,
		"query Insights": false, "mutation CreateOrder": false}
	for _, e := range got {
		for op := range want {
			if strings.Contains(e.Query, op+"(") || strings.Contains(e.Query, op+" ") {
				want[op] = true
			}
		}
		if e.Variables != "" && !json.Valid([]byte(e.Variables)) {
			t.Errorf("%s: variables are not JSON: %s", e.Name, e.Variables)
		}
		if strings.Contains(e.Query, "$") && e.Variables == "" {
			t.Errorf("%s takes variables but has none", e.Name)
		}
	}
	for op, ok := range want {
		if !ok {
			t.Errorf("no example tab with %s", op)
		}
	}
}

func TestOtherPathsAreNotFound(t *testing.T) {
	srv := httptest.NewServer(Handler())
	defer srv.Close()
	for _, p := range []string{"/index.html", "/graphiql/", "/graphiql/assets/", "/graphiql/assets/nope.js",
		"/graphiql/assets/../index.html", "/graphiql/index.html"} {
		if resp, _ := get(t, srv, p); resp.StatusCode != http.StatusNotFound {
			t.Errorf("%s: %d, want 404", p, resp.StatusCode)
		}
	}
	resp, err := http.Post(srv.URL+"/", "text/plain", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("POST /: %d", resp.StatusCode)
	}
}

// Issue 12, "README: how to subscribe (a GraphiQL tab ...)": the page's
// fetcher streams a subscription over Server-Sent Events (web/main.js; the
// committed bundle must be built from it), and the tab is an example.
func TestSubscriptionTabStreamsOverServerSentEvents(t *testing.T) {
	assets, err := fs.Glob(dist, "dist/assets/index-*.js")
	if err != nil || len(assets) != 1 {
		t.Fatalf("bundles %v (%v); run make graphiql", assets, err)
	}
	b, _ := dist.ReadFile(assets[0])
	if !strings.Contains(string(b), "text/event-stream") {
		t.Errorf("%s does not ask for text/event-stream: the page runs subscriptions as one POST; run make graphiql", assets[0])
	}
	tabs, err := Examples()
	if err != nil {
		t.Fatal(err)
	}
	subscription := regexp.MustCompile(`(?m)^subscription\b`)
	if !slices.ContainsFunc(tabs, func(e Example) bool { return subscription.MatchString(e.Query) }) {
		t.Error("no example tab is a subscription")
	}
}

package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"entgo.io/ent/dialect"

	"github.com/c360/c360/internal/config"
	"github.com/c360/c360/internal/server"
)

func send(t *testing.T, method, target, contentType, accept, body string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(method, target, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

func TestGraphQLOverHTTP(t *testing.T) {
	a := newAPI(t, dialect.SQLite)
	gql := a.url + "/graphql"
	const gr = "application/graphql-response+json"
	cases := []struct {
		name, method, target, ct, accept, body string
		status                                 int
		wantCT                                 string
		has, hasNot                            []string
	}{
		{"post json", "POST", gql, "application/json", "", `{"query":"{ __typename }"}`, 200, "application/json", []string{`"data":{"__typename":"Query"}`}, nil},
		{"post graphql-response", "POST", gql, "application/json; charset=utf-8", gr, `{"query":"{ __typename }"}`, 200, gr, []string{`"__typename":"Query"`}, nil},
		{"get query", "GET", gql + "?query=" + url.QueryEscape("{ __typename }"), "", "", "", 200, "application/json", []string{`"Query"`}, nil},
		{"get variables", "GET", gql + "?query=" + url.QueryEscape("query($n: String!) { __type(name: $n) { name } }") + "&variables=" + url.QueryEscape(`{"n":"Customer"}`), "", gr, "", 200, gr, []string{`"name":"Customer"`}, nil},
		{"get mutation", "GET", gql + "?query=" + url.QueryEscape("mutation { deletePersona(id: 1) }"), "", gr, "", 405, gr, []string{"POST"}, nil},
		{"parse error json", "POST", gql, "application/json", "application/json", `{"query":"{"}`, 200, "application/json", []string{"GRAPHQL_PARSE_FAILED"}, []string{`"data"`}},
		{"parse error graphql-response", "POST", gql, "application/json", gr, `{"query":"{"}`, 400, gr, []string{"GRAPHQL_PARSE_FAILED"}, []string{`"data"`}},
		{"validation error graphql-response", "POST", gql, "application/json", gr, `{"query":"{ nope }"}`, 400, gr, []string{"GRAPHQL_VALIDATION_FAILED"}, []string{`"data"`}},
		{"variable coercion graphql-response", "POST", gql, "application/json", gr, `{"query":"query($f: Int) { customers(first: $f) { totalCount } }","variables":{"f":"x"}}`, 400, gr, []string{"BAD_USER_INPUT"}, []string{`"data"`}},
		{"malformed json not echoed", "POST", gql, "application/json", "", `{"query": "secret-pii-4111111111111111"`, 400, "application/json", []string{"not a valid JSON"}, []string{"4111"}},
		{"missing query", "POST", gql, "application/json", "", `{"variables":{}}`, 400, "application/json", []string{"query"}, nil},
		{"query not a string", "POST", gql, "application/json", "", `{"query":{"a":1}}`, 400, "application/json", nil, nil},
		{"variables not an object", "POST", gql, "application/json", "", `{"query":"{ __typename }","variables":"x"}`, 400, "application/json", nil, nil},
		{"batch refused", "POST", gql, "application/json", "", `[{"query":"{ __typename }"},{"query":"{ __typename }"}]`, 400, "application/json", []string{"batched"}, nil},
		{"no content type", "POST", gql, "", "", `{"query":"{ __typename }"}`, 415, "application/json", nil, nil},
		{"form post", "POST", gql, "application/x-www-form-urlencoded", "", `query=%7B__typename%7D`, 415, "application/json", nil, nil},
		{"text post", "POST", gql, "text/plain", "", `{"query":"{ __typename }"}`, 415, "application/json", nil, nil},
		{"latin1", "POST", gql, "application/json; charset=iso-8859-1", "", `{"query":"{ __typename }"}`, 415, "application/json", nil, nil},
		{"body too large", "POST", gql, "application/json", "", `{"query":"` + strings.Repeat(" ", 3<<20) + `{ __typename }"}`, 413, "application/json", nil, nil},
		{"put", "PUT", gql, "application/json", "", `{"query":"{ __typename }"}`, 405, "application/json", nil, nil},
		{"healthz", "GET", a.url + "/healthz", "", "", "", 200, "text/plain", []string{"ok"}, nil},
		{"readyz", "GET", a.url + "/readyz", "", "", "", 200, "text/plain", []string{"ready"}, nil},
		{"metrics", "GET", a.url + "/metrics", "", "", "", 200, "text/plain", []string{"c360_cache_degraded", "c360_graphql_request_duration_seconds_bucket", "c360_graphql_errors_total{code=\"GRAPHQL_PARSE_FAILED\"}", "go_sql_open_connections{db_name=\"sqlite_reader\"}"}, nil},
		{"graphiql", "GET", a.url + "/", "", "text/html", "", 200, "text/html", []string{"graphiql"}, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			resp, body := send(t, c.method, c.target, c.ct, c.accept, c.body)
			if resp.StatusCode != c.status {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, c.status, body)
			}
			if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, c.wantCT) {
				t.Fatalf("content type %q, want %q", ct, c.wantCT)
			}
			for _, s := range c.has {
				if !strings.Contains(strings.ToLower(body), strings.ToLower(s)) {
					t.Errorf("body lacks %q: %s", s, body)
				}
			}
			for _, s := range c.hasNot {
				if strings.Contains(body, s) {
					t.Errorf("body has %q: %s", s, body)
				}
			}
			if c.status == 405 && resp.Header.Get("Allow") == "" {
				t.Errorf("405 without an Allow header")
			}
			if strings.HasPrefix(c.wantCT, "application/") {
				var v map[string]any
				if err := json.Unmarshal([]byte(body), &v); err != nil {
					t.Errorf("body is not JSON: %s", body)
				}
			}
		})
	}
}

// Internal errors reach the client as a generic message, never SQL or paths.
func TestInternalErrorsDoNotLeak(t *testing.T) {
	a := newAPI(t, dialect.SQLite)
	a.customer(map[string]any{"kind": "INDIVIDUAL", "name": "Leak Test"})
	a.db.Close() // every statement now fails inside database/sql
	r := a.do(`{ customers(first: 5) { edges { node { name } } } }`, nil)
	if len(r.Errors) != 1 || r.Errors[0].Extensions["code"] != "INTERNAL_SERVER_ERROR" {
		t.Fatalf("expected one internal error, got %s", r.raw)
	}
	for _, leak := range []string{"sql", "SELECT", "closed", ".go", "/"} {
		if strings.Contains(r.Errors[0].Message, leak) {
			t.Fatalf("internal error leaks %q: %s", leak, r.raw)
		}
	}
	resp, _ := send(t, "GET", a.url+"/readyz", "", "", "")
	if resp.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("readyz with a closed database: %d", resp.StatusCode)
	}
}

// lockedBuffer collects log output written by the server's goroutines.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) lines() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Split(strings.TrimSpace(l.b.String()), "\n")
}

// Every line logged during a request carries its id, including lines of
// packages that know nothing of request ids (errcode's "internal error").
func TestLogLinesOfARequestCarryItsID(t *testing.T) {
	logs := &lockedBuffer{}
	prev := slog.Default()
	slog.SetDefault(slog.New(server.LogHandler(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))))
	t.Cleanup(func() { slog.SetDefault(prev) })

	a := newAPI(t, dialect.SQLite)
	a.db.Close() // the query fails inside database/sql: errcode logs an internal error
	body := `{"query":"{ customers(first: 1) { totalCount } }"}`
	req, _ := http.NewRequest("POST", a.url+"/graphql", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Request-ID", "trace-me-42")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()

	want := map[string]bool{"internal error": false, "graphql operation": false, "http request": false}
	for _, line := range logs.lines() {
		var rec struct {
			Msg       string `json:"msg"`
			RequestID string `json:"request_id"`
		}
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatalf("log line is not JSON: %s", line)
		}
		if _, ok := want[rec.Msg]; ok {
			if rec.RequestID != "trace-me-42" {
				t.Errorf("%q logged with request_id %q, want trace-me-42: %s", rec.Msg, rec.RequestID, line)
			}
			want[rec.Msg] = true
		}
	}
	for msg, seen := range want {
		if !seen {
			t.Errorf("no %q line logged", msg)
		}
	}
}

// SIGTERM (a cancelled context) lets in-flight requests finish, then stops.
func TestGracefulShutdown(t *testing.T) {
	a := newAPI(t, dialect.SQLite)
	cfg, _ := config.Load()
	cfg.ShutdownTimeout = 10 * time.Second
	cfg.DrainDelay = 0
	ln, cancel, done := runServer(t, a, cfg)
	base := "http://" + ln.Addr().String()

	// A slow client: headers sent, body still coming when shutdown starts.
	conn, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	body := `{"query":"{ __typename }"}`
	_, _ = conn.Write([]byte("POST /graphql HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: " +
		strconv.Itoa(len(body)) + "\r\n\r\n" + body[:5]))
	time.Sleep(100 * time.Millisecond)
	cancel()
	time.Sleep(100 * time.Millisecond)
	_, _ = conn.Write([]byte(body[5:]))
	buf := make([]byte, 4096)
	_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	n, _ := conn.Read(buf)
	if !strings.Contains(string(buf[:n]), "200 OK") || !strings.Contains(string(buf[:n]), `"Query"`) {
		t.Fatalf("in-flight request did not finish: %q", buf[:n])
	}
	stopped(t, done, base)
}

// Contract: on SIGTERM the server keeps serving for DRAIN_DELAY with /readyz
// answering 503, so a load balancer moves traffic before the port closes.
func TestDrainKeepsServingWithReadyz503(t *testing.T) {
	a := newAPI(t, dialect.SQLite)
	cfg, _ := config.Load()
	cfg.DrainDelay = 600 * time.Millisecond
	ln, cancel, done := runServer(t, a, cfg)
	base := "http://" + ln.Addr().String()
	if resp, _ := send(t, "GET", base+"/readyz", "", "", ""); resp.StatusCode != http.StatusOK {
		t.Fatalf("readyz before SIGTERM: %d", resp.StatusCode)
	}
	cancel()
	time.Sleep(100 * time.Millisecond)
	resp, _ := send(t, "GET", base+"/readyz", "", "", "")
	if resp.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("readyz while draining: %d, want 503", resp.StatusCode)
	}
	if resp.Close != true {
		t.Error("keep-alive still offered while draining")
	}
	r, err := http.Post(base+"/graphql", "application/json", strings.NewReader(`{"query":"{ __typename }"}`))
	if err != nil {
		t.Fatalf("new request while draining refused: %v", err)
	}
	r.Body.Close()
	if r.StatusCode != http.StatusOK {
		t.Fatalf("query while draining: %d", r.StatusCode)
	}
	select {
	case err := <-done:
		t.Fatalf("stopped before the drain delay: %v", err)
	case <-time.After(200 * time.Millisecond):
	}
	stopped(t, done, base)
}

// runServer serves a's database with cfg on a loopback port until cancel,
// the way server.go does; done receives Run's result.
func runServer(t *testing.T, a *api, cfg config.Config) (net.Listener, context.CancelFunc, chan error) {
	t.Helper()
	c360 := *a.app
	c360.Config = cfg
	srv, err := server.New(&c360)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() }) // its event stream and webhook delivery, before the database closes
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	done := make(chan error, 1)
	go func() { done <- srv.Run(ctx, ln) }()
	return ln, cancel, done
}

// stopped waits for Run to return cleanly and the port to close.
func stopped(t *testing.T, done chan error, base string) {
	t.Helper()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Run: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("server did not stop")
	}
	if _, err := http.Get(base + "/healthz"); err == nil {
		t.Fatal("server still accepts connections after shutdown")
	}
}

func TestVariablesCap(t *testing.T) {
	a := newAPI(t, dialect.SQLite)
	ids := make([]string, 10001)
	for i := range ids {
		ids[i] = "1"
	}
	r := a.do(`query($x: [ID!]!) { nodes(ids: $x) { id } }`, map[string]any{"x": ids})
	if r.status != 400 || !contains(r.raw, "10000") {
		t.Fatalf("10,001 values: %d %s", r.status, r.raw)
	}
	// Commas and colons inside strings are not values.
	r = a.do(`query($c: String!) { customers(first: 1, where: {nameContains: $c}) { totalCount } }`,
		map[string]any{"c": strings.Repeat(",:", 20000)})
	if len(r.Errors) > 0 {
		t.Fatalf("punctuation in a string counted as values: %s", r.raw)
	}
}

// A request that outlives REQUEST_TIMEOUT is cut off with a TIMEOUT error.
func TestRequestTimeout(t *testing.T) {
	a := newAPIWith(t, dialect.SQLite, func(c *config.Config) { c.RequestTimeout = 2 * time.Millisecond })
	for i := range 200 {
		a.db.Client.Customer.Create().SetName(fmt.Sprint("T", i)).SetKind("INDIVIDUAL").SaveX(context.Background())
	}
	var r result
	for range 20 { // each attempt takes far longer than 2 ms
		r = a.do(`{ customers(first: 200) { edges { node { name personas { name } scores { loyaltyScore }
			orders(first: 10) { totalCount } feedbacks(first: 10) { totalCount } } } } }`, nil)
		if len(r.Errors) > 0 {
			break
		}
	}
	if len(r.Errors) == 0 || r.Errors[0].Extensions["code"] != "TIMEOUT" {
		t.Fatalf("expected a TIMEOUT error: %.500s", r.raw)
	}
}

// Every response carries a request id: the client's when it is sane, a new one otherwise.
func TestRequestID(t *testing.T) {
	a := newAPI(t, dialect.SQLite)
	for sent, echoed := range map[string]bool{"abc-123": true, "bad id with spaces": false, "": false} {
		req, _ := http.NewRequest("GET", a.url+"/healthz", nil)
		if sent != "" {
			req.Header.Set("X-Request-ID", sent)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		got := resp.Header.Get("X-Request-ID")
		if echoed && got != sent || !echoed && (got == "" || got == sent) {
			t.Errorf("sent %q, got %q", sent, got)
		}
	}
}

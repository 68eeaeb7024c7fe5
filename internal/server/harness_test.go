package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"entgo.io/ent/dialect"

	"github.com/c360/c360/internal/app"
	"github.com/c360/c360/internal/config"
	"github.com/c360/c360/internal/database"
	"github.com/c360/c360/internal/importer"
	"github.com/c360/c360/internal/scores"
	"github.com/c360/c360/internal/seed"
	"github.com/c360/c360/internal/server"
	"github.com/c360/c360/internal/testservices"
)

func TestMain(m *testing.M) {
	// Request logs would drown the test output; warnings and errors still show.
	slog.SetDefault(slog.New(server.LogHandler(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))))
	if os.Getenv(serveEnv) != "" {
		os.Exit(serveProcess())
	}
	testservices.Main(m)
}

// api is a real server over a real database, driven over HTTP.
type api struct {
	t       testing.TB
	url     string
	db      *database.DB
	counter *database.Counter
	scores  *scores.Service
	app     *app.App
}

// dialects runs f on a SQLite file and on a PostgreSQL server.
func dialects(t *testing.T, f func(t *testing.T, a *api)) {
	for _, d := range []string{dialect.SQLite, dialect.Postgres} {
		t.Run(d, func(t *testing.T) { f(t, newAPI(t, d)) })
	}
}

func newAPI(t testing.TB, d string) *api { return newAPIWithCache(t, d, "") }

// newAPIWithCache serves with the score cache in Redis at redisURL ("" for in-process).
func newAPIWithCache(t testing.TB, d, redisURL string) *api {
	return newAPIWith(t, d, func(c *config.Config) { c.RedisURL = redisURL })
}

// newAPIWith serves with the configuration changed by edit.
func newAPIWith(t testing.TB, d string, edit func(*config.Config)) *api {
	t.Helper()
	return newAPIAt(t, testservices.DatabaseURL(t, d), edit)
}

// newAPIAt serves the database at url (migrated on opening).
func newAPIAt(t testing.TB, url string, edit func(*config.Config)) *api {
	t.Helper()
	d := dialect.SQLite
	if database.IsPostgres(url) {
		d = dialect.Postgres
	}
	cfg, err := config.Load()
	if err != nil {
		t.Fatal(err)
	}
	cfg.DatabaseURL = url
	cfg.BaseCurrency = "EUR"
	cfg.MaxBodyBytes = 2 << 20
	cfg.RateLimit = 0 // tests send bursts; TestRateLimit turns it on
	edit(&cfg)
	counter := &database.Counter{}
	c360, err := app.Open(context.Background(), cfg, database.Options{Wrap: counter.Wrap})
	if err != nil {
		t.Fatalf("opening %s: %v", d, err)
	}
	t.Cleanup(func() { c360.Close() })
	s, err := server.New(c360)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	srv := httptest.NewServer(s.Handler())
	t.Cleanup(srv.Close)
	return &api{t: t, url: srv.URL, db: c360.DB, counter: counter, scores: c360.Scores, app: c360}
}

// with returns the api reporting to another test (a subtest).
func (a *api) with(t testing.TB) *api {
	b := *a
	b.t = t
	return &b
}

type gqlError struct {
	Message    string         `json:"message"`
	Path       []any          `json:"path"`
	Extensions map[string]any `json:"extensions"`
}

type result struct {
	Data   json.RawMessage `json:"data"`
	Errors []gqlError      `json:"errors"`
	status int
	raw    string
}

// do posts a GraphQL document without credentials and decodes the answer.
func (a *api) do(query string, vars map[string]any) result {
	a.t.Helper()
	return a.as("", query, vars)
}

// as posts a document with a credential ("" for none) and decodes the answer.
func (a *api) as(key, query string, vars map[string]any) result {
	a.t.Helper()
	body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	req, _ := http.NewRequest("POST", a.url+"/graphql", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		a.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var r result
	if err := json.Unmarshal(raw, &r); err != nil {
		a.t.Fatalf("response is not JSON (%d): %s", resp.StatusCode, raw)
	}
	r.status, r.raw = resp.StatusCode, string(raw)
	return r
}

// ok runs a document that must succeed and decodes its data into out.
func (a *api) ok(query string, vars map[string]any, out any) {
	a.t.Helper()
	r := a.do(query, vars)
	if len(r.Errors) > 0 || r.status != http.StatusOK {
		a.t.Fatalf("unexpected errors (%d): %s", r.status, r.raw)
	}
	if out != nil {
		if err := json.Unmarshal(r.Data, out); err != nil {
			a.t.Fatalf("decoding %s: %v", r.Data, err)
		}
	}
}

// fails runs a document that must fail with code (and field, when given).
func (a *api) fails(query string, vars map[string]any, code, field string) gqlError {
	a.t.Helper()
	r := a.do(query, vars)
	if len(r.Errors) == 0 {
		a.t.Fatalf("expected a %s error, got %s", code, r.raw)
	}
	e := r.Errors[0]
	if e.Extensions["code"] != code {
		a.t.Fatalf("expected code %s, got %s", code, r.raw)
	}
	if field != "" && e.Extensions["field"] != field {
		a.t.Fatalf("expected field %q, got %s", field, r.raw)
	}
	return e
}

// count returns the rows of a table, straight from the database.
func (a *api) count(table string) int {
	a.t.Helper()
	var n int
	var err error
	ctx := context.Background()
	c := a.db.Client
	switch table {
	case "customers":
		n, err = c.Customer.Query().Count(ctx)
	case "orders":
		n, err = c.Order.Query().Count(ctx)
	case "order_items":
		n, err = c.OrderItem.Query().Count(ctx)
	case "feedbacks":
		n, err = c.Feedback.Query().Count(ctx)
	case "personas":
		n, err = c.Persona.Query().Count(ctx)
	default:
		a.t.Fatalf("no table %s", table)
	}
	if err != nil {
		a.t.Fatal(err)
	}
	return n
}

func (a *api) counts() string {
	return fmt.Sprintf("customers=%d orders=%d items=%d feedbacks=%d personas=%d",
		a.count("customers"), a.count("orders"), a.count("order_items"), a.count("feedbacks"), a.count("personas"))
}

const createCustomer = `mutation($in: CreateCustomerInput!) { createCustomer(input: $in) { id name email } }`

func (a *api) customer(in map[string]any) string {
	a.t.Helper()
	var out struct{ CreateCustomer struct{ ID string } }
	a.ok(createCustomer, map[string]any{"in": in}, &out)
	return out.CreateCustomer.ID
}

const createOrder = `mutation($in: CreateOrderInput!) { createOrder(input: $in) { id total status items { sku lineTotal } } }`

func (a *api) order(customerID string, placedAt time.Time, status string, prices ...string) string {
	a.t.Helper()
	items := []map[string]any{}
	for i, p := range prices {
		items = append(items, map[string]any{"sku": fmt.Sprintf("SKU-%d", i), "name": "Kahvi ☕", "quantity": i + 1, "unitPrice": p})
	}
	var out struct{ CreateOrder struct{ ID string } }
	a.ok(createOrder, map[string]any{"in": map[string]any{
		"customerID": customerID, "channel": "WEB", "status": status,
		"placedAt": placedAt.Format(time.RFC3339), "items": items,
	}}, &out)
	return out.CreateOrder.ID
}

const createFeedback = `mutation($in: CreateFeedbackInput!) { createFeedback(input: $in) { id } }`

func (a *api) feedback(in map[string]any) string {
	a.t.Helper()
	var out struct{ CreateFeedback struct{ ID string } }
	a.ok(createFeedback, map[string]any{"in": in}, &out)
	return out.CreateFeedback.ID
}

func contains(s string, parts ...string) bool {
	for _, p := range parts {
		if !strings.Contains(s, p) {
			return false
		}
	}
	return true
}

func jsonUnmarshal(b []byte, v any) error { return json.Unmarshal(b, v) }

// seeded writes a generated data set of customers (seed.Generate) through
// the importer.
func (a *api) seeded(customers int, s int64, now time.Time) {
	a.t.Helper()
	l := importer.NewLoader(context.Background(), a.db, importer.Options{BaseCurrency: "EUR"})
	if err := seed.Generate(seed.Config{Customers: customers, Seed: s, Now: now}, l); err != nil {
		a.t.Fatal(err)
	}
	if err := l.Flush(); err != nil {
		a.t.Fatal(err)
	}
}

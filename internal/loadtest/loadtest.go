// Package loadtest is the benchmark suite's load driver: it loads a
// generated data set into a fresh database, serves the real HTTP handler
// (server.New) on a loopback port, and measures GraphQL requests over HTTP
// at a given concurrency: requests per second, latency percentiles, CPU time
// per request, SQL statements per request (database.Counter) and the peak
// resident memory of the process.
//
// The scenarios are those of the issue:
//
//	Q1 customer 360: one random customer by externalRef with profile,
//	   personas, latest 20 orders with items, latest 20 feedback.
//	Q2 BI pull: customers(first: 100) with their first 10 orders with items
//	   and first 10 feedback, paging with after through the first 1,000
//	   customers; each page is one request.
//	Q3 insights: the global aggregate Query.insights, all its fields.
//
// Q1 and Q2 also run against their floor (floor.go): the same response data
// built by one hand-written SQL statement, the database's own cost.
//
// The suite itself is BenchmarkAPI in bench_test.go (make bench).
package loadtest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"runtime"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"entgo.io/ent/dialect"

	"github.com/c360/c360/internal/app"
	"github.com/c360/c360/internal/cmalloc"
	"github.com/c360/c360/internal/config"
	"github.com/c360/c360/internal/database"
	"github.com/c360/c360/internal/importer"
	"github.com/c360/c360/internal/server"
)

// ImportResult is how long loading the data set took.
type ImportResult struct {
	Records   int64
	Elapsed   time.Duration
	PeakRSS   int64         // bytes, during the import
	Summaries time.Duration // of Elapsed, building the figures' summaries
}

// RecordsPerSecond is the import rate.
func (r ImportResult) RecordsPerSecond() float64 { return float64(r.Records) / r.Elapsed.Seconds() }

// Env is a loaded database served over loopback HTTP.
type Env struct {
	Dialect   string
	Customers int // customers in the data set: C-0000001 .. C-<Customers>
	Import    ImportResult
	URL       string // base URL of the server, http://127.0.0.1:port

	app     *app.App
	counter *database.Counter
	srv     *server.Server
	client  *http.Client
	cancel  context.CancelFunc
	done    chan error

	floor      *floor // the Q1/Q2 floor statements and their pool
	postmaster int    // PostgreSQL's main process, for its CPU time; 0 on SQLite
}

// Setup imports the data set in dataDir (customers C-0000001..C-<customers>)
// into the empty database at databaseURL and starts the server on it. Logs
// are encoded as in production (JSON, info) but discarded. Close stops it.
func Setup(ctx context.Context, databaseURL, dataDir string, customers int) (*Env, error) {
	slog.SetDefault(slog.New(slog.NewJSONHandler(io.Discard, &slog.HandlerOptions{Level: slog.LevelInfo})))
	e := &Env{Customers: customers}

	// Import through a plain connection, as the import command does.
	db, err := database.Open(ctx, databaseURL, database.Options{})
	if err != nil {
		return nil, err
	}
	collectGarbage()
	resetPeakRSS()
	start := time.Now()
	sum, err := importer.ImportDir(ctx, db, dataDir, importer.Options{BatchSize: 10000})
	e.Import = ImportResult{Records: sum.Imported + sum.Rejected, Elapsed: time.Since(start), PeakRSS: PeakRSS(), Summaries: sum.Summaries}
	db.Close()
	if err != nil {
		return nil, err
	}
	if sum.Rejected > 0 {
		return nil, fmt.Errorf("the data set had rejections: %s, first %v", sum, sum.Rejections[0])
	}

	cfg, err := config.Load()
	if err != nil {
		return nil, err
	}
	cfg.DatabaseURL = databaseURL
	cfg.Auth = config.AuthConfig{} // development mode: the driver sends no credentials
	cfg.RateLimit = 0              // one client address sends everything
	cfg.RedisURL = ""              // the in-process score cache
	cfg.OTLPEndpoint = ""
	e.counter = &database.Counter{}
	e.app, err = app.Open(ctx, cfg, database.Options{Wrap: e.counter.Wrap})
	if err != nil {
		return nil, err
	}
	e.Dialect = e.app.DB.Dialect
	e.srv, err = server.New(e.app)
	if err != nil {
		e.Close()
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		e.Close()
		return nil, err
	}
	e.URL = "http://" + ln.Addr().String()
	runCtx, cancel := context.WithCancel(context.Background())
	e.cancel, e.done = cancel, make(chan error, 1)
	go func() { e.done <- e.srv.Run(runCtx, ln) }()
	e.client = &http.Client{Transport: &http.Transport{
		MaxIdleConns: 256, MaxIdleConnsPerHost: 256, IdleConnTimeout: time.Minute, DisableCompression: true,
	}, Timeout: time.Minute}
	if e.floor, err = openFloor(databaseURL); err != nil {
		e.Close()
		return nil, err
	}
	if e.Dialect == dialect.Postgres {
		e.postmaster = postmasterPID(ctx, e.floor.pool)
	}
	return e, nil
}

// Close stops the server and closes the database.
func (e *Env) Close() {
	if e.cancel != nil {
		e.cancel()
		<-e.done
	}
	if e.srv != nil {
		e.srv.Close()
	}
	if e.app != nil {
		e.app.Close()
	}
	if e.floor != nil {
		e.floor.pool.Close()
	}
}

// post sends a GraphQL request and returns the body; a non-200 status or an
// "errors" member is an error.
func (e *Env) post(ctx context.Context, body []byte) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, e.URL+"/graphql", bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := e.client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK || bytes.Contains(raw, []byte(`"errors":`)) {
		if len(raw) > 500 {
			raw = raw[:500]
		}
		return nil, fmt.Errorf("HTTP %d: %s", resp.StatusCode, raw)
	}
	return raw, nil
}

func request(query string, vars map[string]any) []byte {
	b, err := json.Marshal(map[string]any{"query": query, "variables": vars})
	if err != nil {
		panic(err)
	}
	return b
}

// The scenario queries, as issue 9 defines them: every scalar field of each
// type, so that c360 and the floor (floor.go) return the same, whole objects.
const (
	q1 = `query Customer360($ref: String!) { customer(externalRef: $ref) {
  id externalRef createdAt updatedAt kind relationship lifecycleStage name email phone birthDate gender incomeBand country region city
  personas { id name }
  orders(first: 20, orderBy: {field: PLACED_AT, direction: DESC}) { totalCount edges { node {
    id externalRef createdAt updatedAt status channel currency placedAt total
    items { id sku name category quantity unitPrice lineTotal } } } }
  feedbacks(first: 20, orderBy: {field: SUBMITTED_AT, direction: DESC}) { totalCount edges { node {
    id externalRef createdAt updatedAt kind channel score comment language submittedAt order { id } } } } } }`

	// q2 takes the page size as a variable so that statements per page can
	// be compared across page sizes.
	q2 = `query BIPull($first: Int!, $after: Cursor) { customers(first: $first, after: $after) {
  pageInfo { hasNextPage endCursor }
  edges { node {
    id externalRef createdAt updatedAt kind relationship lifecycleStage name email phone birthDate gender incomeBand country region city
    orders(first: 10) { edges { node {
      id externalRef createdAt updatedAt status channel currency placedAt total
      items { id sku name category quantity unitPrice lineTotal } } } }
    feedbacks(first: 10) { edges { node {
      id externalRef createdAt updatedAt kind channel score comment language submittedAt order { id } } } } } } } }`

	q3 = `{ insights { customerCount buyerCount orderCount revenue averageOrderValue repeatPurchaseRate
  npsResponses promoters passives detractors nps averageCsat csatSatisfiedShare } }`
)

// Q2PageSize and Q2Customers: the BI pull reads pages of 100 customers
// through the first 1,000.
const (
	Q2PageSize  = 100
	Q2Customers = 1000
)

// Scenario is a kind of request.
type Scenario struct {
	Key, Name string
	// Floor marks the floor of Key: one hand-written SQL statement per
	// request instead of c360 (floor.go).
	Floor bool
	// next returns a worker's next request, ready to send; after sees the
	// response (Q2 reads its cursor).
	next  func(w *worker) func(context.Context) ([]byte, error)
	after func(w *worker, body []byte)
}

// Path is what answers the scenario's requests: "c360" or "floor".
func (s Scenario) Path() string {
	if s.Floor {
		return "floor"
	}
	return "c360"
}

// send is a GraphQL request to c360.
func (e *Env) send(body []byte) func(context.Context) ([]byte, error) {
	return func(ctx context.Context) ([]byte, error) { return e.post(ctx, body) }
}

// q1Ref is a worker's next Q1 customer: uniformly random.
func (e *Env) q1Ref(w *worker) string { return fmt.Sprintf("C-%07d", 1+w.rng.IntN(e.Customers)) }

// q2After reads a page's cursor and starts over after Q2Customers.
func q2After(w *worker, body []byte) {
	w.page++
	w.after = endCursor(body)
	if w.page >= Q2Customers/Q2PageSize || w.after == "" {
		w.page, w.after = 0, ""
	}
}

// worker is the state of one client.
type worker struct {
	rng   *rand.Rand
	page  int    // Q2: pages read in the current pass
	after string // Q2: cursor of the next page ("" for the first)
}

// Scenarios returns Q1, Q2, their floors and Q3.
// A floor scenario draws the same inputs as its c360 one (the same
// customers in the same order, the same pages).
func (e *Env) Scenarios() []Scenario {
	insights := request(q3, nil)
	return []Scenario{
		{Key: "Q1", Name: "customer 360", next: func(w *worker) func(context.Context) ([]byte, error) {
			return e.send(request(q1, map[string]any{"ref": e.q1Ref(w)}))
		}},
		{Key: "Q1", Name: "customer 360", Floor: true, next: func(w *worker) func(context.Context) ([]byte, error) {
			ref := e.q1Ref(w)
			return func(ctx context.Context) ([]byte, error) { return e.floor.query(ctx, e.floor.q1, ref) }
		}},
		{Key: "Q2", Name: "BI pull page", next: func(w *worker) func(context.Context) ([]byte, error) {
			vars := map[string]any{"first": Q2PageSize}
			if w.after != "" {
				vars["after"] = w.after
			}
			return e.send(request(q2, vars))
		}, after: q2After},
		{Key: "Q2", Name: "BI pull page", Floor: true, next: func(w *worker) func(context.Context) ([]byte, error) {
			after := floorQ2After(w.after)
			return func(ctx context.Context) ([]byte, error) { return e.floor.query(ctx, e.floor.q2, after) }
		}, after: q2After},
		{Key: "Q3", Name: "insights", next: func(*worker) func(context.Context) ([]byte, error) {
			return e.send(insights)
		}},
	}
}

// endCursor finds pageInfo.endCursor in a response without decoding it all.
func endCursor(body []byte) string {
	const key = `"endCursor":"`
	i := bytes.Index(body, []byte(key))
	if i < 0 {
		return ""
	}
	rest := body[i+len(key):]
	j := bytes.IndexByte(rest, '"')
	if j < 0 {
		return ""
	}
	return string(rest[:j])
}

// Result is the outcome of one scenario at one concurrency.
type Result struct {
	Dialect     string
	Scenario    Scenario
	Concurrency int
	Requests    int
	Elapsed     time.Duration
	P50, P99    time.Duration
	Statements  int64 // SQL statements during the run
	PeakRSS     int64 // bytes, during the run
	// CPU is the CPU time (user+system) of this process (client and
	// server) and, on PostgreSQL, of the database server during the run.
	CPU time.Duration
}

// CPUPerRequest is the mean CPU time of a request.
func (r Result) CPUPerRequest() time.Duration { return r.CPU / time.Duration(max(r.Requests, 1)) }

// RPS is requests per second.
func (r Result) RPS() float64 { return float64(r.Requests) / r.Elapsed.Seconds() }

// StatementsPerRequest is the mean number of SQL statements per request.
func (r Result) StatementsPerRequest() float64 { return float64(r.Statements) / float64(r.Requests) }

// Run sends requests requests of sc from concurrency clients and measures
// them. Every request must succeed. measuring, when set, is called when the
// measured part starts (after the warm-up).
func (e *Env) Run(ctx context.Context, sc Scenario, concurrency, requests int, measuring func()) (Result, error) {
	workers := make([]*worker, concurrency)
	for i := range workers {
		workers[i] = &worker{rng: rand.New(rand.NewPCG(uint64(i)+1, 360))}
	}
	// Warm up (connections, caches, the query plan cache): not measured.
	if err := e.drive(ctx, sc, workers, 2*concurrency, nil); err != nil {
		return Result{}, err
	}
	collectGarbage()
	resetPeakRSS()
	e.counter.Reset()
	lat := make([][]time.Duration, concurrency)
	if measuring != nil {
		measuring()
	}
	cpu0 := e.cpuTime()
	start := time.Now()
	err := e.drive(ctx, sc, workers, requests, lat)
	r := Result{Dialect: e.Dialect, Scenario: sc, Concurrency: concurrency, Requests: requests,
		Elapsed: time.Since(start), Statements: e.counter.Count(), PeakRSS: PeakRSS(), CPU: e.cpuTime() - cpu0}
	if sc.Floor {
		r.Statements = int64(requests) // one each, by construction; not through c360's driver
	}
	if err != nil {
		return r, err
	}
	all := slices.Concat(lat...)
	slices.Sort(all)
	r.P50, r.P99 = percentile(all, 0.50), percentile(all, 0.99)
	return r, nil
}

// drive sends n requests from the workers, recording latencies in lat
// (one slice per worker) when it is not nil.
func (e *Env) drive(ctx context.Context, sc Scenario, workers []*worker, n int, lat [][]time.Duration) error {
	var sent atomic.Int64
	var wg sync.WaitGroup
	var once sync.Once
	var firstErr error
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	for i, w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for sent.Add(1) <= int64(n) {
				send := sc.next(w)
				t0 := time.Now()
				resp, err := send(ctx)
				d := time.Since(t0)
				if err != nil {
					once.Do(func() { firstErr = fmt.Errorf("%s %s %s: %w", e.Dialect, sc.Key, sc.Path(), err); cancel() })
					return
				}
				if lat != nil {
					lat[i] = append(lat[i], d)
				}
				if sc.after != nil {
					sc.after(w, resp)
				}
			}
		}()
	}
	wg.Wait()
	return firstErr
}

func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(float64(len(sorted))*p+0.5) - 1
	return sorted[min(max(i, 0), len(sorted)-1)]
}

// StatementsByPageSize returns the SQL statements of one Q2 page request
// for each page size (statements per request must not grow with it).
func (e *Env) StatementsByPageSize(ctx context.Context, sizes ...int) (map[int]int64, error) {
	out := map[int]int64{}
	for _, n := range sizes {
		body := request(q2, map[string]any{"first": n})
		if _, err := e.post(ctx, body); err != nil { // warm
			return nil, err
		}
		e.counter.Reset()
		if _, err := e.post(ctx, body); err != nil {
			return nil, err
		}
		out[n] = e.counter.Count()
	}
	return out, nil
}

// CheckQ2 verifies that a Q2 page holds Q2PageSize customers with their
// orders (at most 10 each, with items) and feedback, and that paging
// reaches Q2Customers customers.
func (e *Env) CheckQ2(ctx context.Context) error {
	var after any
	seen := 0
	for page := 0; page < Q2Customers/Q2PageSize; page++ {
		raw, err := e.post(ctx, request(q2, map[string]any{"first": Q2PageSize, "after": after}))
		if err != nil {
			return err
		}
		var r struct {
			Data struct {
				Customers struct {
					PageInfo struct {
						HasNextPage bool   `json:"hasNextPage"`
						EndCursor   string `json:"endCursor"`
					} `json:"pageInfo"`
					Edges []struct {
						Node struct {
							Orders struct {
								Edges []struct {
									Node struct {
										Items []struct{ SKU string } `json:"items"`
									} `json:"node"`
								} `json:"edges"`
							} `json:"orders"`
						} `json:"node"`
					} `json:"edges"`
				} `json:"customers"`
			} `json:"data"`
		}
		if err := json.Unmarshal(raw, &r); err != nil {
			return err
		}
		c := r.Data.Customers
		if len(c.Edges) != Q2PageSize || !c.PageInfo.HasNextPage {
			return fmt.Errorf("Q2 page %d: %d customers, hasNextPage %v", page, len(c.Edges), c.PageInfo.HasNextPage)
		}
		for _, ed := range c.Edges {
			if len(ed.Node.Orders.Edges) > 10 {
				return errors.New("Q2: more than 10 orders for a customer")
			}
			for _, o := range ed.Node.Orders.Edges {
				if len(o.Node.Items) == 0 {
					return errors.New("Q2: an order without items")
				}
			}
		}
		seen += len(c.Edges)
		after = c.PageInfo.EndCursor
	}
	if seen != Q2Customers {
		return fmt.Errorf("Q2 paged through %d customers, want %d", seen, Q2Customers)
	}
	return nil
}

// collectGarbage returns freed memory to the OS, so that a scenario's peak
// does not include the previous one's garbage.
func collectGarbage() {
	runtime.GC()
	debug.FreeOSMemory()
	cmalloc.Trim()
}

// resetPeakRSS resets the process's peak resident set size (Linux:
// /proc/self/clear_refs, "5"). Without it PeakRSS is the lifetime peak.
func resetPeakRSS() bool {
	return os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) == nil
}

// PeakRSS returns the process's peak resident set size in bytes since the
// last reset (VmHWM), or getrusage's lifetime maxrss where /proc is missing.
func PeakRSS() int64 {
	if b, err := os.ReadFile("/proc/self/status"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
				kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
				if err == nil {
					return kb << 10
				}
			}
		}
	}
	return maxRSS()
}

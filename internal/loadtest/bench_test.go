package loadtest_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/c360/c360/internal/loadtest"
	"github.com/c360/c360/internal/seed"
	"github.com/c360/c360/internal/testservices"
)

func TestMain(m *testing.M) {
	testservices.Main(m)
}

// scale reads BENCH_SCALE: unset or "default" is 10,000 customers (about
// 100,000 orders), "large" 100,000 (about 1,000,000 orders), a number that
// many customers.
func scale(tb testing.TB) (string, int) {
	switch v := os.Getenv("BENCH_SCALE"); v {
	case "", "default":
		return "default", 10000
	case "large":
		return "large", 100000
	default:
		n, err := strconv.Atoi(v)
		if err != nil || n < loadtest.Q2Customers {
			tb.Fatalf("BENCH_SCALE=%q: want default, large or a number of customers >= %d", v, loadtest.Q2Customers)
		}
		return v, n
	}
}

// databases reads BENCH_DATABASES: unset is "sqlite,postgres".
func databases(tb testing.TB) []string {
	v := os.Getenv("BENCH_DATABASES")
	if v == "" {
		return []string{"sqlite", "postgres"}
	}
	out := strings.Split(v, ",")
	for _, d := range out {
		if d != "sqlite" && d != "postgres" {
			tb.Fatalf("BENCH_DATABASES=%q: want a comma-separated list of sqlite and postgres", v)
		}
	}
	return out
}

// databaseURL is a fresh database of kind d.
func databaseURL(b *testing.B, d string) string {
	if d == "postgres" {
		return testservices.PostgreSQL(b)
	}
	return "file:" + filepath.Join(b.TempDir(), "bench.db")
}

// dataSet writes the generated data set of customers customers, with a
// fixed reference time: the same data set on every run.
func dataSet(b *testing.B, customers int) (string, seed.Counts) {
	dir := b.TempDir()
	counts, err := seed.WriteDir(dir, seed.Config{Customers: customers, Seed: 1, Now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)})
	if err != nil {
		b.Fatal(err)
	}
	return dir, counts
}

const reportHead = `# Benchmarks

Measured by ` + "`make bench`" + ` (BenchmarkAPI in internal/loadtest, Go's testing.B with a
small load driver): a generated data set (` + "`c360 seed`" + `'s generator) is loaded into a
fresh SQLite file and a throwaway PostgreSQL server, the real HTTP handler is served
on a loopback port, and GraphQL requests are sent over HTTP by 1 and 16 concurrent
clients. ` + "`make bench BENCH_SCALE=large`" + ` runs the same at 100,000 customers.
Each section below is rewritten by the run of its scale.

- Q1 customer 360: a random customer by externalRef with every scalar field, personas,
  the latest 20 orders (every scalar field, all items fields) and the latest 20
  feedback (every scalar field, order { id }), with totalCount.
- Q2 BI pull: customers(first: 100) with every scalar field, first 10 orders (every
  scalar field, all items fields) and first 10 feedback (every scalar field,
  order { id }) each, paging with after through the first 1,000 customers (each page
  is one request).
- Q3 insights: the global aggregate (Query.insights, all scalar fields).
- The floor of Q1 and Q2 (issue 9): the same response data built by one hand-written
  SQL statement per request, run through a database/sql pool; c360's throughput is
  shown as a ratio of it.

Latencies are measured by the client, from sending the request to reading the
whole response. SQL statements are counted by database.Counter on the server's
driver. CPU per request is the benchmark process's CPU time plus, on PostgreSQL, the
database server's, over the run. Peak RSS is the benchmark process's (server and
client) VmHWM, reset before each scenario. To profile one scenario:
` + "`go test -run '^$' -bench 'BenchmarkAPI/sqlite/Q2/c16' -cpuprofile cpu.out ./internal/loadtest`" + `
then ` + "`go tool pprof -top internal/loadtest.test cpu.out`" + `.
`

// BenchmarkAPI is the benchmark suite (make bench). Each leaf benchmark is
// one scenario at one concurrency on one database; b.N is the number of
// requests. The figures are printed as a table and, with BENCH_REPORT set,
// written to that Markdown file (BENCHMARKS.md).
func BenchmarkAPI(b *testing.B) {
	scaleName, customers := scale(b)
	ctx := context.Background()
	dataDir, counts := dataSet(b, customers)
	command := os.Getenv("BENCH_COMMAND")
	if command == "" {
		command = "go test -run '^$' -bench BenchmarkAPI ./internal/loadtest"
	}
	rep := loadtest.NewReport(scaleName, customers, command)
	rep.Orders = int64(counts.Orders)
	rep.Records = int64(counts.Personas + counts.Customers + counts.Orders + counts.Feedback)
	rep.Notes = append(rep.Notes,
		"The server runs in the benchmark process with the default configuration except: development mode "+
			"(no credentials), rate limiting off (one client address sends everything), the in-process score cache, "+
			"JSON logs at info level encoded but discarded. Client and server share the machine's CPUs.",
		"PostgreSQL is the throwaway test server of internal/testservices (fsync=off, synchronous_commit=off, "+
			"full_page_writes=off; default shared_buffers): read figures are representative, write figures optimistic. "+
			"The import ends with ANALYZE on PostgreSQL, as importer.ImportDir does everywhere.",
		"Q3 is served from the score cache after the first request (that is how it is served in production too).")

	for _, d := range databases(b) {
		b.Run(d, func(b *testing.B) {
			env, err := loadtest.Setup(ctx, databaseURL(b, d), dataDir, customers)
			if err != nil {
				b.Fatal(err)
			}
			defer env.Close()
			rep.Imports[env.Dialect] = env.Import
			if err := env.CheckQ2(ctx); err != nil {
				b.Fatal(err)
			}
			// The floor must answer what c360 answers, or its figures mean nothing.
			if err := env.CheckFloor(ctx, env.SampleRefs(20)); err != nil {
				b.Fatal(err)
			}
			ps, err := env.StatementsByPageSize(ctx, 10, 50, 100)
			if err != nil {
				b.Fatal(err)
			}
			rep.PageStatements[env.Dialect] = ps
			if !env.CountsDatabaseCPU() {
				rep.Notes = append(rep.Notes, "CPU per request on "+env.Dialect+" leaves out the database server's: its processes were not found in /proc.")
			}
			for _, sc := range env.Scenarios() {
				for _, c := range []int{1, 16} {
					name := sc.Key
					if sc.Floor {
						name += "-floor"
					}
					b.Run(fmt.Sprintf("%s/c%d", name, c), func(b *testing.B) {
						res, err := env.Run(ctx, sc, c, b.N, b.ResetTimer)
						b.StopTimer()
						if err != nil {
							b.Fatal(err)
						}
						b.ReportMetric(res.RPS(), "req/s")
						b.ReportMetric(float64(res.P50.Microseconds())/1000, "p50-ms")
						b.ReportMetric(float64(res.P99.Microseconds())/1000, "p99-ms")
						b.ReportMetric(float64(res.CPUPerRequest().Microseconds())/1000, "cpu-ms/req")
						b.ReportMetric(res.StatementsPerRequest(), "stmts/req")
						b.ReportMetric(float64(res.PeakRSS)/(1<<20), "peak-RSS-MiB")
						rep.Add(res)
					})
				}
			}
		})
	}
	rep.Finished = time.Now()
	fmt.Printf("\n%s\n", rep.Markdown())
	if path := os.Getenv("BENCH_REPORT"); path != "" {
		if err := loadtest.WriteSection(path, scaleName, reportHead, rep.Markdown()); err != nil {
			b.Fatal(err)
		}
		fmt.Printf("wrote %s\n", path)
	}
}

// BenchmarkFigures measures the figures of issue 13 over HTTP on each
// database: insights and the dashboard (insights and every persona's
// scores) as the day's first request and with the cache cold, a 24-month
// series cold, and the dashboard while FIGURES_WRITERS clients (default 8)
// write orders for FIGURES_SECONDS (default 20), after which the served
// figures must equal a computation from the raw rows. With
// BENCH_REPORT set, the table goes to that file's figures section of the
// scale.
func BenchmarkFigures(b *testing.B) {
	scaleName, customers := scale(b)
	ctx := context.Background()
	dataDir, counts := dataSet(b, customers)
	seconds := 20
	if v := os.Getenv("FIGURES_SECONDS"); v != "" {
		var err error
		if seconds, err = strconv.Atoi(v); err != nil || seconds < 1 {
			b.Fatalf("FIGURES_SECONDS=%q: want a number of seconds", v)
		}
	}
	writers := 8
	if v := os.Getenv("FIGURES_WRITERS"); v != "" {
		var err error
		if writers, err = strconv.Atoi(v); err != nil || writers < 1 {
			b.Fatalf("FIGURES_WRITERS=%q: want a number of clients", v)
		}
	}
	ms := func(d time.Duration) string { return strconv.FormatFloat(float64(d.Microseconds())/1000, 'f', 1, 64) }
	var table strings.Builder
	fmt.Fprintf(&table, "## Figures at %s scale, %s: %d customers (%d orders, %d feedback)\n\n", scaleName, strings.Join(databases(b), " and "), customers, counts.Orders, counts.Feedback)
	fmt.Fprintf(&table, "| database | import, records/s (summaries: s, share) | insights, day's first p50 / p99 | dashboard, day's first p50 / p99 | dashboard cold p50 / p99 | 24-month series cold p50 / p99 | dashboard with %d writers p50 / p99 (n) | writes/s, createOrder p50 / p99 |\n|---|---:|---:|---:|---:|---:|---:|---:|\n", writers)
	for _, d := range databases(b) {
		b.Run(d, func(b *testing.B) {
			env, err := loadtest.Setup(ctx, databaseURL(b, d), dataDir, customers)
			if err != nil {
				b.Fatal(err)
			}
			defer env.Close()
			for b.Loop() {
				cold, err := env.FiguresCold(ctx, 20)
				if err != nil {
					b.Fatal(err)
				}
				w, err := env.FiguresUnderWrites(ctx, writers, 4, time.Duration(seconds)*time.Second)
				if err != nil {
					b.Fatal(err)
				}
				b.ReportMetric(float64(cold.Insights.P99.Microseconds())/1000, "insights-cold-p99-ms")
				b.ReportMetric(float64(cold.Series.P99.Microseconds())/1000, "series-cold-p99-ms")
				b.ReportMetric(float64(w.Dashboard.P99.Microseconds())/1000, "dashboard-writing-p99-ms")
				fmt.Fprintf(&table, "| %s | %.0f (%.1f s, %.1f%%) | %s / %s ms | %s / %s ms | %s / %s ms | %s / %s ms | %s / %s ms (%d) | %.0f, %s / %s ms |\n", env.Dialect,
					env.Import.RecordsPerSecond(), env.Import.Summaries.Seconds(), 100*env.Import.Summaries.Seconds()/env.Import.Elapsed.Seconds(), ms(cold.Insights.P50), ms(cold.Insights.P99), ms(cold.FirstDashboard.P50), ms(cold.FirstDashboard.P99),
					ms(cold.Dashboard.P50), ms(cold.Dashboard.P99), ms(cold.Series.P50), ms(cold.Series.P99),
					ms(w.Dashboard.P50), ms(w.Dashboard.P99), w.Dashboard.N, float64(w.Writes)/w.Elapsed.Seconds(), ms(w.Write.P50), ms(w.Write.P99))
			}
		})
	}
	fmt.Printf("\n%s\n", table.String())
	if path := os.Getenv("BENCH_REPORT"); path != "" {
		// One section per scale and set of databases: a run on each apart
		// keeps the other's.
		if err := loadtest.WriteSection(path, "figures-"+scaleName+"-"+strings.Join(databases(b), "-"), reportHead, table.String()); err != nil {
			b.Fatal(err)
		}
	}
}

package loadtest_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
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
	dataDir := b.TempDir()
	// A fixed reference time: the same data set on every run.
	counts, err := seed.WriteDir(dataDir, seed.Config{Customers: customers, Seed: 1, Now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)})
	if err != nil {
		b.Fatal(err)
	}
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

	for _, d := range []struct{ name, url string }{{"sqlite", ""}, {"postgres", ""}} {
		b.Run(d.name, func(b *testing.B) {
			url := "file:" + filepath.Join(b.TempDir(), "bench.db")
			if d.name == "postgres" {
				url = testservices.PostgreSQL(b)
			}
			env, err := loadtest.Setup(ctx, url, dataDir, customers)
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

package scores_test

import (
	"context"
	"errors"
	"sync"
	"syscall"
	"testing"
	"time"

	"entgo.io/ent/dialect"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/c360/c360/internal/cache"
	"github.com/c360/c360/internal/database"
	"github.com/c360/c360/internal/scores"
)

// bigDB is a seeded data set whose orders are multiplied in SQL (~680,000
// orders), so that one insights computation takes ~100-200 ms, as the
// persona figures of a large data set do.
func bigDB(t *testing.T, d string) *database.DB {
	t.Helper()
	db := openDB(t, d)
	load(t, db, 300)
	_, err := db.Client.ExecContext(context.Background(), `INSERT INTO orders (created_at, updated_at, status, channel, currency, placed_at, total, customer_id)
WITH RECURSIVE k(n) AS (SELECT 1 UNION ALL SELECT n+1 FROM k WHERE n < 200)
SELECT o.created_at, o.updated_at, o.status, o.channel, o.currency, o.placed_at, o.total, o.customer_id FROM orders o, k`)
	if err != nil {
		t.Fatal(err)
	}
	if d == dialect.Postgres {
		if _, err := db.Client.ExecContext(context.Background(), "ANALYZE"); err != nil {
			t.Fatal(err)
		}
	}
	return db
}

// computations sums c360_scores_computations_total by outcome.
func computations(t *testing.T) map[string]float64 {
	t.Helper()
	mfs, err := prometheus.DefaultGatherer.Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]float64{}
	for _, mf := range mfs {
		if mf.GetName() != "c360_scores_computations_total" {
			continue
		}
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "outcome" {
					out[l.GetValue()] += m.GetCounter().GetValue()
				}
			}
		}
	}
	return out
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// activeQueries counts the PostgreSQL statements running for other client
// sessions (not autovacuum, which a bulk insert wakes).
func activeQueries(t *testing.T, db *database.DB) int {
	t.Helper()
	var n int
	rows, err := db.Client.QueryContext(context.Background(), `SELECT count(*) FROM pg_stat_activity
		WHERE datname = current_database() AND state = 'active' AND backend_type = 'client backend' AND pid <> pg_backend_pid()`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		if err := rows.Scan(&n); err != nil {
			t.Fatal(err)
		}
	}
	return n
}

// A request that asks for 30 distinct segment figures (30 aliases of
// Persona.scores(since:)) and goes away: the computations it started stop
// at once, their SQL interrupted, and nothing keeps burning CPU.
func TestAbandonedScoreComputationsStop(t *testing.T) {
	for _, d := range []string{dialect.SQLite, dialect.Postgres} {
		t.Run(d, func(t *testing.T) {
			db := bigDB(t, d)
			svc := openService(t, db)
			base := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
			start := time.Now()
			if _, err := svc.Segment(context.Background(), nil, scores.Window{Since: &base}); err != nil {
				t.Fatal(err)
			}
			one := time.Since(start)

			before := computations(t)
			ctx, cancel := context.WithCancel(context.Background())
			var wg sync.WaitGroup
			const n = 30
			for i := range n {
				since := base.Add(time.Duration(i+1) * time.Hour)
				wg.Go(func() { svc.Segment(ctx, nil, scores.Window{Since: &since}) })
			}
			time.Sleep(50 * time.Millisecond)
			cpu0 := cpuTime()
			cancel()
			cancelled := time.Now()
			callersDone := make(chan time.Duration, 1)
			go func() { wg.Wait(); callersDone <- time.Since(cancelled) }()
			// Every computation ends, as abandoned, promptly; on PostgreSQL
			// the server stops running their statements too (pgx sends a
			// cancel request when a context ends).
			ended, pgIdle := time.Duration(-1), time.Duration(-1)
			for ended < 0 && time.Since(cancelled) < 300*time.Millisecond {
				after := computations(t)
				if after["ok"]+after["error"]+after["abandoned"]-before["ok"]-before["error"]-before["abandoned"] >= n {
					ended = time.Since(cancelled)
				}
				time.Sleep(time.Millisecond)
			}
			// PostgreSQL gets up to a second: each cancel request starts a
			// backend, which took over 300 ms on CI's loaded cores once; the
			// 30 computations left running would take the server about 2 s.
			for d == dialect.Postgres && pgIdle < 0 && time.Since(cancelled) < time.Second {
				if activeQueries(t, db) == 0 {
					pgIdle = time.Since(cancelled)
				}
				time.Sleep(2 * time.Millisecond)
			}
			// What ran in the 300 ms after the cancel in this process (SQLite
			// runs here).
			time.Sleep(max(300*time.Millisecond-time.Since(cancelled), 0))
			cpu := cpuTime() - cpu0
			callers := <-callersDone
			after := computations(t)
			abandoned := after["abandoned"] - before["abandoned"]
			within := func(d time.Duration) string {
				if d < 0 {
					return "not in time"
				}
				return d.Round(time.Millisecond).String()
			}
			t.Logf("one computation %v; after the cancel: callers returned in %v, computations ended in %s (%v abandoned, %v failed, %v completed), %v CPU in this process within 300 ms, no statement active in PostgreSQL after %s",
				one.Round(time.Millisecond), callers.Round(time.Millisecond), within(ended),
				abandoned, after["error"]-before["error"], after["ok"]-before["ok"], cpu.Round(time.Millisecond), within(pgIdle))
			if ended < 0 || ended > 100*time.Millisecond {
				t.Errorf("the computations had not all ended 100 ms after every caller had gone (%v)", ended)
			}
			if callers > 100*time.Millisecond {
				t.Errorf("the callers returned %v after their context was cancelled", callers)
			}
			// One or two may have finished just before the cancel; a
			// PostgreSQL connection that pgx closed on a cancel may end one
			// as an error rather than as abandoned.
			if completed := after["ok"] - before["ok"]; completed > 2 || abandoned < n/2 {
				t.Errorf("%v of %d computations completed and %v were abandoned after every caller had gone", completed, n, abandoned)
			}
			if d == dialect.SQLite && cpu > 100*time.Millisecond {
				t.Errorf("%v CPU ran in the 300 ms after every caller had gone", cpu)
			}
			// (The server starts a new backend per cancel request: on two
			// busy cores that takes longer than the computations' end here.)
			if d == dialect.Postgres && pgIdle < 0 {
				t.Errorf("statements still ran in PostgreSQL 1 s after every caller had gone")
			}
		})
	}
}

// Two requests share a computation; one goes away: it gets its context's
// error at once, and the other still gets the right figures from the one
// computation.
func TestSharedScoreComputationSurvivesOneCallerLeaving(t *testing.T) {
	for _, d := range []string{dialect.SQLite, dialect.Postgres} {
		t.Run(d, func(t *testing.T) {
			db := bigDB(t, d)
			bg := context.Background()
			// Not a month start: the raw rows are read, long enough to leave.
			since := time.Date(2021, 6, 1, 1, 0, 0, 0, time.UTC)
			c, err := cache.Open("", time.Minute)
			if err != nil {
				t.Fatal(err)
			}
			want, err := scores.New(db.Client, db.Dialect, c).Segment(bg, nil, scores.Window{Since: &since})
			if err != nil {
				t.Fatal(err)
			}
			svc := openService(t, db)

			before := computations(t)
			ctxA, cancelA := context.WithCancel(bg)
			var (
				wg         sync.WaitGroup
				errA, errB error
				got        *scores.Segment
			)
			wg.Go(func() {
				_, errA = svc.Segment(ctxA, nil, scores.Window{Since: &since})
			})
			time.Sleep(10 * time.Millisecond)
			wg.Go(func() { got, errB = svc.Segment(bg, nil, scores.Window{Since: &since}) })
			time.Sleep(20 * time.Millisecond)
			cancelled := time.Now()
			cancelA()
			wg.Wait()
			after := computations(t)
			t.Logf("caller A: %v; caller B: %v; computations: %v completed, %v abandoned; B waited %v after A left",
				errA, errB, after["ok"]-before["ok"], after["abandoned"]-before["abandoned"], time.Since(cancelled).Round(time.Millisecond))
			if !errors.Is(errA, context.Canceled) {
				t.Errorf("the caller that left got %v, want context.Canceled", errA)
			}
			if errB != nil {
				t.Fatalf("the caller that stayed got %v", errB)
			}
			if diff := diffSegment(got, *want); diff != "" {
				t.Errorf("the caller that stayed got other figures than a computation of its own: %s", diff)
			}
			if ok, abandoned := after["ok"]-before["ok"], after["abandoned"]-before["abandoned"]; ok != 1 || abandoned != 0 {
				t.Errorf("%v computations completed and %v were abandoned; want the one shared computation completed", ok, abandoned)
			}
		})
	}
}

// Half of 30 concurrent computations are abandoned: the other half, still
// wanted, all complete. (On PostgreSQL the cancelled statements' connections
// are closed by pgx, and another statement may then get driver.ErrBadConn.)
func TestAbandonedComputationsDoNotFailOthers(t *testing.T) {
	for _, d := range []string{dialect.SQLite, dialect.Postgres} {
		t.Run(d, func(t *testing.T) {
			db := bigDB(t, d)
			svc := openService(t, db)
			base := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
			var failed []error
			var mu sync.Mutex
			const rounds = 5
			for round := range rounds {
				ctx, cancel := context.WithCancel(context.Background())
				var wg sync.WaitGroup
				for i := range 30 {
					since := base.Add(time.Duration(round*100+i+1) * time.Hour)
					wanted := i%2 == 0
					c := ctx
					if wanted {
						c = context.Background()
					}
					wg.Go(func() {
						if _, err := svc.Segment(c, nil, scores.Window{Since: &since}); err != nil && wanted {
							mu.Lock()
							failed = append(failed, err)
							mu.Unlock()
						}
					})
				}
				time.Sleep(50 * time.Millisecond)
				cancel()
				wg.Wait()
			}
			if len(failed) > 0 {
				t.Fatalf("%d of %d wanted computations failed, first: %v", len(failed), rounds*15, failed[0])
			}
		})
	}
}

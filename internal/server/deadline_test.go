package server_test

import (
	"context"
	"math"
	"testing"
	"time"

	"entgo.io/ent/dialect"

	"github.com/c360/c360/internal/config"
	"github.com/c360/c360/internal/hostileinput"
	"github.com/c360/c360/internal/importer"
	"github.com/c360/c360/internal/seed"
)

// Issue 8, item 2: a statement stops at the request deadline (go-sqlite3
// interrupts SQLite when the context ends; pgx sends PostgreSQL a cancel),
// so a slow query holds no connection of the read pool after its request
// has answered TIMEOUT. The cost limit is lifted so that relation filters
// slow on each database (6 has…With levels on SQLite, 40 on PostgreSQL)
// reach the database.
func TestStatementsStopAtTheRequestDeadline(t *testing.T) {
	const deadline = 300 * time.Millisecond
	for _, d := range []string{dialect.SQLite, dialect.Postgres} {
		t.Run(d, func(t *testing.T) {
			a := newAPIWith(t, d, func(c *config.Config) {
				c.RequestTimeout = deadline
				c.Limits.MaxCost, c.Limits.MaxInputDepth = math.MaxInt, 100
			})
			dir := t.TempDir()
			if _, err := seed.WriteDir(dir, seed.Config{Customers: 3000, Seed: 5, Now: time.Now().UTC().Truncate(time.Second)}); err != nil {
				t.Fatal(err)
			}
			if sum, err := importer.ImportDir(context.Background(), a.db, dir, importer.Options{BaseCurrency: "EUR"}); err != nil || sum.Rejected > 0 {
				t.Fatalf("import: %v %s", err, sum)
			}
			levels := 6
			if d == dialect.Postgres {
				levels = 40
			}
			start := time.Now()
			r := a.do(`{ customers(first: 10, where: `+hostileinput.HasWith(levels)+`) { edges { node { name } } } }`, nil)
			took := time.Since(start)
			if len(r.Errors) == 0 || r.Errors[0].Extensions["code"] != "TIMEOUT" {
				t.Fatalf("expected TIMEOUT after %v (make the data larger): %.300s", took, r.raw)
			}
			if took > deadline+500*time.Millisecond {
				t.Errorf("answered %v after the start, deadline %v", took, deadline)
			}
			// The statement has ended too, not only the response.
			answered := time.Now()
			for running := busy(t, a, d); running; running = busy(t, a, d) {
				if time.Since(answered) > time.Second {
					t.Fatal("the statement still runs 1 s after its request answered TIMEOUT")
				}
				time.Sleep(10 * time.Millisecond)
			}
			t.Logf("TIMEOUT after %v (deadline %v); statement ended within %v of the answer", took.Round(time.Millisecond), deadline, time.Since(answered).Round(time.Millisecond))
		})
	}
}

// busy reports whether the database still runs a statement for the server:
// on SQLite, which runs in this process, whether it keeps burning CPU; on
// PostgreSQL, whether another backend of this database is active.
func busy(t *testing.T, a *api, d string) bool {
	t.Helper()
	if d == dialect.SQLite {
		cpu := cpuTime()
		time.Sleep(100 * time.Millisecond)
		return cpuTime()-cpu > 50*time.Millisecond
	}
	rows, err := a.db.Client.QueryContext(context.Background(), `SELECT count(*) FROM pg_stat_activity
		WHERE datname = current_database() AND state = 'active' AND pid <> pg_backend_pid()`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var n int
	for rows.Next() {
		if err := rows.Scan(&n); err != nil {
			t.Fatal(err)
		}
	}
	return n > 0
}

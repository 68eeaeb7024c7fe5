package scores_test

import (
	"context"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/c360/c360/ent/customer"
	"github.com/c360/c360/ent/order"
	"github.com/c360/c360/internal/database"
	"github.com/c360/c360/internal/scores"
	"github.com/c360/c360/internal/store"
	"github.com/c360/c360/internal/testservices"
)

var benchData struct {
	once sync.Once
	dir  string
	url  string
}

// benchDB opens the shared benchmark database: 10,000 generated customers
// (~100,000 orders) on SQLite, loaded once per test binary.
func benchDB(b *testing.B) *database.DB {
	benchData.once.Do(func() {
		dir, err := os.MkdirTemp("", "c360-scores-bench")
		if err != nil {
			b.Fatal(err)
		}
		benchData.dir, benchData.url = dir, "file:"+filepath.Join(dir, "bench.db")
		db, err := database.Open(context.Background(), benchData.url, database.Options{})
		if err != nil {
			b.Fatal(err)
		}
		start := time.Now()
		load(b, db, 10000)
		n, _ := db.Client.Order.Query().Count(context.Background())
		b.Logf("loaded 10,000 customers and %d orders in %v", n, time.Since(start).Round(time.Millisecond))
		db.Close()
	})
	db, err := database.Open(context.Background(), benchData.url, database.Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	return db
}

// run times each call and reports p50 and p99 beside ns/op.
func run(b *testing.B, before func(), f func() error) {
	var d []time.Duration
	for b.Loop() {
		if before != nil {
			b.StopTimer()
			before()
			b.StartTimer()
		}
		t := time.Now()
		if err := f(); err != nil {
			b.Fatal(err)
		}
		d = append(d, time.Since(t))
	}
	slices.Sort(d)
	b.ReportMetric(float64(d[len(d)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(d[min(len(d)-1, len(d)*99/100)].Microseconds())/1000, "p99-ms")
}

// BenchmarkScores: insights, a 24-month series and a 100-customer scores
// list, with the cache
// cold (invalidated before every call) and warm, in-process and in Redis.
func BenchmarkScores(b *testing.B) {
	db := benchDB(b)
	ctx := context.Background()
	ids, err := db.Client.Customer.Query().Order(customer.ByName()).Limit(100).IDs(ctx)
	if err != nil {
		b.Fatal(err)
	}
	caches := map[string]func(b *testing.B) string{
		"memory": func(*testing.B) string { return "" },
		"redis":  func(b *testing.B) string { return testservices.Redis(b).URL() },
	}
	for _, name := range []string{"memory", "redis"} {
		b.Run(name, func(b *testing.B) {
			svc, err := scores.Open(db.Client, db.Dialect, caches[name](b), 10*time.Minute)
			if err != nil {
				b.Fatal(err)
			}
			defer svc.Close()
			cold := func() { svc.InvalidateAll(ctx) }
			insights := func() error { _, err := svc.Segment(ctx, nil, scores.Window{}); return err }
			list := func() error { _, err := svc.Customers(ctx, ids); return err }
			since := time.Now().UTC().AddDate(-2, 0, 0)
			series := func() error { _, err := svc.Series(ctx, scores.Month, nil, since, nil); return err }
			personas, err := db.Client.Persona.Query().IDs(ctx)
			if err != nil {
				b.Fatal(err)
			}
			everyPersona := func() error {
				for _, id := range personas {
					if _, err := svc.Segment(ctx, &id, scores.Window{}); err != nil {
						return err
					}
				}
				return nil
			}
			b.Run("insights/cold", func(b *testing.B) { run(b, cold, insights) })
			b.Run("everyPersona/cold", func(b *testing.B) { run(b, cold, everyPersona) })
			b.Run("insights/warm", func(b *testing.B) { run(b, nil, insights) })
			b.Run("series24months/cold", func(b *testing.B) { run(b, cold, series) })
			b.Run("series24months/warm", func(b *testing.B) { run(b, nil, series) })
			b.Run("customers100/cold", func(b *testing.B) { run(b, cold, list) })
			b.Run("customers100/warm", func(b *testing.B) { run(b, nil, list) })
		})
	}
}

// BenchmarkOrderWrite: what keeping the figures costs a write. One PAID
// order for a random customer of the 10,000, in its own transaction through
// the store, with the scores hook installed (summaries, month and segment
// totals refreshed before the commit, cache scopes invalidated after).
// Reports p50/p99 and SQL statements per write; the segment totals exist
// (read once before), as they do once a dashboard has been seen.
func BenchmarkOrderWrite(b *testing.B) {
	benchDB(b) // loads the data set once
	counter := &database.Counter{}
	db, err := database.Open(context.Background(), benchData.url, database.Options{Wrap: counter.Wrap})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	svc, err := scores.Open(db.Client, db.Dialect, "", 10*time.Minute)
	if err != nil {
		b.Fatal(err)
	}
	defer svc.Close()
	if _, err := svc.Segment(ctx, nil, scores.Window{}); err != nil {
		b.Fatal(err)
	}
	ids, err := db.Client.Customer.Query().IDs(ctx)
	if err != nil {
		b.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	paid := order.StatusPAID
	counter.Reset()
	writes := 0
	run(b, nil, func() error {
		writes++
		tx, err := db.Client.Tx(ctx)
		if err != nil {
			return err
		}
		if _, err := store.CreateOrder(ctx, tx.Client(), store.NewOrder{CustomerID: ids[rng.IntN(len(ids))], Status: &paid, Channel: order.ChannelWEB,
			Items: []store.Item{{SKU: "S", Name: "N", Quantity: 1, UnitPrice: 1234}}}, "EUR"); err != nil {
			_ = tx.Rollback()
			return err
		}
		return tx.Commit()
	})
	b.ReportMetric(float64(counter.Count())/float64(writes), "stmts/write")
}

package server_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"entgo.io/ent/dialect"

	"github.com/c360/c360/ent/order"
	"github.com/c360/c360/internal/config"
)

// TestLoadMixedReadsAndWrites holds 16 concurrent clients with credentials
// for LOAD_TEST_SECONDS (default 30) per database, mixing customer 360 reads,
// BI pages, insights and writes. It asserts correctness under load — no 5xx,
// no failed request, every acknowledged order stored — and logs throughput
// and latency as figures (speed is not asserted here).
func TestLoadMixedReadsAndWrites(t *testing.T) {
	if testing.Short() {
		t.Skip("load test skipped with -short")
	}
	seconds := 30
	if v, err := strconv.Atoi(os.Getenv("LOAD_TEST_SECONDS")); err == nil && v > 0 {
		seconds = v
	}
	for _, d := range []string{dialect.SQLite, dialect.Postgres} {
		t.Run(d, func(t *testing.T) { loadTest(t, d, time.Duration(seconds)*time.Second) })
	}
}

func loadTest(t *testing.T, d string, duration time.Duration) {
	a := newAPIWith(t, d, func(c *config.Config) {
		c.Auth.APIKeys = "admin:" + hashKey(adminKey) + ",analyst:" + hashKey(analystKey)
		c.Auth.PseudonymKey = "load-test-pseudonym-key-0123456789abcdef"
	})
	ctx := context.Background()
	a.seeded(300, 7, time.Now().UTC().Truncate(time.Second))
	customers, err := a.db.Client.Customer.Query().IDs(ctx)
	if err != nil {
		t.Fatal(err)
	}
	orders, err := a.db.Client.Order.Query().Where(order.StatusEQ(order.StatusPENDING)).IDs(ctx)
	if err != nil {
		t.Fatal(err)
	}
	const q360 = `query C360($id: ID!) { customer(id: $id) { name email personas { name } scores { lifetimeValue loyaltyScore churnRisk }
		orders(first: 20, orderBy: {field: PLACED_AT, direction: DESC}) { edges { node { total items { sku } } } }
		feedbacks(first: 20) { edges { node { score comment } } } } }`
	const qBI = `query BI { customers(first: 100) { edges { node { name orders(first: 10) { edges { node { total items { sku } } } } feedbacks(first: 10) { edges { node { score } } } } } } }`
	const qInsights = `query Insights { insights { customerCount revenue nps } }`

	var (
		requests, failures atomic.Int64
		mu                 sync.Mutex
		latencies          []time.Duration
		acknowledged       []string
		failed             []string
	)
	deadline := time.Now().Add(duration)
	var wg sync.WaitGroup
	for w := range 16 {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(w), 99))
			client := a.with(t)
			var mine []time.Duration
			for time.Now().Before(deadline) {
				c := strconv.Itoa(customers[rng.IntN(len(customers))])
				start := time.Now()
				var r result
				var isOrder bool
				switch p := rng.IntN(100); {
				case p < 45:
					r = client.as(analystKey, q360, map[string]any{"id": c})
				case p < 55:
					r = client.as(analystKey, qBI, nil)
				case p < 65:
					r = client.as(analystKey, qInsights, nil)
				case p < 85:
					isOrder = true
					r = client.as(adminKey, `mutation($c: ID!, $p: Decimal!) { createOrder(input: {customerID: $c, channel: WEB, status: PAID,
						items: [{sku: "LOAD-1", name: "Kuormitus", quantity: 2, unitPrice: $p}]}) { id total } }`,
						map[string]any{"c": c, "p": fmt.Sprintf("%d.%02d", rng.IntN(100), rng.IntN(100))})
				case p < 95:
					r = client.as(adminKey, `mutation($c: ID!, $s: Int) { createFeedback(input: {customerID: $c, kind: NPS, channel: EMAIL, score: $s, comment: "Ottimo"}) { id } }`,
						map[string]any{"c": c, "s": rng.IntN(11)})
				default:
					o := strconv.Itoa(orders[rng.IntN(len(orders))])
					r = client.as(adminKey, `mutation($o: ID!) { updateOrderStatus(id: $o, status: PAID) { id } }`, map[string]any{"o": o})
				}
				mine = append(mine, time.Since(start))
				requests.Add(1)
				if r.status >= 500 || r.status != 200 || len(r.Errors) > 0 {
					failures.Add(1)
					mu.Lock()
					if len(failed) < 5 {
						failed = append(failed, fmt.Sprintf("%d %s", r.status, r.raw))
					}
					mu.Unlock()
					continue
				}
				if isOrder {
					var out struct{ CreateOrder struct{ ID string } }
					_ = jsonUnmarshal(r.Data, &out)
					mu.Lock()
					acknowledged = append(acknowledged, out.CreateOrder.ID)
					mu.Unlock()
				}
			}
			mu.Lock()
			latencies = append(latencies, mine...)
			mu.Unlock()
		})
	}
	wg.Wait()
	if n := failures.Load(); n > 0 {
		t.Fatalf("%d of %d requests failed, e.g. %v", n, requests.Load(), failed)
	}
	ids := make([]int, len(acknowledged))
	for i, s := range acknowledged {
		ids[i], _ = strconv.Atoi(s)
	}
	stored, err := a.db.Client.Order.Query().Where(order.IDIn(ids...)).Count(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if stored != len(ids) || len(ids) == 0 {
		t.Fatalf("%d orders acknowledged, %d stored", len(ids), stored)
	}
	slices.Sort(latencies)
	p := func(q float64) time.Duration { return latencies[min(len(latencies)-1, int(q*float64(len(latencies))))] }
	t.Logf("%s: %d requests in %v (%.0f/s) by 16 clients, 0 failed, %d orders acknowledged and stored; latency p50 %v p99 %v",
		d, requests.Load(), duration, float64(requests.Load())/duration.Seconds(), len(ids), p(0.5).Round(10*time.Microsecond), p(0.99).Round(10*time.Microsecond))
}

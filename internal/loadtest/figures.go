package loadtest

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/c360/c360/ent"
	"github.com/c360/c360/ent/segmenttotal"
	"github.com/c360/c360/internal/scores"
)

// The figures of issue 13 over HTTP: a dashboard's request (insights and
// every persona's scores), a 24-month series, and orders written by other
// clients meanwhile.
const (
	segmentFields = `customerCount buyerCount orderCount revenue averageOrderValue repeatPurchaseRate
  npsResponses promoters passives detractors nps averageCsat csatSatisfiedShare`
	dashboard = `{ insights { ` + segmentFields + ` } personas(first: 100) { edges { node { id scores { ` + segmentFields + ` } } } } }`
	series    = `query($since: Time!) { insightsSeries(interval: MONTH, since: $since) { start scores { ` + segmentFields + ` } } }`
	newOrder  = `mutation($input: CreateOrderInput!) { createOrder(input: $input) { id } }`
)

// Latencies are the client's, from sending a request to reading its
// response.
type Latencies struct {
	N        int
	P50, P99 time.Duration
}

func latencies(d []time.Duration) Latencies {
	slices.Sort(d)
	return Latencies{N: len(d), P50: percentile(d, 0.50), P99: percentile(d, 0.99)}
}

// Cold is what FiguresCold measured.
type Cold struct {
	// Insights and FirstDashboard: asked with the score cache emptied and
	// the segment totals dropped, as the day's first request finds them
	// (computed from the summaries).
	Insights, FirstDashboard Latencies
	// Dashboard and Series (24 months): asked with the score cache emptied
	// (read from the segment and month totals).
	Dashboard, Series Latencies
}

// FiguresCold measures n requests of each kind of Cold.
func (e *Env) FiguresCold(ctx context.Context, n int) (c Cold, err error) {
	since := time.Now().UTC().AddDate(-2, 0, 0)
	seriesBody := request(series, map[string]any{"since": since.Format(time.RFC3339)})
	measure := func(body []byte, before func() error) (Latencies, error) {
		var d []time.Duration
		for range n {
			if err := before(); err != nil {
				return Latencies{}, err
			}
			start := time.Now()
			if _, err := e.post(ctx, body); err != nil {
				return Latencies{}, err
			}
			d = append(d, time.Since(start))
		}
		return latencies(d), nil
	}
	emptyCache := func() error { e.app.Scores.InvalidateAll(ctx); return nil }
	dropTotals := func() error {
		e.app.Scores.InvalidateAll(ctx)
		_, err := e.app.DB.Client.SegmentTotal.Delete().Where(segmenttotal.PersonaIDGTE(0)).Exec(ctx)
		return err
	}
	if c.Insights, err = measure(request(q3, nil), dropTotals); err != nil {
		return
	}
	if c.FirstDashboard, err = measure(request(dashboard, nil), dropTotals); err != nil {
		return
	}
	if c.Dashboard, err = measure(request(dashboard, nil), emptyCache); err != nil {
		return
	}
	c.Series, err = measure(seriesBody, emptyCache)
	return
}

// UnderWrites is what FiguresUnderWrites measured.
type UnderWrites struct {
	Writes    int           // orders written
	Elapsed   time.Duration // of the writes
	Dashboard Latencies     // the readers' dashboards meanwhile
	Write     Latencies     // the writers' createOrder
}

// FiguresUnderWrites runs writers clients writing orders (createOrder, PAID,
// for random customers) and readers clients asking for the dashboard, for
// d; then it checks that the dashboard equals a computation from the raw
// rows.
func (e *Env) FiguresUnderWrites(ctx context.Context, writers, readers int, d time.Duration) (UnderWrites, error) {
	ids, err := e.app.DB.Client.Customer.Query().IDs(ctx)
	if err != nil {
		return UnderWrites{}, err
	}
	var (
		mu         sync.Mutex
		reads, wrs []time.Duration
		firstErr   error
		wg         sync.WaitGroup
	)
	deadline := time.Now().Add(d)
	// client sends next()'s requests until the deadline, and adds their
	// latencies to *into; the first error stops it and is returned.
	client := func(next func() []byte, into *[]time.Duration) {
		var mine []time.Duration
		for time.Now().Before(deadline) {
			body := next()
			t := time.Now()
			if _, err := e.post(ctx, body); err != nil {
				mu.Lock()
				firstErr = cmp.Or(firstErr, err)
				mu.Unlock()
				return
			}
			mine = append(mine, time.Since(t))
		}
		mu.Lock()
		*into = append(*into, mine...)
		mu.Unlock()
	}
	start := time.Now()
	for w := range writers {
		rng := rand.New(rand.NewPCG(uint64(w), 13))
		wg.Go(func() {
			client(func() []byte {
				return request(newOrder, map[string]any{"input": map[string]any{
					"customerID": strconv.Itoa(ids[rng.IntN(len(ids))]), "status": "PAID", "channel": "WEB",
					"items": []map[string]any{{"sku": "SKU-1", "name": "Load", "quantity": 1 + rng.IntN(3), "unitPrice": fmt.Sprintf("%d.%02d", 1+rng.IntN(200), rng.IntN(100))}},
				}})
			}, &wrs)
		})
	}
	body := request(dashboard, nil)
	for range readers {
		wg.Go(func() { client(func() []byte { return body }, &reads) })
	}
	wg.Wait()
	out := UnderWrites{Writes: len(wrs), Elapsed: time.Since(start), Dashboard: latencies(reads), Write: latencies(wrs)}
	if firstErr != nil {
		return out, firstErr
	}
	return out, e.checkDashboard(ctx)
}

// checkDashboard compares the dashboard with the figures computed from the
// raw rows (the scores service inside a transaction reads no summary).
func (e *Env) checkDashboard(ctx context.Context) error {
	body, err := e.post(ctx, request(dashboard, nil))
	if err != nil {
		return err
	}
	var got struct {
		Data struct {
			Insights json.RawMessage
			Personas struct {
				Edges []struct {
					Node struct {
						ID     string
						Scores json.RawMessage
					}
				}
			}
		}
	}
	if err := json.Unmarshal(body, &got); err != nil {
		return err
	}
	tx, err := e.app.DB.Client.Tx(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	txCtx := ent.NewTxContext(ctx, tx)
	check := func(what string, personaID *int, served json.RawMessage) error {
		want, err := e.app.Scores.Segment(txCtx, personaID, scores.Window{})
		if err != nil {
			return err
		}
		var a, b map[string]any
		wantJSON, _ := json.Marshal(want)
		if err := json.Unmarshal(served, &a); err != nil {
			return err
		}
		if err := json.Unmarshal(wantJSON, &b); err != nil {
			return err
		}
		as, _ := json.Marshal(a)
		bs, _ := json.Marshal(b)
		if !bytes.Equal(as, bs) {
			return fmt.Errorf("%s after the writes: served %s, computed from the raw rows %s", what, as, bs)
		}
		return nil
	}
	if err := check("insights", nil, got.Data.Insights); err != nil {
		return err
	}
	for _, edge := range got.Data.Personas.Edges {
		id, err := strconv.Atoi(edge.Node.ID)
		if err != nil {
			return err
		}
		if err := check("persona "+edge.Node.ID+" scores", &id, edge.Node.Scores); err != nil {
			return err
		}
	}
	if len(got.Data.Personas.Edges) == 0 {
		return fmt.Errorf("the dashboard had no persona")
	}
	return nil
}

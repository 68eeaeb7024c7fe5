package store_test

import (
	"context"
	"fmt"
	"runtime/metrics"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/c360/c360/ent/customer"
	"github.com/c360/c360/internal/database"
	"github.com/c360/c360/internal/duplicates"
	"github.com/c360/c360/internal/importer"
	"github.com/c360/c360/internal/ndjson"
	"github.com/c360/c360/internal/seed"
	"github.com/c360/c360/internal/store"
	"github.com/c360/c360/internal/testservices"
)

func TestMain(m *testing.M) { testservices.Main(m) }

// customersOnly passes a generated data set's personas and customers to the
// importer: duplicate detection reads nothing else.
type customersOnly struct{ *importer.Loader }

func (customersOnly) Order(ndjson.Order) error       { return nil }
func (customersOnly) Feedback(ndjson.Feedback) error { return nil }

func seeded(tb testing.TB, url string, n int) *database.DB {
	tb.Helper()
	db := testservices.Open(tb, url, database.Options{})
	l := importer.NewLoader(context.Background(), db, importer.Options{BaseCurrency: "EUR"})
	if err := seed.Generate(seed.Config{Customers: n, Seed: 11, Now: time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)}, customersOnly{l}); err != nil {
		tb.Fatal(err)
	}
	if err := l.Flush(); err != nil {
		tb.Fatal(err)
	}
	return db
}

// TestOneCustomersCandidatesAreItsPairsInTheWholeList: the candidates found
// for one customer through its blocking keys in SQL are exactly its pairs in
// the whole list, in the same order, on both databases.
func TestOneCustomersCandidatesAreItsPairsInTheWholeList(t *testing.T) {
	for _, be := range testservices.Backends {
		t.Run(be.Name, func(t *testing.T) {
			db := seeded(t, be.URL(t), 1500)
			ctx := t.Context()
			all, err := store.DuplicateCandidates(ctx, db.Client, nil, 0.7)
			if err != nil {
				t.Fatal(err)
			}
			if len(all) < 25 {
				t.Fatalf("%d candidates among 1,500 generated customers with their duplicates, want at least 25", len(all))
			}
			ids, err := db.Client.Customer.Query().Order(customer.ByID()).IDs(ctx)
			if err != nil {
				t.Fatal(err)
			}
			for _, id := range ids {
				var want []duplicates.Candidate
				for _, c := range all {
					if c.A == id || c.B == id {
						want = append(want, c)
					}
				}
				got, err := store.DuplicateCandidates(ctx, db.Client, &id, 0.7)
				if err != nil {
					t.Fatal(err)
				}
				if fmt.Sprint(got) != fmt.Sprint(want) {
					t.Fatalf("candidates of customer %d = %v, its pairs in the whole list %v", id, got, want)
				}
			}
		})
	}
}

// BenchmarkDuplicateCandidatesAt100000 measures duplicate detection on
// 100,000 generated customers (with the generator's duplicates) in each
// database: the whole list, with the peak of the heap while it is made, and
// one customer's candidates (p50, p99 over 1,000 customers). It reports how
// many of the generated duplicates the list finds.
func BenchmarkDuplicateCandidatesAt100000(b *testing.B) {
	for _, be := range testservices.Backends {
		b.Run(be.Name, func(b *testing.B) {
			db := seeded(b, be.URL(b), 100000)
			ctx := context.Background()
			for b.Loop() {
				peak := heapPeak()
				start := time.Now()
				all, err := store.DuplicateCandidates(ctx, db.Client, nil, 0.7)
				if err != nil {
					b.Fatal(err)
				}
				b.ReportMetric(time.Since(start).Seconds(), "s/all")
				b.ReportMetric(float64(peak())/(1<<20), "peak-heap-MiB")
				b.ReportMetric(float64(len(all)), "candidates")
				b.ReportMetric(recall(b, db, all), "%generated-found")

				ids, err := db.Client.Customer.Query().Order(customer.ByID()).IDs(ctx)
				if err != nil {
					b.Fatal(err)
				}
				var took []time.Duration
				for k := range 1000 {
					id := ids[k*len(ids)/1000]
					start := time.Now()
					if _, err := store.DuplicateCandidates(ctx, db.Client, &id, 0.7); err != nil {
						b.Fatal(err)
					}
					took = append(took, time.Since(start))
				}
				slices.Sort(took)
				b.ReportMetric(float64(took[len(took)/2].Microseconds())/1000, "ms-p50/one")
				b.ReportMetric(float64(took[len(took)*99/100].Microseconds())/1000, "ms-p99/one")
			}
		})
	}
}

// recall is the share of the generated duplicates ("D-n", of "C-n") that
// the list pairs with their customer.
func recall(b *testing.B, db *database.DB, all []duplicates.Candidate) float64 {
	cs, err := db.Client.Customer.Query().Select(customer.FieldExternalRef).All(context.Background())
	if err != nil {
		b.Fatal(err)
	}
	refOf := make(map[int]string, len(cs))
	dups := 0
	for _, c := range cs {
		refOf[c.ID] = *c.ExternalRef
		if strings.HasPrefix(*c.ExternalRef, "D-") {
			dups++
		}
	}
	found := 0
	for _, c := range all {
		x, y := refOf[c.A], refOf[c.B]
		if x[2:] == y[2:] && x[:2] != y[:2] {
			found++
		}
	}
	return 100 * float64(found) / float64(dups)
}

// heapPeak samples the live heap until the returned function is called,
// which returns the highest sample.
func heapPeak() func() uint64 {
	var peak atomic.Uint64
	done := make(chan struct{})
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
		for {
			metrics.Read(s)
			if v := s[0].Value.Uint64(); v > peak.Load() {
				peak.Store(v)
			}
			select {
			case <-done:
				return
			case <-time.After(5 * time.Millisecond):
			}
		}
	}()
	return func() uint64 {
		close(done)
		<-stopped
		return peak.Load()
	}
}

// TestBackfillGivesStoredCustomersTheirKeysAndProfileIdentities: customers
// stored before duplicate detection (no blocking keys, no profile
// identities) get both when a process starts, on both databases.
func TestBackfillGivesStoredCustomersTheirKeysAndProfileIdentities(t *testing.T) {
	for _, be := range testservices.Backends {
		t.Run(be.Name, func(t *testing.T) {
			ctx := t.Context()
			db := testservices.Open(t, be.URL(t), database.Options{})
			c, err := db.Client.Customer.Create().SetKind("INDIVIDUAL").SetName("Jääskeläinen Aino").SetCity("Tampere").
				SetEmail("aino@example.fi").Save(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := db.Client.ExecContext(ctx, "UPDATE customers SET match_name = '', match_city = '', match_head = '', match_tail = ''"); err != nil {
				t.Fatal(err)
			}
			if err := store.Backfill(ctx, db.Client); err != nil {
				t.Fatal(err)
			}
			got, err := db.Client.Customer.Query().WithIdentities().Only(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if got.ID != c.ID || got.MatchName != "aino jaaskelainen" || got.MatchCity != "tampere" || got.MatchHead != "ain" ||
				got.MatchTail != "nen" || len(got.Edges.Identities) != 1 || got.Edges.Identities[0].Value != "aino@example.fi" {
				t.Errorf("after the backfill: %+v with identities %+v", got, got.Edges.Identities)
			}
		})
	}
}

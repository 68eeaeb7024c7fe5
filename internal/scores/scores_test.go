package scores_test

import (
	"context"
	"fmt"
	"math"
	"math/big"
	"os"
	"sort"
	"testing"
	"time"

	"entgo.io/ent/dialect"

	"github.com/c360/c360/ent"
	"github.com/c360/c360/internal/database"
	"github.com/c360/c360/internal/importer"
	"github.com/c360/c360/internal/money"
	"github.com/c360/c360/internal/scores"
	"github.com/c360/c360/internal/seed"
	"github.com/c360/c360/internal/testservices"
)

func TestMain(m *testing.M) {
	testservices.Main(m, func() {
		if benchData.dir != "" {
			os.RemoveAll(benchData.dir)
		}
	})
}

// openService opens the scores service over db with the in-process cache,
// closed when the test ends.
func openService(t testing.TB, db *database.DB) *scores.Service {
	t.Helper()
	svc, err := scores.Open(db.Client, db.Dialect, "", time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { svc.Close() })
	return svc
}

func openDB(t testing.TB, d string) *database.DB {
	return testservices.OpenDatabase(t, d, database.Options{})
}

// load fills the database with a generated data set through the importer.
func load(t testing.TB, db *database.DB, customers int) {
	ctx := context.Background()
	l := importer.NewLoader(ctx, db, importer.Options{BaseCurrency: "EUR", BatchSize: 5000})
	if err := seed.Generate(seed.Config{Customers: customers, Seed: 42, Now: time.Now().UTC().Truncate(time.Second)}, l); err != nil {
		t.Fatal(err)
	}
	if err := l.Flush(); err != nil {
		t.Fatal(err)
	}
	if s := l.Summary(); s.Rejected > 0 {
		t.Fatalf("seed data rejected: %s %+v", s, s.Rejections[0])
	}
}

// --- the reference: plain Go over every raw row, written apart from the SQL ---

type raw struct {
	customers []*ent.Customer
	orders    []*ent.Order
	feedback  []*ent.Feedback
	personas  []*ent.Persona
}

func readAll(t testing.TB, c *ent.Client) raw {
	ctx := context.Background()
	var r raw
	var err error
	if r.customers, err = c.Customer.Query().All(ctx); err != nil {
		t.Fatal(err)
	}
	if r.orders, err = c.Order.Query().All(ctx); err != nil {
		t.Fatal(err)
	}
	if r.feedback, err = c.Feedback.Query().All(ctx); err != nil {
		t.Fatal(err)
	}
	if r.personas, err = c.Persona.Query().All(ctx); err != nil {
		t.Fatal(err)
	}
	return r
}

func revenue(o *ent.Order) bool { return o.Status == "PAID" || o.Status == "FULFILLED" }

// roundHalfAway rounds num/den to dec decimals, half away from zero, exactly.
func roundHalfAway(num, den int64, dec int) float64 {
	r := new(big.Rat).SetFrac(big.NewInt(num), big.NewInt(den))
	scale := new(big.Rat).SetInt(new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(dec)), nil))
	r.Mul(r, scale)
	f, _ := r.Float64()
	whole := math.Floor(math.Abs(f))
	frac := new(big.Rat).Sub(new(big.Rat).Abs(r), new(big.Rat).SetFloat64(whole))
	if frac.Cmp(big.NewRat(1, 2)) >= 0 {
		whole++
	}
	if r.Sign() < 0 {
		whole = -whole
	}
	s, _ := scale.Float64()
	return whole / s
}

// latestNPS picks the latest NPS answer per customer by sorting, not by SQL.
func latestNPS(fb []*ent.Feedback, keep func(*ent.Feedback) bool) map[int]int {
	byCustomer := map[int][]*ent.Feedback{}
	for _, f := range fb {
		if f.Kind == "NPS" && f.Score != nil && keep(f) {
			byCustomer[f.CustomerID] = append(byCustomer[f.CustomerID], f)
		}
	}
	out := map[int]int{}
	for id, list := range byCustomer {
		sort.Slice(list, func(i, j int) bool {
			a, b := list[i], list[j]
			if !a.SubmittedAt.Equal(b.SubmittedAt) {
				return a.SubmittedAt.After(b.SubmittedAt)
			}
			ra, rb := "", ""
			if a.ExternalRef != nil {
				ra = *a.ExternalRef
			}
			if b.ExternalRef != nil {
				rb = *b.ExternalRef
			}
			if ra != rb {
				return ra > rb
			}
			return a.ID > b.ID
		})
		out[id] = *list[0].Score
	}
	return out
}

// age in whole years, by calendar fields (independent of internal/date).
func age(birth string, on time.Time) int {
	b, _ := time.Parse("2006-01-02", birth)
	a := on.Year() - b.Year()
	if on.Month() < b.Month() || (on.Month() == b.Month() && on.Day() < b.Day()) {
		a--
	}
	return a
}

func member(p *ent.Persona, c *ent.Customer, on time.Time) bool {
	cr := p.Criteria
	if cr.MinAge != nil || cr.MaxAge != nil {
		if c.BirthDate == nil {
			return false
		}
		a := age(string(*c.BirthDate), on)
		if (cr.MinAge != nil && a < *cr.MinAge) || (cr.MaxAge != nil && a > *cr.MaxAge) {
			return false
		}
	}
	has := func(n int, match func(i int) bool) bool {
		if n == 0 {
			return true
		}
		for i := range n {
			if match(i) {
				return true
			}
		}
		return false
	}
	return has(len(cr.Genders), func(i int) bool { return c.Gender != nil && *c.Gender == cr.Genders[i] }) &&
		has(len(cr.IncomeBands), func(i int) bool { return c.IncomeBand != nil && *c.IncomeBand == cr.IncomeBands[i] }) &&
		has(len(cr.Countries), func(i int) bool { return c.Country != nil && *c.Country == cr.Countries[i] }) &&
		has(len(cr.Kinds), func(i int) bool { return c.Kind == cr.Kinds[i] })
}

func refSegment(r raw, in func(*ent.Customer) bool, since *time.Time) scores.Segment {
	var s scores.Segment
	members := map[int]bool{}
	for _, c := range r.customers {
		if in(c) {
			members[c.ID] = true
			s.CustomerCount++
		}
	}
	after := func(t time.Time) bool { return since == nil || !t.Before(*since) }
	perCustomer := map[int]int{}
	for _, o := range r.orders {
		if members[o.CustomerID] && revenue(o) && after(o.PlacedAt) {
			perCustomer[o.CustomerID]++
			s.OrderCount++
			s.Revenue += o.Total
		}
	}
	repeaters := 0
	for _, n := range perCustomer {
		s.BuyerCount++
		if n >= 2 {
			repeaters++
		}
	}
	if s.OrderCount > 0 {
		aov := money.Cents(roundHalfAway(int64(s.Revenue), int64(s.OrderCount), 0))
		s.AverageOrderValue = &aov
	}
	if s.BuyerCount > 0 {
		v := roundHalfAway(int64(repeaters), int64(s.BuyerCount), 4)
		s.RepeatPurchaseRate = &v
	}
	for id, score := range latestNPS(r.feedback, func(f *ent.Feedback) bool { return members[f.CustomerID] && after(f.SubmittedAt) }) {
		_ = id
		s.NpsResponses++
		switch {
		case score >= 9:
			s.Promoters++
		case score >= 7:
			s.Passives++
		default:
			s.Detractors++
		}
	}
	if s.NpsResponses > 0 {
		v := roundHalfAway(int64(100*(s.Promoters-s.Detractors)), int64(s.NpsResponses), 1)
		s.Nps = &v
	}
	var n, sum, sat int64
	for _, f := range r.feedback {
		if members[f.CustomerID] && f.Kind == "CSAT" && f.Score != nil && after(f.SubmittedAt) {
			n++
			sum += int64(*f.Score)
			if *f.Score >= 4 {
				sat++
			}
		}
	}
	if n > 0 {
		a, b := roundHalfAway(sum, n, 2), roundHalfAway(sat, n, 4)
		s.AverageCsat, s.CsatSatisfiedShare = &a, &b
	}
	return s
}

func refCustomer(r raw, id int) scores.Customer {
	var c scores.Customer
	for _, o := range r.orders {
		if o.CustomerID != id || !revenue(o) {
			continue
		}
		c.OrderCount++
		c.LifetimeValue += o.Total
		t := o.PlacedAt.UTC()
		if c.FirstOrderAt == nil || t.Before(*c.FirstOrderAt) {
			c.FirstOrderAt = &t
		}
		if c.LastOrderAt == nil || t.After(*c.LastOrderAt) {
			c.LastOrderAt = &t
		}
	}
	c.RepeatCustomer = c.OrderCount >= 2
	if c.OrderCount > 0 {
		aov := money.Cents(roundHalfAway(int64(c.LifetimeValue), int64(c.OrderCount), 0))
		c.AverageOrderValue = &aov
	}
	var csatN, csatSum int64
	for _, f := range r.feedback {
		if f.CustomerID != id {
			continue
		}
		c.FeedbackCount++
		if f.Kind == "CSAT" && f.Score != nil {
			csatN++
			csatSum += int64(*f.Score)
		}
	}
	if csatN > 0 {
		v := roundHalfAway(csatSum, csatN, 2)
		c.AverageCsat = &v
	}
	if s, ok := latestNPS(r.feedback, func(f *ent.Feedback) bool { return f.CustomerID == id })[id]; ok {
		c.LatestNps = &s
	}
	return c
}

func eq[T comparable](a, b *T) bool {
	return (a == nil && b == nil) || (a != nil && b != nil && *a == *b)
}

func eqTime(a, b *time.Time) bool {
	return (a == nil && b == nil) || (a != nil && b != nil && a.Equal(*b))
}

func diffCustomer(got *scores.Customer, want scores.Customer) string {
	switch {
	case got.OrderCount != want.OrderCount, got.LifetimeValue != want.LifetimeValue, !eq(got.AverageOrderValue, want.AverageOrderValue),
		!eqTime(got.FirstOrderAt, want.FirstOrderAt), !eqTime(got.LastOrderAt, want.LastOrderAt), got.RepeatCustomer != want.RepeatCustomer,
		got.FeedbackCount != want.FeedbackCount, !eq(got.LatestNps, want.LatestNps), !eq(got.AverageCsat, want.AverageCsat):
		return fmt.Sprintf("got %+v\nwant %+v", *got, want)
	}
	if want.LatestNps != nil && (got.NpsCategory == nil || *got.NpsCategory != scores.CategoryOf(*want.LatestNps)) {
		return "npsCategory"
	}
	if got.LoyaltyScore < 0 || got.LoyaltyScore > 100 || got.ChurnRisk < 0 || got.ChurnRisk > 100 {
		return fmt.Sprintf("loyalty %d / churn %d out of 0..100", got.LoyaltyScore, got.ChurnRisk)
	}
	return ""
}

func diffSegment(got *scores.Segment, want scores.Segment) string {
	if got.CustomerCount != want.CustomerCount || got.BuyerCount != want.BuyerCount || got.OrderCount != want.OrderCount ||
		got.Revenue != want.Revenue || !eq(got.AverageOrderValue, want.AverageOrderValue) || !eq(got.RepeatPurchaseRate, want.RepeatPurchaseRate) ||
		got.NpsResponses != want.NpsResponses || got.Promoters != want.Promoters || got.Passives != want.Passives ||
		got.Detractors != want.Detractors || !eq(got.Nps, want.Nps) || !eq(got.AverageCsat, want.AverageCsat) ||
		!eq(got.CsatSatisfiedShare, want.CsatSatisfiedShare) {
		return fmt.Sprintf("got  %s\nwant %s", show(*got), show(want))
	}
	return ""
}

func show(s scores.Segment) string {
	f := func(p *float64) string {
		if p == nil {
			return "nil"
		}
		return fmt.Sprint(*p)
	}
	aov := "nil"
	if s.AverageOrderValue != nil {
		aov = s.AverageOrderValue.String()
	}
	return fmt.Sprintf("{customers %d buyers %d orders %d revenue %s aov %s repeat %s nps %d/%d/%d/%d=%s csat %s sat %s}",
		s.CustomerCount, s.BuyerCount, s.OrderCount, s.Revenue, aov, f(s.RepeatPurchaseRate),
		s.NpsResponses, s.Promoters, s.Passives, s.Detractors, f(s.Nps), f(s.AverageCsat), f(s.CsatSatisfiedShare))
}

// Every figure equals the reference, for every customer, globally and per
// persona, with and without since, on SQLite and PostgreSQL, cold and warm.
func TestScoresMatchReference(t *testing.T) {
	for _, d := range []string{dialect.SQLite, dialect.Postgres} {
		t.Run(d, func(t *testing.T) {
			db := openDB(t, d)
			load(t, db, 2000)
			svc := openService(t, db)
			r := readAll(t, db.Client)
			if len(r.orders) < 10000 {
				t.Fatalf("expected a realistic data set, got %d orders", len(r.orders))
			}
			ctx := context.Background()
			ids := make([]int, len(r.customers))
			for i, c := range r.customers {
				ids[i] = c.ID
			}
			for pass := range 2 { // cold, then from the cache
				for start := 0; start < len(ids); start += 500 {
					page := ids[start:min(start+500, len(ids))]
					got, err := svc.Customers(ctx, page)
					if err != nil {
						t.Fatal(err)
					}
					for i, id := range page {
						if diff := diffCustomer(got[i], refCustomer(r, id)); diff != "" {
							t.Fatalf("pass %d, customer %d: %s", pass, id, diff)
						}
					}
				}
			}
			today := time.Now().UTC()
			sinces := []*time.Time{nil, ptr(today.AddDate(-1, 0, 0)), ptr(today.AddDate(0, -3, 0).Truncate(time.Hour))}
			for _, since := range sinces {
				want := refSegment(r, func(*ent.Customer) bool { return true }, since)
				for pass := range 2 {
					got, err := svc.Segment(ctx, nil, since)
					if err != nil {
						t.Fatal(err)
					}
					if diff := diffSegment(got, want); diff != "" {
						t.Fatalf("insights since %v pass %d:\n%s", since, pass, diff)
					}
				}
				for _, p := range r.personas {
					want := refSegment(r, func(c *ent.Customer) bool { return member(p, c, today) }, since)
					got, err := svc.Segment(ctx, &p.ID, since)
					if err != nil {
						t.Fatal(err)
					}
					if diff := diffSegment(got, want); diff != "" {
						t.Fatalf("persona %q since %v:\n%s", p.Name, since, diff)
					}
				}
			}
		})
	}
}

func ptr[T any](v T) *T { return &v }

// Concurrent requests for the same cold figure compute it once.
func TestConcurrentMissesComputeOnce(t *testing.T) {
	counter := &database.Counter{}
	db, err := database.Open(context.Background(), testservices.DatabaseURL(t, dialect.SQLite), database.Options{Wrap: counter.Wrap})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	load(t, db, 300)
	svc := openService(t, db)
	ctx := context.Background()
	counter.Reset()
	if _, err := svc.Segment(ctx, nil, nil); err != nil {
		t.Fatal(err)
	}
	once := counter.Count()
	svc.InvalidateAll(ctx)
	counter.Reset()
	const n = 32
	results := make(chan *scores.Segment, n)
	start := make(chan struct{})
	for range n {
		go func() {
			<-start
			s, err := svc.Segment(ctx, nil, nil)
			if err != nil {
				t.Error(err)
			}
			results <- s
		}()
	}
	close(start)
	var first *scores.Segment
	for range n {
		s := <-results
		if first == nil {
			first = s
		} else if diffSegment(s, *first) != "" {
			t.Fatal("concurrent callers got different figures")
		}
	}
	if got := counter.Count(); got != once {
		t.Fatalf("%d concurrent cold requests ran %d statements; one computation is %d", n, got, once)
	}
}

package scores_test

import (
	"context"
	"fmt"
	"math"
	"math/big"
	"os"
	"sort"
	"strings"
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
func load(t testing.TB, db *database.DB, customers int) { loadSeed(t, db, customers, 42) }

// loadSeed imports the generated data set of a seed (customers C-0000001
// on, whatever the seed: a second import updates them).
func loadSeed(t testing.TB, db *database.DB, customers int, seedValue int64) {
	ctx := context.Background()
	l := importer.NewLoader(ctx, db, importer.Options{BaseCurrency: "EUR", BatchSize: 5000})
	if err := seed.Generate(seed.Config{Customers: customers, Seed: seedValue, Now: time.Now().UTC().Truncate(time.Second)}, l); err != nil {
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

func refSegment(r raw, in func(*ent.Customer) bool, w scores.Window) scores.Segment {
	var s scores.Segment
	members := map[int]bool{}
	for _, c := range r.customers {
		if in(c) {
			members[c.ID] = true
			s.CustomerCount++
		}
	}
	after := func(t time.Time) bool {
		return (w.Since == nil || !t.Before(*w.Since)) && (w.Until == nil || t.Before(*w.Until))
	}
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
			if n := db.Client.Order.Query().CountX(context.Background()); n < 10000 {
				t.Fatalf("expected a realistic data set, got %d orders", n)
			}
			for pass := range 2 { // cold, then from the cache
				checkAll(t, svc, db.Client, time.Now().UTC(), fmt.Sprintf("pass %d", pass))
			}
		})
	}
}

func showWindow(w scores.Window) string {
	show := func(t *time.Time) string {
		if t == nil {
			return "-"
		}
		return t.Format(time.RFC3339)
	}
	return "[" + show(w.Since) + ", " + show(w.Until) + ")"
}

// scores.md, "Windows with an end, and series": insightsSeries has calendar
// buckets in UTC (weeks from Monday 00:00) from the one that contains since
// to the last that starts before until, oldest first, and each point's
// scores equal insights(personaID, since: start, until: end), here computed
// from the raw rows.
func TestSeriesPointsAreTheWindowsOfTheirBuckets(t *testing.T) {
	for _, d := range []string{dialect.SQLite, dialect.Postgres} {
		t.Run(d, func(t *testing.T) {
			db := openDB(t, d)
			load(t, db, 300)
			svc := openService(t, db)
			r := readAll(t, db.Client)
			ctx := context.Background()
			now := time.Now().UTC()
			p := r.personas[0]
			for _, c := range []struct {
				interval    scores.Interval
				since       time.Time
				until       *time.Time
				persona     bool
				wantAtLeast int
			}{
				{scores.Week, now.AddDate(0, 0, -70), nil, false, 10},
				{scores.Month, now.AddDate(-2, 0, 0), nil, true, 24},
				{scores.Month, now.AddDate(-3, 0, 0).Add(-time.Hour), ptr(now.AddDate(-1, 0, 0)), false, 24},
				{scores.Quarter, now.AddDate(-3, 0, 0), nil, false, 12},
				{scores.Year, now.AddDate(-4, 0, 0), ptr(now), true, 4},
			} {
				var personaID *int
				in := func(*ent.Customer) bool { return true }
				if c.persona {
					personaID = &p.ID
					in = func(cu *ent.Customer) bool { return member(p, cu, now) }
				}
				until := now
				if c.until != nil {
					until = *c.until
				}
				starts := refBuckets(c.interval, c.since, until)
				if len(starts) < c.wantAtLeast {
					t.Fatalf("%s from %s: %d buckets by the reference", c.interval, c.since, len(starts))
				}
				for pass := range 2 { // cold, then cached
					got, err := svc.Series(ctx, c.interval, personaID, c.since, c.until)
					if err != nil {
						t.Fatal(err)
					}
					if len(got) != len(starts) {
						t.Fatalf("%s from %s: %d points, want %d", c.interval, c.since, len(got), len(starts))
					}
					nonEmpty := 0
					for j, pt := range got {
						end := refBucketStart(c.interval, starts[j].AddDate(0, 0, map[scores.Interval]int{scores.Week: 7, scores.Month: 32, scores.Quarter: 93, scores.Year: 366}[c.interval]))
						if !pt.Start.Equal(starts[j]) || !pt.End.Equal(end) {
							t.Fatalf("%s point %d: [%s, %s), want [%s, %s)", c.interval, j, pt.Start, pt.End, starts[j], end)
						}
						want := refSegment(r, in, scores.Window{Since: &pt.Start, Until: &pt.End})
						if diff := diffSegment(pt.Scores, want); diff != "" {
							t.Fatalf("pass %d, %s point [%s, %s):\n%s", pass, c.interval, pt.Start, pt.End, diff)
						}
						if want.OrderCount > 0 || want.NpsResponses > 0 {
							nonEmpty++
						}
					}
					if nonEmpty == 0 {
						t.Fatalf("%s from %s: every point is empty; the data set should have orders in it", c.interval, c.since)
					}
				}
			}
			if _, err := svc.Series(ctx, scores.Week, nil, now.AddDate(-11, 0, 0), nil); err == nil || !strings.Contains(err.Error(), "since") {
				t.Errorf("11 years of weeks: %v, want an error naming since", err)
			}
			if _, err := svc.Series(ctx, scores.Month, nil, now, ptr(now.AddDate(0, -1, 0))); err == nil || !strings.Contains(err.Error(), "until") {
				t.Errorf("until before since: %v, want an error naming until", err)
			}
		})
	}
}

// refBucketStart finds the start of the bucket containing t by walking back
// a day at a time (an independent route to the calendar).
func refBucketStart(i scores.Interval, t time.Time) time.Time {
	day := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
	for {
		switch {
		case i == scores.Week && day.Weekday() == time.Monday,
			i == scores.Month && day.Day() == 1,
			i == scores.Quarter && day.Day() == 1 && day.Month()%3 == 1,
			i == scores.Year && day.YearDay() == 1:
			return day
		}
		day = day.AddDate(0, 0, -1)
	}
}

func refBuckets(i scores.Interval, since, until time.Time) []time.Time {
	var out []time.Time
	step := map[scores.Interval]int{scores.Week: 7, scores.Month: 32, scores.Quarter: 93, scores.Year: 366}[i]
	for b := refBucketStart(i, since.UTC()); b.Before(until); b = refBucketStart(i, b.AddDate(0, 0, step)) {
		out = append(out, b)
	}
	return out
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
	// A window read from the raw rows: the same statements every time.
	since := time.Now().UTC().AddDate(-1, 0, 0).Truncate(time.Hour).Add(time.Minute)
	w := scores.Window{Since: &since}
	counter.Reset()
	if _, err := svc.Segment(ctx, nil, w); err != nil {
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
			s, err := svc.Segment(ctx, nil, w)
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

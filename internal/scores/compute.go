// Package scores computes the aggregate figures of scores.md in the database
// (aggregates in SQL, exact integer cents) and serves them cache-aside from
// internal/cache, invalidated by every write that changes their inputs.
package scores

import (
	"context"
	"fmt"
	"io"
	"math"
	"math/big"
	"strconv"
	"time"

	"entgo.io/ent/dialect"
	"entgo.io/ent/dialect/sql"

	"github.com/c360/c360/ent"
	"github.com/c360/c360/ent/feedback"
	"github.com/c360/c360/ent/order"
	"github.com/c360/c360/internal/date"
	"github.com/c360/c360/internal/money"
	"github.com/c360/c360/internal/personas"
)

// NpsCategory of an NPS score.
type NpsCategory string

const (
	Promoter  NpsCategory = "PROMOTER"
	Passive   NpsCategory = "PASSIVE"
	Detractor NpsCategory = "DETRACTOR"
)

// MarshalGQL writes the enum.
func (c NpsCategory) MarshalGQL(w io.Writer) { _, _ = io.WriteString(w, strconv.Quote(string(c))) }

// UnmarshalGQL reads the enum.
func (c *NpsCategory) UnmarshalGQL(v any) error {
	s, _ := v.(string)
	switch NpsCategory(s) {
	case Promoter, Passive, Detractor:
		*c = NpsCategory(s)
		return nil
	}
	return fmt.Errorf("%v is not a valid NpsCategory", v)
}

// The lowest scores of a promoter and of a passive (scores.md); below is a
// detractor.
const promoterMin, passiveMin = 9, 7

// CategoryOf maps a 0-10 score: 9-10 promoter, 7-8 passive, 0-6 detractor.
func CategoryOf(score int) NpsCategory {
	switch {
	case score >= promoterMin:
		return Promoter
	case score >= passiveMin:
		return Passive
	}
	return Detractor
}

// Customer holds Customer.scores.
type Customer struct {
	OrderCount        int          `json:"orderCount"`
	LifetimeValue     money.Cents  `json:"lifetimeValue"`
	AverageOrderValue *money.Cents `json:"averageOrderValue"`
	FirstOrderAt      *time.Time   `json:"firstOrderAt"`
	LastOrderAt       *time.Time   `json:"lastOrderAt"`
	RepeatCustomer    bool         `json:"repeatCustomer"`
	FeedbackCount     int          `json:"feedbackCount"`
	LatestNps         *int         `json:"latestNps"`
	NpsCategory       *NpsCategory `json:"npsCategory"`
	AverageCsat       *float64     `json:"averageCsat"`
	LoyaltyScore      int          `json:"loyaltyScore"`
	ChurnRisk         int          `json:"churnRisk"`
}

// Segment holds Persona.scores and Query.insights.
type Segment struct {
	CustomerCount      int          `json:"customerCount"`
	BuyerCount         int          `json:"buyerCount"`
	OrderCount         int          `json:"orderCount"`
	Revenue            money.Cents  `json:"revenue"`
	AverageOrderValue  *money.Cents `json:"averageOrderValue"`
	RepeatPurchaseRate *float64     `json:"repeatPurchaseRate"`
	NpsResponses       int          `json:"npsResponses"`
	Promoters          int          `json:"promoters"`
	Passives           int          `json:"passives"`
	Detractors         int          `json:"detractors"`
	Nps                *float64     `json:"nps"`
	AverageCsat        *float64     `json:"averageCsat"`
	CsatSatisfiedShare *float64     `json:"csatSatisfiedShare"`
}

var revenueStatuses = []any{order.StatusPAID.String(), order.StatusFULFILLED.String()}

// ChurnRiskHigh is the churnRisk from which a customer is at high risk: a
// write that takes it there is the SIGNAL_CHURN_RISK_HIGH event.
const ChurnRiskHigh = 70

// ChurnRisks computes the churnRisk today of customers through client (a
// transaction's, to see its own writes), bypassing the cache: the revenue
// orders and the latest NPS answer, two statements per chunk of ids.
func ChurnRisks(ctx context.Context, client *ent.Client, ids []int) (map[int]int, error) {
	risks, day := make(map[int]int, len(ids)), today()
	for lo := 0; lo < len(ids); lo += maxIDs {
		chunk := ids[lo:min(lo+maxIDs, len(ids))]
		out := newCustomers(chunk)
		if err := customerOrders(ctx, client, chunk, out); err != nil {
			return nil, err
		}
		if err := customerLatestNps(ctx, client, client.Dialect(), chunk, out); err != nil {
			return nil, err
		}
		for id, c := range out {
			c.derive(day)
			risks[id] = c.ChurnRisk
		}
	}
	return risks, nil
}

// maxIDs bounds the ids bound in one statement (SQLite allows 32,766
// parameters, PostgreSQL 65,535).
const maxIDs = 10000

func newCustomers(ids []int) map[int]*Customer {
	out := make(map[int]*Customer, len(ids))
	for _, id := range ids {
		out[id] = &Customer{}
	}
	return out
}

// computeCustomers runs three aggregate queries for any number of customers:
// revenue orders, feedback counts with CSAT sums, and the latest NPS answer.
func computeCustomers(ctx context.Context, client *ent.Client, d string, ids []int, today date.Date) (map[int]*Customer, error) {
	out := newCustomers(ids)
	if len(ids) == 0 {
		return out, nil
	}
	if err := customerOrders(ctx, client, ids, out); err != nil {
		return nil, err
	}
	if err := customerFeedback(ctx, client, ids, out); err != nil {
		return nil, err
	}
	if err := customerLatestNps(ctx, client, d, ids, out); err != nil {
		return nil, err
	}
	for _, c := range out {
		c.derive(today)
	}
	return out, nil
}

// customerOrders sets the revenue order aggregates of the customers of out.
func customerOrders(ctx context.Context, client *ent.Client, ids []int, out map[int]*Customer) error {
	var orders []struct {
		CustomerID int   `sql:"customer_id"`
		N          int   `sql:"n"`
		Sum        int64 `sql:"total"`
		First      any   `sql:"first"`
		Last       any   `sql:"last"`
	}
	err := client.Order.Query().
		Where(order.CustomerIDIn(ids...), order.StatusIn(order.StatusPAID, order.StatusFULFILLED)).
		Modify(func(s *sql.Selector) {
			s.Select(
				s.C(order.FieldCustomerID),
				sql.As(sql.Count("*"), "n"),
				sql.As("COALESCE(SUM("+s.C(order.FieldTotal)+"), 0)", "total"),
				sql.As(sql.Min(s.C(order.FieldPlacedAt)), "first"),
				sql.As(sql.Max(s.C(order.FieldPlacedAt)), "last"),
			).GroupBy(s.C(order.FieldCustomerID))
		}).Scan(ctx, &orders)
	if err != nil {
		return fmt.Errorf("customer order aggregates: %w", err)
	}
	for _, r := range orders {
		c := out[r.CustomerID]
		c.OrderCount = r.N
		c.LifetimeValue = money.Cents(r.Sum)
		if c.FirstOrderAt, err = asTime(r.First); err != nil {
			return err
		}
		if c.LastOrderAt, err = asTime(r.Last); err != nil {
			return err
		}
	}
	return nil
}

// customerFeedback sets the feedback counts and CSAT mean of the customers
// of out.
func customerFeedback(ctx context.Context, client *ent.Client, ids []int, out map[int]*Customer) error {
	var fb []struct {
		CustomerID int   `sql:"customer_id"`
		N          int   `sql:"n"`
		CsatN      int64 `sql:"csat_n"`
		CsatSum    int64 `sql:"csat_sum"`
	}
	err := client.Feedback.Query().
		Where(feedback.CustomerIDIn(ids...)).
		Modify(func(s *sql.Selector) {
			csat := "CASE WHEN " + s.C(feedback.FieldKind) + " = 'CSAT' THEN "
			s.Select(
				s.C(feedback.FieldCustomerID),
				sql.As(sql.Count("*"), "n"),
				sql.As("COALESCE(SUM("+csat+"1 ELSE 0 END), 0)", "csat_n"),
				sql.As("COALESCE(SUM("+csat+s.C(feedback.FieldScore)+" ELSE 0 END), 0)", "csat_sum"),
			).GroupBy(s.C(feedback.FieldCustomerID))
		}).Scan(ctx, &fb)
	if err != nil {
		return fmt.Errorf("customer feedback aggregates: %w", err)
	}
	for _, r := range fb {
		c := out[r.CustomerID]
		c.FeedbackCount = r.N
		if r.CsatN > 0 {
			c.AverageCsat = ratio(r.CsatSum, r.CsatN, 2)
		}
	}
	return nil
}

// customerLatestNps sets the latest NPS answer of the customers of out.
func customerLatestNps(ctx context.Context, client *ent.Client, d string, ids []int, out map[int]*Customer) error {
	latest, err := latestNps(ctx, client, d, func(s *sql.Selector) {
		s.Where(sql.InInts(s.C(feedback.FieldCustomerID), ids...))
	})
	if err != nil {
		return err
	}
	for id, score := range latest {
		c := out[id]
		c.LatestNps = &score
		cat := CategoryOf(score)
		c.NpsCategory = &cat
	}
	return nil
}

// latestNps returns each customer's latest NPS score among the feedback
// the filter keeps.
func latestNps(ctx context.Context, client *ent.Client, d string, filter func(*sql.Selector)) (map[int]int, error) {
	var rows []struct {
		CustomerID int `sql:"customer_id"`
		Score      int `sql:"score"`
	}
	// The predicates go into the modifier: it wraps the query in a subquery,
	// and ent applies Where predicates to the outer selector.
	err := client.Feedback.Query().
		Modify(func(s *sql.Selector) {
			filter(s)
			rankNps(s, d, noBucket)
			inner := s.Clone()
			*s = *sql.Dialect(d).Select("customer_id", "score").From(inner.As("latest")).Where(sql.EQ("rn", 1))
		}).Scan(ctx, &rows)
	if err != nil {
		return nil, fmt.Errorf("latest NPS answers: %w", err)
	}
	out := make(map[int]int, len(rows))
	for _, r := range rows {
		out[r.CustomerID] = r.Score
	}
	return out, nil
}

// rankNps makes s, a selector of feedback, select the NPS answers with
// their bucket (b), customer_id, score and rank (rn): 1 is the customer's
// latest in the bucket, the greatest submittedAt, ties broken by the
// greater externalRef (byte order), then the greater id.
func rankNps(s *sql.Selector, d, bucket string) {
	ref := "COALESCE(%s, '')"
	if d == dialect.Postgres {
		ref = `COALESCE(%s, '') COLLATE "C"` // byte order, as SQLite compares
	}
	// The kind is inlined: the statement summarizeMonths embeds has no
	// arguments of its own.
	s.Where(sql.And(sql.ExprP(s.C(feedback.FieldKind)+" = '"+feedback.KindNPS.String()+"'"), sql.NotNull(s.C(feedback.FieldScore))))
	partition := s.C(feedback.FieldCustomerID)
	if bucket != noBucket {
		partition = bucket + ", " + partition
	}
	rn := sql.RowNumber().PartitionExpr(sql.Expr(partition)).
		OrderExpr(sql.Expr(s.C(feedback.FieldSubmittedAt) + " DESC, " +
			fmt.Sprintf(ref, s.C(feedback.FieldExternalRef)) + " DESC, " + s.C(feedback.FieldID) + " DESC"))
	s.Select(s.C(feedback.FieldCustomerID), s.C(feedback.FieldScore)).
		AppendSelectExprAs(sql.Expr(bucket), "b").
		AppendSelectExprAs(rn, "rn")
}

// bucketBy makes s select its bucket as b and group by it too.
func bucketBy(s *sql.Selector, bucket string) {
	s.AppendSelectExprAs(sql.Expr(bucket), "b")
	if bucket != noBucket { // PostgreSQL refuses to group by a constant
		s.GroupBy(bucket)
	}
}

// computeSegment runs the segment aggregates over a window: members,
// revenue orders per member, latest NPS per member, CSAT answers. criteria
// nil means all customers.
func computeSegment(ctx context.Context, client *ent.Client, d string, criteria *personas.Criteria, w Window, today date.Date) (*Segment, error) {
	segs, err := computeSegments(ctx, client, d, criteria, w, "", today)
	if err != nil {
		return nil, err
	}
	return segs.at(""), nil
}

// segments are a segment's figures per bucket (bucketSQL's values).
type segments struct {
	size int
	by   map[string]*Segment
}

// at is a bucket's figures, empty (but for the segment's size) for a
// bucket without orders or feedback.
func (s segments) at(bucket string) *Segment {
	seg := s.by[bucket]
	if seg == nil {
		seg = &Segment{CustomerCount: s.size}
		s.by[bucket] = seg
	}
	return seg
}

// computeSegments runs the segment aggregates over a window, grouped by the
// buckets of interval i (none: one bucket ""): four statements whatever the
// number of buckets.
func computeSegments(ctx context.Context, client *ent.Client, d string, criteria *personas.Criteria, w Window, i Interval, today date.Date) (segments, error) {
	inSegment := members(d, criteria, today)
	n, err := segmentSize(ctx, client, criteria, today)
	if err != nil {
		return segments{}, err
	}
	out := segments{size: n, by: make(map[string]*Segment)}

	var ord []struct {
		Bucket    string `sql:"b"`
		Buyers    int64  `sql:"buyers"`
		Repeaters int64  `sql:"repeaters"`
		Orders    int64  `sql:"orders"`
		Revenue   int64  `sql:"revenue"`
	}
	err = client.Order.Query().
		Modify(func(s *sql.Selector) {
			s.Where(sql.In(s.C(order.FieldStatus), revenueStatuses...))
			inSegment(s, order.FieldCustomerID)
			w.where(s, order.FieldPlacedAt)
			s.Select(s.C(order.FieldCustomerID),
				sql.As(sql.Count("*"), "n"),
				sql.As("SUM("+s.C(order.FieldTotal)+")", "s"),
			).GroupBy(s.C(order.FieldCustomerID))
			bucketBy(s, bucketSQL(d, i, s.C(order.FieldPlacedAt)))
			per := s.Clone()
			*s = *sql.Dialect(d).Select("b",
				sql.As(sql.Count("*"), "buyers"),
				sql.As("COALESCE(SUM(CASE WHEN n >= 2 THEN 1 ELSE 0 END), 0)", "repeaters"),
				sql.As("COALESCE(SUM(n), 0)", "orders"),
				sql.As("COALESCE(SUM(s), 0)", "revenue"),
			).From(per.As("per_customer")).GroupBy("b")
		}).Scan(ctx, &ord)
	if err != nil {
		return segments{}, fmt.Errorf("segment order aggregates: %w", err)
	}
	for _, r := range ord {
		out.at(r.Bucket).setOrders(r.Buyers, r.Repeaters, r.Orders, r.Revenue)
	}

	var nps []struct {
		Bucket     string `sql:"b"`
		Promoters  int64  `sql:"promoters"`
		Passives   int64  `sql:"passives"`
		Detractors int64  `sql:"detractors"`
	}
	err = client.Feedback.Query().
		Modify(func(s *sql.Selector) {
			inSegment(s, feedback.FieldCustomerID)
			w.where(s, feedback.FieldSubmittedAt)
			rankNps(s, d, bucketSQL(d, i, s.C(feedback.FieldSubmittedAt)))
			latest := s.Clone()
			*s = *sql.Dialect(d).Select("b",
				sql.As(fmt.Sprintf("COALESCE(SUM(CASE WHEN score >= %d THEN 1 ELSE 0 END), 0)", promoterMin), "promoters"),
				sql.As(fmt.Sprintf("COALESCE(SUM(CASE WHEN score >= %d AND score < %d THEN 1 ELSE 0 END), 0)", passiveMin, promoterMin), "passives"),
				sql.As(fmt.Sprintf("COALESCE(SUM(CASE WHEN score < %d THEN 1 ELSE 0 END), 0)", passiveMin), "detractors"),
			).From(latest.As("latest")).Where(sql.EQ("rn", 1)).GroupBy("b")
		}).Scan(ctx, &nps)
	if err != nil {
		return segments{}, fmt.Errorf("segment NPS aggregates: %w", err)
	}
	for _, r := range nps {
		out.at(r.Bucket).setNps(r.Promoters, r.Passives, r.Detractors)
	}

	var csat []struct {
		Bucket    string `sql:"b"`
		N         int64  `sql:"n"`
		Sum       int64  `sql:"total"`
		Satisfied int64  `sql:"satisfied"`
	}
	err = client.Feedback.Query().
		Where(feedback.KindEQ(feedback.KindCSAT), feedback.ScoreNotNil()).
		Modify(func(s *sql.Selector) {
			inSegment(s, feedback.FieldCustomerID)
			w.where(s, feedback.FieldSubmittedAt)
			s.Select(
				sql.As(sql.Count("*"), "n"),
				sql.As("COALESCE(SUM("+s.C(feedback.FieldScore)+"), 0)", "total"),
				sql.As("COALESCE(SUM(CASE WHEN "+s.C(feedback.FieldScore)+" >= 4 THEN 1 ELSE 0 END), 0)", "satisfied"),
			)
			bucketBy(s, bucketSQL(d, i, s.C(feedback.FieldSubmittedAt)))
		}).Scan(ctx, &csat)
	if err != nil {
		return segments{}, fmt.Errorf("segment CSAT aggregates: %w", err)
	}
	for _, r := range csat {
		out.at(r.Bucket).setCsat(r.N, r.Sum, r.Satisfied)
	}
	return out, nil
}

// setOrders sets the order figures from their counts and sums.
func (seg *Segment) setOrders(buyers, repeaters, orders, revenue int64) {
	seg.BuyerCount, seg.OrderCount, seg.Revenue = int(buyers), int(orders), money.Cents(revenue)
	if orders > 0 {
		aov := money.DivRound(seg.Revenue, orders)
		seg.AverageOrderValue = &aov
	}
	if buyers > 0 {
		seg.RepeatPurchaseRate = ratio(repeaters, buyers, 4)
	}
}

// setNps sets the NPS figures from the latest answers' categories.
func (seg *Segment) setNps(promoters, passives, detractors int64) {
	seg.Promoters, seg.Passives, seg.Detractors = int(promoters), int(passives), int(detractors)
	seg.NpsResponses = seg.Promoters + seg.Passives + seg.Detractors
	if seg.NpsResponses > 0 {
		seg.Nps = ratio(100*(promoters-detractors), int64(seg.NpsResponses), 1)
	}
}

// setCsat sets the CSAT figures from the answers' count, sum and satisfied
// count.
func (seg *Segment) setCsat(n, sum, satisfied int64) {
	if n > 0 {
		seg.AverageCsat = ratio(sum, n, 2)
		seg.CsatSatisfiedShare = ratio(satisfied, n, 4)
	}
}

// segmentSize counts a segment's members (criteria nil: every customer).
func segmentSize(ctx context.Context, client *ent.Client, criteria *personas.Criteria, today date.Date) (int, error) {
	q := client.Customer.Query()
	if criteria != nil {
		q = q.Where(personas.Predicate(*criteria, today))
	}
	n, err := q.Count(ctx)
	if err != nil {
		return 0, fmt.Errorf("segment size: %w", err)
	}
	return n, nil
}

// ratio is num/den rounded half away from zero to the given decimals,
// computed exactly (no float error before the final conversion).
func ratio(num, den int64, decimals int) *float64 {
	scale := new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(decimals)), nil)
	n := new(big.Int).Mul(big.NewInt(num), scale)
	r := new(big.Rat).SetFrac(n, big.NewInt(den))
	// round half away from zero
	q, m := new(big.Int).QuoRem(r.Num(), r.Denom(), new(big.Int))
	if new(big.Int).Mul(new(big.Int).Abs(m), big.NewInt(2)).Cmp(r.Denom()) >= 0 {
		if r.Sign() < 0 {
			q.Sub(q, big.NewInt(1))
		} else {
			q.Add(q, big.NewInt(1))
		}
	}
	f, _ := new(big.Rat).SetFrac(q, scale).Float64()
	return &f
}

// asTime reads MIN/MAX of a timestamp column: time.Time from PostgreSQL, text
// from SQLite (which has no type for an aggregate).
func asTime(v any) (*time.Time, error) {
	switch t := v.(type) {
	case nil:
		return nil, nil
	case time.Time:
		u := t.UTC()
		return &u, nil
	case string:
		return parseSQLiteTime(t)
	case []byte:
		return parseSQLiteTime(string(t))
	}
	return nil, fmt.Errorf("unexpected time value %T", v)
}

func parseSQLiteTime(s string) (*time.Time, error) {
	for _, layout := range []string{"2006-01-02 15:04:05.999999999-07:00", "2006-01-02T15:04:05.999999999-07:00", "2006-01-02 15:04:05.999999999", "2006-01-02T15:04:05.999999999"} {
		if t, err := time.Parse(layout, s); err == nil {
			u := t.UTC()
			return &u, nil
		}
	}
	return nil, fmt.Errorf("unexpected time text %q", s)
}

// Loyalty and churn: documented in README.md ("Scores").
const (
	recencyHorizonDays = 365.0
	frequencyFull      = 20.0   // orders for a full frequency component
	monetaryFull       = 5000.0 // base-currency units for a full monetary component
	defaultGapDays     = 90.0   // expected days between orders with fewer than 2 orders
	minGapDays         = 7.0
)

// derive fills the fields computed from the aggregates on the given day.
func (c *Customer) derive(today date.Date) {
	c.RepeatCustomer = c.OrderCount >= 2
	if c.OrderCount > 0 {
		aov := money.DivRound(c.LifetimeValue, int64(c.OrderCount))
		c.AverageOrderValue = &aov
	}
	nps, npsRisk := 0.5, 0.5
	if c.LatestNps != nil {
		nps = float64(*c.LatestNps) / 10
		switch CategoryOf(*c.LatestNps) {
		case Promoter:
			npsRisk = 0
		case Detractor:
			npsRisk = 1
		}
	}
	r, f, m, overdue := 0.0, 0.0, 0.0, 1.0
	if c.OrderCount > 0 && c.LastOrderAt != nil && c.FirstOrderAt != nil {
		days := float64(daysBetween(date.Of(*c.LastOrderAt), today))
		r = clamp(1-days/recencyHorizonDays, 0, 1)
		f = math.Min(1, math.Log1p(float64(c.OrderCount))/math.Log1p(frequencyFull))
		m = math.Min(1, math.Log1p(math.Max(0, float64(c.LifetimeValue)/100))/math.Log1p(monetaryFull))
		gap := defaultGapDays
		if c.OrderCount >= 2 {
			gap = c.LastOrderAt.Sub(*c.FirstOrderAt).Hours() / 24 / float64(c.OrderCount-1)
		}
		gap = math.Max(gap, minGapDays)
		overdue = clamp((days/gap-1)/3, 0, 1)
	}
	c.LoyaltyScore = int(math.Round(100 * (0.35*r + 0.25*f + 0.20*m + 0.20*nps)))
	c.ChurnRisk = int(math.Round(100 * (0.8*overdue + 0.2*npsRisk)))
}

func daysBetween(a, b date.Date) int {
	d := int(b.Time().Sub(a.Time()).Hours() / 24)
	return max(d, 0)
}

func clamp(v, lo, hi float64) float64 { return math.Max(lo, math.Min(hi, v)) }

package scores

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"entgo.io/ent/dialect"
	"entgo.io/ent/dialect/sql"

	"github.com/c360/c360/ent"
	"github.com/c360/c360/ent/customer"
	"github.com/c360/c360/ent/feedback"
	"github.com/c360/c360/ent/monthsummary"
	"github.com/c360/c360/ent/monthtotal"
	"github.com/c360/c360/ent/order"
	"github.com/c360/c360/ent/segmenttotal"
	"github.com/c360/c360/ent/summary"
	"github.com/c360/c360/internal/database"
	"github.com/c360/c360/internal/date"
	"github.com/c360/c360/internal/money"
	"github.com/c360/c360/internal/personas"
)

// A customer's month summaries (ent/schema/summary.go) are what its
// figures are made of in each calendar month, and its summary their sums.
// Every write that changes them rewrites those of its customers from their
// raw rows in its own transaction, just before the commit (the invalidation
// hook), and moves the month totals and the segment totals (totals.go) by
// the difference: they are never newer or older than the rows they sum.
// Customer.scores reads the summaries, month-aligned windows and series the
// month summaries, a monthly series of all customers the month totals.

// A Change is what a transaction's writes may have changed in the figures.
type Change struct {
	// Customers whose rows, orders or feedback were written.
	Customers []int
	// Before holds the personas that customers belonged to before a write
	// of their profile (or their erasure), evaluated on BeforeDay; the
	// others' membership did not change.
	Before    map[int][]int
	BeforeDay date.Date
	// Personas whose criteria changed, or which were created or deleted;
	// AllPersonas: any persona's membership may have changed (an import).
	Personas    []int
	AllPersonas bool
}

// Refresh rewrites the summaries of the customers of a change from their
// raw rows through client (a transaction's; a customer that no longer
// exists loses them), and moves the month and segment totals by the
// difference. On PostgreSQL it first locks the customers' rows, so that two
// transactions refreshing one customer take turns and the second reads what
// the first committed.
func Refresh(ctx context.Context, client *ent.Client, d string, ch Change) error {
	moved := make(map[int]figures) // by persona, 0 for all customers
	var day date.Date
	for lo := 0; lo < len(ch.Customers); lo += maxIDs {
		chunk := ch.Customers[lo:min(lo+maxIDs, len(ch.Customers))]
		arg := database.IDList(d, chunk)
		if d == dialect.Postgres {
			if _, err := client.ExecContext(ctx, "SELECT id FROM "+customer.Table+" WHERE "+database.InIDs(d, "id", 1)+" ORDER BY id FOR NO KEY UPDATE", arg); err != nil {
				return fmt.Errorf("locking the customers of a summary refresh: %w", err)
			}
		}
		mine := func(s *sql.Selector) { s.Where(idIn(d, s.C(monthsummary.FieldCustomerID), arg)) }
		monthsBefore, err := monthFigures(ctx, client, d, mine, Month)
		if err != nil {
			return err
		}
		before, err := customerFigures(ctx, client, d, arg)
		if err != nil {
			return err
		}
		for _, stmt := range []string{
			"DELETE FROM " + monthsummary.Table + " WHERE " + database.InIDs(d, monthsummary.FieldCustomerID, 1),
			summarizeMonths(d, database.InIDs(d, "%s", 1)),
			"DELETE FROM " + summary.Table + " WHERE " + database.InIDs(d, summary.FieldID, 1),
			summarize(database.InIDs(d, "%s", 1)),
		} {
			if _, err := client.ExecContext(ctx, stmt, arg); err != nil {
				return fmt.Errorf("refreshing summaries: %w", err)
			}
		}
		monthsAfter, err := monthFigures(ctx, client, d, mine, Month)
		if err != nil {
			return err
		}
		if err := moveMonthTotals(ctx, client, d, monthsBefore, monthsAfter); err != nil {
			return err
		}
		after, err := customerFigures(ctx, client, d, arg)
		if err != nil {
			return err
		}
		if day == "" {
			// Read once the summaries' locks are held: a segment total
			// computed meanwhile (segmentTotal) is of a day this sees.
			day = today()
		}
		members, err := membership(ctx, client, d, arg, day)
		if err != nil {
			return err
		}
		if len(ch.Before) > 0 && ch.BeforeDay != day {
			ch.AllPersonas = true // ages moved between the two
		}
		for _, id := range chunk {
			old, now := before[id], after[id]
			moved[0] = moved[0].plus(now).minus(old)
			was, ok := ch.Before[id]
			if !ok {
				was = members[id]
			}
			for _, p := range was {
				moved[p] = moved[p].minus(old)
			}
			for _, p := range members[id] {
				moved[p] = moved[p].plus(now)
			}
		}
	}
	return moveSegmentTotals(ctx, client, d, ch, day, moved)
}

// Rebuild rewrites every summary and total from the raw rows (after a bulk
// load, or when a write may have changed any customer). On PostgreSQL it
// first waits for the refreshes under way and holds back new ones.
func Rebuild(ctx context.Context, client *ent.Client, d string) error {
	stmts := []string{
		"DELETE FROM " + monthsummary.Table,
		summarizeMonths(d, ""),
		"DELETE FROM " + summary.Table,
		summarize(""),
		"DELETE FROM " + monthtotal.Table,
		"DELETE FROM " + segmenttotal.Table,
	}
	if d == dialect.Postgres {
		stmts = append([]string{"LOCK TABLE " + summary.Table + ", " + monthsummary.Table + ", " + monthtotal.Table + ", " + segmenttotal.Table + " IN EXCLUSIVE MODE"}, stmts...)
	}
	for _, stmt := range stmts {
		if _, err := client.ExecContext(ctx, stmt); err != nil {
			return fmt.Errorf("rebuilding summaries: %w", err)
		}
	}
	totals, err := monthFigures(ctx, client, d, func(*sql.Selector) {}, Month)
	if err != nil {
		return err
	}
	return moveMonthTotals(ctx, client, d, nil, totals)
}

// Backfill builds the summaries when a customer has none (a database
// migrated from a release without them).
func Backfill(ctx context.Context, client *ent.Client, d string) error {
	missing, err := client.Customer.Query().
		Where(func(s *sql.Selector) {
			t := sql.Table(summary.Table)
			s.Where(sql.NotExists(sql.Select(t.C(summary.FieldID)).From(t).Where(sql.ColumnsEQ(t.C(summary.FieldID), s.C(customer.FieldID)))))
		}).Exist(ctx)
	if err != nil || !missing {
		return err
	}
	tx, err := client.Tx(ctx)
	if err != nil {
		return err
	}
	if err := Rebuild(ctx, tx.Client(), d); err != nil {
		_ = tx.Rollback()
		return fmt.Errorf("backfilling summaries: %w", err)
	}
	return tx.Commit()
}

// figures are the sums a segment's figures are made of, per bucket (b),
// read from summaries or month summaries.
type figures struct {
	Bucket     string `sql:"b"`
	Customers  int64  `sql:"customers"`
	Buyers     int64  `sql:"buyers"`
	Repeaters  int64  `sql:"repeaters"`
	Orders     int64  `sql:"orders"`
	Revenue    int64  `sql:"revenue"`
	Promoters  int64  `sql:"promoters"`
	Passives   int64  `sql:"passives"`
	Detractors int64  `sql:"detractors"`
	CsatN      int64  `sql:"csat_n"`
	CsatSum    int64  `sql:"csat_sum"`
	Satisfied  int64  `sql:"satisfied"`
}

// segment is the figures as a segment of size customers.
func (f figures) segment(size int) *Segment {
	seg := &Segment{CustomerCount: size}
	seg.setOrders(f.Buyers, f.Repeaters, f.Orders, f.Revenue)
	seg.setNps(f.Promoters, f.Passives, f.Detractors)
	seg.setCsat(f.CsatN, f.CsatSum, f.Satisfied)
	return seg
}

// minus is f - o, field by field.
func (f figures) minus(o figures) figures {
	return figures{Bucket: f.Bucket, Customers: f.Customers - o.Customers, Buyers: f.Buyers - o.Buyers, Repeaters: f.Repeaters - o.Repeaters,
		Orders: f.Orders - o.Orders, Revenue: f.Revenue - o.Revenue, Promoters: f.Promoters - o.Promoters, Passives: f.Passives - o.Passives,
		Detractors: f.Detractors - o.Detractors, CsatN: f.CsatN - o.CsatN, CsatSum: f.CsatSum - o.CsatSum, Satisfied: f.Satisfied - o.Satisfied}
}

// selectFigures makes s, a selector of rows with a customer's orders,
// revenue, CSAT sums and latest NPS score (a summary, a month summary, or
// their sums per customer and bucket), select their figures.
func selectFigures(s *sql.Selector, c func(string) string) {
	sum := func(expr string) string { return "COALESCE(SUM(" + expr + "), 0)" }
	when := func(cond string) string { return sum("CASE WHEN " + cond + " THEN 1 ELSE 0 END") }
	orders, nps := c(summary.FieldOrders), c(summary.FieldLatestNps)
	s.Select(
		sql.As(sql.Count("*"), "customers"),
		sql.As(when(orders+" > 0"), "buyers"),
		sql.As(when(orders+" >= 2"), "repeaters"),
		sql.As(sum(orders), "orders"),
		sql.As(sum(c(summary.FieldRevenue)), "revenue"),
		sql.As(when(fmt.Sprintf("%s >= %d", nps, promoterMin)), "promoters"),
		sql.As(when(fmt.Sprintf("%s >= %d AND %s < %d", nps, passiveMin, nps, promoterMin)), "passives"),
		sql.As(when(fmt.Sprintf("%s < %d", nps, passiveMin)), "detractors"),
		sql.As(sum(c(summary.FieldCsatCount)), "csat_n"),
		sql.As(sum(c(summary.FieldCsatSum)), "csat_sum"),
		sql.As(sum(c(summary.FieldCsatSatisfied)), "satisfied"),
	)
}

// monthFigures sums the month summaries the filter keeps per bucket of
// interval i (Month, Quarter or Year): a customer's months in one bucket
// are first summed, its latest NPS score being that of its last month with
// one.
func monthFigures(ctx context.Context, client *ent.Client, d string, filter func(*sql.Selector), i Interval) ([]figures, error) {
	var out []figures
	err := client.MonthSummary.Query().
		Modify(func(s *sql.Selector) {
			filter(s)
			bucket := noBucket
			if i != "" {
				bucket = "(" + bucketOf(dialect.SQLite, i, s.C(monthsummary.FieldMonth)) + ")" // months are text on both
			}
			if i == Month {
				selectFigures(s, s.C)
				s.AppendSelectExprAs(sql.Expr(bucket), "b").GroupBy(bucket).OrderBy(bucket)
				return
			}
			s.Select(s.C(monthsummary.FieldCustomerID)).
				AppendSelectExprAs(sql.Expr(bucket), "b").
				AppendSelectExprAs(sql.Expr("SUM("+s.C(monthsummary.FieldOrders)+")"), summary.FieldOrders).
				AppendSelectExprAs(sql.Expr("SUM("+s.C(monthsummary.FieldRevenue)+")"), summary.FieldRevenue).
				AppendSelectExprAs(sql.Expr("SUM("+s.C(monthsummary.FieldCsatCount)+")"), summary.FieldCsatCount).
				AppendSelectExprAs(sql.Expr("SUM("+s.C(monthsummary.FieldCsatSum)+")"), summary.FieldCsatSum).
				AppendSelectExprAs(sql.Expr("SUM("+s.C(monthsummary.FieldCsatSatisfied)+")"), summary.FieldCsatSatisfied).
				AppendSelectExprAs(sql.Expr(lastNps(s.C(monthsummary.FieldMonth), s.C(monthsummary.FieldLatestNps))), summary.FieldLatestNps).
				GroupBy(s.C(monthsummary.FieldCustomerID))
			if bucket != noBucket { // PostgreSQL refuses to group by a constant
				s.GroupBy(bucket)
			}
			per := s.Clone()
			t := sql.Dialect(d).Select().From(per.As("per_customer"))
			selectFigures(t, func(c string) string { return c })
			*s = *t.AppendSelect("b").GroupBy("b").OrderBy("b")
		}).Scan(ctx, &out)
	if err != nil {
		return nil, fmt.Errorf("month summaries: %w", err)
	}
	return out, nil
}

// moveMonthTotals adds after - before (figures per month) to the month
// totals, in the order of the months (PostgreSQL locks the rows in that
// order: two refreshes never wait for each other's).
func moveMonthTotals(ctx context.Context, client *ent.Client, d string, before, after []figures) error {
	delta := make(map[string]figures)
	for _, f := range after {
		delta[f.Bucket] = f
	}
	for _, f := range before {
		delta[f.Bucket] = delta[f.Bucket].minus(f)
	}
	cols := []string{monthtotal.FieldBuyers, monthtotal.FieldRepeaters, monthtotal.FieldOrders, monthtotal.FieldRevenue,
		monthtotal.FieldPromoters, monthtotal.FieldPassives, monthtotal.FieldDetractors,
		monthtotal.FieldCsatCount, monthtotal.FieldCsatSum, monthtotal.FieldCsatSatisfied}
	ins := sql.Dialect(d).Insert(monthtotal.Table).Columns(append([]string{monthtotal.FieldID}, cols...)...)
	n := 0
	for _, month := range slices.Sorted(maps.Keys(delta)) {
		f := delta[month]
		if f.Customers = 0; f == (figures{Bucket: month}) {
			continue // no change (Customers counts rows, no figure)
		}
		ins.Values(month, f.Buyers, f.Repeaters, f.Orders, f.Revenue, f.Promoters, f.Passives, f.Detractors, f.CsatN, f.CsatSum, f.Satisfied)
		n++
	}
	if n == 0 {
		return nil
	}
	ins.OnConflict(sql.ConflictColumns(monthtotal.FieldID), sql.ResolveWith(func(u *sql.UpdateSet) {
		excluded := sql.Dialect(d).Table("excluded")
		for _, c := range cols {
			u.Set(c, sql.Expr(u.Table().C(c)+" + "+excluded.C(c)))
		}
	}))
	q, args := ins.Query()
	if _, err := client.ExecContext(ctx, q, args...); err != nil {
		return fmt.Errorf("moving month totals: %w", err)
	}
	return nil
}

// summarizeMonths is the INSERT ... SELECT of the month summaries of the
// customers whose id column the filter (a format with one %s) keeps, all
// when it is empty: a row per customer and month with a revenue order or
// feedback.
func summarizeMonths(d, filter string) string {
	and := func(column string) string {
		if filter == "" {
			return ""
		}
		return " AND " + fmt.Sprintf(filter, column)
	}
	statuses := make([]string, len(revenueStatuses))
	for i, s := range revenueStatuses {
		statuses[i] = "'" + s.(string) + "'"
	}
	// Rows are grouped by the month's start as a timestamp on PostgreSQL,
	// formatted once per group: to_char on every order was most of the
	// statement's time.
	monthOf, key := func(c string) string { return bucketOf(d, Month, c) }, "m"
	if d == dialect.Postgres {
		monthOf = func(c string) string { return "date_trunc('month', " + c + " AT TIME ZONE 'UTC')" }
		key = "to_char(m, 'YYYY-MM-DD')"
	}
	placed, submitted := monthOf(order.FieldPlacedAt), monthOf(feedback.FieldSubmittedAt)
	ranked := sql.Dialect(d).Select().From(sql.Dialect(d).Table(feedback.Table))
	rankNps(ranked, d, "("+submitted+")")
	if filter != "" {
		ranked.Where(sql.P(func(b *sql.Builder) { b.WriteString(fmt.Sprintf(filter, feedback.FieldCustomerID)) }))
	}
	rankedSQL, _ := ranked.Query() // no arguments: the filter refers to the statement's
	noTime := "CAST(NULL AS " + map[bool]string{true: "TIMESTAMPTZ", false: "DATETIME"}[d == dialect.Postgres] + ")"
	csat := "CASE WHEN " + feedback.FieldKind + " = '" + feedback.KindCSAT.String() + "' AND " + feedback.FieldScore + " IS NOT NULL THEN "
	where := ""
	if filter != "" {
		where = " WHERE " + fmt.Sprintf(filter, feedback.FieldCustomerID)
	}
	return "INSERT INTO " + monthsummary.Table + " (" + strings.Join([]string{monthsummary.FieldCustomerID, monthsummary.FieldMonth,
		monthsummary.FieldOrders, monthsummary.FieldRevenue, monthsummary.FieldFirstOrderAt, monthsummary.FieldLastOrderAt, monthsummary.FieldFeedback,
		monthsummary.FieldCsatCount, monthsummary.FieldCsatSum, monthsummary.FieldCsatSatisfied, monthsummary.FieldLatestNps}, ", ") + ")" +
		" SELECT customer_id, " + key + ", SUM(n), SUM(s), MIN(f), MAX(l), SUM(fb), SUM(cn), SUM(cs), SUM(sat), MAX(nps) FROM (" +
		"SELECT " + order.FieldCustomerID + " AS customer_id, " + placed + " AS m, COUNT(*) AS n, SUM(" + order.FieldTotal + ") AS s, " +
		"MIN(" + order.FieldPlacedAt + ") AS f, MAX(" + order.FieldPlacedAt + ") AS l, 0 AS fb, 0 AS cn, 0 AS cs, 0 AS sat, CAST(NULL AS INTEGER) AS nps" +
		" FROM " + order.Table + " WHERE " + order.FieldStatus + " IN (" + strings.Join(statuses, ", ") + ")" + and(order.FieldCustomerID) +
		" GROUP BY " + order.FieldCustomerID + ", " + placed +
		" UNION ALL SELECT " + feedback.FieldCustomerID + ", " + submitted + ", 0, 0, " + noTime + ", " + noTime + ", COUNT(*), SUM(" + csat + "1 ELSE 0 END), " +
		"SUM(" + csat + feedback.FieldScore + " ELSE 0 END), SUM(" + csat + "CASE WHEN " + feedback.FieldScore + " >= 4 THEN 1 ELSE 0 END ELSE 0 END), CAST(NULL AS INTEGER)" +
		" FROM " + feedback.Table + where + " GROUP BY " + feedback.FieldCustomerID + ", " + submitted +
		" UNION ALL SELECT customer_id, b, 0, 0, " + noTime + ", " + noTime + ", 0, 0, 0, 0, score FROM (" + rankedSQL + ") ranked WHERE rn = 1" +
		") parts GROUP BY customer_id, m"
}

// idIn is the predicate of "column is one of the ids of arg" (a
// database.IDList) for a statement the builder numbers.
func idIn(d, column, arg string) *sql.Predicate {
	return sql.P(func(b *sql.Builder) {
		if d == dialect.Postgres {
			b.WriteString(column + " = ANY(").Arg(arg).WriteString("::bigint[])")
			return
		}
		b.WriteString(column + " IN (SELECT value FROM json_each(").Arg(arg).WriteString("))")
	})
}

// summarize is the INSERT ... SELECT of the summaries of the customers
// whose id column the filter (a format with one %s) keeps, all when it is
// empty: the sums of their month summaries, the latest NPS answer being
// that of their last month with one.
func summarize(filter string) string {
	where := ""
	if filter != "" {
		where = " WHERE " + fmt.Sprintf(filter, "c."+customer.FieldID)
	}
	m := func(c string) string { return "m." + c }
	sum := func(c string) string { return "COALESCE(SUM(" + m(c) + "), 0)" }
	return "INSERT INTO " + summary.Table + " (" + strings.Join([]string{summary.FieldID, summary.FieldOrders, summary.FieldRevenue,
		summary.FieldFirstOrderAt, summary.FieldLastOrderAt, summary.FieldFeedback, summary.FieldCsatCount, summary.FieldCsatSum,
		summary.FieldCsatSatisfied, summary.FieldLatestNps}, ", ") + ")" +
		" SELECT c." + customer.FieldID + ", " + sum(monthsummary.FieldOrders) + ", " + sum(monthsummary.FieldRevenue) + ", " +
		"MIN(" + m(monthsummary.FieldFirstOrderAt) + "), MAX(" + m(monthsummary.FieldLastOrderAt) + "), " + sum(monthsummary.FieldFeedback) + ", " +
		sum(monthsummary.FieldCsatCount) + ", " + sum(monthsummary.FieldCsatSum) + ", " + sum(monthsummary.FieldCsatSatisfied) + ", " +
		lastNps(m(monthsummary.FieldMonth), m(monthsummary.FieldLatestNps)) +
		" FROM " + customer.Table + " c LEFT JOIN " + monthsummary.Table + " m ON " + m(monthsummary.FieldCustomerID) + " = c." + customer.FieldID +
		where + " GROUP BY c." + customer.FieldID
}

// lastNps is the SQL of the NPS score of the last month with one, among
// rows of months (bucketKey text) and their latest scores: the greatest of
// month || score+10 (two digits), cut.
func lastNps(month, score string) string {
	return "CAST(SUBSTR(MAX(CASE WHEN " + score + " IS NOT NULL THEN " + month + " || CAST(" + score + " + 10 AS TEXT) END), 11, 2) AS INTEGER) - 10"
}

// summaryCustomers reads the customers' scores from their summaries.
func summaryCustomers(ctx context.Context, client *ent.Client, ids []int, today date.Date) (map[int]*Customer, error) {
	out := newCustomers(ids)
	for lo := 0; lo < len(ids); lo += maxIDs {
		rows, err := client.Summary.Query().Where(summary.IDIn(ids[lo:min(lo+maxIDs, len(ids))]...)).All(ctx)
		if err != nil {
			return nil, fmt.Errorf("customer summaries: %w", err)
		}
		for _, r := range rows {
			c := out[r.ID]
			c.OrderCount, c.LifetimeValue, c.FeedbackCount = r.Orders, money.Cents(r.Revenue), r.Feedback
			c.FirstOrderAt, c.LastOrderAt = utcOf(r.FirstOrderAt), utcOf(r.LastOrderAt)
			if r.CsatCount > 0 {
				c.AverageCsat = ratio(r.CsatSum, int64(r.CsatCount), 2)
			}
			if r.LatestNps != nil {
				score, cat := *r.LatestNps, CategoryOf(*r.LatestNps)
				c.LatestNps, c.NpsCategory = &score, &cat
			}
		}
	}
	for _, c := range out {
		c.derive(today)
	}
	return out, nil
}

// summaryFigures sums the summaries of a segment's members (criteria nil:
// every customer), one statement.
func summaryFigures(ctx context.Context, client *ent.Client, d string, criteria *personas.Criteria, today date.Date) (figures, error) {
	var rows []figures
	err := client.Summary.Query().
		Modify(func(s *sql.Selector) {
			members(d, criteria, today)(s, summary.FieldID)
			selectFigures(s, s.C)
			s.AppendSelectExprAs(sql.Expr(noBucket), "b")
		}).Scan(ctx, &rows)
	if err != nil {
		return figures{}, fmt.Errorf("segment summaries: %w", err)
	}
	return rows[0], nil
}

// members is the filter of the rows of a segment's members, by the column
// of their customer's id.
func members(d string, criteria *personas.Criteria, today date.Date) func(s *sql.Selector, column string) {
	if criteria == nil {
		return func(*sql.Selector, string) {}
	}
	pred := personas.Predicate(*criteria, today)
	return func(s *sql.Selector, column string) {
		sub := sql.Dialect(d).Select(customer.FieldID).From(sql.Dialect(d).Table(customer.Table))
		pred(sub)
		s.Where(sql.In(s.C(column), sub))
	}
}

// monthSegments computes a segment's figures per bucket of interval i
// (none: one bucket "") over a window whose ends are month starts, from the
// month summaries: the month totals for a monthly series of all customers.
func monthSegments(ctx context.Context, client *ent.Client, d string, criteria *personas.Criteria, w Window, i Interval, today date.Date) (segments, error) {
	n, err := segmentSize(ctx, client, criteria, today)
	if err != nil {
		return segments{}, err
	}
	out := segments{size: n, by: make(map[string]*Segment)}
	var rows []figures
	if criteria == nil && i == Month {
		totals, err := client.MonthTotal.Query().Where(func(s *sql.Selector) { w.whereMonth(s, monthtotal.FieldID) }).All(ctx)
		if err != nil {
			return segments{}, fmt.Errorf("month totals: %w", err)
		}
		for _, t := range totals {
			rows = append(rows, figures{Bucket: t.ID, Buyers: int64(t.Buyers), Repeaters: int64(t.Repeaters), Orders: int64(t.Orders), Revenue: t.Revenue,
				Promoters: int64(t.Promoters), Passives: int64(t.Passives), Detractors: int64(t.Detractors),
				CsatN: int64(t.CsatCount), CsatSum: t.CsatSum, Satisfied: int64(t.CsatSatisfied)})
		}
	} else {
		inSegment := members(d, criteria, today)
		rows, err = monthFigures(ctx, client, d, func(s *sql.Selector) {
			inSegment(s, monthsummary.FieldCustomerID)
			w.whereMonth(s, monthsummary.FieldMonth)
		}, i)
		if err != nil {
			return segments{}, err
		}
	}
	for _, r := range rows {
		out.by[r.Bucket] = r.segment(n)
	}
	return out, nil
}

func utcOf(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}

package scores

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"entgo.io/ent/dialect"
	"entgo.io/ent/dialect/sql"

	"github.com/c360/c360/ent"
	"github.com/c360/c360/ent/customer"
	"github.com/c360/c360/ent/feedback"
	"github.com/c360/c360/ent/order"
	"github.com/c360/c360/ent/summary"
	"github.com/c360/c360/internal/date"
	"github.com/c360/c360/internal/money"
	"github.com/c360/c360/internal/personas"
)

// A customer's summary (ent/schema/summary.go) is what its figures over all
// time are made of. Every write that changes them rewrites the summaries of
// its customers from their raw rows in its own transaction, just before the
// commit (the invalidation hook): a summary is never newer or older than
// the rows it sums, and the segment figures without a window read the
// summaries, one row per customer, instead of every order and feedback.

// Refresh rewrites the summaries of the customers ids from their raw rows
// through client (a transaction's): a customer that no longer exists loses
// its summary. On PostgreSQL it first locks the customers' rows, so that
// two transactions refreshing one customer take turns and the second reads
// what the first committed.
func Refresh(ctx context.Context, client *ent.Client, d string, ids []int) error {
	for lo := 0; lo < len(ids); lo += maxIDs {
		chunk := ids[lo:min(lo+maxIDs, len(ids))]
		arg := idArray(d, chunk)
		if d == dialect.Postgres {
			if _, err := client.ExecContext(ctx, "SELECT id FROM "+customer.Table+" WHERE id = ANY($1::bigint[]) ORDER BY id FOR UPDATE", arg); err != nil {
				return fmt.Errorf("locking the customers of a summary refresh: %w", err)
			}
		}
		if _, err := client.ExecContext(ctx, "DELETE FROM "+summary.Table+" WHERE "+inIDs(d, summary.FieldID), arg); err != nil {
			return fmt.Errorf("refreshing summaries: %w", err)
		}
		if _, err := client.ExecContext(ctx, summarize(d, inIDs(d, "%s")), arg); err != nil {
			return fmt.Errorf("refreshing summaries: %w", err)
		}
	}
	return nil
}

// Rebuild rewrites every summary from the raw rows (after a bulk load, or
// when the unknown write may have changed any customer).
func Rebuild(ctx context.Context, client *ent.Client, d string) error {
	if _, err := client.ExecContext(ctx, "DELETE FROM "+summary.Table); err != nil {
		return fmt.Errorf("rebuilding summaries: %w", err)
	}
	if _, err := client.ExecContext(ctx, summarize(d, "")); err != nil {
		return fmt.Errorf("rebuilding summaries: %w", err)
	}
	return nil
}

// Backfill writes the summaries of the customers that have none (a
// database migrated from a release without them). Two processes starting
// at once write each summary once.
func Backfill(ctx context.Context, client *ent.Client, d string) error {
	missing, err := client.Customer.Query().
		Where(func(s *sql.Selector) {
			t := sql.Table(summary.Table)
			s.Where(sql.NotExists(sql.Select(t.C(summary.FieldID)).From(t).Where(sql.ColumnsEQ(t.C(summary.FieldID), s.C(customer.FieldID)))))
		}).IDs(ctx)
	if err != nil || len(missing) == 0 {
		return err
	}
	for lo := 0; lo < len(missing); lo += maxIDs {
		chunk := missing[lo:min(lo+maxIDs, len(missing))]
		if _, err := client.ExecContext(ctx, summarize(d, inIDs(d, "%s"))+" ON CONFLICT ("+summary.FieldID+") DO NOTHING", idArray(d, chunk)); err != nil {
			return fmt.Errorf("backfilling summaries: %w", err)
		}
	}
	return nil
}

// idArray is a list of ids as the one argument of inIDs: an array literal
// for PostgreSQL, a JSON array for SQLite.
func idArray(d string, ids []int) string {
	var b strings.Builder
	open, close := "[", "]"
	if d == dialect.Postgres {
		open, close = "{", "}"
	}
	b.WriteString(open)
	for i, id := range ids {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(strconv.Itoa(id))
	}
	b.WriteString(close)
	return b.String()
}

// inIDs is the SQL of "column is one of the ids of the first argument"
// (idArray), which every use refers to by number.
func inIDs(d, column string) string {
	if d == dialect.Postgres {
		return column + " = ANY($1::bigint[])"
	}
	return column + " IN (SELECT value FROM json_each(?1))"
}

// summarize is the INSERT ... SELECT of the summaries of the customers
// whose id column the filter (a format with one %s) keeps, all when it is
// empty: the revenue orders, the feedback and the latest NPS answer
// (scores.md; rankNps's order), each aggregated over the customers' rows.
func summarize(d, filter string) string {
	where := func(column string) string {
		if filter == "" {
			return ""
		}
		return fmt.Sprintf(filter, column)
	}
	and := func(column string) string {
		if filter == "" {
			return ""
		}
		return " AND " + where(column)
	}
	ref := "COALESCE(" + feedback.FieldExternalRef + ", '')"
	if d == dialect.Postgres {
		ref += ` COLLATE "C"`
	}
	statuses := make([]string, len(revenueStatuses))
	for i, s := range revenueStatuses {
		statuses[i] = "'" + s.(string) + "'"
	}
	customers := "SELECT " + customer.FieldID + " FROM " + customer.Table
	if filter != "" {
		customers += " WHERE " + where(customer.FieldID)
	}
	csat := "CASE WHEN " + feedback.FieldKind + " = '" + feedback.KindCSAT.String() + "' AND " + feedback.FieldScore + " IS NOT NULL THEN "
	return "INSERT INTO " + summary.Table + " (" + strings.Join([]string{summary.FieldID, summary.FieldOrders, summary.FieldRevenue,
		summary.FieldFirstOrderAt, summary.FieldLastOrderAt, summary.FieldFeedback, summary.FieldCsatCount, summary.FieldCsatSum,
		summary.FieldCsatSatisfied, summary.FieldLatestNps}, ", ") + ")" +
		" SELECT c.id, COALESCE(o.n, 0), COALESCE(o.s, 0), o.f, o.l, COALESCE(fb.n, 0), COALESCE(fb.cn, 0), COALESCE(fb.cs, 0), COALESCE(fb.sat, 0), nps.score" +
		" FROM (" + customers + ") c" +
		" LEFT JOIN (SELECT " + order.FieldCustomerID + " AS id, COUNT(*) AS n, SUM(" + order.FieldTotal + ") AS s, MIN(" + order.FieldPlacedAt + ") AS f, MAX(" + order.FieldPlacedAt + ") AS l" +
		" FROM " + order.Table + " WHERE " + order.FieldStatus + " IN (" + strings.Join(statuses, ", ") + ")" + and(order.FieldCustomerID) +
		" GROUP BY " + order.FieldCustomerID + ") o ON o.id = c.id" +
		" LEFT JOIN (SELECT " + feedback.FieldCustomerID + " AS id, COUNT(*) AS n, SUM(" + csat + "1 ELSE 0 END) AS cn, SUM(" + csat + feedback.FieldScore + " ELSE 0 END) AS cs," +
		" SUM(" + csat + "CASE WHEN " + feedback.FieldScore + " >= 4 THEN 1 ELSE 0 END ELSE 0 END) AS sat" +
		" FROM " + feedback.Table + ifWhere(where(feedback.FieldCustomerID)) + " GROUP BY " + feedback.FieldCustomerID + ") fb ON fb.id = c.id" +
		" LEFT JOIN (SELECT id, score FROM (SELECT " + feedback.FieldCustomerID + " AS id, " + feedback.FieldScore + " AS score, ROW_NUMBER() OVER (PARTITION BY " + feedback.FieldCustomerID +
		" ORDER BY " + feedback.FieldSubmittedAt + " DESC, " + ref + " DESC, " + feedback.FieldID + " DESC) AS rn" +
		" FROM " + feedback.Table + " WHERE " + feedback.FieldKind + " = '" + feedback.KindNPS.String() + "' AND " + feedback.FieldScore + " IS NOT NULL" + and(feedback.FieldCustomerID) +
		") ranked WHERE rn = 1) nps ON nps.id = c.id"
}

func ifWhere(cond string) string {
	if cond == "" {
		return ""
	}
	return " WHERE " + cond
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

// summarySegment computes a segment's figures over all time from the
// summaries of its members (criteria nil: every customer), one statement.
func summarySegment(ctx context.Context, client *ent.Client, d string, criteria *personas.Criteria, today date.Date) (*Segment, error) {
	var rows []struct {
		Customers  int64 `sql:"customers"`
		Buyers     int64 `sql:"buyers"`
		Repeaters  int64 `sql:"repeaters"`
		Orders     int64 `sql:"orders"`
		Revenue    int64 `sql:"revenue"`
		Promoters  int64 `sql:"promoters"`
		Passives   int64 `sql:"passives"`
		Detractors int64 `sql:"detractors"`
		CsatN      int64 `sql:"csat_n"`
		CsatSum    int64 `sql:"csat_sum"`
		Satisfied  int64 `sql:"satisfied"`
	}
	err := client.Summary.Query().
		Modify(func(s *sql.Selector) {
			if criteria != nil {
				sub := sql.Dialect(d).Select(customer.FieldID).From(sql.Dialect(d).Table(customer.Table))
				personas.Predicate(*criteria, today)(sub)
				s.Where(sql.In(s.C(summary.FieldID), sub))
			}
			sum := func(expr string) string { return "COALESCE(SUM(" + expr + "), 0)" }
			when := func(cond string) string { return sum("CASE WHEN " + cond + " THEN 1 ELSE 0 END") }
			orders, nps := s.C(summary.FieldOrders), s.C(summary.FieldLatestNps)
			s.Select(
				sql.As(sql.Count("*"), "customers"),
				sql.As(when(orders+" > 0"), "buyers"),
				sql.As(when(orders+" >= 2"), "repeaters"),
				sql.As(sum(orders), "orders"),
				sql.As(sum(s.C(summary.FieldRevenue)), "revenue"),
				sql.As(when(fmt.Sprintf("%s >= %d", nps, promoterMin)), "promoters"),
				sql.As(when(fmt.Sprintf("%s >= %d AND %s < %d", nps, passiveMin, nps, promoterMin)), "passives"),
				sql.As(when(fmt.Sprintf("%s < %d", nps, passiveMin)), "detractors"),
				sql.As(sum(s.C(summary.FieldCsatCount)), "csat_n"),
				sql.As(sum(s.C(summary.FieldCsatSum)), "csat_sum"),
				sql.As(sum(s.C(summary.FieldCsatSatisfied)), "satisfied"),
			)
		}).Scan(ctx, &rows)
	if err != nil {
		return nil, fmt.Errorf("segment summaries: %w", err)
	}
	r := rows[0]
	seg := &Segment{CustomerCount: int(r.Customers)}
	seg.setOrders(r.Buyers, r.Repeaters, r.Orders, r.Revenue)
	seg.setNps(r.Promoters, r.Passives, r.Detractors)
	seg.setCsat(r.CsatN, r.CsatSum, r.Satisfied)
	return seg, nil
}

func utcOf(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}

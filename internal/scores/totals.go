package scores

import (
	"context"
	stdsql "database/sql"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"

	"entgo.io/ent/dialect"
	"entgo.io/ent/dialect/sql"

	"github.com/c360/c360/ent"
	"github.com/c360/c360/ent/customer"
	"github.com/c360/c360/ent/persona"
	"github.com/c360/c360/ent/segmenttotal"
	"github.com/c360/c360/ent/summary"
	"github.com/c360/c360/internal/database"
	"github.com/c360/c360/internal/date"
	"github.com/c360/c360/internal/personas"
)

// A segment total (ent/schema/summary.go) is a segment's figures over all
// time on one day: read in one row, whatever the number of customers, and
// so cheap under a stream of writes, each of which moves the cached figures
// to a new version. It is computed from the summaries at the day's first
// read (segmentTotal), then moved by every refresh (Refresh) by the
// difference the refresh made to each customer's summary, in the segments
// the customer belonged to before and belongs to after.

// plus is f + o, field by field.
func (f figures) plus(o figures) figures {
	return figures{Bucket: f.Bucket, Customers: f.Customers + o.Customers, Buyers: f.Buyers + o.Buyers, Repeaters: f.Repeaters + o.Repeaters,
		Orders: f.Orders + o.Orders, Revenue: f.Revenue + o.Revenue, Promoters: f.Promoters + o.Promoters, Passives: f.Passives + o.Passives,
		Detractors: f.Detractors + o.Detractors, CsatN: f.CsatN + o.CsatN, CsatSum: f.CsatSum + o.CsatSum, Satisfied: f.Satisfied + o.Satisfied}
}

// customerFigures are the contributions of the summaries of the customers
// of arg (a database.IDList) to their segments' figures, by customer.
func customerFigures(ctx context.Context, client *ent.Client, d, arg string) (map[int]figures, error) {
	var rows []figures
	err := client.Summary.Query().
		Modify(func(s *sql.Selector) {
			s.Where(idIn(d, s.C(summary.FieldID), arg))
			selectFigures(s, s.C)
			s.AppendSelectExprAs(sql.Expr(s.C(summary.FieldID)), "b").GroupBy(s.C(summary.FieldID))
		}).Scan(ctx, &rows)
	if err != nil {
		return nil, fmt.Errorf("customer summaries: %w", err)
	}
	out := make(map[int]figures, len(rows))
	for _, r := range rows {
		id, err := strconv.Atoi(r.Bucket)
		if err != nil {
			return nil, err
		}
		out[id] = r
	}
	return out, nil
}

// membership returns the personas each customer of arg (a database.IDList) belongs
// to on day, in one statement.
func membership(ctx context.Context, client *ent.Client, d, arg string, day date.Date) (map[int][]int, error) {
	var rows []struct {
		Customer int `sql:"c"`
		Persona  int `sql:"p"`
	}
	err := client.Customer.Query().
		Modify(func(s *sql.Selector) {
			p := sql.Dialect(d).Table(persona.Table).As("p")
			s.Where(idIn(d, s.C(customer.FieldID), arg)).
				Join(p).OnP(sql.P(func(b *sql.Builder) {
				personas.WriteMatch(b, d == dialect.Postgres, b.Quote("p"), b.Quote(customer.Table), day)
			})).
				Select(sql.As(s.C(customer.FieldID), "c"), sql.As(p.C(persona.FieldID), "p")).
				OrderBy(s.C(customer.FieldID), p.C(persona.FieldID))
		}).Scan(ctx, &rows)
	if err != nil {
		return nil, fmt.Errorf("persona membership: %w", err)
	}
	out := make(map[int][]int)
	for _, r := range rows {
		out[r.Customer] = append(out[r.Customer], r.Persona)
	}
	return out, nil
}

// Members returns the personas each of the customers ids belongs to today:
// what a write that may change their membership records first (Change).
func Members(ctx context.Context, client *ent.Client, d string, ids []int) (map[int][]int, date.Date, error) {
	day := today()
	out := make(map[int][]int, len(ids))
	for lo := 0; lo < len(ids); lo += maxIDs {
		m, err := membership(ctx, client, d, database.IDList(d, ids[lo:min(lo+maxIDs, len(ids))]), day)
		if err != nil {
			return nil, "", err
		}
		for _, id := range ids[lo:min(lo+maxIDs, len(ids))] {
			out[id] = m[id] // nil: none, but recorded
		}
	}
	return out, day, nil
}

// moveSegmentTotals adds the moved figures to the segment totals of day,
// in the order of the personas (PostgreSQL locks the rows in that order),
// and drops those of the personas whose membership changed otherwise: they
// are computed again at their next read.
func moveSegmentTotals(ctx context.Context, client *ent.Client, d string, ch Change, day date.Date, moved map[int]figures) error {
	if ch.AllPersonas {
		if _, err := client.SegmentTotal.Delete().Where(segmenttotal.PersonaIDNEQ(0)).Exec(ctx); err != nil {
			return fmt.Errorf("dropping segment totals: %w", err)
		}
	} else if len(ch.Personas) > 0 {
		if _, err := client.SegmentTotal.Delete().Where(segmenttotal.PersonaIDIn(ch.Personas...)).Exec(ctx); err != nil {
			return fmt.Errorf("dropping segment totals: %w", err)
		}
	}
	for _, p := range slices.Sorted(maps.Keys(moved)) {
		f := moved[p]
		if f == (figures{}) || (p != 0 && (ch.AllPersonas || slices.Contains(ch.Personas, p))) {
			continue
		}
		err := client.SegmentTotal.Update().
			Where(segmenttotal.PersonaID(p), segmenttotal.Day(string(day))).
			AddCustomers(int(f.Customers)).AddBuyers(int(f.Buyers)).AddRepeaters(int(f.Repeaters)).
			AddOrders(int(f.Orders)).AddRevenue(f.Revenue).
			AddPromoters(int(f.Promoters)).AddPassives(int(f.Passives)).AddDetractors(int(f.Detractors)).
			AddCsatCount(int(f.CsatN)).AddCsatSum(f.CsatSum).AddCsatSatisfied(int(f.Satisfied)).
			Exec(ctx)
		if err != nil {
			return fmt.Errorf("moving segment totals: %w", err)
		}
	}
	return nil
}

// segmentTotal returns a segment's figures over all time today (personaID
// nil: all customers) from its segment total, which the day's first read
// computes from the summaries in a transaction that keeps refreshes out
// (on PostgreSQL a SHARE lock of the summaries, which every refresh writes
// first; SQLite has one writer) and reads the persona's criteria again.
func segmentTotal(ctx context.Context, client *ent.Client, d string, personaID *int, day date.Date) (*Segment, error) {
	p := 0
	if personaID != nil {
		p = *personaID
	}
	if t, err := client.SegmentTotal.Query().Where(segmenttotal.PersonaID(p), segmenttotal.Day(string(day))).Only(ctx); err == nil {
		return totalFigures(t).segment(t.Customers), nil
	} else if !ent.IsNotFound(err) {
		return nil, fmt.Errorf("segment total: %w", err)
	}
	tx, err := client.Tx(ctx)
	if err != nil {
		return nil, err
	}
	seg, err := computeSegmentTotal(ctx, tx.Client(), d, p, day)
	if err != nil {
		_ = tx.Rollback()
		return nil, err
	}
	return seg, tx.Commit()
}

func computeSegmentTotal(ctx context.Context, client *ent.Client, d string, p int, day date.Date) (*Segment, error) {
	var criteria *personas.Criteria
	if d == dialect.Postgres {
		if _, err := client.ExecContext(ctx, "LOCK TABLE "+summary.Table+" IN SHARE MODE"); err != nil {
			return nil, fmt.Errorf("segment total: %w", err)
		}
	}
	if p != 0 {
		if d == dialect.Postgres { // an edit of the criteria waits, then drops the total
			if _, err := client.ExecContext(ctx, "SELECT id FROM "+persona.Table+" WHERE id = $1 FOR SHARE", p); err != nil {
				return nil, fmt.Errorf("segment total: %w", err)
			}
		}
		ps, err := client.Persona.Get(ctx, p)
		if err != nil {
			return nil, err
		}
		criteria = &ps.Criteria
	}
	f, err := summaryFigures(ctx, client, d, criteria, day)
	if err != nil {
		return nil, err
	}
	err = client.SegmentTotal.Create().SetPersonaID(p).SetDay(string(day)).
		SetCustomers(int(f.Customers)).SetBuyers(int(f.Buyers)).SetRepeaters(int(f.Repeaters)).
		SetOrders(int(f.Orders)).SetRevenue(f.Revenue).
		SetPromoters(int(f.Promoters)).SetPassives(int(f.Passives)).SetDetractors(int(f.Detractors)).
		SetCsatCount(int(f.CsatN)).SetCsatSum(f.CsatSum).SetCsatSatisfied(int(f.Satisfied)).
		OnConflictColumns(segmenttotal.FieldPersonaID, segmenttotal.FieldDay).DoNothing().Exec(ctx)
	if err != nil && !errors.Is(err, stdsql.ErrNoRows) { // computed meanwhile by another read: the same figures
		return nil, fmt.Errorf("segment total: %w", err)
	}
	// The totals of other days are not moved any more.
	if _, err := client.SegmentTotal.Delete().Where(segmenttotal.PersonaID(p), segmenttotal.DayNEQ(string(day))).Exec(ctx); err != nil {
		return nil, fmt.Errorf("segment total: %w", err)
	}
	return f.segment(int(f.Customers)), nil
}

func totalFigures(t *ent.SegmentTotal) figures {
	return figures{Customers: int64(t.Customers), Buyers: int64(t.Buyers), Repeaters: int64(t.Repeaters), Orders: int64(t.Orders), Revenue: t.Revenue,
		Promoters: int64(t.Promoters), Passives: int64(t.Passives), Detractors: int64(t.Detractors),
		CsatN: int64(t.CsatCount), CsatSum: t.CsatSum, Satisfied: int64(t.CsatSatisfied)}
}

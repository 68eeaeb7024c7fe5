package scores_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strconv"
	"testing"
	"time"

	"entgo.io/ent/dialect"

	"github.com/c360/c360/ent"
	"github.com/c360/c360/ent/feedback"
	"github.com/c360/c360/ent/order"
	"github.com/c360/c360/ent/segmenttotal"
	"github.com/c360/c360/internal/date"
	"github.com/c360/c360/internal/importer"
	"github.com/c360/c360/internal/money"
	"github.com/c360/c360/internal/ndjson"
	"github.com/c360/c360/internal/personas"
	"github.com/c360/c360/internal/scores"
	"github.com/c360/c360/internal/seed"
	"github.com/c360/c360/internal/store"
)

// Issue 13, point 4: random sequences of writes (orders in any status and
// later status changes, feedback of every kind with ties on submittedAt,
// demographic updates, persona edits, merges, erasure) leave every figure
// equal to a computation from the raw rows: per customer, per persona and
// global, over windows with and without an end, and per series point; read
// through the cache after each round of writes.
func TestRandomWritesLeaveEveryFigureExact(t *testing.T) {
	for _, d := range []string{dialect.SQLite, dialect.Postgres} {
		t.Run(d, func(t *testing.T) {
			db := openDB(t, d)
			load(t, db, 120)
			svc := openService(t, db)
			client := db.Client
			ctx := context.Background()
			seed := time.Now().UnixNano()
			t.Logf("seed %d", seed)
			rng := rand.New(rand.NewPCG(uint64(seed), 7))
			now := time.Now().UTC()
			day := func() time.Time { // in the last three years, on a coarse grid: ties happen
				return now.AddDate(0, 0, -rng.IntN(1100)).Truncate(24 * time.Hour).Add(time.Duration(rng.IntN(3)) * time.Hour)
			}
			pick := func(ids []int) int { return ids[rng.IntN(len(ids))] }
			statuses := []order.Status{order.StatusPENDING, order.StatusPAID, order.StatusFULFILLED, order.StatusCANCELLED, order.StatusREFUNDED}
			kinds := []feedback.Kind{feedback.KindNPS, feedback.KindNPS, feedback.KindCSAT, feedback.KindREVIEW, feedback.KindSOCIAL, feedback.KindSUPPORT}
			done := map[string]int{}
			for round := range 6 {
				for range 25 {
					customers := client.Customer.Query().IDsX(ctx)
					var err error
					switch op := rng.IntN(8); op {
					case 0, 1: // an order in any status
						at := day()
						st := statuses[rng.IntN(len(statuses))]
						_, err = store.CreateOrder(ctx, client, store.NewOrder{CustomerID: pick(customers), Status: &st,
							Channel: order.ChannelWEB, PlacedAt: &at,
							Items: []store.Item{{SKU: "S", Name: "N", Quantity: 1 + rng.IntN(3), UnitPrice: money.Cents(100 + rng.IntN(20000))}}}, "EUR")
						done["order"]++
					case 2: // a later status change
						ids := client.Order.Query().IDsX(ctx)
						err = client.Order.UpdateOneID(pick(ids)).SetStatus(statuses[rng.IntN(len(statuses))]).Exec(ctx)
						done["status"]++
					case 3: // feedback of any kind, often on an existing submittedAt
						in := ent.CreateFeedbackInput{CustomerID: pick(customers), Kind: kinds[rng.IntN(len(kinds))], Channel: feedback.ChannelEMAIL}
						at := day()
						if fs := client.Feedback.Query().Where(feedback.CustomerID(in.CustomerID)).AllX(ctx); len(fs) > 0 && rng.IntN(2) == 0 {
							at = fs[rng.IntN(len(fs))].SubmittedAt // a tie
						}
						in.SubmittedAt = &at
						if rng.IntN(3) > 0 {
							ref := "R-" + strconv.Itoa(rng.IntN(1000000))
							in.ExternalRef = &ref
						}
						switch in.Kind {
						case feedback.KindNPS:
							in.Score = ptr(rng.IntN(11))
						case feedback.KindCSAT, feedback.KindREVIEW, feedback.KindSOCIAL:
							in.Score = ptr(1 + rng.IntN(5))
						}
						_, err = store.CreateFeedback(ctx, client, in)
						done["feedback"]++
					case 4: // demographics
						u := client.Customer.UpdateOneID(pick(customers))
						if rng.IntN(2) == 0 {
							u.SetBirthDate(date.Of(now.AddDate(-18-rng.IntN(60), 0, -rng.IntN(365))))
						} else {
							u.SetCountry([]string{"FI", "SE", "DE", "GB"}[rng.IntN(4)])
						}
						err = u.Exec(ctx)
						done["demographics"]++
					case 5: // a persona edit
						ps := client.Persona.Query().IDsX(ctx)
						lo := 18 + rng.IntN(40)
						err = client.Persona.UpdateOneID(pick(ps)).SetCriteria(personas.Criteria{MinAge: &lo, Countries: []string{"FI", "SE"}[:1+rng.IntN(2)]}).Exec(ctx)
						done["persona"]++
					case 6: // a merge
						a, b := pick(customers), pick(customers)
						if a != b {
							_, err = store.Merge(ctx, client, a, []int{b}, nil)
							done["merge"]++
						}
					case 7: // erasure
						if len(customers) > 60 {
							err = store.DeleteCustomer(ctx, client, pick(customers))
							done["erasure"]++
						}
					}
					if err != nil {
						t.Fatalf("round %d: write: %v", round, err)
					}
				}
				checkAll(t, svc, client, now, fmt.Sprintf("round %d", round))
			}
			t.Logf("writes: %v", done)
		})
	}
}

// checkAll compares every figure with the reference over the raw rows:
// every customer's scores, and every segment (all customers, each persona)
// over windows with and without ends (month starts among them) and over
// series of every interval.
func checkAll(t *testing.T, svc *scores.Service, client *ent.Client, now time.Time, when string) {
	t.Helper()
	ctx := context.Background()
	r := readAll(t, client)
	ids := make([]int, len(r.customers))
	for i, c := range r.customers {
		ids[i] = c.ID
	}
	got, err := svc.Customers(ctx, ids)
	if err != nil {
		t.Fatal(err)
	}
	for i, id := range ids {
		if diff := diffCustomer(got[i], refCustomer(r, id)); diff != "" {
			t.Fatalf("%s, customer %d: %s", when, id, diff)
		}
	}
	year, half, quarter := now.AddDate(-1, 0, 0), now.AddDate(0, -6, 0), now.AddDate(0, -3, 0).Truncate(time.Hour)
	// Windows whose ends are month starts are read from the month summaries.
	month := func(t time.Time) *time.Time { m := time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, time.UTC); return &m }
	windows := []scores.Window{{}, {Since: &year}, {Since: &quarter}, {Until: &half}, {Since: &year, Until: &half},
		{Since: month(year)}, {Until: month(half)}, {Since: month(year), Until: month(quarter)}}
	segments := []struct {
		id *int
		in func(*ent.Customer) bool
	}{{nil, func(*ent.Customer) bool { return true }}}
	for _, p := range r.personas {
		segments = append(segments, struct {
			id *int
			in func(*ent.Customer) bool
		}{&p.ID, func(c *ent.Customer) bool { return member(p, c, now) }})
	}
	for _, s := range segments {
		for _, w := range windows {
			seg, err := svc.Segment(ctx, s.id, w)
			if err != nil {
				t.Fatal(err)
			}
			if diff := diffSegment(seg, refSegment(r, s.in, w)); diff != "" {
				t.Fatalf("%s, segment %v %s:\n%s", when, s.id, showWindow(w), diff)
			}
		}
		for _, i := range []scores.Interval{scores.Week, scores.Month, scores.Quarter, scores.Year} {
			points, err := svc.Series(ctx, i, s.id, now.AddDate(-3, 0, 0), nil)
			if err != nil {
				t.Fatal(err)
			}
			for _, pt := range points {
				if diff := diffSegment(pt.Scores, refSegment(r, s.in, scores.Window{Since: &pt.Start, Until: &pt.End})); diff != "" {
					t.Fatalf("%s, segment %v, %s series point [%s, %s):\n%s", when, s.id, i, pt.Start, pt.End, diff)
				}
			}
		}
	}
}

// Issue 13, point 1: an order moves the segment totals of the day by its
// difference; it neither drops them (each dashboard after a write would
// compute every segment from the summaries again) nor leaves them behind.
func TestAnOrderMovesTheSegmentTotalsRatherThanDroppingThem(t *testing.T) {
	for _, d := range []string{dialect.SQLite, dialect.Postgres} {
		t.Run(d, func(t *testing.T) {
			db := openDB(t, d)
			load(t, db, 60)
			svc := openService(t, db)
			ctx := context.Background()
			ps := db.Client.Persona.Query().AllX(ctx)
			for _, p := range append(ps, nil) {
				var id *int
				if p != nil {
					id = &p.ID
				}
				if _, err := svc.Segment(ctx, id, scores.Window{}); err != nil {
					t.Fatal(err)
				}
			}
			ids := func() []int { return db.Client.SegmentTotal.Query().Order(ent.Asc("id")).IDsX(ctx) }
			before := ids()
			if len(before) != len(ps)+1 {
				t.Fatalf("%d segment totals after reading %d segments", len(before), len(ps)+1)
			}
			customer := db.Client.Customer.Query().FirstIDX(ctx)
			paid := order.StatusPAID
			tx, err := db.Client.Tx(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := store.CreateOrder(ctx, tx.Client(), store.NewOrder{CustomerID: customer, Status: &paid, Channel: order.ChannelWEB,
				Items: []store.Item{{SKU: "S", Name: "N", Quantity: 1, UnitPrice: 1234}}}, "EUR"); err != nil {
				t.Fatal(err)
			}
			if err := tx.Commit(); err != nil {
				t.Fatal(err)
			}
			if after := ids(); fmt.Sprint(after) != fmt.Sprint(before) {
				t.Errorf("segment totals %v after the order, were %v: dropped and computed again", after, before)
			}
			checkAll(t, svc, db.Client, time.Now().UTC(), "after the order")
		})
	}
}

// Issue 13, point 1: an import into stored customers (other demographics,
// more orders and feedback) refreshes their summaries batch by batch and
// leaves every figure exact, the segment totals read before it included.
func TestAnImportIntoStoredCustomersLeavesEveryFigureExact(t *testing.T) {
	for _, d := range []string{dialect.SQLite, dialect.Postgres} {
		t.Run(d, func(t *testing.T) {
			db := openDB(t, d)
			load(t, db, 80)
			svc := openService(t, db)
			now := time.Now().UTC()
			checkAll(t, svc, db.Client, now, "after the first import")
			// Another seed's data for the same customers (and 40 more): new
			// demographics, and orders and feedback of refs of their own.
			l := importer.NewLoader(context.Background(), db, importer.Options{BaseCurrency: "EUR", BatchSize: 500})
			if err := seed.Generate(seed.Config{Customers: 120, Seed: 7, Now: now.Truncate(time.Second)}, renamed{l}); err != nil {
				t.Fatal(err)
			}
			if err := l.Flush(); err != nil {
				t.Fatal(err)
			}
			if s := l.Summary(); s.Rejected > 0 || s.Summaries == 0 {
				t.Fatalf("second import: %s, %+v, summaries took %v", s, s.Rejections, s.Summaries)
			}
			svc.InvalidateAll(context.Background()) // as the app does after an import
			checkAll(t, svc, db.Client, now, "after an import into stored customers")
		})
	}
}

// renamed passes a data set on with its orders' and feedback's refs made
// its own, and the customers' contact points dropped (another seed's would
// collide with stored customers').
type renamed struct{ *importer.Loader }

func (r renamed) Customer(c ndjson.Customer) error {
	c.Email, c.Phone, c.Identities = nil, nil, nil
	return r.Loader.Customer(c)
}

func (r renamed) Order(o ndjson.Order) error {
	o.ExternalRef = "B-" + o.ExternalRef
	return r.Loader.Order(o)
}

func (r renamed) Feedback(f ndjson.Feedback) error {
	f.ExternalRef = "B-" + f.ExternalRef
	if f.OrderRef != nil {
		ref := "B-" + *f.OrderRef
		f.OrderRef = &ref
	}
	return r.Loader.Feedback(f)
}

// Issue 13, point 1: a database whose customers have no summaries (migrated
// from a release without them) gets them all at startup (Backfill), and
// every figure is exact.
func TestStartupBuildsMissingSummaries(t *testing.T) {
	for _, d := range []string{dialect.SQLite, dialect.Postgres} {
		t.Run(d, func(t *testing.T) {
			db := openDB(t, d)
			load(t, db, 60)
			ctx := context.Background()
			for _, table := range []string{"customer_summaries", "customer_months", "month_totals", "segment_totals"} {
				if _, err := db.Client.ExecContext(ctx, "DELETE FROM "+table); err != nil {
					t.Fatal(err)
				}
			}
			if err := scores.Backfill(ctx, db.Client, db.Dialect); err != nil {
				t.Fatal(err)
			}
			if n := db.Client.Summary.Query().CountX(ctx); n != db.Client.Customer.Query().CountX(ctx) {
				t.Fatalf("%d summaries after the backfill", n)
			}
			checkAll(t, openService(t, db), db.Client, time.Now().UTC(), "after the backfill")
		})
	}
}

// Issue 13, point 1: membership changes with birthdays, so a segment total
// is of one day: one of another day (yesterday's) is never served, and the
// day's first read replaces it.
func TestASegmentTotalOfAnotherDayIsNeverServed(t *testing.T) {
	for _, d := range []string{dialect.SQLite, dialect.Postgres} {
		t.Run(d, func(t *testing.T) {
			db := openDB(t, d)
			load(t, db, 60)
			ctx := context.Background()
			p := db.Client.Persona.Query().FirstX(ctx)
			yesterday := date.Of(time.Now().UTC().AddDate(0, 0, -1))
			db.Client.SegmentTotal.Create().SetPersonaID(p.ID).SetDay(string(yesterday)).SetCustomers(999999).SetOrders(999999).ExecX(ctx)
			now := time.Now().UTC()
			got, err := openService(t, db).Segment(ctx, &p.ID, scores.Window{})
			if err != nil {
				t.Fatal(err)
			}
			if diff := diffSegment(got, refSegment(readAll(t, db.Client), func(c *ent.Customer) bool { return member(p, c, now) }, scores.Window{})); diff != "" {
				t.Fatalf("persona %d with yesterday's total stored: %s", p.ID, diff)
			}
			days := db.Client.SegmentTotal.Query().Where(segmenttotal.PersonaID(p.ID)).Select(segmenttotal.FieldDay).StringsX(ctx)
			if len(days) != 1 || days[0] == string(yesterday) {
				t.Fatalf("segment totals of persona %d: days %v, want today's only", p.ID, days)
			}
		})
	}
}

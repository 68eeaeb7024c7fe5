package fault_test

import (
	"context"
	"errors"
	"testing"

	"entgo.io/ent/dialect"

	"github.com/c360/c360/internal/database"
	"github.com/c360/c360/internal/fault"
	"github.com/c360/c360/internal/testservices"
)

func TestMain(m *testing.M) { testservices.Main(m) }

// TestDatabaseRefusalsNameTheirColumn: on both databases, a taken unique
// value, a missing referenced row and a value the column does not take come
// back as faults naming the column where the database tells it.
func TestDatabaseRefusalsNameTheirColumn(t *testing.T) {
	ctx := context.Background()
	for _, d := range []string{dialect.SQLite, dialect.Postgres} {
		t.Run(d, func(t *testing.T) {
			db := testservices.OpenDatabase(t, d, database.Options{})
			exec := func(q string) error {
				_, err := db.Client.ExecContext(ctx, q)
				return err
			}
			const customer = `INSERT INTO customers (created_at, updated_at, kind, relationship, lifecycle_stage, name, email)
				VALUES ('2024-01-01 00:00:00+00:00', '2024-01-01 00:00:00+00:00', 'INDIVIDUAL', 'EXTERNAL', 'PROSPECT', 'A', 'a@example.com')`
			if err := exec(customer); err != nil {
				t.Fatal(err)
			}
			var c *fault.Conflict
			if err := fault.FromDatabase(exec(customer)); !errors.As(err, &c) || c.Field != "email" || c.Column != "email" || c.Reference {
				t.Errorf("a taken email: %#v", err)
			}
			err := fault.FromDatabase(exec(`INSERT INTO orders (created_at, updated_at, status, channel, currency, placed_at, total, customer_id)
				VALUES ('2024-01-01 00:00:00+00:00', '2024-01-01 00:00:00+00:00', 'PAID', 'WEB', 'EUR', '2024-01-01 00:00:00+00:00', 1, 999)`))
			if !errors.As(err, &c) || !c.Reference || (d == dialect.Postgres && c.Column != "customer_id") {
				t.Errorf("an order of a missing customer: %#v", err)
			}
			if d == dialect.Postgres {
				var b *fault.BadInput
				err := fault.FromDatabase(exec(`UPDATE orders SET total = 'x'::bigint`))
				if !errors.As(err, &b) {
					t.Errorf("a value the column does not take: %#v, want a BadInput", err)
				}
			}
			if err := fault.FromDatabase(context.Canceled); err != context.Canceled {
				t.Errorf("an infrastructure failure became %#v", err)
			}
		})
	}
}

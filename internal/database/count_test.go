package database_test

import (
	"context"
	"testing"

	"entgo.io/ent/dialect"

	"github.com/c360/c360/ent/customer"
	"github.com/c360/c360/internal/database"
	"github.com/c360/c360/internal/testservices"
)

// The counter counts each statement once, whichever way it is sent: ent's
// Query and Exec, raw SQL through ExecContext and QueryContext (the read
// planner, the importer), in and out of transactions; starting and ending a
// transaction are no statements.
func TestCounterCountsEveryStatementOnce(t *testing.T) {
	for _, d := range []string{dialect.SQLite, dialect.Postgres} {
		t.Run(d, func(t *testing.T) {
			ctx := context.Background()
			counter := &database.Counter{}
			db, err := database.Open(ctx, testservices.DatabaseURL(t, d), database.Options{Wrap: counter.Wrap})
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			step := func(name string, want int64, run func() error) {
				t.Helper()
				counter.Reset()
				if err := run(); err != nil {
					t.Fatalf("%s: %v", name, err)
				}
				if got := counter.Count(); got != want {
					t.Errorf("%s: %d statements counted, want %d", name, got, want)
				}
			}
			step("ent query", 1, func() error {
				_, err := db.Client.Customer.Query().Where(customer.NameHasPrefix("A")).Count(ctx)
				return err
			})
			step("raw QueryContext", 1, func() error {
				rows, err := db.Client.QueryContext(ctx, "SELECT 1")
				if err == nil {
					err = rows.Close()
				}
				return err
			})
			step("raw ExecContext", 1, func() error {
				_, err := db.Client.ExecContext(ctx, "UPDATE customers SET name = name WHERE id < 0")
				return err
			})
			step("ent update", 1, func() error {
				return db.Client.Customer.Update().Where(customer.ID(-1)).SetName("Aino").Exec(ctx)
			})
			step("transaction: ent update, raw exec and query, commit", 3, func() error {
				tx, err := db.Client.Tx(ctx)
				if err != nil {
					return err
				}
				if err := tx.Customer.Update().Where(customer.ID(-1)).SetName("Aino").Exec(ctx); err != nil {
					_ = tx.Rollback()
					return err
				}
				if _, err := tx.ExecContext(ctx, "UPDATE customers SET name = name WHERE id < 0"); err != nil {
					_ = tx.Rollback()
					return err
				}
				rows, err := tx.QueryContext(ctx, "SELECT count(*) FROM customers")
				if err != nil {
					_ = tx.Rollback()
					return err
				}
				rows.Close()
				return tx.Commit()
			})
			step("rolled back transaction", 1, func() error {
				tx, err := db.Client.Tx(ctx)
				if err != nil {
					return err
				}
				if _, err := tx.Customer.Query().Count(ctx); err != nil {
					return err
				}
				return tx.Rollback()
			})
		})
	}
}

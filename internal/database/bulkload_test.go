package database_test

import (
	"context"
	"slices"
	"testing"

	"entgo.io/ent/dialect"

	entmigrate "github.com/c360/c360/ent/migrate"
	"github.com/c360/c360/internal/database"
	"github.com/c360/c360/internal/testservices"
)

// schemaObjects lists the indexes and (PostgreSQL) foreign keys the database
// has, of those the schema declares.
func schemaObjects(t *testing.T, db *database.DB) []string {
	t.Helper()
	q := "SELECT name FROM sqlite_master WHERE type = 'index'"
	if db.Dialect == dialect.Postgres {
		q = "SELECT indexname FROM pg_indexes WHERE schemaname = current_schema() " +
			"UNION ALL SELECT conname FROM pg_constraint WHERE contype = 'f'"
	}
	rows, err := db.Client.QueryContext(context.Background(), q)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var names []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			t.Fatal(err)
		}
		if slices.Contains(declared(db.Dialect), n) {
			names = append(names, n)
		}
	}
	slices.Sort(names)
	return names
}

func declared(d string) []string {
	var names []string
	for _, t := range entmigrate.Tables {
		for _, i := range t.Indexes {
			names = append(names, i.Name)
		}
		if d == dialect.Postgres {
			for _, fk := range t.ForeignKeys {
				names = append(names, fk.Symbol)
			}
		}
	}
	slices.Sort(names)
	return names
}

// TestAnInterruptedBulkLoadLeavesNothingMissing: a bulk load drops the
// secondary indexes (and PostgreSQL foreign keys) of empty tables; if it
// never gets to restore them, the next Open does, and rows whose parent was
// deleted meanwhile go as ON DELETE says.
func TestAnInterruptedBulkLoadLeavesNothingMissing(t *testing.T) {
	ctx := context.Background()
	for _, d := range []string{dialect.SQLite, dialect.Postgres} {
		t.Run(d, func(t *testing.T) {
			url := testservices.DatabaseURL(t, d)
			db, err := database.Open(ctx, url, database.Options{})
			if err != nil {
				t.Fatal(err)
			}
			if got := schemaObjects(t, db); !slices.Equal(got, declared(d)) {
				t.Fatalf("a new database has %v, want %v", got, declared(d))
			}
			if _, err := db.Client.Persona.Create().SetName("filled").Save(ctx); err != nil {
				t.Fatal(err)
			}
			conn, err := db.WriterConn(ctx)
			if err != nil {
				t.Fatal(err)
			}
			deferred, err := database.BeginBulkLoad(ctx, conn, d, "customers", "orders", "personas")
			conn.Close()
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(deferred, []string{"customers", "orders"}) {
				t.Errorf("deferred %v, want the empty tables with secondary indexes or keys [customers orders]", deferred)
			}
			want := []string{"customerevent_customer_id_occurred_at", "customerevent_occurred_at",
				"feedback_customer_id_submitted_at", "feedback_order_id", "feedback_submitted_at",
				"identity_customer_id", "identity_kind_value", "merge_survivor_id", "monthsummary_customer_id_month", "monthsummary_month", "orderitem_order_id", "segmenttotal_persona_id_day",
				"webhookdelivery_status_queued_next_attempt_at", "webhookdelivery_webhook_id_customer_id_status_event_id",
				"webhookdelivery_webhook_id_event_id"}
			if d == dialect.Postgres {
				want = append(want, "customer_events_customers_events", "feedbacks_customers_feedbacks", "feedbacks_orders_feedbacks",
					"identities_customers_identities", "merges_customers_merges", "order_items_orders_items",
					"webhook_deliveries_customer_events_event", "webhook_deliveries_webhooks_deliveries")
			}
			slices.Sort(want)
			if got := schemaObjects(t, db); !slices.Equal(got, want) {
				t.Errorf("while loading: %v, want those of the tables not deferred %v", got, want)
			}
			// Rows written meanwhile: an order whose customer is deleted
			// before the keys come back.
			c, err := db.Client.Customer.Create().SetName("gone").SetKind("INDIVIDUAL").Save(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := db.Client.Order.Create().SetCustomerID(c.ID).SetChannel("WEB").SetCurrency("EUR").SetTotal(100).Save(ctx); err != nil {
				t.Fatal(err)
			}
			if _, err := db.Client.Customer.Delete().Exec(ctx); err != nil {
				t.Fatal(err)
			}
			db.Close()

			db, err = database.Open(ctx, url, database.Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			if got := schemaObjects(t, db); !slices.Equal(got, declared(d)) {
				t.Errorf("after reopening: %v, want %v", got, declared(d))
			}
			if n, err := db.Client.Order.Query().Count(ctx); err != nil || n != 0 {
				t.Errorf("orders of a deleted customer after reopening: %d, %v; want 0 (ON DELETE CASCADE)", n, err)
			}
		})
	}
}

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

// indexNames lists the indexes the database has, of those the schema declares.
func indexNames(t *testing.T, db *database.DB) []string {
	t.Helper()
	q := "SELECT name FROM sqlite_master WHERE type = 'index'"
	if db.Dialect == dialect.Postgres {
		q = "SELECT indexname FROM pg_indexes WHERE schemaname = current_schema()"
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
		if slices.Contains(schemaIndexes(), n) {
			names = append(names, n)
		}
	}
	slices.Sort(names)
	return names
}

func schemaIndexes() []string {
	var names []string
	for _, t := range entmigrate.Tables {
		for _, i := range t.Indexes {
			names = append(names, i.Name)
		}
	}
	slices.Sort(names)
	return names
}

// TestAnInterruptedBulkLoadLeavesNoIndexMissing: a bulk load drops the
// secondary indexes of empty tables; if it never gets to build them again,
// the next Open does.
func TestAnInterruptedBulkLoadLeavesNoIndexMissing(t *testing.T) {
	ctx := context.Background()
	for _, d := range []string{dialect.SQLite, dialect.Postgres} {
		t.Run(d, func(t *testing.T) {
			url := testservices.DatabaseURL(t, d)
			db, err := database.Open(ctx, url, database.Options{})
			if err != nil {
				t.Fatal(err)
			}
			if got := indexNames(t, db); !slices.Equal(got, schemaIndexes()) {
				t.Fatalf("a new database has indexes %v, want %v", got, schemaIndexes())
			}
			if _, err := db.Client.Persona.Create().SetName("filled").Save(ctx); err != nil {
				t.Fatal(err)
			}
			conn, err := db.WriterConn(ctx)
			if err != nil {
				t.Fatal(err)
			}
			deferred, err := database.DeferIndexes(ctx, conn, "customers", "orders", "personas")
			conn.Close()
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(deferred, []string{"customers", "orders"}) {
				t.Errorf("deferred the indexes of %v, want the empty tables with secondary indexes [customers orders]", deferred)
			}
			want := []string{"feedback_customer_id_submitted_at", "feedback_order_id", "feedback_submitted_at", "orderitem_order_id"}
			if got := indexNames(t, db); !slices.Equal(got, want) {
				t.Errorf("after deferring, indexes %v, want those of the tables not named %v", got, want)
			}
			db.Close()

			db, err = database.Open(ctx, url, database.Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			if got := indexNames(t, db); !slices.Equal(got, schemaIndexes()) {
				t.Errorf("after reopening, indexes %v, want %v", got, schemaIndexes())
			}
		})
	}
}

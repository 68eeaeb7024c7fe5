package database_test

import (
	"context"
	"testing"
	"time"

	"github.com/c360/c360/ent/customer"
	"github.com/c360/c360/internal/database"
	"github.com/c360/c360/internal/testservices"
)

// pgx (the database/sql driver of PostgreSQL) prepares a statement once per
// connection and then only binds and executes it: the server's record of the
// prepared statement keeps the time of the first run.
func TestPostgresStatementsArePreparedOncePerConnection(t *testing.T) {
	ctx := context.Background()
	db, err := database.Open(ctx, testservices.PostgreSQL(t), database.Options{MaxConns: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	count := func() {
		if _, err := db.Client.Customer.Query().Where(customer.NameHasPrefix("Aino")).Count(ctx); err != nil {
			t.Fatal(err)
		}
	}
	prepared := func() (n int, at time.Time) {
		rows, err := db.Client.QueryContext(ctx,
			`SELECT count(*), coalesce(max(prepare_time), now()) FROM pg_prepared_statements WHERE statement LIKE '%"customers"%' AND statement NOT LIKE '%pg_prepared_statements%'`)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		if !rows.Next() {
			t.Fatal("no row")
		}
		if err := rows.Scan(&n, &at); err != nil {
			t.Fatal(err)
		}
		return n, at
	}
	count()
	n, first := prepared()
	if n != 1 {
		t.Fatalf("after one query: %d prepared statements on the connection, want 1", n)
	}
	for range 20 {
		count()
	}
	if n, at := prepared(); n != 1 || !at.Equal(first) {
		t.Fatalf("after 20 more: %d prepared statements, prepared at %v (first %v): want the first one reused", n, at, first)
	}
}

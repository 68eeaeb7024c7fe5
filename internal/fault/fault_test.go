package fault_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"testing"

	_ "github.com/mattn/go-sqlite3"

	"github.com/c360/c360/internal/fault"
)

// sqliteError returns the error SQLite gives for stmt after setup.
func sqliteError(t *testing.T, setup, stmt string) error {
	t.Helper()
	db, err := sql.Open("sqlite3", "file::memory:?_fk=1")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	if _, err := db.Exec(setup); err != nil {
		t.Fatal(err)
	}
	_, err = db.ExecContext(context.Background(), stmt)
	if err == nil {
		t.Fatalf("%s: no error", stmt)
	}
	return err
}

func TestConstraintErrorsAreConflictsNamingTheTakenField(t *testing.T) {
	const schema = `CREATE TABLE customers (id INTEGER PRIMARY KEY, email TEXT UNIQUE, external_ref TEXT UNIQUE);
		CREATE TABLE orders (id INTEGER PRIMARY KEY, customer_id INTEGER NOT NULL REFERENCES customers(id));
		INSERT INTO customers VALUES (1, 'a@example.com', 'r1');`
	for _, tc := range []struct {
		name  string
		err   error
		field string
		msg   string
	}{
		{"SQLite unique email", sqliteError(t, schema, `INSERT INTO customers VALUES (2, 'a@example.com', 'r2')`),
			"email", "email: is already in use"},
		{"SQLite unique externalRef", sqliteError(t, schema, `INSERT INTO customers VALUES (2, 'b@example.com', 'r1')`),
			"externalRef", "externalRef: is already in use"},
		{"SQLite foreign key", sqliteError(t, schema, `INSERT INTO orders VALUES (1, 99)`),
			"", "the change conflicts with existing data"},
		{"PostgreSQL unique email, wrapped", fmt.Errorf("creating customer: %w",
			errors.New(`ERROR: duplicate key value violates unique constraint "customers_email_key" (SQLSTATE 23505)`)),
			"email", "email: is already in use"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var c *fault.Conflict
			got := fault.FromDatabase(tc.err)
			if !errors.As(got, &c) || c.Field != tc.field || got.Error() != tc.msg {
				t.Fatalf("FromDatabase(%v) = %#v, want a Conflict on %q saying %q", tc.err, got, tc.field, tc.msg)
			}
			if !errors.Is(got, tc.err) {
				t.Errorf("the Conflict does not keep the database's error for the log")
			}
		})
	}
}

func TestOtherErrorsPassThroughFromDatabaseUnchanged(t *testing.T) {
	for _, err := range []error{nil, errors.New("connection refused"), context.Canceled,
		&fault.Conflict{Field: "email", Err: errors.New("UNIQUE constraint failed: customers.email")}} {
		if got := fault.FromDatabase(err); got != err {
			t.Errorf("FromDatabase(%v) = %v, want it unchanged", err, got)
		}
	}
}

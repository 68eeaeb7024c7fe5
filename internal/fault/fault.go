// Package fault holds the errors the domain refuses a request with: bad
// input, a missing object, a conflict with stored data, an operation over
// the limits. Each one's Error() is the message the client reads, and Field,
// where there is one, names the input at fault. It knows nothing of GraphQL:
// internal/errcode gives each its extensions.code.
package fault

import (
	"errors"
	"strings"

	"entgo.io/ent/dialect/sql/sqlgraph"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/mattn/go-sqlite3"
)

// BadInput is input a rule refuses. Field is a path into the input
// ("email", "items[1].quantity", a variable's name); Message names it in its
// own words ("email: is not a valid email address").
type BadInput struct {
	Field   string
	Message string
}

func (e *BadInput) Error() string { return e.Message }

// NotFound says which object does not exist ("customer 7").
type NotFound struct{ What string }

func (e *NotFound) Error() string { return e.What + " not found" }

// Conflict is a write the stored data refuses (a unique, foreign-key or
// check constraint). Field names the input whose value is taken, when the
// constraint tells it; Column is the constraint's column where the database
// names it; Reference reports a foreign key (the referenced row does not
// exist). Err is the database's error, for the log only.
type Conflict struct {
	Field, Column string
	Reference     bool
	Err           error
}

func (e *Conflict) Error() string {
	if e.Field == "" {
		return "the change conflicts with existing data"
	}
	return e.Field + ": is already in use"
}

func (e *Conflict) Unwrap() error { return e.Err }

// TooComplex is an operation refused for what it would cost; Message names
// the limit and the measured value.
type TooComplex struct{ Message string }

func (e *TooComplex) Error() string { return e.Message }

// FromDatabase is the one place that reads the database's refusals of a
// write's data. A constraint comes back as a *Conflict (ent wraps a driver
// error in ent.ConstraintError by this same test, sqlgraph.IsConstraintError,
// on the driver's message); a value its column does not take (PostgreSQL's
// data exceptions, SQLite's too big, type mismatch or out of range) as a
// *BadInput naming the column. Anything else, an infrastructure failure or
// a fault already, comes back as it is.
func FromDatabase(err error) error {
	var c *Conflict
	var b *BadInput
	if err == nil || errors.As(err, &c) || errors.As(err, &b) {
		return err
	}
	var pgErr *pgconn.PgError
	var liteErr sqlite3.Error
	if sqlgraph.IsConstraintError(err) {
		c := &Conflict{Field: constraintField(err.Error()), Err: err}
		c.Reference = sqlgraph.IsForeignKeyConstraintError(err)
		switch {
		case errors.As(err, &pgErr):
			c.Column = keyColumn(pgErr.Detail)
		case errors.As(err, &liteErr):
			// "UNIQUE constraint failed: customers.email"; a foreign key
			// failure names nothing.
			if _, col, ok := strings.Cut(liteErr.Error(), "."); ok && !strings.ContainsAny(col, " ,") {
				c.Column = col
			}
		}
		return c
	}
	switch {
	case errors.As(err, &pgErr) && strings.HasPrefix(pgErr.Code, "22"): // class 22: data exception
		return &BadInput{Field: pgErr.ColumnName, Message: columnMessage(pgErr.ColumnName, pgErr.Message)}
	case errors.As(err, &liteErr) && (liteErr.Code == sqlite3.ErrTooBig || liteErr.Code == sqlite3.ErrMismatch || liteErr.Code == sqlite3.ErrRange):
		return &BadInput{Message: liteErr.Error()}
	}
	return err
}

// keyColumn reads the column from PostgreSQL's detail "Key (email)=(x) ...".
func keyColumn(detail string) string {
	if rest, ok := strings.CutPrefix(detail, "Key ("); ok {
		if col, _, ok := strings.Cut(rest, ")"); ok && !strings.Contains(col, ",") {
			return col
		}
	}
	return ""
}

func columnMessage(column, msg string) string {
	if column == "" {
		return msg
	}
	return column + ": " + msg
}

// constraintField names the input field behind a constraint from the
// column or index in the message: SQLite's "UNIQUE constraint failed:
// customers.email", PostgreSQL's `violates unique constraint
// "customers_email_key"`.
func constraintField(msg string) string {
	switch {
	case strings.Contains(msg, "external_ref"):
		return "externalRef"
	case strings.Contains(msg, "email"):
		return "email"
	}
	return ""
}

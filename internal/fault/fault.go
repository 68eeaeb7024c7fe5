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
// constraint tells it; Err is the database's error, for the log only.
type Conflict struct {
	Field string
	Err   error
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

// FromDatabase returns err as a *Conflict when the database refused the
// write for a constraint, and err itself otherwise (a Conflict already,
// or any other failure). It is the one place that reads constraint errors:
// ent wraps a driver error in ent.ConstraintError by this same test
// (sqlgraph.IsConstraintError, on the driver's message).
func FromDatabase(err error) error {
	var c *Conflict
	if err == nil || errors.As(err, &c) || !sqlgraph.IsConstraintError(err) {
		return err
	}
	return &Conflict{Field: constraintField(err.Error()), Err: err}
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

// Package membership computes which customers belong to which personas. It is
// never stored: it is evaluated from the criteria at read time, in SQL for a
// persona's customers and in Go for a customer's personas, so it is right
// after every write and on every birthday.
package membership

import (
	"context"
	"errors"
	"sync"
	"time"

	"entgo.io/ent/dialect/sql"

	"github.com/c360/c360/ent"
	"github.com/c360/c360/ent/customer"
	"github.com/c360/c360/ent/persona"
	"github.com/c360/c360/ent/predicate"
	"github.com/c360/c360/internal/date"
	"github.com/c360/c360/internal/segment"
)

// Today is the evaluation date of ages (UTC).
func Today() date.Date { return date.Of(time.Now().UTC()) }

// Predicate selects the customers who meet the criteria on the given day.
func Predicate(c segment.Criteria, today date.Date) predicate.Customer {
	var ps []predicate.Customer
	if c.MinAge != nil {
		// age >= minAge  <=>  born on or before the minAge-th birthday cut-off
		ps = append(ps, customer.BirthDateLTE(today.YearsBefore(*c.MinAge)))
	}
	if c.MaxAge != nil {
		// age <= maxAge  <=>  not yet maxAge+1
		ps = append(ps, customer.BirthDateGT(today.YearsBefore(*c.MaxAge+1)))
	}
	if len(c.Genders) > 0 {
		ps = append(ps, customer.GenderIn(c.Genders...))
	}
	if len(c.IncomeBands) > 0 {
		ps = append(ps, customer.IncomeBandIn(c.IncomeBands...))
	}
	if len(c.Countries) > 0 {
		ps = append(ps, customer.CountryIn(c.Countries...))
	}
	if len(c.Kinds) > 0 {
		ps = append(ps, customer.KindIn(c.Kinds...))
	}
	if len(ps) == 0 {
		return func(*sql.Selector) {}
	}
	return customer.And(ps...)
}

// ProfileOf extracts what membership looks at.
func ProfileOf(c *ent.Customer) segment.Profile {
	return segment.Profile{BirthDate: c.BirthDate, Gender: c.Gender, IncomeBand: c.IncomeBand, Country: c.Country, Kind: c.Kind}
}

type loaderKey struct{}

// loader reads all personas once per root field, however many customers ask.
type loader struct {
	once     sync.Once
	client   *ent.Client
	personas []*ent.Persona
	err      error
}

// WithLoader returns a context in which PersonasOf shares one persona query.
// The server installs it per root field, so that a mutation's later fields
// see personas an earlier one wrote.
func WithLoader(ctx context.Context, client *ent.Client) context.Context {
	return context.WithValue(ctx, loaderKey{}, &loader{client: client})
}

// PersonasOf returns the personas whose criteria the customer meets today,
// ordered by id.
func PersonasOf(ctx context.Context, c *ent.Customer) ([]*ent.Persona, error) {
	l, _ := ctx.Value(loaderKey{}).(*loader)
	if l == nil {
		return nil, errors.New("membership: no loader in the context (WithLoader)")
	}
	l.once.Do(func() {
		client := ent.FromContext(ctx) // the transaction's client inside a mutation
		if client == nil {
			client = l.client
		}
		l.personas, l.err = client.Persona.Query().Order(persona.ByID()).All(ctx)
	})
	if l.err != nil {
		return nil, l.err
	}
	profile, today := ProfileOf(c), Today()
	out := []*ent.Persona{}
	for _, p := range l.personas {
		if p.Criteria.Matches(profile, today) {
			out = append(out, p)
		}
	}
	return out, nil
}

// Package personas holds what a persona is: its criteria (one type for the ent
// column, the GraphQL type and input, and the NDJSON record), their
// validation, and the membership rule of data-format.md in Go (Matches) and in
// SQL (Predicate, WriteMatch). Membership is never stored: it is evaluated at
// read time, so it is right after every write and on every birthday.
//
// The package depends on nothing generated, because the ent schema imports it.
// Its name is plural because ent generates a package persona: a schema type
// from a package of that name makes ent rename its own, which entgql's
// templates get wrong.
package personas

import (
	"slices"
	"time"

	"github.com/c360/c360/internal/date"
)

// Criteria select a persona's members. Every non-empty criterion must hold; an
// empty list or a missing bound means "any". Empty lists are left out of the
// JSON, as the NDJSON format writes them.
type Criteria struct {
	MinAge      *int         `json:"minAge,omitempty"`
	MaxAge      *int         `json:"maxAge,omitempty"`
	Genders     []Gender     `json:"genders,omitempty"`
	IncomeBands []IncomeBand `json:"incomeBands,omitempty"`
	Countries   []string     `json:"countries,omitempty"`
	Kinds       []Kind       `json:"kinds,omitempty"`
}

// Profile is what membership looks at in a customer.
type Profile struct {
	BirthDate  *date.Date
	Gender     *Gender
	IncomeBand *IncomeBand
	Country    *string
	Kind       Kind
}

// Today is the evaluation date of ages (UTC).
func Today() date.Date { return date.Of(time.Now().UTC()) }

// Matches reports whether a customer belongs to the persona on the given day.
// A customer without a birth date never matches an age bound; a missing
// gender, income band or country never matches a non-empty list.
func (c Criteria) Matches(p Profile, today date.Date) bool {
	if c.MinAge != nil || c.MaxAge != nil {
		if p.BirthDate == nil {
			return false
		}
		age := p.BirthDate.AgeOn(today)
		if (c.MinAge != nil && age < *c.MinAge) || (c.MaxAge != nil && age > *c.MaxAge) {
			return false
		}
	}
	return in(c.Genders, p.Gender) && in(c.IncomeBands, p.IncomeBand) &&
		in(c.Countries, p.Country) && (len(c.Kinds) == 0 || slices.Contains(c.Kinds, p.Kind))
}

func in[T comparable](set []T, v *T) bool {
	return len(set) == 0 || (v != nil && slices.Contains(set, *v))
}

// Normalized returns c with nil lists replaced by empty ones, so that criteria
// compare equal however their empty lists were written.
func (c Criteria) Normalized() Criteria {
	if c.Genders == nil {
		c.Genders = []Gender{}
	}
	if c.IncomeBands == nil {
		c.IncomeBands = []IncomeBand{}
	}
	if c.Countries == nil {
		c.Countries = []string{}
	}
	if c.Kinds == nil {
		c.Kinds = []Kind{}
	}
	return c
}

package personas

import (
	"fmt"
	"slices"

	"github.com/c360/c360/internal/validate"
)

// maxAge bounds the age criteria to something a person can reach.
const maxAge = 150

// Validate checks the criteria against data-format.md. Every write path (the
// ent hook behind the GraphQL mutations, the NDJSON import) calls it; fields
// are reported under "criteria.", as the GraphQL input and the NDJSON record
// name them.
func (c Criteria) Validate() error {
	for _, b := range []struct {
		name string
		v    *int
	}{{"minAge", c.MinAge}, {"maxAge", c.MaxAge}} {
		if b.v != nil && (*b.v < 0 || *b.v > maxAge) {
			return validate.Errorf("criteria."+b.name, "must be between 0 and %d", maxAge)
		}
	}
	if c.MinAge != nil && c.MaxAge != nil && *c.MinAge > *c.MaxAge {
		return validate.Errorf("criteria.maxAge", "must not be less than minAge")
	}
	for i, g := range c.Genders {
		if !slices.Contains(g.Values(), string(g)) {
			return validate.Errorf(fmt.Sprintf("criteria.genders[%d]", i), "%q is not a gender", g)
		}
	}
	for i, b := range c.IncomeBands {
		if !slices.Contains(b.Values(), string(b)) {
			return validate.Errorf(fmt.Sprintf("criteria.incomeBands[%d]", i), "%q is not an income band", b)
		}
	}
	for i, k := range c.Kinds {
		if !slices.Contains(k.Values(), string(k)) {
			return validate.Errorf(fmt.Sprintf("criteria.kinds[%d]", i), "%q is not a customer kind", k)
		}
	}
	for i, cc := range c.Countries {
		if err := validate.Country(cc); err != nil {
			return validate.Errorf(fmt.Sprintf("criteria.countries[%d]", i), "%s", err)
		}
	}
	return nil
}

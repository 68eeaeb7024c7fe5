package graph

import (
	"entgo.io/ent/dialect/sql"

	"github.com/c360/c360/ent/customer"
	"github.com/c360/c360/ent/predicate"
	"github.com/c360/c360/internal/validate"
)

// customerLookup is Query.customer's predicate: exactly one of id,
// externalRef or email (case-insensitive); nil when not exactly one is given.
func customerLookup(id *int, externalRef, email *string) predicate.Customer {
	switch {
	case countSet(id != nil, externalRef != nil, email != nil) != 1:
		return nil
	case id != nil:
		return customer.ID(*id)
	case externalRef != nil:
		return customer.ExternalRef(*externalRef)
	}
	return customer.Email(validate.NormalizeEmail(*email))
}

// CustomerLookup is customerLookup over the coerced arguments of the field,
// for the read planner, which answers Query.customer without its resolver.
func CustomerLookup(args map[string]any) (func(*sql.Selector), bool) {
	id, _ := args["id"].(*int)
	ref, _ := args["externalRef"].(*string)
	email, _ := args["email"].(*string)
	p := customerLookup(id, ref, email)
	return p, p != nil
}

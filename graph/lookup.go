package graph

import (
	"entgo.io/ent/dialect/sql"

	"github.com/c360/c360/ent/customer"
	"github.com/c360/c360/ent/identity"
	"github.com/c360/c360/ent/predicate"
	"github.com/c360/c360/internal/identities"
	"github.com/c360/c360/internal/store"
	"github.com/c360/c360/internal/validate"
)

// customerLookup is Query.customer's predicate: exactly one of id,
// externalRef, email (case-insensitive) or identity (in its kind's normal
// form); a merged customer's finds its survivor (store.LookupID). It refuses
// any other number of arguments, and an identity value the kind cannot take.
func customerLookup(id *int, externalRef, email *string, ident *IdentityLookupInput) (predicate.Customer, error) {
	switch {
	case countSet(id != nil, externalRef != nil, email != nil, ident != nil) != 1:
		return nil, validate.Errorf("id", "give exactly one of id, externalRef, email or identity")
	case id != nil:
		return store.LookupID(*id), nil
	case externalRef != nil:
		return store.LookupExternalRef(*externalRef), nil
	case email != nil:
		return store.LookupEmail(validate.NormalizeEmail(*email)), nil
	}
	v, err := identities.Normalize(ident.Kind.String(), ident.Value)
	if err != nil {
		return nil, validate.Errorf("identity.value", "%s", err)
	}
	return customer.HasIdentitiesWith(identity.KindEQ(ident.Kind), identity.Value(v)), nil
}

// CustomerLookup is customerLookup over the coerced arguments of the field,
// for the read planner, which answers Query.customer without its resolver;
// on a refusal it declines, and the resolver words the error.
func CustomerLookup(args map[string]any) (func(*sql.Selector), bool) {
	id, _ := args["id"].(*int)
	ref, _ := args["externalRef"].(*string)
	email, _ := args["email"].(*string)
	ident, _ := args["identity"].(*IdentityLookupInput)
	p, err := customerLookup(id, ref, email, ident)
	return p, err == nil
}

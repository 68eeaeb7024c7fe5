package store

import (
	"entgo.io/ent/dialect/sql"
	"entgo.io/ent/dialect/sql/sqljson"

	"github.com/c360/c360/ent/customer"
	"github.com/c360/c360/ent/identity"
	"github.com/c360/c360/ent/merge"
	"github.com/c360/c360/ent/predicate"
	"github.com/c360/c360/internal/identities"
)

// The lookups of Query.customer. Each finds at most one live customer: a
// merged customer's id finds its survivor, and so do its email and
// externalRef, which the survivor holds as identities.

// LookupID finds the customer id, or the survivor of a merge that took it.
func LookupID(id int) predicate.Customer {
	return func(s *sql.Selector) {
		d := sql.Dialect(s.Dialect())
		own := d.Select(customer.FieldID).From(sql.Table(customer.Table)).Where(sql.EQ(customer.FieldID, id))
		m := sql.Table(merge.Table)
		survivor := d.Select(m.C(merge.FieldSurvivorID)).From(m).
			Where(sql.And(sql.IsNull(m.C(merge.FieldUndoneAt)), sqljson.ValueContains(m.C(merge.FieldMergedIds), id))).
			OrderBy(sql.Desc(m.C(merge.FieldID))).Limit(1)
		s.Where(coalesce(s.C(customer.FieldID), own, survivor))
	}
}

// LookupField finds the customer whose email or externalRef (the column) is
// value, or else the one holding it as an identity of kind.
func LookupField(column, kind, value string) predicate.Customer {
	return func(s *sql.Selector) {
		d := sql.Dialect(s.Dialect())
		own := d.Select(customer.FieldID).From(sql.Table(customer.Table)).Where(sql.EQ(column, value))
		held := d.Select(identity.FieldCustomerID).From(sql.Table(identity.Table)).
			Where(sql.And(sql.EQ(identity.FieldKind, kind), sql.EQ(identity.FieldValue, value)))
		s.Where(coalesce(s.C(customer.FieldID), own, held))
	}
}

// LookupEmail and LookupExternalRef are LookupField of the two columns.
func LookupEmail(v string) predicate.Customer {
	return LookupField(customer.FieldEmail, identities.Email, v)
}

func LookupExternalRef(v string) predicate.Customer {
	return LookupField(customer.FieldExternalRef, identities.ExternalRef, v)
}

// coalesce is "col = COALESCE((first), (second))": the first subquery's
// answer wins.
func coalesce(col string, first, second *sql.Selector) *sql.Predicate {
	return sql.P(func(b *sql.Builder) {
		b.Ident(col).WriteString(" = COALESCE((").Join(first).WriteString("), (").Join(second).WriteString("))")
	})
}

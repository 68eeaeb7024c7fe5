package store

import (
	"slices"
	"sync"

	"github.com/c360/c360/ent"
	"github.com/c360/c360/ent/customer"
)

// graphQLNames maps each ent type's columns to their GraphQL field names,
// from the schema's generated graph (ent.ReadPlanNodes).
var graphQLNames = sync.OnceValue(func() map[string]map[string]string {
	out := make(map[string]map[string]string, len(ent.ReadPlanNodes))
	for typ, n := range ent.ReadPlanNodes {
		m := make(map[string]string, len(n.Columns))
		for name, c := range n.Columns {
			m[c.Column] = name
		}
		out[typ] = m
	}
	return out
})

// graphQLName returns the GraphQL name of a column of an ent type ("Customer"),
// none for duplicate detection's blocking keys, which GraphQL does not show.
func graphQLName(typ, column string) (string, bool) {
	if slices.Contains(blockingKeys, column) {
		return "", false
	}
	name, ok := graphQLNames()[typ][column]
	return name, ok
}

// blockingKeys are the customer columns duplicate detection keeps; they
// follow the name and the city.
var blockingKeys = []string{customer.FieldMatchName, customer.FieldMatchCity, customer.FieldMatchHead, customer.FieldMatchTail}

package graph

import (
	"cmp"
	"slices"

	"github.com/c360/c360/ent"
)

// byID puts an order's items in id order, the order they were written in and
// the one the compiled reads give: ent loads a list edge without ORDER BY,
// and PostgreSQL may return its rows in any order.
func byID(items []*ent.OrderItem, err error) ([]*ent.OrderItem, error) {
	slices.SortFunc(items, func(a, b *ent.OrderItem) int { return cmp.Compare(a.ID, b.ID) })
	return items, err
}

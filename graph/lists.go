package graph

import (
	"cmp"
	"slices"

	"github.com/c360/c360/ent"
)

// byID puts a list edge (an order's items, a customer's identities) in id
// order, the order they were written in and the one the compiled reads
// give: ent loads a list edge without ORDER BY, and PostgreSQL may return
// its rows in any order.
func byID[T interface {
	*ent.OrderItem | *ent.Identity | *ent.Merge
}](xs []T, err error) ([]T, error) {
	slices.SortFunc(xs, func(a, b T) int { return cmp.Compare(idOf(a), idOf(b)) })
	return xs, err
}

func idOf[T interface {
	*ent.OrderItem | *ent.Identity | *ent.Merge
}](x T) int {
	switch x := any(x).(type) {
	case *ent.OrderItem:
		return x.ID
	case *ent.Identity:
		return x.ID
	case *ent.Merge:
		return x.ID
	}
	return 0
}

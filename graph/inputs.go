package graph

import "github.com/c360/c360/internal/store"

func (in CreateOrderInput) toStore() store.NewOrder {
	o := store.NewOrder{
		ExternalRef: in.ExternalRef, CustomerID: in.CustomerID, Status: in.Status,
		Channel: in.Channel, Currency: in.Currency, PlacedAt: in.PlacedAt,
		Items: make([]store.Item, len(in.Items)),
	}
	for i, it := range in.Items {
		o.Items[i] = store.Item{SKU: it.Sku, Name: it.Name, Category: it.Category, Quantity: it.Quantity, UnitPrice: it.UnitPrice}
	}
	return o
}

func countSet(set ...bool) int {
	n := 0
	for _, s := range set {
		if s {
			n++
		}
	}
	return n
}

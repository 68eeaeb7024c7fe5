package server_test

import (
	"fmt"
	"sort"
	"testing"
	"time"
)

func TestCustomer360RoundTrip(t *testing.T) {
	dialects(t, func(t *testing.T, a *api) {
		names := map[string]string{
			"C-fi": "Päivi Häkkinen", "C-bg": "Цветелина Димитрова", "C-it": "Niccolò Bianchi 🍕",
		}
		ids := map[string]string{}
		for ref, name := range names {
			ids[ref] = a.customer(map[string]any{
				"externalRef": ref, "kind": "INDIVIDUAL", "name": name, "email": "  " + ref + "@Example.FI ",
				"phone": "+358401234567", "birthDate": "1991-04-12", "gender": "FEMALE", "incomeBand": "MIDDLE",
				"country": "FI", "region": "Uusimaa", "city": "Jyväskylä",
			})
		}
		placed := time.Date(2024, 5, 2, 14, 31, 0, 0, time.UTC)
		oid := a.order(ids["C-fi"], placed, "FULFILLED", "19.90", "0.05")
		a.feedback(map[string]any{"customerID": ids["C-fi"], "orderID": oid, "kind": "NPS", "channel": "EMAIL",
			"score": 9, "comment": "Nopea toimitus, kiitos! Бързо 🚀", "language": "fi", "submittedAt": "2024-05-09T08:00:00Z"})

		var out struct {
			Customer struct {
				ID, Name, Email, BirthDate, City, Kind, LifecycleStage string
				Orders                                                 struct {
					TotalCount int
					Edges      []struct {
						Node struct {
							Total, Currency, Status, PlacedAt string
							Items                             []struct {
								Sku, UnitPrice, LineTotal string
								Quantity                  int
							}
							Customer struct{ ID string }
						}
					}
				}
				Feedbacks struct {
					Edges []struct {
						Node struct {
							Score         int
							Comment, Kind string
							Order         struct{ ID string }
							SubmittedAt   string
						}
					}
				}
			}
		}
		a.ok(`query($e: String!) { customer(email: $e) { id name email birthDate city kind lifecycleStage
			orders(first: 5) { totalCount edges { node { total currency status placedAt items { sku quantity unitPrice lineTotal } customer { id } } } }
			feedbacks(first: 5) { edges { node { score comment kind submittedAt order { id } } } } } }`,
			map[string]any{"e": "C-FI@example.fi"}, &out)
		c := out.Customer
		if c.ID != ids["C-fi"] || c.Name != "Päivi Häkkinen" || c.Email != "c-fi@example.fi" || c.BirthDate != "1991-04-12" || c.City != "Jyväskylä" {
			t.Fatalf("customer profile did not round-trip: %+v", c)
		}
		if c.Kind != "INDIVIDUAL" || c.LifecycleStage != "PROSPECT" {
			t.Fatalf("enums/defaults wrong: %+v", c)
		}
		if c.Orders.TotalCount != 1 || len(c.Orders.Edges) != 1 {
			t.Fatalf("orders: %+v", c.Orders)
		}
		o := c.Orders.Edges[0].Node
		// 1 x 19.90 + 2 x 0.05 = 20.00, exact.
		if o.Total != "20.00" || o.Currency != "EUR" || o.Status != "FULFILLED" || o.PlacedAt != "2024-05-02T14:31:00Z" || o.Customer.ID != c.ID {
			t.Fatalf("order: %+v", o)
		}
		if len(o.Items) != 2 || o.Items[1].Quantity != 2 || o.Items[1].UnitPrice != "0.05" || o.Items[1].LineTotal != "0.10" {
			t.Fatalf("items: %+v", o.Items)
		}
		f := c.Feedbacks.Edges[0].Node
		if f.Score != 9 || f.Comment != "Nopea toimitus, kiitos! Бързо 🚀" || f.Kind != "NPS" || f.Order.ID != oid || f.SubmittedAt != "2024-05-09T08:00:00Z" {
			t.Fatalf("feedback: %+v", f)
		}
		for ref, name := range names {
			var byRef struct{ Customer struct{ Name string } }
			a.ok(`query($r: String!) { customer(externalRef: $r) { name } }`, map[string]any{"r": ref}, &byRef)
			if byRef.Customer.Name != name {
				t.Errorf("%s: name %q did not round-trip, got %q", ref, name, byRef.Customer.Name)
			}
		}
		// node and nodes resolve global ids to the right types.
		var nodes struct {
			Node struct {
				Typename string `json:"__typename"`
			}
			Nodes []struct {
				Typename string `json:"__typename"`
				ID       string
			}
		}
		a.ok(`query($c: ID!, $o: ID!) { node(id: $c) { __typename } nodes(ids: [$o, $c]) { __typename id } }`,
			map[string]any{"c": c.ID, "o": oid}, &nodes)
		if nodes.Node.Typename != "Customer" || len(nodes.Nodes) != 2 || nodes.Nodes[0].Typename != "Order" || nodes.Nodes[0].ID != oid {
			t.Fatalf("node/nodes: %+v", nodes)
		}
		a.fails(`{ customer(id: 1, email: "x@example.fi") { id } }`, nil, "BAD_USER_INPUT", "id")
		var none struct{ Customer *struct{ ID string } }
		a.ok(`{ customer(externalRef: "nobody") { id } }`, nil, &none)
		if none.Customer != nil {
			t.Fatalf("unknown customer should be null")
		}
	})
}

type page struct {
	Customers struct {
		TotalCount int
		PageInfo   struct {
			HasNextPage, HasPreviousPage bool
			StartCursor, EndCursor       string
		}
		Edges []struct {
			Cursor string
			Node   struct{ Name string }
		}
	}
}

func (p page) names() []string {
	var out []string
	for _, e := range p.Customers.Edges {
		out = append(out, e.Node.Name)
	}
	return out
}

func TestPaginationFiltersAndOrdering(t *testing.T) {
	dialects(t, func(t *testing.T, a *api) {
		var want []string
		for i := range 25 {
			country := "FI"
			if i%2 == 1 {
				country = "IT"
			}
			name := fmt.Sprintf("Asiakas %02d", i)
			want = append(want, name)
			a.customer(map[string]any{"kind": "INDIVIDUAL", "name": name, "country": country})
		}
		const q = `query($first: Int, $after: Cursor, $last: Int, $before: Cursor, $where: CustomerWhereInput, $dir: OrderDirection!) {
			customers(first: $first, after: $after, last: $last, before: $before, where: $where, orderBy: {field: NAME, direction: $dir}) {
				totalCount pageInfo { hasNextPage hasPreviousPage startCursor endCursor } edges { cursor node { name } } } }`
		// Forward, 10 at a time.
		var got []string
		var after any
		for pages := 0; ; pages++ {
			var p page
			a.ok(q, map[string]any{"first": 10, "after": after, "dir": "ASC"}, &p)
			if p.Customers.TotalCount != 25 {
				t.Fatalf("totalCount %d", p.Customers.TotalCount)
			}
			got = append(got, p.names()...)
			if !p.Customers.PageInfo.HasNextPage {
				if pages != 2 {
					t.Fatalf("expected 3 pages, got %d", pages+1)
				}
				break
			}
			after = p.Customers.PageInfo.EndCursor
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("forward pages:\n got %v\nwant %v", got, want)
		}
		// Backward from the end.
		var back []string
		var before any
		for {
			var p page
			a.ok(q, map[string]any{"last": 10, "before": before, "dir": "ASC"}, &p)
			back = append(p.names(), back...)
			if !p.Customers.PageInfo.HasPreviousPage {
				break
			}
			before = p.Customers.PageInfo.StartCursor
		}
		if fmt.Sprint(back) != fmt.Sprint(want) {
			t.Fatalf("backward pages:\n got %v\nwant %v", back, want)
		}
		// Filters and descending order.
		var p page
		a.ok(q, map[string]any{"first": 100, "dir": "DESC", "where": map[string]any{
			"countryIn": []string{"IT"}, "nameContainsFold": "ASIAKAS 1"}}, &p)
		wantIT := []string{"Asiakas 19", "Asiakas 17", "Asiakas 15", "Asiakas 13", "Asiakas 11"}
		if fmt.Sprint(p.names()) != fmt.Sprint(wantIT) || p.Customers.TotalCount != 5 {
			t.Fatalf("filtered: got %v (total %d), want %v", p.names(), p.Customers.TotalCount, wantIT)
		}
		var notFI page
		a.ok(q, map[string]any{"first": 100, "dir": "ASC", "where": map[string]any{"not": map[string]any{"country": "FI"}}}, &notFI)
		if notFI.Customers.TotalCount != 12 {
			t.Fatalf("not FI: %d", notFI.Customers.TotalCount)
		}
		// Without first/last a page of the default size; above the cap an error.
		var def page
		a.ok(`{ customers { totalCount edges { node { name } } pageInfo { hasNextPage } } }`, nil, &def)
		if len(def.Customers.Edges) != 25 || def.Customers.PageInfo.HasNextPage {
			t.Fatalf("default page: %d edges", len(def.Customers.Edges))
		}
		e := a.fails(`{ customers(first: 1001) { totalCount } }`, nil, "BAD_USER_INPUT", "first")
		if !contains(e.Message, "1000") {
			t.Fatalf("message should name the limit: %s", e.Message)
		}
		a.fails(`{ customers(first: 5) { edges { node { orders(last: 5000) { totalCount } } } } }`, nil, "BAD_USER_INPUT", "last")
		a.fails(`{ customers(first: -1) { totalCount } }`, nil, "BAD_USER_INPUT", "first")
	})
}

func TestOrderingByTimeAndSortedNames(t *testing.T) {
	dialects(t, func(t *testing.T, a *api) {
		id := a.customer(map[string]any{"kind": "BUSINESS", "name": "Rossi S.r.l."})
		base := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
		for _, d := range []int{5, 1, 3} {
			a.order(id, base.AddDate(0, 0, d), "PAID", "1.00")
		}
		var out struct {
			Orders struct {
				Edges []struct{ Node struct{ PlacedAt string } }
			}
		}
		a.ok(`{ orders(first: 10, orderBy: {field: PLACED_AT, direction: DESC}) { edges { node { placedAt } } } }`, nil, &out)
		var got []string
		for _, e := range out.Orders.Edges {
			got = append(got, e.Node.PlacedAt)
		}
		if !sort.IsSorted(sort.Reverse(sort.StringSlice(got))) || len(got) != 3 || got[0] != "2025-01-06T00:00:00Z" {
			t.Fatalf("orders by placedAt desc: %v", got)
		}
		// A filter time in another offset means the same instant (02:00+02:00 = 00:00Z).
		var since struct{ Orders struct{ TotalCount int } }
		a.ok(`{ orders(where: {placedAtGTE: "2025-01-04T02:00:00+02:00"}) { totalCount } }`, nil, &since)
		if since.Orders.TotalCount != 2 {
			t.Fatalf("placedAtGTE with an offset: %d orders, want 2", since.Orders.TotalCount)
		}
	})
}

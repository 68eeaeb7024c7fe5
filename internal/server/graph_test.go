package server_test

import (
	"context"
	"fmt"
	"sort"
	"sync"
	"testing"
	"time"

	"entgo.io/ent/dialect"

	"github.com/c360/c360/internal/date"
)

func TestPersonaMembershipFollowsWrites(t *testing.T) {
	dialects(t, func(t *testing.T, a *api) {
		today := date.Of(time.Now().UTC())
		born := func(age int) string { return string(today.YearsBefore(age)) } // birthday today
		in := a.customer(map[string]any{"kind": "INDIVIDUAL", "name": "Aino", "country": "FI", "incomeBand": "MIDDLE", "birthDate": born(25)})
		old := a.customer(map[string]any{"kind": "INDIVIDUAL", "name": "Bruno", "country": "IT", "incomeBand": "MIDDLE", "birthDate": born(35)})
		nobirth := a.customer(map[string]any{"kind": "INDIVIDUAL", "name": "Cosimo", "country": "IT", "incomeBand": "MIDDLE"})
		biz := a.customer(map[string]any{"kind": "BUSINESS", "name": "Dimitrov EOOD", "country": "BG"})

		var p struct{ CreatePersona struct{ ID string } }
		a.ok(`mutation { createPersona(input: {name: "Young urban professionals", externalRef: "P-young",
			criteria: {minAge: 25, maxAge: 34, incomeBands: [MIDDLE, UPPER_MIDDLE], countries: ["FI", "IT"], kinds: [INDIVIDUAL]}}) { id } }`, nil, &p)
		var all struct{ CreatePersona struct{ ID string } }
		a.ok(`mutation { createPersona(input: {name: "Everyone"}) { id criteria { genders countries } } }`, nil, &all)
		young, everyone := p.CreatePersona.ID, all.CreatePersona.ID

		members := func(persona string) []string {
			var out struct {
				Node struct {
					Customers struct {
						TotalCount int
						Edges      []struct{ Node struct{ ID string } }
					}
				}
			}
			a.ok(`query($id: ID!) { node(id: $id) { ... on Persona { customers(first: 100, orderBy: {field: NAME, direction: ASC}) { totalCount edges { node { id } } } } } }`,
				map[string]any{"id": persona}, &out)
			var ids []string
			for _, e := range out.Node.Customers.Edges {
				ids = append(ids, e.Node.ID)
			}
			if out.Node.Customers.TotalCount != len(ids) {
				t.Fatalf("totalCount %d for %d members", out.Node.Customers.TotalCount, len(ids))
			}
			return ids
		}
		personasOf := func(customer string) []string {
			var out struct {
				Node struct{ Personas []struct{ ID string } }
			}
			a.ok(`query($id: ID!) { node(id: $id) { ... on Customer { personas { id } } } }`, map[string]any{"id": customer}, &out)
			var ids []string
			for _, p := range out.Node.Personas {
				ids = append(ids, p.ID)
			}
			return ids
		}
		check := func(step string, wantYoung []string) {
			t.Helper()
			if got := members(young); fmt.Sprint(got) != fmt.Sprint(wantYoung) {
				t.Fatalf("%s: Persona.customers = %v, want %v", step, got, wantYoung)
			}
			// Customer.personas agrees with Persona.customers for everyone.
			for _, c := range []string{in, old, nobirth, biz} {
				wantP := []string{everyone}
				for _, m := range wantYoung {
					if m == c {
						wantP = []string{young, everyone}
					}
				}
				sort.Strings(wantP)
				got := personasOf(c)
				sort.Strings(got)
				if fmt.Sprint(got) != fmt.Sprint(wantP) {
					t.Fatalf("%s: Customer(%s).personas = %v, want %v", step, c, got, wantP)
				}
			}
			if len(members(everyone)) != 4 {
				t.Fatalf("%s: the empty criteria should match all 4 customers", step)
			}
		}
		check("created", []string{in})
		// A 34-year-old on their birthday is still in; the day they turn 35 is out.
		a.ok(`mutation($id: ID!, $b: Date!) { updateCustomer(id: $id, input: {birthDate: $b}) { id } }`,
			map[string]any{"id": old, "b": born(34)}, nil)
		check("customer moved in", []string{in, old})
		a.ok(`mutation($id: ID!) { updateCustomer(id: $id, input: {country: "BG"}) { id } }`, map[string]any{"id": in}, nil)
		check("customer moved out", []string{old})
		a.ok(`mutation($id: ID!) { updatePersona(id: $id, input: {criteria: {maxAge: 40, kinds: [INDIVIDUAL]}}) { id } }`,
			map[string]any{"id": young}, nil)
		check("persona criteria changed", []string{in, old})
		a.ok(`mutation($id: ID!) { updatePersona(id: $id, input: {criteria: {countries: ["BG"]}}) { id } }`,
			map[string]any{"id": young}, nil)
		check("persona without age bound", []string{in, biz})
		a.ok(`mutation($id: ID!) { deletePersona(id: $id) }`, map[string]any{"id": young}, nil)
		if got := personasOf(in); fmt.Sprint(got) != fmt.Sprint([]string{everyone}) {
			t.Fatalf("deleted persona still listed: %v", got)
		}
	})
}

// The statement count of a nested BI query does not depend on the number of
// customers: no N+1.
func TestNestedQueryStatementsDoNotGrow(t *testing.T) {
	dialects(t, func(t *testing.T, a *api) {
		const q = `{ customers(first: 100, orderBy: {field: NAME, direction: ASC}) { totalCount edges { node {
			name personas { name }
			orders(first: 5, orderBy: {field: PLACED_AT, direction: DESC}) { totalCount edges { node { total items { sku lineTotal } customer { name } } } }
			feedbacks(first: 5) { totalCount edges { node { score order { total } } } }
			timeline(first: 3) { totalCount edges { node { type subject { id } } } } } } } }`
		a.ok(`mutation { createPersona(input: {name: "Finns", criteria: {countries: ["FI"]}}) { id } }`, nil, nil)
		seed := func(from, to int) {
			for i := from; i < to; i++ {
				id := a.customer(map[string]any{"kind": "INDIVIDUAL", "name": fmt.Sprintf("N %03d", i), "country": "FI"})
				for j := range 2 {
					oid := a.order(id, time.Date(2024, 1, 1+j, 0, 0, 0, 0, time.UTC), "PAID", "1.00", "2.00")
					a.feedback(map[string]any{"customerID": id, "orderID": oid, "kind": "NPS", "channel": "EMAIL", "score": 9})
				}
			}
		}
		measure := func() (int64, int) {
			var out struct {
				Customers struct {
					Edges []struct {
						Node struct {
							Orders struct {
								Edges []struct {
									Node struct{ Items []struct{ Sku string } }
								}
							}
						}
					}
				}
			}
			a.counter.Reset()
			a.ok(q, nil, &out)
			n := a.counter.Count()
			items := 0
			for _, c := range out.Customers.Edges {
				for _, o := range c.Node.Orders.Edges {
					items += len(o.Node.Items)
				}
			}
			return n, items
		}
		seed(0, 10)
		n10, items10 := measure()
		seed(10, 100)
		n100, items100 := measure()
		t.Logf("%s: %d statements for 10 customers, %d for 100", a.db.Dialect, n10, n100)
		if items10 != 10*2*2 || items100 != 100*2*2 {
			t.Fatalf("nested items: %d and %d, want 40 and 400", items10, items100)
		}
		if n10 != n100 {
			t.Fatalf("statements grow with customers: %d for 10, %d for 100", n10, n100)
		}
		if n100 > 14 {
			t.Fatalf("%d statements for one nested query; expected a handful", n100)
		}
	})
}

// Concurrent read-then-write mutations never fail with "database is locked".
func TestConcurrentWrites(t *testing.T) {
	dialects(t, func(t *testing.T, a *api) {
		id := a.customer(map[string]any{"kind": "INDIVIDUAL", "name": "Busy Buyer"})
		const n = 50
		var wg sync.WaitGroup
		errs := make(chan string, n)
		for i := range n {
			wg.Go(func() {
				// createOrder reads the customer, then writes the order and its items.
				r := a.do(createOrder, map[string]any{"in": map[string]any{
					"customerID": id, "channel": "STORE", "status": "PAID",
					"items": []any{map[string]any{"sku": fmt.Sprint("S", i), "name": "x", "quantity": 1, "unitPrice": "1.00"}},
				}})
				if len(r.Errors) > 0 || r.status != 200 {
					errs <- r.raw
				}
			})
		}
		wg.Wait()
		close(errs)
		for e := range errs {
			t.Errorf("concurrent write failed: %s", e)
		}
		if got := a.count("orders"); got != n {
			t.Fatalf("%d orders after %d acknowledged writes", got, n)
		}
		if got := a.count("order_items"); got != n {
			t.Fatalf("%d items after %d acknowledged writes", got, n)
		}
		if a.db.Dialect == dialect.SQLite {
			// Direct, out-of-band check that the reader pool sees the writer's commits.
			if c, err := a.db.Client.Order.Query().Count(context.Background()); err != nil || c != n {
				t.Fatalf("reader sees %d orders (%v)", c, err)
			}
		}
	})
}

package server_test

import (
	"strings"
	"testing"
	"time"
)

// Every bad input is refused with BAD_USER_INPUT naming the field, and writes nothing.
func TestBadInputNamesFieldAndWritesNothing(t *testing.T) {
	dialects(t, func(t *testing.T, a *api) {
		c1 := a.customer(map[string]any{"kind": "INDIVIDUAL", "name": "Aino Virtanen", "email": "aino@example.fi", "externalRef": "C-1"})
		c2 := a.customer(map[string]any{"kind": "INDIVIDUAL", "name": "Иван Петров"})
		o2 := a.order(c2, time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC), "PAID", "5.00")
		before := a.counts()

		item := func(over map[string]any) map[string]any {
			it := map[string]any{"sku": "SKU-1", "name": "Moka", "quantity": 1, "unitPrice": "10.00"}
			for k, v := range over {
				it[k] = v
			}
			return it
		}
		order := func(over map[string]any) map[string]any {
			in := map[string]any{"customerID": c1, "channel": "WEB", "items": []any{item(nil)}}
			for k, v := range over {
				in[k] = v
			}
			return map[string]any{"in": in}
		}
		customer := func(over map[string]any) map[string]any {
			in := map[string]any{"kind": "INDIVIDUAL", "name": "Giulia Rossi"}
			for k, v := range over {
				in[k] = v
			}
			return map[string]any{"in": in}
		}
		feedback := func(over map[string]any) map[string]any {
			in := map[string]any{"customerID": c1, "kind": "NPS", "channel": "EMAIL", "score": 8}
			for k, v := range over {
				in[k] = v
			}
			return map[string]any{"in": in}
		}
		persona := func(criteria map[string]any) map[string]any {
			return map[string]any{"in": map[string]any{"name": "P", "criteria": criteria}}
		}
		const createPersona = `mutation($in: CreatePersonaInput!) { createPersona(input: $in) { id } }`
		cases := []struct {
			name, doc string
			vars      map[string]any
			field     string
		}{
			{"email format", createCustomer, customer(map[string]any{"email": "not-an-email"}), "email"},
			{"email unique case-insensitively", createCustomer, customer(map[string]any{"email": "AINO@example.FI"}), "email"},
			{"externalRef unique", createCustomer, customer(map[string]any{"externalRef": "C-1"}), "externalRef"},
			{"phone E.164", createCustomer, customer(map[string]any{"phone": "040 123 4567"}), "phone"},
			{"country ISO alpha-2", createCustomer, customer(map[string]any{"country": "Finland"}), "country"},
			{"country lower case", createCustomer, customer(map[string]any{"country": "fi"}), "country"},
			{"birthDate format", createCustomer, customer(map[string]any{"birthDate": "12.04.1991"}), "birthDate"},
			{"birthDate in the future", createCustomer, customer(map[string]any{"birthDate": "2999-01-01"}), "birthDate"},
			{"name empty", createCustomer, customer(map[string]any{"name": "  "}), "name"},
			{"enum value", createCustomer, customer(map[string]any{"gender": "ROBOT"}), "gender"},
			{"no items", createOrder, order(map[string]any{"items": []any{}}), "items"},
			{"quantity 0", createOrder, order(map[string]any{"items": []any{item(nil), item(map[string]any{"quantity": 0})}}), "items[1].quantity"},
			{"negative price", createOrder, order(map[string]any{"items": []any{item(map[string]any{"unitPrice": "-1.00"})}}), "items[0].unitPrice"},
			{"three decimals", createOrder, order(map[string]any{"items": []any{item(map[string]any{"unitPrice": "1.234"})}}), "items[0].unitPrice"},
			{"price not a number", createOrder, order(map[string]any{"items": []any{item(map[string]any{"unitPrice": "abc"})}}), "items[0].unitPrice"},
			{"foreign currency", createOrder, order(map[string]any{"currency": "USD"}), "currency"},
			{"unknown customer", createOrder, order(map[string]any{"customerID": "999999"}), "customerID"},
			{"NPS above 10", createFeedback, feedback(map[string]any{"score": 11}), "score"},
			{"NPS without score", createFeedback, feedback(map[string]any{"score": nil}), "score"},
			{"CSAT 0", createFeedback, feedback(map[string]any{"kind": "CSAT", "score": 0}), "score"},
			{"SOCIAL above 5", createFeedback, feedback(map[string]any{"kind": "SOCIAL", "score": 6}), "score"},
			{"order of another customer", createFeedback, feedback(map[string]any{"orderID": o2}), "orderID"},
			{"comment too long", createFeedback, feedback(map[string]any{"comment": strings.Repeat("ä", 10001)}), "comment"},
			{"language tag", createFeedback, feedback(map[string]any{"language": "not a tag!"}), "language"},
			{"persona age range", createPersona, persona(map[string]any{"minAge": 40, "maxAge": 30}), "criteria.maxAge"},
			{"persona country", createPersona, persona(map[string]any{"countries": []string{"FI", "XX"}}), "criteria.countries[1]"},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				a := a.with(t)
				e := a.fails(c.doc, c.vars, "BAD_USER_INPUT", c.field)
				if !strings.HasPrefix(e.Message, c.field) {
					t.Errorf("message should start with the field %q: %q", c.field, e.Message)
				}
				if after := a.counts(); after != before {
					t.Fatalf("bad input wrote something: before %s, after %s", before, after)
				}
			})
		}
		// An operation with a good mutation before a bad one writes neither.
		a.fails(`mutation($ok: CreateCustomerInput!, $bad: CreateCustomerInput!) {
			a: createCustomer(input: $ok) { id } b: createCustomer(input: $bad) { id } }`,
			map[string]any{"ok": map[string]any{"kind": "BUSINESS", "name": "Smith Ltd"},
				"bad": map[string]any{"kind": "BUSINESS", "name": "X", "phone": "123"}}, "BAD_USER_INPUT", "phone")
		if after := a.counts(); after != before {
			t.Fatalf("a failed operation kept its first mutation: before %s, after %s", before, after)
		}
		a.fails(`mutation { deleteCustomer(id: 999999) }`, nil, "NOT_FOUND", "")
		a.fails(`mutation { updateOrderStatus(id: 999999, status: PAID) { id } }`, nil, "NOT_FOUND", "")
	})
}

func TestUpdatesAndErasure(t *testing.T) {
	dialects(t, func(t *testing.T, a *api) {
		id := a.customer(map[string]any{"kind": "INDIVIDUAL", "name": "Jukka Mäkinen", "email": "jukka@example.fi", "phone": "+358401111111"})
		other := a.customer(map[string]any{"kind": "INDIVIDUAL", "name": "Mario Rossi"})
		oid := a.order(id, time.Date(2024, 3, 1, 12, 0, 0, 0, time.UTC), "PENDING", "12.50")
		a.order(other, time.Date(2024, 3, 1, 12, 0, 0, 0, time.UTC), "PAID", "1.00")
		a.feedback(map[string]any{"customerID": id, "orderID": oid, "kind": "CSAT", "channel": "CHAT", "score": 4})
		a.feedback(map[string]any{"customerID": id, "kind": "SOCIAL", "channel": "SOCIAL_MEDIA", "comment": "👍"})

		var upd struct {
			UpdateCustomer struct {
				Name, LifecycleStage string
				Email, Phone         *string
			}
		}
		a.ok(`mutation($id: ID!) { updateCustomer(id: $id, input: {name: "Jukka Mäkinen-Virtanen", lifecycleStage: ACTIVE, clearPhone: true, email: "JUKKA.M@example.fi"}) { name lifecycleStage email phone } }`,
			map[string]any{"id": id}, &upd)
		u := upd.UpdateCustomer
		if u.Name != "Jukka Mäkinen-Virtanen" || u.LifecycleStage != "ACTIVE" || u.Phone != nil || u.Email == nil || *u.Email != "jukka.m@example.fi" {
			t.Fatalf("update: %+v", u)
		}
		var st struct {
			UpdateOrderStatus struct{ Status, Total string }
		}
		a.ok(`mutation($id: ID!) { updateOrderStatus(id: $id, status: REFUNDED) { status total } }`, map[string]any{"id": oid}, &st)
		if st.UpdateOrderStatus.Status != "REFUNDED" || st.UpdateOrderStatus.Total != "12.50" {
			t.Fatalf("status update: %+v", st)
		}

		var del struct{ DeleteCustomer string }
		a.ok(`mutation($id: ID!) { deleteCustomer(id: $id) }`, map[string]any{"id": id}, &del)
		if del.DeleteCustomer != id {
			t.Fatalf("deleteCustomer returned %q", del.DeleteCustomer)
		}
		if got, want := a.counts(), "customers=1 orders=1 items=1 feedbacks=0 personas=0"; got != want {
			t.Fatalf("erasure left data: %s, want %s", got, want)
		}
		a.fails(`query($id: ID!) { node(id: $id) { id } }`, map[string]any{"id": oid}, "NOT_FOUND", "")
	})
}

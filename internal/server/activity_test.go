package server_test

import (
	"encoding/json"
	"fmt"
	"slices"
	"testing"
	"time"
)

const timeline = `query($id: ID!, $types: [CustomerEventType!], $first: Int) {
  customer(id: $id) {
    timeline(types: $types, first: $first) {
      totalCount
      edges { node { type summary subject { id __typename } changes { field from to } customer { id } } }
    }
  }
}`

type timelineOut struct {
	Customer struct {
		Timeline struct {
			TotalCount int
			Edges      []struct {
				Node struct {
					Type, Summary string
					Subject       *struct {
						ID       string
						Typename string `json:"__typename"`
					}
					Changes []struct {
						Field    string
						From, To *string
					}
					Customer *struct{ ID string }
				}
			}
		}
	}
}

func (o timelineOut) types() []string {
	var out []string
	for _, e := range o.Customer.Timeline.Edges {
		out = append(out, e.Node.Type)
	}
	return out
}

// TestEveryWriteAppendsItsEventsNewestFirst: creating and updating a
// customer, placing an order and changing its status, and feedback append
// their events in the write's transaction; a detractor's NPS answer that
// becomes the latest is a signal; the timeline lists them newest first,
// filtered by type, with field changes and subjects.
func TestEveryWriteAppendsItsEventsNewestFirst(t *testing.T) {
	dialects(t, func(t *testing.T, a *api) {
		id := a.customer(map[string]any{"kind": "INDIVIDUAL", "name": "Giulia Rossi", "city": "Roma"})
		a.ok(`mutation($id: ID!) { updateCustomer(id: $id, input: {city: "Milano", email: "giulia@example.it"}) { id } }`, map[string]any{"id": id}, nil)
		at := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
		order := a.order(id, time.Now().AddDate(0, 0, -10), "PAID", "10.00") // churnRisk 10; refunded, 90
		a.ok(`mutation($id: ID!) { updateOrderStatus(id: $id, status: REFUNDED) { id } }`, map[string]any{"id": order}, nil)
		a.feedback(map[string]any{"customerID": id, "kind": "NPS", "channel": "EMAIL", "score": 9, "submittedAt": at.Format(time.RFC3339)})
		a.feedback(map[string]any{"customerID": id, "kind": "NPS", "channel": "EMAIL", "score": 3, "submittedAt": at.Add(time.Hour).Format(time.RFC3339)})
		a.feedback(map[string]any{"customerID": id, "kind": "NPS", "channel": "EMAIL", "score": 2, "submittedAt": at.Add(-time.Hour).Format(time.RFC3339)}) // older: no signal

		var out timelineOut
		a.ok(timeline, map[string]any{"id": id}, &out)
		want := []string{"FEEDBACK_RECEIVED", "SIGNAL_NEW_DETRACTOR", "FEEDBACK_RECEIVED", "FEEDBACK_RECEIVED",
			"SIGNAL_CHURN_RISK_HIGH", "ORDER_STATUS_CHANGED", "ORDER_PLACED", "CUSTOMER_UPDATED", "CUSTOMER_CREATED"}
		if got := out.types(); !slices.Equal(got, want) {
			t.Fatalf("timeline = %v, want %v (newest first; the signal right after its answer)", got, want)
		}
		byType := map[string]int{}
		for _, e := range out.Customer.Timeline.Edges {
			byType[e.Node.Type]++
			n := e.Node
			switch n.Type {
			case "CUSTOMER_UPDATED":
				if len(n.Changes) != 2 || n.Changes[0].Field != "city" || *n.Changes[0].From != "Roma" || *n.Changes[0].To != "Milano" ||
					n.Changes[1].Field != "email" || n.Changes[1].From != nil {
					t.Errorf("CUSTOMER_UPDATED changes = %+v, want city Roma → Milano and email null → set", n.Changes)
				}
			case "ORDER_STATUS_CHANGED":
				if n.Subject == nil || n.Subject.ID != order || n.Subject.Typename != "Order" || len(n.Changes) != 1 || *n.Changes[0].To != "REFUNDED" {
					t.Errorf("ORDER_STATUS_CHANGED = %+v, want order %s PAID → REFUNDED", n, order)
				}
			}
			if n.Customer == nil || n.Customer.ID != id {
				t.Errorf("%s event's customer = %+v, want %s", n.Type, n.Customer, id)
			}
		}
		if byType["SIGNAL_NEW_DETRACTOR"] != 1 || byType["FEEDBACK_RECEIVED"] != 3 {
			t.Errorf("events by type %v: want one detractor signal (the 3 became the latest, the 2 did not) and 3 feedback", byType)
		}

		var signals timelineOut
		a.ok(timeline, map[string]any{"id": id, "types": []string{"SIGNAL_NEW_DETRACTOR", "ORDER_PLACED"}}, &signals)
		if got := signals.types(); !slices.Equal(got, []string{"SIGNAL_NEW_DETRACTOR", "ORDER_PLACED"}) {
			t.Errorf("timeline(types:) = %v", got)
		}
		// A failed write leaves no event.
		a.fails(`mutation($id: ID!) { updateCustomer(id: $id, input: {email: "not an email"}) { id } }`, map[string]any{"id": id}, "BAD_USER_INPUT", "email")
		var after timelineOut
		a.ok(timeline, map[string]any{"id": id}, &after)
		if after.Customer.Timeline.TotalCount != len(want) {
			t.Errorf("%d events after a refused update, want %d", after.Customer.Timeline.TotalCount, len(want))
		}
	})
}

// TestMergeAndErasureInTheLog: a merge brings the merged customer's events
// to the survivor and records itself; erasing the survivor keeps its events
// for the audit without the customer and without their field values, and
// records the erasure. Only admins read the audit log.
func TestMergeAndErasureInTheLog(t *testing.T) {
	dialects(t, func(t *testing.T, a *api) {
		shop, support, _ := twoAinos(t, a)
		a.ok(`mutation($id: ID!) { updateCustomer(id: $id, input: {city: "Oulu"}) { id } }`, map[string]any{"id": support}, nil)
		a.ok(mergeCustomers, map[string]any{"s": shop, "m": []string{support}}, nil)
		var out timelineOut
		a.ok(timeline, map[string]any{"id": shop}, &out)
		got := out.types()
		created := 0
		for _, g := range got {
			if g == "CUSTOMER_CREATED" {
				created++
			}
		}
		if got[0] != "CUSTOMER_MERGED" || !slices.Contains(got, "CUSTOMER_UPDATED") || created != 2 {
			t.Errorf("survivor's timeline = %v, want the merge first and both customers' events", got)
		}
		a.ok(`mutation($id: ID!) { deleteCustomer(id: $id) }`, map[string]any{"id": shop}, nil)
		var audit struct {
			Events struct {
				Edges []struct {
					Node struct {
						Type     string
						Customer *struct{ ID string }
						Changes  []struct{ Field string }
					}
				}
			}
		}
		a.ok(`{ events(first: 100) { edges { node { type customer { id } changes { field } } } } }`, nil, &audit)
		e := audit.Events.Edges
		if len(e) == 0 || e[0].Node.Type != "CUSTOMER_ERASED" {
			t.Fatalf("audit log = %+v, want the erasure first", e)
		}
		for _, x := range e {
			if x.Node.Customer != nil && (x.Node.Customer.ID == shop || x.Node.Customer.ID == support) || (x.Node.Type == "CUSTOMER_UPDATED" && len(x.Node.Changes) != 0) {
				t.Errorf("after erasing Aino the audit log still holds %+v", x.Node)
			}
		}
	})
}

// TestOnlyAdminsReadTheAuditLogAndDuplicates: Query.events and
// duplicateCandidates are refused to analysts and viewers.
func TestOnlyAdminsReadTheAuditLogAndDuplicates(t *testing.T) {
	a := newSecuredAPI(t, nil)
	for _, key := range []string{analystKey, viewerKey} {
		for _, q := range []string{`{ events(first: 10) { totalCount } }`, `{ duplicateCandidates(first: 10) { totalCount } }`} {
			r := a.as(key, q, nil)
			if len(r.Errors) == 0 || r.Errors[0].Extensions["code"] != "FORBIDDEN" {
				t.Errorf("%s as %s: %s, want FORBIDDEN", q, key[:12], r.raw)
			}
		}
	}
	if r := a.as(adminKey, `{ events(first: 10) { totalCount } duplicateCandidates(first: 10) { totalCount } }`, nil); len(r.Errors) != 0 {
		t.Errorf("admin: %s", r.raw)
	}
}

// TestPersonaMembershipChangesAreEvents: a customer joins and leaves a
// persona by its own writes and by the persona's (created, edited,
// deleted); a write that changes no membership writes none.
func TestPersonaMembershipChangesAreEvents(t *testing.T) {
	dialects(t, func(t *testing.T, a *api) {
		var p struct{ CreatePersona struct{ ID string } }
		a.ok(`mutation { createPersona(input: {name: "Finns", criteria: {countries: ["FI"]}}) { id } }`, nil, &p)
		id := a.customer(map[string]any{"kind": "INDIVIDUAL", "name": "Aino Virtanen", "country": "FI"})
		other := a.customer(map[string]any{"kind": "INDIVIDUAL", "name": "Mario Rossi", "country": "IT"})
		a.ok(`mutation($id: ID!) { updateCustomer(id: $id, input: {city: "Oulu"}) { id } }`, map[string]any{"id": id}, nil)
		a.ok(`mutation($id: ID!) { updateCustomer(id: $id, input: {country: "IT"}) { id } }`, map[string]any{"id": id}, nil)
		a.ok(`mutation($p: ID!) { updatePersona(id: $p, input: {criteria: {countries: ["IT"]}}) { id } }`, map[string]any{"p": p.CreatePersona.ID}, nil)
		a.ok(`mutation($p: ID!) { deletePersona(id: $p) }`, map[string]any{"p": p.CreatePersona.ID}, nil)
		membership := func(c string) []string {
			var out timelineOut
			a.ok(timeline, map[string]any{"id": c, "types": []string{"PERSONA_JOINED", "PERSONA_LEFT"}}, &out)
			var got []string
			for _, e := range out.Customer.Timeline.Edges {
				got = append(got, e.Node.Type+" "+e.Node.Summary)
			}
			return got
		}
		// Newest first.
		if got, want := membership(id), []string{"PERSONA_LEFT Left persona Finns", "PERSONA_JOINED Joined persona Finns",
			"PERSONA_LEFT Left persona Finns", "PERSONA_JOINED Joined persona Finns"}; !slices.Equal(got, want) {
			t.Errorf("Aino's membership events = %q, want %q", got, want)
		}
		if got, want := membership(other), []string{"PERSONA_LEFT Left persona Finns", "PERSONA_JOINED Joined persona Finns"}; !slices.Equal(got, want) {
			t.Errorf("Mario's membership events = %q, want %q (joined when the persona took Italians)", got, want)
		}
	})
}

// TestAWriteThatMakesChurnRiskHighIsASignal: a detractor's answer that takes
// churnRisk from below 70 to 70 or above writes SIGNAL_CHURN_RISK_HIGH with
// the change; a write that leaves it below, or one already above, does not.
func TestAWriteThatMakesChurnRiskHighIsASignal(t *testing.T) {
	dialects(t, func(t *testing.T, a *api) {
		id := a.customer(map[string]any{"kind": "INDIVIDUAL", "name": "Aino Virtanen"})
		// One order 275 days ago: overdue (275/90 - 1)/3 = 0.69, churnRisk 65 without an NPS answer.
		a.order(id, time.Now().AddDate(0, 0, -275), "PAID", "10.00")
		a.feedback(map[string]any{"customerID": id, "kind": "NPS", "channel": "EMAIL", "score": 9}) // 55: no signal
		a.feedback(map[string]any{"customerID": id, "kind": "NPS", "channel": "EMAIL", "score": 2}) // 75: the signal
		a.feedback(map[string]any{"customerID": id, "kind": "NPS", "channel": "EMAIL", "score": 1}) // 75 already: none
		var out timelineOut
		a.ok(timeline, map[string]any{"id": id, "types": []string{"SIGNAL_CHURN_RISK_HIGH"}}, &out)
		e := out.Customer.Timeline.Edges
		if len(e) != 1 || len(e[0].Node.Changes) != 1 || *e[0].Node.Changes[0].From != "55" || *e[0].Node.Changes[0].To != "75" {
			t.Fatalf("churn signals = %+v, want one, churnRisk 55 → 75", e)
		}
	})
}

// TestTimelinesUnderAListAnswerAsEachAloneInFewStatements: Customer.timeline
// under a list of customers reads every customer's page in one statement
// (one more for totalCount), and each page is what the audit log of that
// customer alone answers, for every way of paging forward and filtering.
func TestTimelinesUnderAListAnswerAsEachAloneInFewStatements(t *testing.T) {
	dialects(t, func(t *testing.T, a *api) {
		at := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
		var ids []string
		for i := range 12 {
			id := a.customer(map[string]any{"kind": "INDIVIDUAL", "name": fmt.Sprintf("Timeline %02d", i)})
			ids = append(ids, id)
			for j := range i % 4 {
				o := a.order(id, at.AddDate(0, 0, j), "PAID", "5.00")
				if j%2 == 1 {
					a.ok(`mutation($id: ID!) { updateOrderStatus(id: $id, status: REFUNDED) { id } }`, map[string]any{"id": o}, nil)
				}
			}
			if i%3 == 0 {
				a.feedback(map[string]any{"customerID": id, "kind": "NPS", "channel": "EMAIL", "score": i % 11})
			}
		}
		const page = `totalCount pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
			edges { cursor node { id type occurredAt summary subject { id } customer { id name } } }`
		type conn = json.RawMessage
		for _, args := range []map[string]any{
			{},
			{"first": 2},
			{"first": 0},
			{"first": 3, "types": []string{"ORDER_PLACED", "ORDER_STATUS_CHANGED"}},
			{"since": at.AddDate(0, 0, 1).Format(time.RFC3339)},
			{"first": 1, "since": at.AddDate(0, 0, 1).Format(time.RFC3339), "types": []string{"ORDER_PLACED"}},
		} {
			vars := map[string]any{"first": args["first"], "types": args["types"], "since": args["since"]}
			var list struct {
				Customers struct {
					Edges []struct {
						Node struct {
							ID       string
							Timeline conn
						}
					}
				}
			}
			a.counter.Reset()
			a.ok(`query($first: Int, $types: [CustomerEventType!], $since: Time) { customers(first: 100, where: {nameHasPrefix: "Timeline"}) {
				edges { node { id timeline(first: $first, types: $types, since: $since) { `+page+` } } } } }`, vars, &list)
			if n := a.counter.Count(); n > 6 {
				t.Errorf("%v: %d statements for the timelines of %d customers; want at most 6, whatever their number", args, n, len(list.Customers.Edges))
			}
			if len(list.Customers.Edges) != len(ids) {
				t.Fatalf("%d customers listed, want %d", len(list.Customers.Edges), len(ids))
			}
			check := func(id string, got conn, vars map[string]any) {
				var alone struct{ Events conn }
				a.ok(`query($id: ID!, $first: Int, $after: Cursor, $types: [CustomerEventType!], $since: Time) {
					events(customerID: $id, first: $first, after: $after, types: $types, since: $since) { `+page+` } }`, vars, &alone)
				if string(got) != string(alone.Events) {
					t.Errorf("%v: customer %s's timeline under the list\n%s\nwant, as the audit log answers alone,\n%s", vars, id, got, alone.Events)
				}
			}
			for _, e := range list.Customers.Edges {
				check(e.Node.ID, e.Node.Timeline, map[string]any{"id": e.Node.ID, "first": vars["first"], "types": vars["types"], "since": vars["since"]})
			}
			// The next page, from each customer's end cursor.
			if vars["first"] == 2 {
				for _, e := range list.Customers.Edges {
					var c struct{ PageInfo struct{ EndCursor *string } }
					if err := json.Unmarshal(e.Node.Timeline, &c); err != nil || c.PageInfo.EndCursor == nil {
						continue
					}
					var next struct {
						Customer struct{ Timeline conn }
					}
					v := map[string]any{"id": e.Node.ID, "first": 2, "after": *c.PageInfo.EndCursor}
					a.ok(`query($id: ID!, $first: Int, $after: Cursor) { customer(id: $id) { timeline(first: $first, after: $after) { `+page+` } } }`, v, &next)
					check(e.Node.ID, next.Customer.Timeline, map[string]any{"id": e.Node.ID, "first": 2, "after": v["after"]})
				}
			}
		}
	})
}

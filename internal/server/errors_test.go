package server_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"entgo.io/ent/dialect"

	"github.com/c360/c360/internal/config"
)

// identifiers are the GraphQL names a request spells out.
var identifier = regexp.MustCompile(`[_A-Za-z][_0-9A-Za-z]*`)

// quotedNames are the names inside double quotes of an error message.
var quotedNames = regexp.MustCompile(`"([^"]*)"`)

// public are names any GraphQL schema has: knowing them tells nothing.
var public = map[string]bool{"Query": true, "Mutation": true, "Subscription": true,
	"String": true, "Int": true, "Float": true, "Boolean": true, "ID": true}

// unrequestedNames returns the names quoted in msg that the request (its
// document and variables) does not spell out: schema names it leaks.
func unrequestedNames(msg, query string, vars map[string]any) []string {
	v, _ := json.Marshal(vars)
	asked := map[string]bool{}
	for _, n := range identifier.FindAllString(query+" "+string(v), -1) {
		asked[n] = true
	}
	var leaked []string
	for _, q := range quotedNames.FindAllStringSubmatch(msg, -1) {
		for _, n := range identifier.FindAllString(q[1], -1) {
			if !asked[n] && !public[n] {
				leaked = append(leaked, n)
			}
		}
	}
	return leaked
}

// Contract: with FIELD_SUGGESTIONS off, validation suggests nothing: no "Did
// you mean" and no schema name the request did not spell out, for any kind of
// misspelled name, so the schema cannot be recovered with introspection off.
func TestSuggestionsOffSuggestNothing(t *testing.T) {
	cases := []struct {
		name, query string
		vars        map[string]any
	}{
		{"argument", `{ customers(wher: {nameContainsFold: "a"}) { totalCount } }`, nil},
		{"argument of a mutation", `mutation { updateOrderStatus(id: 1, statu: PAID) { id } }`, nil},
		{"input field", `{ customers(first: 1, where: {emailContain: "a"}) { totalCount } }`, nil},
		{"input field in a variable", `query($w: CustomerWhereInput) { customers(where: $w) { totalCount } }`,
			map[string]any{"w": map[string]any{"emailContain": "a"}}},
		{"enum value", `mutation { updateOrderStatus(id: 1, status: PAYED) { id } }`, nil},
		{"enum value as a string", `mutation { updateOrderStatus(id: 1, status: "PAID") { id } }`, nil},
		{"enum value in a variable", `mutation($s: OrderStatus!) { updateOrderStatus(id: 1, status: $s) { id } }`,
			map[string]any{"s": "PAYED"}},
		{"value of another type", `{ customers(first: "ten") { totalCount } }`, nil},
		{"type of a variable", `query($w: CustomerWhereInpt) { customers(where: $w) { totalCount } }`, nil},
		{"type of a fragment", `{ customers(first: 1) { edges { node { ...f } } } } fragment f on Custmer { name }`, nil},
		{"type of an inline fragment", `{ node(id: 1) { ... on Custmer { name } } }`, nil},
		{"directive argument", `{ customers(first: 1) @include(if: true, iff: true) { totalCount } }`, nil},
		{"field", `{ customers(first: 1) { edges { node { nam } } } }`, nil},
		{"subselection", `{ customers(first: 1) { edges } }`, nil},
	}
	off := newAPIWith(t, dialect.SQLite, func(c *config.Config) { c.FieldSuggestions = false })
	on := newAPIWith(t, dialect.SQLite, func(c *config.Config) { c.FieldSuggestions = true })
	suggested := 0
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			for _, e := range refused(t, off.with(t).do(c.query, c.vars)) {
				if strings.Contains(e.Message, "Did you mean") {
					t.Errorf("suggestion with suggestions off: %q", e.Message)
				}
				if leaked := unrequestedNames(e.Message, c.query, c.vars); len(leaked) > 0 {
					t.Errorf("message names %v, which the request does not: %q", leaked, e.Message)
				}
				if f, ok := e.Extensions["field"].(string); ok {
					if leaked := unrequestedNames(`"`+f+`"`, c.query, c.vars); len(leaked) > 0 {
						t.Errorf("extensions.field names %v, which the request does not: %q", leaked, f)
					}
				}
			}
			if strings.Contains(on.with(t).do(c.query, c.vars).raw, "Did you mean") {
				suggested++
			}
		})
	}
	// The same table with suggestions on does suggest: the test can fail.
	if suggested < 5 {
		t.Errorf("with suggestions on only %d cases suggest something", suggested)
	}
}

// errorLog records the ERROR lines written while it is installed as slog's default.
type errorLog struct {
	mu    sync.Mutex
	lines []string
	next  slog.Handler
}

func (l *errorLog) Enabled(ctx context.Context, lv slog.Level) bool {
	return lv >= slog.LevelError || l.next.Enabled(ctx, lv)
}

func (l *errorLog) Handle(ctx context.Context, r slog.Record) error {
	if r.Level >= slog.LevelError {
		l.mu.Lock()
		l.lines = append(l.lines, r.Message)
		l.mu.Unlock()
	}
	return l.next.Handle(ctx, r)
}

func (l *errorLog) WithAttrs(as []slog.Attr) slog.Handler {
	return &errorLog{next: l.next.WithAttrs(as)} // not used by the server
}

func (l *errorLog) WithGroup(g string) slog.Handler { return &errorLog{next: l.next.WithGroup(g)} }

func captureErrors(t *testing.T) *errorLog {
	prev := slog.Default()
	l := &errorLog{next: prev.Handler()}
	slog.SetDefault(slog.New(l))
	t.Cleanup(func() { slog.SetDefault(prev) })
	return l
}

// Contract: FORBIDDEN for what the caller may not do. A refused introspection
// query is the client's refusal, answered 200 with FORBIDDEN, not an internal
// error logged at ERROR.
func TestIntrospectionOffIsForbidden(t *testing.T) {
	a := newAPIWith(t, dialect.SQLite, func(c *config.Config) { c.Introspection = false })
	for _, q := range []string{
		`{ __schema { types { name } } }`,
		`{ __type(name: "Customer") { fields { name } } }`,
		`query IntrospectionQuery { __schema { queryType { name } } customers(first: 1) { totalCount } }`,
	} {
		log := captureErrors(t)
		r := a.with(t).do(q, nil)
		if r.status != 200 || len(r.Errors) == 0 {
			t.Fatalf("%s: expected 200 with an error, got %d %s", q, r.status, r.raw)
		}
		for _, e := range r.Errors {
			if e.Extensions["code"] != "FORBIDDEN" || !strings.Contains(e.Message, "introspection") {
				t.Errorf("%s: expected FORBIDDEN naming introspection, got %s", q, r.raw)
			}
		}
		log.mu.Lock()
		if len(log.lines) > 0 {
			t.Errorf("%s: logged at ERROR: %q", q, log.lines)
		}
		log.mu.Unlock()
	}
	// __typename is not introspection and still answers.
	a.ok(`{ __typename }`, nil, nil)
}

// Contract: BAD_USER_INPUT with extensions.field naming the offending input
// field. An ID that is not one is the client's bad input, said in the
// product's words, wherever an ID is taken, as a literal or a variable.
func TestBadIDIsBadUserInputNamingTheArgument(t *testing.T) {
	a := newAPI(t, dialect.SQLite)
	item := map[string]any{"sku": "S", "name": "N", "quantity": 1, "unitPrice": "1.00"}
	cases := []struct {
		name, query string
		vars        map[string]any
		field, bad  string
	}{
		{"node literal", `{ node(id: "abc") { id } }`, nil, "id", "abc"},
		{"node variable", `query($id: ID!) { node(id: $id) { id } }`, map[string]any{"id": "abc"}, "id", "abc"},
		{"node out of range", `{ node(id: "99999999999999999999") { id } }`, nil, "id", "99999999999999999999"},
		{"nodes", `{ nodes(ids: ["1", "x1"]) { id } }`, nil, "ids[1]", "x1"},
		{"nodes variable", `query($ids: [ID!]!) { nodes(ids: $ids) { id } }`, map[string]any{"ids": []string{"1", "x1"}}, "ids[1]", "x1"},
		{"customer", `{ customer(id: "abc") { id } }`, nil, "id", "abc"},
		{"insights", `{ insights(personaID: "p-1") { customerCount } }`, nil, "personaID", "p-1"},
		{"where idIn", `{ customers(first: 1, where: {idIn: ["1", "x"]}) { totalCount } }`, nil, "where.idIn[1]", "x"},
		{"nodes variable element", `query($ids: [ID!]!) { nodes(ids: $ids) { id } }`, map[string]any{"ids": []any{"abc"}}, "ids[0]", "abc"},
		{"where idIn variable", `query($w: CustomerWhereInput) { customers(first: 1, where: $w) { totalCount } }`,
			map[string]any{"w": map[string]any{"idIn": []string{"x"}}}, "where.idIn[0]", "x"},
		{"mutation argument", `mutation { deleteCustomer(id: "abc") }`, nil, "id", "abc"},
		{"mutation input literal", `mutation { createOrder(input: {customerID: "x", channel: WEB, items: [{sku: "S", name: "N", quantity: 1, unitPrice: "1.00"}]}) { id } }`, nil, "customerID", "x"},
		{"mutation input variable", createOrder, map[string]any{"in": map[string]any{"customerID": "x", "channel": "WEB", "items": []any{item}}}, "customerID", "x"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := a.with(t).fails(c.query, c.vars, "BAD_USER_INPUT", c.field)
			if want := c.field + `: "` + c.bad + `" is not a valid ID`; e.Message != want {
				t.Errorf("message %q, want %q", e.Message, want)
			}
		})
	}
}

// goKind is a Go reflect kind as gqlparser prints it.
var goKind = regexp.MustCompile(`\b(map|slice|bool|int|int32|int64|float32|float64)\b`)

// Contract: internal errors never leak SQL, stack traces or file paths; nor
// does bad input answer with the Go library that refused it.
func TestBadInputNeverShowsGoInternals(t *testing.T) {
	a := newAPI(t, dialect.SQLite)
	leaks := []string{"strconv", "parsing", "ent:", "json:", ".go", "msgpack", "base64", "invalid syntax", "Atoi", "unmarshal"}
	cases := []struct {
		name, query string
		vars        map[string]any
	}{
		{"ID", `{ node(id: "abc") { id } }`, nil},
		{"ID out of range", `{ node(id: "99999999999999999999") { id } }`, nil},
		{"ID as a number in a variable", `query($id: ID!) { node(id: $id) { id } }`, map[string]any{"id": 1.5}},
		{"ID as an object in a variable", `query($id: ID!) { node(id: $id) { id } }`, map[string]any{"id": map[string]any{"a": 1}}},
		{"cursor", `{ customers(first: 1, after: "zzz") { totalCount } }`, nil},
		{"cursor base64 of garbage", `{ customers(first: 1, after: "bm90IG1zZ3BhY2s=") { totalCount } }`, nil},
		{"cursor variable", `query($c: Cursor) { customers(first: 1, after: $c) { totalCount } }`, map[string]any{"c": 12}},
		{"Int out of range", `{ customers(first: 99999999999999999999) { totalCount } }`, nil},
		{"Int variable out of range", `query($n: Int) { customers(first: $n) { totalCount } }`, map[string]any{"n": 1e20}},
		{"Int variable fraction", `query($n: Int) { customers(first: $n) { totalCount } }`, map[string]any{"n": 1.5}},
		{"Time", `mutation { createOrder(input: {customerID: 1, channel: WEB, placedAt: "yesterday", items: [{sku: "S", name: "N", quantity: 1, unitPrice: "1.00"}]}) { id } }`, nil},
		{"Time as a number", `query($t: Time) { insights(since: $t) { customerCount } }`, map[string]any{"t": 12}},
		{"Date", `{ customers(first: 1, where: {birthDateGT: "2024-13-45"}) { totalCount } }`, nil},
		{"Decimal", `mutation { createOrder(input: {customerID: 1, channel: WEB, items: [{sku: "S", name: "N", quantity: 1, unitPrice: "1e999"}]}) { id } }`, nil},
		{"Decimal overflow", `mutation { createOrder(input: {customerID: 1, channel: WEB, items: [{sku: "S", name: "N", quantity: 1, unitPrice: "99999999999999999999999.00"}]}) { id } }`, nil},
		{"String variable as a boolean", `query($e: String) { customers(first: 1, where: {emailContains: $e}) { totalCount } }`, map[string]any{"e": true}},
		{"input variable as a string", `query($w: CustomerWhereInput) { customers(first: 1, where: $w) { totalCount } }`, map[string]any{"w": "x"}},
		{"list variable as an object", `query($ids: [ID!]!) { nodes(ids: $ids) { id } }`, map[string]any{"ids": []any{map[string]any{}}}},
		{"ID in a where input", `{ customers(first: 1, where: {idGT: "one"}) { totalCount } }`, nil},
		{"unknown customer", `mutation { deleteCustomer(id: 999999) }`, nil},
		{"unknown order", `mutation { updateOrderStatus(id: 999999, status: PAID) { id } }`, nil},
		{"update unknown customer", `mutation { updateCustomer(id: 999999, input: {name: "X"}) { id } }`, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := a.with(t).do(c.query, c.vars)
			for _, e := range refused(t, r) {
				if strings.HasPrefix(e.Message, "[") {
					t.Errorf("message names an element but not its variable: %q", e.Message)
				}
				if m := goKind.FindString(e.Message); m != "" {
					t.Errorf("message names Go's kind %q: %q", m, e.Message)
				}
				if strings.Contains(e.Message, "value 0") || strings.Contains(e.Message, "9223372036854775807") {
					t.Errorf("message shows a value the request did not send: %q", e.Message)
				}
				for _, l := range leaks {
					if strings.Contains(strings.ToLower(e.Message), strings.ToLower(l)) {
						t.Errorf("message shows %q: %q", l, e.Message)
					}
				}
				if e.Extensions["code"] == "INTERNAL_SERVER_ERROR" {
					t.Errorf("bad input answered as an internal error: %s", r.raw)
				}
			}
		})
	}
}

// refused returns the errors of a request that must fail, logging their
// messages.
func refused(t *testing.T, r result) []gqlError {
	t.Helper()
	if len(r.Errors) == 0 {
		t.Fatalf("expected an error: %s", r.raw)
	}
	for _, e := range r.Errors {
		t.Log(e.Message)
	}
	return r.Errors
}

// One operation gets one body: errors from concurrently resolved list
// elements come sorted by path, and a refused filter names the same input
// every time (compiled reads are held to byte-identical answers, issue 9).
func TestErrorsComeInAFixedOrder(t *testing.T) {
	a := newSecuredAPI(t, nil)
	for i := range 30 {
		a.as(adminKey, createCustomer, map[string]any{"in": map[string]any{"kind": "INDIVIDUAL",
			"name": "Asiakas " + strings.Repeat("x", i%3), "email": "c" + strings.Repeat("y", i) + "@example.fi", "city": "Oulu"}})
	}
	for _, q := range []string{
		`{ customers(first: 30) { edges { node { email city name } } } }`,
		`{ customers(first: 5, where: {emailContains: "y", cityNEQ: "Oulu", phoneIsNil: true, regionIsNil: true}) { totalCount } }`,
	} {
		first := a.as(viewerKey, q, nil)
		if len(first.Errors) == 0 {
			t.Fatalf("expected refusals: %s", first.raw)
		}
		for range 20 {
			if r := a.as(viewerKey, q, nil); r.raw != first.raw {
				t.Fatalf("%s answered two ways:\n%.1500s\n%.1500s", q, first.raw, r.raw)
			}
		}
	}
	r := a.as(viewerKey, `{ customers(first: 30) { edges { node { email city } } } }`, nil)
	if p := r.Errors[0].Path; len(p) != 5 || p[2] != float64(0) || p[4] != "city" {
		t.Fatalf("errors are not sorted by path: %s", r.raw)
	}
}

// Contract: BAD_USER_INPUT naming the argument. A cursor is only good for the
// ordering that made it: one of another orderBy (or of another connection)
// is refused, on every connection, root or nested, on both read paths; an
// empty nested filter (not: {}, hasCustomerWith: [{}]) is refused too, where
// PostgreSQL answered both with an internal error.
func TestCursorsOfAnotherOrderingAndEmptyNestedFiltersAreBadInput(t *testing.T) {
	dialects(t, func(t *testing.T, a *api) {
		var ids []string
		for _, n := range []string{"Cursor C", "Cursor A", "Cursor B"} {
			id := a.customer(map[string]any{"kind": "INDIVIDUAL", "name": n})
			ids = append(ids, id)
			a.order(id, time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC), "PAID", "3.00")
		}
		endCursor := func(q string) string {
			var out struct {
				Customers struct{ PageInfo struct{ EndCursor string } }
			}
			a.ok(q, nil, &out)
			return out.Customers.PageInfo.EndCursor
		}
		byName := endCursor(`{ customers(first: 1, orderBy: {field: NAME, direction: ASC}) { edges { cursor } pageInfo { endCursor } } }`)
		byID := endCursor(`{ customers(first: 1) { edges { cursor } pageInfo { endCursor } } }`)
		byCreated := endCursor(`{ customers(first: 1, orderBy: {field: CREATED_AT, direction: ASC}) { edges { cursor } pageInfo { endCursor } } }`)

		var next struct {
			Customers struct {
				Edges []struct{ Node struct{ Name string } }
			}
		}
		a.ok(`query($c: Cursor) { customers(first: 1, after: $c, orderBy: {field: NAME, direction: ASC}) { edges { node { name } } } }`,
			map[string]any{"c": byName}, &next)
		if len(next.Customers.Edges) != 1 || next.Customers.Edges[0].Node.Name != "Cursor B" {
			t.Fatalf("the page after %q by name = %+v, want Cursor B", "Cursor A", next)
		}
		for _, c := range []struct {
			name, query string
			cursor      string
			field       string
		}{
			{"a name cursor, ordered by id", `query($c: Cursor) { customers(first: 1, after: $c) { edges { node { id } } } }`, byName, "after"},
			{"an id cursor, ordered by name", `query($c: Cursor) { customers(last: 1, before: $c, orderBy: {field: NAME, direction: ASC}) { edges { node { id } } } }`, byID, "before"},
			{"a time cursor, ordered by name", `query($c: Cursor) { customers(first: 1, after: $c, orderBy: {field: NAME, direction: ASC}) { edges { node { id } } } }`, byCreated, "after"},
			{"a name cursor, nested orders", `query($id: ID!, $c: Cursor) { customer(id: $id) { orders(first: 1, after: $c) { edges { node { id } } } } }`, byName, "after"},
			{"a name cursor, webhooks", `query($c: Cursor) { webhooks(first: 1, after: $c) { edges { node { id } } } }`, byName, "after"},
			{"an id cursor, timeline", `query($id: ID!, $c: Cursor) { customer(id: $id) { timeline(first: 1, after: $c) { edges { node { type } } } } }`, byID, "after"},
			{"an id cursor, listed timelines", `query($c: Cursor) { customers(first: 3) { edges { node { timeline(first: 1, after: $c) { edges { node { type } } } } } } }`, byID, "after"},
		} {
			t.Run(c.name, func(t *testing.T) {
				e := a.with(t).fails(c.query, map[string]any{"c": c.cursor, "id": ids[0]}, "BAD_USER_INPUT", c.field)
				if !strings.Contains(e.Message, "cursor of another ordering") {
					t.Errorf("message %q does not say the cursor is of another ordering", e.Message)
				}
			})
		}
		for _, c := range []struct{ name, query, field string }{
			{"not", `{ customers(where: {not: {}}) { totalCount } }`, "where.not"},
			{"and", `{ customers(where: {and: [{nameIn: []}]}) { totalCount } }`, "where.and"},
			{"has with", `{ orders(where: {hasCustomerWith: [{}]}) { totalCount } }`, "where.hasCustomerWith"},
			{"nested", `{ customers(where: {hasOrdersWith: [{not: {}}]}) { totalCount } }`, "where.hasOrdersWith.not"},
		} {
			t.Run("empty filter "+c.name, func(t *testing.T) {
				a.with(t).fails(c.query, nil, "BAD_USER_INPUT", c.field)
			})
		}
		// An empty filter at the top is no filter.
		var all struct{ Customers struct{ TotalCount int } }
		a.ok(`{ customers(where: {}) { totalCount } }`, nil, &all)
		if all.Customers.TotalCount != len(ids) {
			t.Errorf("customers(where: {}) counted %d, want all %d", all.Customers.TotalCount, len(ids))
		}
	})
}

package querylimit_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/99designs/gqlgen/graphql/executor"

	"github.com/c360/c360/internal/errcode"
	"github.com/c360/c360/internal/hostileinput"
	"github.com/c360/c360/internal/querylimit"
)

// Issue 8, item 2: relation filters are priced, each has…With level
// multiplying what it holds, so a 6-level filter (10 s of SQLite on 10,000
// customers) is refused before any SQL, literal or in variables.
func TestNestedRelationFiltersArePricedBeforeAnySQL(t *testing.T) {
	exec := newExecutor()
	refused := []struct {
		name, query string
		vars        map[string]any
		want        string
	}{
		{"6 has…With levels (literal)", `{ customers(first: 10, where: ` + hostileinput.HasWith(6) + `) { edges { node { name } } } }`, nil,
			"query cost 7541379341 exceeds the limit of 500000"},
		{"6 has…With levels (variables)", `query($w: CustomerWhereInput) { customers(first: 10, where: $w) { edges { node { name } } } }`,
			map[string]any{"w": map[string]any{"hasOrdersWith": []any{map[string]any{"hasCustomerWith": []any{map[string]any{"hasOrdersWith": map[string]any{
				"hasCustomerWith": map[string]any{"hasOrdersWith": map[string]any{"hasCustomerWith": map[string]any{"nameContainsFold": "zz"}}}}}}}}}},
			"query cost 7541379341 exceeds the limit of 500000"},
		{"4 has…With levels", `{ customers(first: 10, where: ` + hostileinput.HasWith(4) + `) { totalCount } }`, nil,
			"query cost 8379321 exceeds the limit of 500000"},
		{"a filter on a nested connection counts per parent", `{ customers(first: 1000) { edges { node {
			orders(first: 1, where: ` + hostileinput.HasWith(3)[len("{hasOrdersWith: "):len(hostileinput.HasWith(3))-1] + `) { totalCount } } } } }`, nil,
			"query cost 9314001 exceeds the limit of 500000"},
		{"600 or terms (literal)", `{ customers(first: 1, where: {or: [` + strings.Repeat(`{name: "x"} `, 600) + `]}) { totalCount } }`, nil,
			`the where filter of "customers" has 600 terms, more than the limit of 500`},
		{"999 or terms (variables; SQLite: expression tree is too large)", filtered, map[string]any{"w": map[string]any{"or": names(999)}},
			`the where filter of "customers" has 999 terms, more than the limit of 500`},
	}
	for _, tc := range refused {
		t.Run(tc.name, func(t *testing.T) {
			m := run(exec, tc.query, tc.vars)
			if len(m.errs) != 1 || code(m.errs[0]) != errcode.QueryTooComplex || m.errs[0].Message != tc.want {
				t.Fatalf("got %v, want QUERY_TOO_COMPLEX %q", m.errs, tc.want)
			}
		})
	}
	allowed := []struct {
		name, query string
		vars        map[string]any
		cost        int
	}{
		// customers 1 + filter 10 + 10 x (edges 1 + node 1 + name 1).
		{"one predicate", `{ customers(first: 10, where: {nameContainsFold: "zz"}) { edges { node { name } } } }`, nil, 1 + 10 + 30},
		// 10 + 30 x (10 + 30 x (10 + 30 x 10)) = 279,310.
		{"3 has…With levels", `{ customers(first: 10, where: ` + hostileinput.HasWith(3) + `) { edges { node { name } } } }`, nil, 1 + 279310 + 30},
		{"and, or and not add", `{ customers(first: 10, where: {and: [{countryIn: ["FI", "IT"]}, {or: [{kind: INDIVIDUAL}, {not: {name: "x"}}]}]}) { totalCount } }`, nil,
			1 + 30 + 10},
		{"500 or terms", filtered, map[string]any{"w": map[string]any{"or": names(500)}}, 1 + 5000 + 30},
		{"null filter", filtered, map[string]any{"w": nil}, 1 + 30},
		{"BI pull page", `query BIPullPage($after: Cursor) {
			customers(first: 100, after: $after, where: {countryIn: ["FI", "IT"], lifecycleStageNEQ: PROSPECT}, orderBy: {field: NAME, direction: ASC}) {
			totalCount pageInfo { hasNextPage endCursor }
			edges { node { id name orders(first: 10) { edges { node { total items { sku } } } } } } } }`, nil, 0},
	}
	for _, tc := range allowed {
		t.Run(tc.name, func(t *testing.T) { allowedAt(t, exec, tc.query, tc.vars, tc.cost) })
	}
}

// Issue 8, item 6: aggregates are priced by the work they cause: 30 aliases
// of Persona.scores(since:) with distinct values (3-5 s) are refused, the
// product's queries are not.
func TestAggregatesArePricedByTheirWork(t *testing.T) {
	exec := newExecutor()
	aliases := func(n int) string {
		var b strings.Builder
		for i := range n {
			fmt.Fprintf(&b, "s%d: scores(since: \"2024-01-%02dT00:00:00Z\") { orderCount revenue } ", i, i+1)
		}
		return `query($p: ID!) { node(id: $p) { ... on Persona { ` + b.String() + ` } } }`
	}
	m := run(exec, aliases(30), map[string]any{"p": "1"})
	// node 1 + 30 x (scores 20,000 + 2).
	if len(m.errs) != 1 || code(m.errs[0]) != errcode.QueryTooComplex || m.errs[0].Message != "query cost 600061 exceeds the limit of 500000" {
		t.Fatalf("30 aliases of Persona.scores: %v", m.errs)
	}
	for _, tc := range []struct {
		name, query string
		cost        int
	}{
		{"24 aliases of Persona.scores", aliases(24), 1 + 24*20002},
		{"insights and a page of customers' scores (README)", `query Insights {
			insights(since: "2026-01-01T00:00:00Z") { customerCount buyerCount orderCount revenue averageOrderValue
				repeatPurchaseRate npsResponses promoters passives detractors nps averageCsat csatSatisfiedShare }
			customers(first: 100) { edges { node { name
				scores { orderCount lifetimeValue averageOrderValue lastOrderAt repeatCustomer latestNps npsCategory averageCsat loyaltyScore churnRisk } } } } }`,
			20000 + 13 + 1 + 100*(1+1+1+10+10)},
		{"personas with members (README)", `query PersonasWithMembers { personas(first: 10) { edges { node { name
			criteria { minAge maxAge countries kinds } customers(first: 5) { totalCount edges { node { name birthDate } } } } } } }`, 0},
		// Without a window: one row of a segment total each (allTimeCost).
		{"a page of 20 personas' figures", `{ personas(first: 20) { edges { node { name scores { customerCount revenue nps } } } } }`, 1 + 20*(1+1+1+1000+3)},
		{"customer 360", customer360, 0},
	} {
		t.Run(tc.name, func(t *testing.T) { allowedAt(t, exec, tc.query, map[string]any{"p": "1", "id": "1"}, tc.cost) })
	}
}

// allowedAt asserts the query passes the limits at the given cost (0: any).
func allowedAt(t *testing.T, exec *executor.Executor, query string, vars map[string]any, want int) {
	t.Helper()
	m := run(exec, query, vars)
	if len(m.errs) != 0 {
		t.Fatalf("refused: %v", m.errs)
	}
	cost, _ := m.rc.Stats.GetExtension(querylimit.StatsExtension).(int)
	t.Logf("cost %d", cost)
	if want != 0 && cost != want {
		t.Errorf("cost = %d, want %d", cost, want)
	}
}

package querylimit_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/c360/c360/graph"
	"github.com/c360/c360/internal/errcode"
	"github.com/c360/c360/internal/querylimit"
)

// Issue 10, item 6: one walk finds what the page-size walk and the cost walk
// found apart — the first page size out of range (by the path of response
// names, through aliases and fragments), the connections that take the
// default page size, and the cost — and stops at a refused page size, whose
// error wins over the cost's as it did.
func TestOneWalkChecksPageSizesAndPrices(t *testing.T) {
	schema := graph.NewExecutableSchema(graph.Config{Resolvers: &graph.Resolver{}}).Schema()
	ids := make([]any, 1001)
	for i := range ids {
		ids[i] = "1"
	}
	for _, tc := range []struct {
		name, query string
		vars        map[string]any
		cost        int    // when accepted
		defaults    string // aliases of the connections given the default page, sorted
		err         string // "CODE field: message" when refused
	}{
		{"default page", `{customers{edges{node{id}}}}`, nil, 301, "customers", ""},
		{"first and last: the larger", `{customers(first: 3, last: 7){totalCount}}`, nil, 8, "", ""},
		{"null variable takes the default", `query($n: Int){customers(first: $n){totalCount}}`, map[string]any{"n": nil}, 101, "customers", ""},
		// customers 1 + 2 x (edges 1 + node 1 + F) + c2 1 + 3 x (2 + F), F =
		// orders 1 + 100 x totalCount 1: a fragment spread twice is walked
		// once and priced at every spread.
		{"fragment spread twice", `{customers(first: 2){edges{node{...F}}} c2: customers(first: 3){edges{node{...F}}}}
			fragment F on Customer { orders { totalCount } }`, nil, 207 + 310, "orders", ""},
		{"nodes by ids", `query($ids: [ID!]!){nodes(ids: $ids){id}}`, map[string]any{"ids": ids[:3]}, 1 + 3, "", ""},
		{"first above the maximum", `{customers(first: 1001){totalCount}}`, nil, 0, "",
			"BAD_USER_INPUT first: customers: first must be between 0 and 1000, got 1001"},
		{"nested last above the maximum", `{customers(first: 5){edges{node{orders(last: 5000){totalCount}}}}}`, nil, 0, "",
			"BAD_USER_INPUT last: customers.edges.node.orders: last must be between 0 and 1000, got 5000"},
		{"negative first in a fragment, aliased", `{c: customers(first: 2){edges{node{...F}}}}
			fragment F on Customer { o: orders(first: -1) { totalCount } }`, nil, 0, "",
			"BAD_USER_INPUT first: c.edges.node.o: first must be between 0 and 1000, got -1"},
		{"too many ids", `query($ids: [ID!]!){nodes(ids: $ids){id}}`, map[string]any{"ids": ids}, 0, "",
			"BAD_USER_INPUT ids: nodes: at most 1000 ids at once, got 1001"},
		{"a page size out of range wins over the cost", `{a: customers(first: 1000){edges{node{orders(first: 1000){totalCount}}}} b: customers(first: 1001){totalCount}}`, nil, 0, "",
			"BAD_USER_INPUT first: b: first must be between 0 and 1000, got 1001"},
		{"cost above the maximum", `{customers(first: 1000){edges{node{orders(first: 1000){totalCount}}}}}`, nil, 0, "",
			"QUERY_TOO_COMPLEX : query cost 1003001 exceeds the limit of 500000"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			doc, errs := gqlparser.LoadQuery(schema, tc.query)
			if errs != nil {
				t.Fatal(errs)
			}
			rc := &graphql.OperationContext{Doc: doc, Operation: doc.Operations[0], Variables: tc.vars}
			var defaults []string
			e := querylimit.NewCheck(limits).Operation(rc, func(f *ast.Field, _ map[string]any, defaultPage bool) {
				if defaultPage {
					defaults = append(defaults, f.Alias)
				}
			})
			got := ""
			if e != nil { // as the client sees it: the presenter gives refusals their codes
				e = errcode.NewPresenter(false)(graphql.WithOperationContext(context.Background(), rc), e)
				field, _ := e.Extensions["field"].(string)
				got = fmt.Sprint(code(e), " ", field, ": ", e.Message)
			}
			if got != tc.err {
				t.Fatalf("error %q, want %q", got, tc.err)
			}
			if e != nil && code(e) == errcode.BadUserInput {
				return
			}
			slices.Sort(defaults)
			if d := strings.Join(defaults, " "); d != tc.defaults {
				t.Errorf("default pages %q, want %q", d, tc.defaults)
			}
			if cost, _ := rc.Stats.GetExtension(querylimit.StatsExtension).(int); e == nil && cost != tc.cost {
				t.Errorf("cost %d, want %d", cost, tc.cost)
			}
		})
	}
}

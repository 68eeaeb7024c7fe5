package server

import (
	"context"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2"

	"github.com/c360/c360/graph"
	"github.com/c360/c360/internal/auth"
	"github.com/c360/c360/internal/config"
	"github.com/c360/c360/internal/querylimit"
)

// ruleFields walks query as role and returns "alias:rule" for every field
// fieldRules would act on, sorted.
func ruleFields(t *testing.T, role auth.Role, query string, vars map[string]any) []string {
	t.Helper()
	schema := graph.NewExecutableSchema(graph.Config{Resolvers: &graph.Resolver{}}).Schema()
	doc, errs := gqlparser.LoadQuery(schema, query)
	if errs != nil {
		t.Fatalf("%s: %v", query, errs)
	}
	rc := &graphql.OperationContext{Doc: doc, Operation: doc.Operations[0], Variables: vars}
	marker := graphql.FieldMiddleware(func(ctx context.Context, next graphql.Resolver) (any, error) { return next(ctx) })
	rc.ResolverMiddleware = marker
	ctx := auth.WithPrincipal(context.Background(), auth.Principal{Role: role})
	limits := config.Defaults().Limits
	check := querylimit.NewCheck(limits)
	if err := (fieldRules{check: check, defaultPage: limits.DefaultPageSize}).MutateOperationContext(ctx, rc); err != nil {
		t.Fatal(err)
	}
	w := ruleWalk{refuseWrites: !role.CanWrite(), refuseProbes: !role.SeesPersonalData()}
	if err := check.Operation(rc, w.field); err != nil {
		t.Fatal(err)
	}
	var out []string
	for f, r := range w.rules {
		name := f.Alias
		if r&ruleRefuse != 0 {
			out = append(out, name+":refuse")
		}
		if r&ruleDefaultPage != 0 {
			out = append(out, name+":default-page")
		}
	}
	sort.Strings(out)
	// The operation's middleware is wrapped only when some field has a rule.
	if wrapped := reflect.ValueOf(rc.ResolverMiddleware).Pointer() != reflect.ValueOf(marker).Pointer(); wrapped != (len(out) > 0) {
		t.Fatalf("%s: middleware wrapped %v with rules %v", query, wrapped, out)
	}
	return out
}

// The benchmark's operations, page sizes given, by a role that may do
// everything: no field of the response goes through any middleware.
func TestOrdinaryOperationsRunWithoutFieldMiddleware(t *testing.T) {
	for _, q := range []string{
		`{ customers(first: 100) { edges { node { id name email orders(first: 10) { edges { node { id items { sku } } } } feedbacks(first: 10) { edges { node { comment order { id } } } } } } } }`,
		`query($ref: String!) { customer(externalRef: $ref) { id email personas { id name } orders(first: 20, orderBy: {field: PLACED_AT, direction: DESC}) { totalCount } } }`,
		`mutation { createCustomer(input: {kind: BUSINESS, name: "x"}) { id } }`,
	} {
		if got := ruleFields(t, auth.RoleAdmin, q, map[string]any{"ref": "C-1"}); len(got) != 0 {
			t.Errorf("%s: rules %v", q, got)
		}
	}
}

// The walk finds what the field middleware refused: writes, and personal
// data in arguments, through fragments, aliases, variables and nesting.
func TestRefusedFieldsAreFoundBeforeTheOperationRuns(t *testing.T) {
	const q = `query($w: OrderWhereInput) {
		ok: customers(first: 5) { edges { node { ...F } } }
		probe: customers(first: 5, orderBy: {field: BIRTH_DATE, direction: ASC}) { totalCount }
	}
	fragment F on Customer { name o: orders(first: 5, where: $w) { totalCount } plain: orders(first: 5) { totalCount } }`
	vars := map[string]any{"w": map[string]any{"hasCustomerWith": []any{map[string]any{"phoneHasPrefix": "+358"}}}}
	for _, role := range []auth.Role{auth.RoleViewer, auth.RoleAnalyst} {
		if got, want := strings.Join(ruleFields(t, role, q, vars), " "), "o:refuse probe:refuse"; got != want {
			t.Errorf("%s: %s, want %s", role, got, want)
		}
	}
	if got := ruleFields(t, auth.RoleAdmin, q, vars); len(got) != 0 {
		t.Errorf("admin: %v", got)
	}
	const m = `mutation { ...W } fragment W on Mutation { a: deleteCustomer(id: "1") __typename }`
	if got, want := strings.Join(ruleFields(t, auth.RoleAnalyst, m, nil), " "), "a:refuse"; got != want {
		t.Errorf("mutation: %s, want %s", got, want)
	}
}

// A connection given neither first nor last (absent, or a null variable)
// gets the default page size; one given either does not.
func TestConnectionsWithoutPageSizeGetTheDefault(t *testing.T) {
	const q = `query($n: Int, $m: Int) {
		a: customers { edges { node { o: orders { totalCount } f: feedbacks(last: 3) { totalCount } } } }
		b: customers(first: $n) { totalCount }
		c: customers(first: $m) { totalCount }
	}`
	got := strings.Join(ruleFields(t, auth.RoleAdmin, q, map[string]any{"n": nil, "m": 7}), " ")
	if want := "a:default-page b:default-page o:default-page"; got != want {
		t.Fatalf("%s, want %s", got, want)
	}
	fc := &graphql.FieldContext{Args: map[string]any{"first": (*int)(nil), "last": (*int)(nil)}}
	defaultPageSize(fc, 100)
	if n, _ := fc.Args["first"].(*int); n == nil || *n != 100 {
		t.Fatalf("first after the default: %v", fc.Args["first"])
	}
}

package querylimit_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/executor"
	"github.com/99designs/gqlgen/graphql/handler/extension"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
	"github.com/vektah/gqlparser/v2/lexer"

	"github.com/c360/c360/graph"
	"github.com/c360/c360/internal/config"
	"github.com/c360/c360/internal/errcode"
	"github.com/c360/c360/internal/fault"
	"github.com/c360/c360/internal/querylimit"
)

// newExecutor returns gqlgen's executor over the c360 schema with both
// extensions and the error presenter, as the server installs them.
// Resolvers are never called: only CreateOperationContext (parse, validate,
// mutators) runs.
func newExecutor() *executor.Executor {
	exec := executor.New(graph.NewExecutableSchema(graph.Config{Resolvers: &graph.Resolver{}}))
	exec.SetErrorPresenter(errcode.NewPresenter(false))
	exec.Use(extension.Introspection{})
	exec.Use(querylimit.NewPrecheck(limits))
	exec.Use(check{querylimit.NewCheck(limits)})
	return exec
}

// limits are the server's, as configured by an empty environment.
var limits = config.Defaults().Limits

// check installs querylimit.Check as the server's field rules do, without
// their visitor.
type check struct{ c *querylimit.Check }

func (check) ExtensionName() string                   { return "Check" }
func (check) Validate(graphql.ExecutableSchema) error { return nil }
func (c check) MutateOperationContext(_ context.Context, rc *graphql.OperationContext) *gqlerror.Error {
	return c.c.Operation(rc, nil)
}

type measured struct {
	rc      *graphql.OperationContext
	errs    gqlerror.List
	elapsed time.Duration
	alloc   uint64
}

func run(exec *executor.Executor, q string, vars map[string]any, op ...string) measured {
	params := &graphql.RawParams{Query: q, Variables: vars}
	if len(op) > 0 {
		params.OperationName = op[0]
	}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	start := time.Now()
	ctx := graphql.StartOperationTrace(context.Background())
	rc, errs := exec.CreateOperationContext(ctx, params)
	elapsed := time.Since(start)
	runtime.ReadMemStats(&after)
	if errs != nil {
		// As the client sees them: the presenter gives refusals their codes.
		errs = exec.DispatchError(graphql.WithOperationContext(ctx, rc), errs).Errors
	}
	return measured{rc: rc, errs: errs, elapsed: elapsed, alloc: after.TotalAlloc - before.TotalAlloc}
}

func code(e *gqlerror.Error) any { return e.Extensions["code"] }

// nest nests path (field names separated by spaces) n times around leaf.
func nest(path, leaf string, n int) string {
	fields := strings.Fields(path)
	return strings.Repeat(strings.Join(fields, "{")+"{", n) + leaf + strings.Repeat("}", n*len(fields))
}

const (
	biPull = `{customers(first:1000){edges{node{
		orders(first:10){edges{node{items{sku}}}}
		feedbacks(first:10){edges{node{score}}}}}}}`
	costBomb = `{customers(first:1000){edges{node{orders(first:1000){edges{node{items{sku}}}}}}}}`
)

func hostile() []struct{ name, query, want string } {
	var aliases, fields, directives, flood strings.Builder
	for i := range 500 {
		fmt.Fprintf(&aliases, "a%d: __typename ", i)
	}
	for range 8000 {
		fields.WriteString("name ")
	}
	for range 50000 {
		directives.WriteString(" @include(if: true)")
	}
	for range 16000 {
		flood.WriteString("__typename ")
	}
	// F0 spreads F1 twice, F1 spreads F2 twice...: 2^40 fields once expanded.
	var laughs strings.Builder
	laughs.WriteString("{...F0}")
	for i := range 40 {
		fmt.Fprintf(&laughs, " fragment F%d on Query {...F%d ...F%d}", i, i+1, i+1)
	}
	laughs.WriteString(" fragment F40 on Query {__typename}")
	var ops strings.Builder
	for i := range 21 {
		fmt.Fprintf(&ops, "query Q%d { __typename } ", i)
	}
	// F0 spreads F1, which spreads F2...: gqlgen walks each fragment with
	// all it reaches, n²/2 in all.
	var chain strings.Builder
	chain.WriteString("{...F0}")
	for i := range 1800 {
		fmt.Fprintf(&chain, " fragment F%d on Query {...F%d}", i, i+1)
	}
	chain.WriteString(" fragment F1800 on Query {__typename}")
	var distinct, distinctDefs strings.Builder
	for i := range 300 {
		fmt.Fprintf(&distinct, "...F%d ", i)
		fmt.Fprintf(&distinctDefs, "fragment F%d on Customer {id} ", i)
	}

	return []struct{ name, query, want string }{
		{"depth bomb", "{customers{edges{node{" + nest("orders edges node customer", "id", 7) + "}}}}",
			"query depth 32 exceeds the limit of 15"},
		{"alias bomb", "{" + aliases.String() + "}", "query has 500 aliased fields, more than the limit of 30"},
		{"field count bomb (8,000 repeated name)", "{customers(first:1){edges{node{" + fields.String() + "}}}}",
			"query selects 8003 fields (fragments expanded), more than the limit of 2000"},
		{"directive flood (50,000)", "{__typename" + directives.String() + "}", "query exceeds the limit of 15000 tokens"},
		{"directive flood under the token limit", "{__typename" + strings.Repeat(" @include(if: true)", 60) + "}",
			"query has 60 directives, more than the limit of 50"},
		{"fragment cycle", `{customers{edges{node{...A}}}} fragment A on Customer {...B} fragment B on Customer {...A}`,
			"query has a fragment cycle: A -> B -> A"},
		{"self-spreading fragment", `{customer(id:"1"){...A}} fragment A on Customer {name ...A}`,
			"query has a fragment cycle: A -> A"},
		{"circular introspection", "{__schema{types{" + nest("fields type", "name", 10) + "}}}",
			"query depth 23 exceeds the limit of 15"},
		{"introspection ofType bomb", `{__type(name:"Customer"){` + nest("ofType", "name", 40) + "}}",
			"query depth 42 exceeds the limit of 15"},
		{"fragment expansion bomb (2^40)", laughs.String(),
			"query selects 1099511627776 fields (fragments expanded), more than the limit of 2000"},
		{"cost bomb (1000 x 1000)", costBomb, "query cost 8003001 exceeds the limit of 500000"},
		{"token flood", "{" + flood.String() + "}", "query exceeds the limit of 15000 tokens"},
		{"too many operations", ops.String(), "document has 21 operations, more than the limit of 20"},
		// Within MaxFields, but quadratic (or worse) in gqlgen's validation:
		{"1,990 repeated fields (0.2 to 0.5 s in gqlgen)", "{customers(first:1){edges{node{" + strings.Repeat("name ", 1990) + "}}}}",
			`validating the query would compare 1979055 pairs of repeated selections, more than the limit of 20000 (field "name" selected 1990 times at customers.edges.node)`},
		{"44 x 44 repeated nested fields", "{customers(first:1){edges{node{" + strings.Repeat("scores{"+strings.Repeat("orderCount ", 44)+"} ", 44) + "}}}}",
			`validating the query would compare 1874026 pairs of repeated selections, more than the limit of 20000 (field "orderCount" selected 1936 times at customers.edges.node.scores)`},
		{"repeated fields in an unused fragment", "{__typename} fragment X on Customer {" + strings.Repeat("name ", 1990) + "}",
			`validating the query would compare 1979055 pairs of repeated selections, more than the limit of 20000 (field "name" selected 1990 times at the top level)`},
		{"repeats in nested inline fragments (20 s in gqlgen)", "{" + strings.Repeat("__typename ...{", 900) + "__typename" + strings.Repeat("}", 901),
			`validating the query would compare 244620600 pairs of repeated selections, more than the limit of 20000 (field "__typename" selected 901 times at the top level)`},
		{"inline fragments nested 900 deep", "{" + strings.Repeat("...{", 900) + "__typename" + strings.Repeat("}", 901),
			"validating the query would compare 405450 pairs of repeated selections, more than the limit of 20000 (inline fragments nested 900 deep)"},
		{"300 fragments spread at one place", "{customers(first:1){edges{node{" + distinct.String() + "}}}} " + distinctDefs.String(),
			"validating the query would compare 224250 pairs of repeated selections, more than the limit of 20000 (fragments spread 300 times at customers.edges.node)"},
		{"fragment chain of 1,800 (1 s in gqlgen)", chain.String(),
			"query expands to 1624503 selections (fields, fragment spreads and inline fragments of every operation and fragment, fragments expanded), more than the limit of 64000"},
	}
}

func TestHostileQueriesAreRefusedQuickly(t *testing.T) {
	for _, tc := range hostile() {
		t.Run(tc.name, func(t *testing.T) {
			m := run(newExecutor(), tc.query, nil)
			t.Logf("%d bytes: %v, %d KB allocated", len(tc.query), m.elapsed, m.alloc>>10)
			if len(m.errs) != 1 {
				t.Fatalf("want one error, got %v", m.errs)
			}
			if got := code(m.errs[0]); got != errcode.QueryTooComplex {
				t.Errorf("code = %v, want %s (%s)", got, errcode.QueryTooComplex, m.errs[0].Message)
			}
			if m.errs[0].Message != tc.want {
				t.Errorf("message = %q, want %q", m.errs[0].Message, tc.want)
			}
			if m.elapsed >= timeScale*50*time.Millisecond {
				t.Errorf("took %v, want under 50ms", m.elapsed)
			}
			if m.alloc >= 50<<20 {
				t.Errorf("allocated %d MB, want under 50 MB", m.alloc>>20)
			}
		})
	}
}

func TestRefusalIsCached(t *testing.T) {
	p := querylimit.NewPrecheck(limits)
	q, want := hostile()[0].query, hostile()[0].want
	first := p.Check(q)
	if first == nil {
		t.Fatal("not refused")
	}
	first.Message = "changed by a presenter" // later refusals are fresh errors
	allocs := testing.AllocsPerRun(100, func() {
		if e := p.Check(q); e == nil || e.Message != want {
			t.Fatalf("cached refusal: %v", e)
		}
	})
	// The cached path builds the error only: no parsing.
	if allocs > 10 {
		t.Errorf("cached check allocates %v times", allocs)
	}
	if p.Check(biPull) != nil || p.Check(biPull) != nil {
		t.Error("allowed query refused")
	}
}

func TestParseErrorsAreLeftToGqlgen(t *testing.T) {
	for _, q := range []string{"{", "{customers{", "query Q($a: ) {x}", `{a(b:"unterminated}`, "{" + strings.Repeat("a{", 2000)} {
		m := run(newExecutor(), q, nil)
		if len(m.errs) == 0 || code(m.errs[0]) != "GRAPHQL_PARSE_FAILED" {
			t.Errorf("%.40q: got %v, want gqlgen's parse error", q, m.errs)
		}
	}
}

// introspectionQuery is graphql-js 16's getIntrospectionQuery with every
// option on (GraphiQL's); its TypeRef nests ofType 9 levels, which makes it
// exactly 15 deep. ofTypeLevels rewrites it for older clients.
func introspectionQuery(ofTypeLevels int) string {
	return `query IntrospectionQuery {
  __schema {
    description
    queryType { name kind }
    mutationType { name kind }
    subscriptionType { name kind }
    types { ...FullType }
    directives {
      name
      description
      isRepeatable
      locations
      args(includeDeprecated: true) { ...InputValue }
    }
  }
}

fragment FullType on __Type {
  kind
  name
  description
  specifiedByURL
  fields(includeDeprecated: true) {
    name
    description
    args(includeDeprecated: true) { ...InputValue }
    type { ...TypeRef }
    isDeprecated
    deprecationReason
  }
  inputFields(includeDeprecated: true) { ...InputValue }
  interfaces { ...TypeRef }
  enumValues(includeDeprecated: true) {
    name
    description
    isDeprecated
    deprecationReason
  }
  possibleTypes { ...TypeRef }
}

fragment InputValue on __InputValue {
  name
  description
  type { ...TypeRef }
  defaultValue
  isDeprecated
  deprecationReason
}

fragment TypeRef on __Type {
  kind
  name
  ` + nest("ofType", "kind name", ofTypeLevels) + `
}`
}

const customer360 = `query Customer360($id: ID!, $orders: Int = 20) {
  customer(id: $id) {
    id externalRef kind lifecycleStage name email phone birthDate gender incomeBand country region city
    personas { id name description criteria { minAge maxAge genders incomeBands countries kinds } }
    scores {
      orderCount lifetimeValue averageOrderValue firstOrderAt lastOrderAt repeatCustomer
      feedbackCount latestNps npsCategory averageCsat loyaltyScore churnRisk
    }
    orders(first: $orders) {
      totalCount
      pageInfo { hasNextPage endCursor }
      edges { cursor node { id status channel currency placedAt total
        items { sku name category quantity unitPrice lineTotal } } }
    }
    feedbacks(last: 20) {
      edges { node { id kind channel score comment submittedAt order { id } } }
    }
  }
}`

func TestAllowedQueries(t *testing.T) {
	cases := []struct {
		name  string
		query string
		vars  map[string]any
		cost  int
	}{
		// customers: 1 + 1000 x (edges 1 + node 1 + orders (1 + 10 x (1 + 1 +
		// items (1 + 5 x 1))) + feedbacks (1 + 10 x 3)).
		{"BI pull of 1,000 customers", biPull, nil, 114001},
		{"BI page of 100 customers", strings.Replace(biPull, "1000", "100", 1), nil, 11401},
		// insights 1,000 + 1, personas 1 + 100 x (edges 1 + node 1 + scores 1,000 + 1):
		// figures without a window are one row each.
		{"a dashboard of 100 personas' scores", `{ insights { nps } personas(first: 100) { edges { node { scores { nps } } } } }`, nil, 101302},
		{"a dashboard with null windows", `query($s: Time) { insights(since: $s) { nps } personas(first: 100) { edges { node { scores(until: $s) { nps } } } } }`, nil, 101302},
		{"BI pull with variables (int)", `query($n: Int, $m: Int) {customers(first:$n){edges{node{
			orders(first:$m){edges{node{items{sku}}}} feedbacks(last:$m){edges{node{score}}}}}}}`,
			map[string]any{"n": 1000, "m": 10}, 114001},
		{"BI pull with variables (json.Number)", `query($n: Int) {customers(first:$n){edges{node{
			orders(first:10){edges{node{items{sku}}}} feedbacks(first:10){edges{node{score}}}}}}}`,
			map[string]any{"n": json.Number("1000")}, 114001},
		{"BI pull with variables (int64)", `query($n: Int) {customers(first:$n){edges{node{
			orders(first:10){edges{node{items{sku}}}} feedbacks(first:10){edges{node{score}}}}}}}`,
			map[string]any{"n": int64(1000)}, 114001},
		{"default page size", `{customers{edges{node{id}}}}`, nil, 301},
		{"null first takes the default page size", `query($n: Int) {customers(first:$n){edges{node{id}}}}`,
			map[string]any{"n": nil}, 301},
		{"customer 360", customer360, map[string]any{"id": "1"}, 0},
		{"introspection (graphql-js 16, ofType x9)", introspectionQuery(9), nil, 0},
		{"introspection (GraphiQL, ofType x7)", introspectionQuery(7), nil, 0},
		{"fragments", `query { customers(first: 50) { edges { node { ...C } } } }
			fragment C on Customer { id name orders(first: 5) { edges { node { ...O } } } }
			fragment O on Order { id total items { ...I } }
			fragment I on OrderItem { sku quantity }`, nil, 1 + 50*(2+2+1+5*(2+2+1+5*2))},
		{"nodes by id", `{nodes(ids: ["1", "2", "3"]) { id ... on Customer { name } }}`, nil, 1 + 3*2},
		{"several operations, one run", "query A { __typename } query B { customers { totalCount } }", nil, 1},
	}
	exec := newExecutor()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var op []string
			if strings.HasPrefix(tc.name, "several operations") {
				op = []string{"A"}
			}
			m := run(exec, tc.query, tc.vars, op...)
			if len(m.errs) != 0 {
				t.Fatalf("refused: %v", m.errs)
			}
			cost, _ := m.rc.Stats.GetExtension(querylimit.StatsExtension).(int)
			t.Logf("cost %d, %v", cost, m.elapsed)
			if tc.cost != 0 && cost != tc.cost {
				t.Errorf("cost = %d, want %d", cost, tc.cost)
			}
		})
	}
}

func TestCostBombWithVariables(t *testing.T) {
	q := `query($a: Int, $b: Int) {customers(first:$a){edges{node{orders(last:$b){edges{node{items{sku}}}}}}}}`
	for _, vars := range []map[string]any{
		{"a": 1000, "b": 1000},
		{"a": json.Number("1000"), "b": int64(1000)},
	} {
		m := run(newExecutor(), q, vars)
		if len(m.errs) != 1 || code(m.errs[0]) != errcode.QueryTooComplex ||
			m.errs[0].Message != "query cost 8003001 exceeds the limit of 500000" {
			t.Errorf("%v: got %v", vars, m.errs)
		}
	}
	// Above the maximum page size: the client's error, before any pricing.
	m := run(newExecutor(), q, map[string]any{"a": 100000, "b": 100000})
	if len(m.errs) != 1 || code(m.errs[0]) != errcode.BadUserInput ||
		m.errs[0].Message != "customers: first must be between 0 and 1000, got 100000" {
		t.Errorf("100000: got %v", m.errs)
	}
}

func TestLimitsAreConfigurable(t *testing.T) {
	l := limits
	l.MaxDepth, l.MaxAliases = 2, 1
	p := querylimit.NewPrecheck(l)
	if e := p.Check("{a{b{c}}}"); e == nil || e.Message != "query depth 3 exceeds the limit of 2" {
		t.Errorf("depth: %v", e)
	}
	if e := p.Check("{x: a y: b}"); e == nil || e.Message != "query has 2 aliased fields, more than the limit of 1" {
		t.Errorf("aliases: %v", e)
	}
	// Aliases are counted with fragments expanded.
	if e := p.Check("{...F ...F} fragment F on Query {x: a}"); e == nil {
		t.Error("aliases in a fragment spread twice: allowed")
	}
	if e := p.Check("{a{b}}"); e != nil {
		t.Errorf("within limits: %v", e)
	}
}

// A document of 1 MB, whatever its shape, is handled in well under 50 ms.
func TestMegabyteDocuments(t *testing.T) {
	const mb = 1 << 20
	big := func(unit string) string { return strings.Repeat(unit, mb/len(unit)) }
	docs := map[string]string{
		"names":         "{" + big("a ") + "}",
		"one string":    `{customer(email: "` + big("x") + `"){id}}`,
		"block string":  `{customer(email: """` + big("x") + `"""){id}}`,
		"whitespace":    "{" + big(" ") + "__typename}",
		"comments":      "{__typename\n" + big("# a comment line of some length, over and over again\n") + "}",
		"long name":     "{" + big("a") + "}",
		"deep nesting":  "{" + big("a{"),
		"aliases":       "{" + big("a:b ") + "}",
		"spreads":       "{" + big("...F ") + "} fragment F on Query {__typename}",
		"unterminated":  `{customer(email: "` + big("x"),
		"binary":        big("\x00\xff{"),
		"directive arg": "{a @d(x: " + big("[") + "}",
	}
	for name, q := range docs {
		p := querylimit.NewPrecheck(limits)
		start := time.Now()
		e := p.Check(q)
		elapsed := time.Since(start)
		t.Logf("%-13s %v refused=%v", name, elapsed, e != nil)
		if elapsed >= timeScale*50*time.Millisecond {
			t.Errorf("%s: took %v", name, elapsed)
		}
	}
}

// lexTokens counts the tokens gqlparser's lexer reads from q; false if it
// fails.
func lexTokens(q string) (int, bool) {
	lx := lexer.New(&ast.Source{Input: q})
	for n := 0; ; n++ {
		tok, err := lx.ReadToken()
		if err != nil {
			return n, false
		}
		if tok.Kind == lexer.EOF {
			return n, true
		}
	}
}

func TestCountTokens(t *testing.T) {
	for _, q := range []string{
		biPull, customer360, introspectionQuery(9), "", "  ,,\t\r\n\ufeff",
		`{a(b: -1.5e-3, c: 0, d: 12E+4, e: "s\"\\ \u00e9 \u{1F600}", f: """ \""" "" """, g: """""""", h: $v, i: [E] @x) ...F ... on T {b}} # c\n# d`,
		"query Q($a: [Int!]! = [1, -2]) @d(x: {y: null, z: true}) { x }",
		strings.Repeat("__typename ", 100),
	} {
		n, ok := lexTokens(q)
		if !ok {
			t.Fatalf("lexer fails on %.40q", q)
		}
		if got := querylimit.CountTokens(q, math.MaxInt-1); got != n {
			t.Errorf("%.40q: CountTokens = %d, the lexer reads %d", q, got, n)
		}
	}
	if got := querylimit.CountTokens(strings.Repeat("a ", 1000), 10); got != 11 {
		t.Errorf("stops at %d, want 11 (limit+1)", got)
	}
}

func FuzzPrecheck(f *testing.F) {
	for _, tc := range hostile() {
		if len(tc.query) < 4096 {
			f.Add(tc.query)
		}
	}
	for _, q := range []string{biPull, costBomb, customer360, introspectionQuery(9),
		"{...F} fragment F on Query {...G} fragment G on Query {__typename ...F}",
		`query($a: [[Int]] = [[1]]) @d { a: b(c: {d: [1, 2.5, "s", """b""", $a, E, null, true]}) @e ...on Q @f { g } }`,
	} {
		f.Add(q)
	}
	p := querylimit.NewPrecheck(limits)
	exec := newExecutor()
	f.Fuzz(func(t *testing.T, q string) {
		// The fast token count agrees with gqlparser's lexer wherever the
		// lexer reads the whole document.
		if n, ok := lexTokens(q); ok {
			if got := querylimit.CountTokens(q, math.MaxInt-1); got != n {
				t.Fatalf("CountTokens = %d, the lexer reads %d", got, n)
			}
		}
		start := time.Now()
		e := p.Check(q)
		if elapsed := time.Since(start); elapsed > timeScale*100*time.Millisecond {
			t.Fatalf("Check took %v on %d bytes", elapsed, len(q))
		}
		if tc := new(fault.TooComplex); e != nil && !errors.As(e, &tc) {
			t.Fatalf("refusal that is not a fault.TooComplex: %v", e)
		}
		// Whatever the precheck lets through, gqlgen's parse and validation
		// and the cost estimate must be quick as well.
		start = time.Now()
		_, _ = exec.CreateOperationContext(graphql.StartOperationTrace(context.Background()), &graphql.RawParams{Query: q})
		if elapsed := time.Since(start); elapsed > timeScale*100*time.Millisecond {
			t.Fatalf("CreateOperationContext took %v on %d bytes", elapsed, len(q))
		}
	})
}

func BenchmarkPrecheck(b *testing.B) {
	for _, tc := range hostile() {
		b.Run(tc.name, func(b *testing.B) {
			for b.Loop() {
				// A new Precheck each time: no cached verdict.
				if querylimit.NewPrecheck(limits).Check(tc.query) == nil {
					if !strings.Contains(tc.want, "cost") {
						b.Fatal("allowed")
					}
				}
			}
		})
	}
}

func TestConcurrentChecks(t *testing.T) {
	p := querylimit.NewPrecheck(limits)
	done := make(chan struct{})
	for g := range 4 {
		go func() {
			defer func() { done <- struct{}{} }()
			for i := range 3000 { // more than the cache holds
				q := fmt.Sprintf("{a%d: __typename b: __typename}", i%5000)
				if g%2 == 1 {
					q = fmt.Sprintf("{%s}", strings.Repeat("__typename ", 201+i%7))
				}
				if e := p.Check(q); (e != nil) != (g%2 == 1) {
					t.Errorf("%.30q: %v", q, e)
					return
				}
			}
		}()
	}
	for range 4 {
		<-done
	}
}

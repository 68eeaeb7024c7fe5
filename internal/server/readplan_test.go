package server_test

import (
	"encoding/json"
	"fmt"
	"slices"
	"testing"
	"time"

	"entgo.io/ent/dialect"

	"github.com/c360/c360/internal/config"
	"github.com/c360/c360/internal/testservices"
)

// The customer 360 and the BI page (issue 9's Q1 and Q2) and other reads the
// planner covers.
var compiledReads = []struct {
	name, query string
	vars        map[string]any
}{
	{"customer 360", `query($ref: String!) { customer(externalRef: $ref) {
		id externalRef createdAt updatedAt kind relationship lifecycleStage name email phone birthDate gender incomeBand country region city
		personas { id name }
		orders(first: 20, orderBy: {field: PLACED_AT, direction: DESC}) { totalCount edges { node {
			id externalRef createdAt updatedAt status channel currency placedAt total items { id sku name category quantity unitPrice lineTotal } } } }
		feedbacks(first: 20, orderBy: {field: SUBMITTED_AT, direction: DESC}) { totalCount edges { node {
			id externalRef createdAt updatedAt kind channel score comment language submittedAt order { id } } } } } }`,
		map[string]any{"ref": "C-0000007"}},
	{"BI page", `query($after: Cursor) { customers(first: 25, after: $after) { pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
		edges { cursor node { id externalRef name kind lifecycleStage country createdAt
			orders(first: 10) { edges { node { id placedAt status total items { sku quantity unitPrice lineTotal } } } }
			feedbacks(first: 10) { edges { node { id kind score comment submittedAt order { id } } } } } } } }`, nil},
	{"last, before, ordering and filters", `{ orders(last: 7, orderBy: {field: TOTAL, direction: DESC}, where: {status: PAID}) {
		totalCount pageInfo { hasNextPage hasPreviousPage startCursor endCursor } edges { cursor node { __typename id total customer { name } } } }
		personas { edges { node { id name customers(first: 3, orderBy: {field: NAME}) { totalCount edges { cursor node { name } } } } } }
		none: customers(first: 0) { totalCount pageInfo { hasNextPage endCursor } edges { cursor } } }`, nil},
}

// TestCompiledReadsMatchTheResolversWithOneStatementPerRootField: the
// planner's answer is byte for byte the resolvers' one, from one SQL statement
// per root field.
func TestCompiledReadsMatchTheResolversWithOneStatementPerRootField(t *testing.T) {
	for _, d := range []string{dialect.SQLite, dialect.Postgres} {
		t.Run(d, func(t *testing.T) {
			url := testservices.DatabaseURL(t, d)
			compiled := newAPIAt(t, url, func(c *config.Config) { c.CompiledReads = true })
			resolvers := newAPIAt(t, url, func(c *config.Config) { c.CompiledReads = false })
			compiled.seeded(60, 3, time.Now().UTC().Truncate(time.Second))
			for _, q := range compiledReads {
				vars := q.vars
				for page := 0; page < 2; page++ {
					compiled.counter.Reset()
					got := compiled.do(q.query, vars)
					statements := compiled.counter.Count()
					want := resolvers.do(q.query, vars)
					if got.raw != want.raw {
						t.Fatalf("%s: compiled\n%s\nresolvers\n%s", q.name, got.raw, want.raw)
					}
					if len(want.Errors) > 0 || len(want.Data) < 50 {
						t.Fatalf("%s: %s", q.name, want.raw)
					}
					var top map[string]json.RawMessage
					_ = json.Unmarshal(got.Data, &top)
					if statements != int64(len(top)) {
						t.Errorf("%s: %d statements for %d root fields", q.name, statements, len(top))
					}
					end := cursorIn(got.Data)
					if end == "" {
						break
					}
					vars = map[string]any{"after": end}
				}
			}
		})
	}
}

// cursorIn is the BI page's endCursor ("" when there is none).
func cursorIn(data json.RawMessage) string {
	var d struct {
		Customers struct {
			PageInfo struct{ EndCursor string }
		}
	}
	_ = json.Unmarshal(data, &d)
	return d.Customers.PageInfo.EndCursor
}

// TestResolversAnswerAliasedAndNullArgumentsLikeThePlainQuery: the fixes to
// entgql's generated code (ent/entc.go) that the differential test found.
// The resolvers alone answer here.
func TestResolversAnswerAliasedAndNullArgumentsLikeThePlainQuery(t *testing.T) {
	for _, d := range []string{dialect.SQLite, dialect.Postgres} {
		t.Run(d, func(t *testing.T) {
			a := newAPIWith(t, d, func(c *config.Config) { c.CompiledReads = false })
			a.seeded(20, 5, time.Now().UTC().Truncate(time.Second))
			for _, c := range []struct{ name, plain, other string }{
				{"aliased edges and totalCount",
					`{ customers(first: 3) { edges { node { id } } totalCount } }`,
					`{ customers(first: 3) { e: edges { node { id } } n: totalCount } }`},
				{"where: null on a nested connection",
					`{ customers(first: 3) { edges { node { orders(first: 2) { edges { node { id } } } } } } }`,
					`{ customers(first: 3) { edges { node { orders(first: 2, where: null) { edges { node { id } } } } } } }`},
				{"a unique edge under two aliases",
					`{ orders(first: 3) { edges { node { customer { name country } } } } }`,
					`{ orders(first: 3) { edges { node { customer { name } c: customer { country } } } } }`},
				{"a unique edge under two aliases, with a unique edge nested in each",
					`{ feedbacks(first: 10, where: {hasOrder: true}) { edges { node { order { customer { country name } } } } } }`,
					`{ feedbacks(first: 10, where: {hasOrder: true}) { edges { node { order { customer { country } } x: order { customer { name } } } } } }`},
				{"a unique edge under two aliases whose nested connections differ in arguments",
					`{ orders(first: 5) { edges { node { customer { a: orders(where: {statusNEQ: PAID}) { edges { node { id status } } } b: orders { edges { node { id } } totalCount } } } } } }`,
					`{ orders(first: 5) { edges { node { a: customer { orders(where: {statusNEQ: PAID}) { edges { node { id status } } } } b: customer { orders { edges { node { id } } totalCount } } } } } }`},
			} {
				plain, other := a.do(c.plain, nil), a.do(c.other, nil)
				if len(plain.Errors) > 0 || len(other.Errors) > 0 {
					t.Fatalf("%s: %s / %s", c.name, plain.raw, other.raw)
				}
				var p, o any
				_ = json.Unmarshal(plain.Data, &p)
				_ = json.Unmarshal(other.Data, &o)
				if got, want := fmt.Sprint(flatten(o)), fmt.Sprint(flatten(p)); got != want {
					t.Errorf("%s:\n%s\nwant the values of\n%s", c.name, other.raw, plain.raw)
				}
			}
		})
	}
}

// flatten lists the leaf values of a decoded response in order, whatever
// their keys (aliases).
func flatten(v any) []any {
	switch t := v.(type) {
	case map[string]any:
		keys := make([]string, 0, len(t))
		for k := range t {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		var out []any
		for _, k := range keys {
			out = append(out, flatten(t[k])...)
		}
		return out
	case []any:
		var out []any
		for _, e := range t {
			out = append(out, flatten(e)...)
		}
		return out
	}
	return []any{v}
}

package querylimit_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/c360/c360/internal/errcode"
	"github.com/c360/c360/internal/hostileinput"
	"github.com/c360/c360/internal/querylimit"
)

func names(n int) []any {
	l := make([]any, n)
	for i := range l {
		l[i] = map[string]any{"name": fmt.Sprint("n", i)}
	}
	return l
}

const filtered = `query($w: CustomerWhereInput) { customers(first: 10, where: $w) { edges { node { name } } } }`

// Issue 8, item 3: the depth and list lengths of input values are bounded
// before gqlgen coerces them (a variable nesting not 9,990 deep cost 1 GB):
// a variable over the limits is the client's bad input naming it; a literal
// makes the query too complex.
func TestInputValuesAreBoundedBeforeCoercion(t *testing.T) {
	exec := newExecutor()
	vars := []struct {
		name  string
		vars  map[string]any
		field string
		want  string
	}{
		{"not nested 9,990 deep", map[string]any{"w": hostileinput.NestNot(9990)}, "w",
			`variable "w" nests input 9991 deep; the limit is 32 (MAX_INPUT_DEPTH)`},
		{"not nested 32 deep", map[string]any{"w": hostileinput.NestNot(32)}, "w",
			`variable "w" nests input 33 deep; the limit is 32 (MAX_INPUT_DEPTH)`},
		{"4,999 or terms", map[string]any{"w": map[string]any{"or": names(4999)}}, "w",
			`variable "w" holds a list of 4999 values; the limit is 1000 (MAX_INPUT_LIST)`},
		{"an unused variable", map[string]any{"w": nil, "x": hostileinput.NestNot(100)}, "x",
			`variable "x" nests input 101 deep; the limit is 32 (MAX_INPUT_DEPTH)`},
	}
	for _, tc := range vars {
		t.Run(tc.name, func(t *testing.T) {
			m := run(exec, filtered, tc.vars)
			t.Logf("%v, %d KB allocated", m.elapsed, m.alloc>>10)
			if len(m.errs) != 1 || code(m.errs[0]) != errcode.BadUserInput || m.errs[0].Extensions["field"] != tc.field || m.errs[0].Message != tc.want {
				t.Fatalf("got %v (%v), want BAD_USER_INPUT %q", m.errs, m.errs[0].Extensions, tc.want)
			}
			if m.elapsed >= timeScale*50*time.Millisecond {
				t.Errorf("took %v, want under 50ms", m.elapsed)
			}
			if m.alloc >= 1<<20 {
				t.Errorf("allocated %d KB, want under 1 MB", m.alloc>>10)
			}
		})
	}
	literals := []struct{ name, query, want string }{
		{"40 has…With levels", `{ customers(first: 1, where: ` + hostileinput.HasWith(40) + `) { totalCount } }`,
			`argument "where" of field "customers" nests input 41 deep; the limit is 32 (MAX_INPUT_DEPTH)`},
		{"not nested 900 deep", `{ customers(first: 1, where: ` + strings.Repeat("{not: ", 900) + `{name: "x"}` + strings.Repeat("}", 900) + `) { totalCount } }`,
			`argument "where" of field "customers" nests input 901 deep; the limit is 32 (MAX_INPUT_DEPTH)`},
		{"a list of 1,001 ids", `{ nodes(ids: [` + strings.Repeat(`"1" `, 1001) + `]) { id } }`,
			`argument "ids" of field "nodes" holds a list of 1001 values; the limit is 1000 (MAX_INPUT_LIST)`},
		{"in a fragment", `{ customers(first: 1) { edges { node { ...F } } } } fragment F on Customer { orders(where: ` + strings.Repeat("{not: ", 40) + `{currency: "x"}` + strings.Repeat("}", 40) + `) { totalCount } }`,
			`argument "where" of field "orders" nests input 41 deep; the limit is 32 (MAX_INPUT_DEPTH)`},
		{"a variable's default value", `query($w: CustomerWhereInput = ` + strings.Repeat("{not: ", 40) + `{name: "x"}` + strings.Repeat("}", 40) + `) { customers(where: $w) { totalCount } }`,
			`argument "default value" of variable $w nests input 41 deep; the limit is 32 (MAX_INPUT_DEPTH)`},
		{"a directive's argument", `{ __typename @include(if: ` + strings.Repeat("[", 40) + "true" + strings.Repeat("]", 40) + `) }`,
			`argument "if" of @include nests input 40 deep; the limit is 32 (MAX_INPUT_DEPTH)`},
	}
	for _, tc := range literals {
		t.Run(tc.name, func(t *testing.T) {
			m := run(exec, tc.query, nil)
			if len(m.errs) != 1 || code(m.errs[0]) != errcode.QueryTooComplex || m.errs[0].Message != tc.want {
				t.Fatalf("got %v, want QUERY_TOO_COMPLEX %q", m.errs, tc.want)
			}
		})
	}
	// Within the limits: a filter 31 deep, a list of 1,000.
	for _, q := range []struct {
		query string
		vars  map[string]any
	}{
		{filtered, map[string]any{"w": hostileinput.NestNot(30)}},
		{`query($x: [ID!]!) { nodes(ids: $x) { id } }`, map[string]any{"x": make([]any, 1000)}},
	} {
		if m := run(exec, q.query, q.vars); len(m.errs) > 0 && code(m.errs[0]) == errcode.BadUserInput && strings.Contains(m.errs[0].Message, "MAX_INPUT") {
			t.Errorf("within the limits, refused: %v", m.errs)
		}
	}
	// The limits are configurable.
	l := limits
	l.MaxInputDepth, l.MaxInputList = 2, 2
	p := querylimit.NewPrecheck(l)
	if e := p.Check(`{a(x: {y: {z: [1]}})}`); e == nil || !strings.Contains(e.Message, "nests input 3 deep; the limit is 2") {
		t.Errorf("depth: %v", e)
	}
	if e := p.Check(`{a(x: [1, 2, 3])}`); e == nil || !strings.Contains(e.Message, "holds a list of 3 values; the limit is 2") {
		t.Errorf("list: %v", e)
	}
	if e := p.Check(`{a(x: {y: [1, 2]})}`); e != nil {
		t.Errorf("within limits: %v", e)
	}
}

// Package hostileinput builds the hostile filters an outside probe sent, for
// the tests that prove the limits refuse them (querylimit's unit tests and
// the server's hostile-request table share one definition).
package hostileinput

// HasWith nests n has…With levels from customers: hasOrdersWith at odd
// levels, hasCustomerWith at even ones, around a predicate of the type
// reached, as a GraphQL literal.
func HasWith(n int) string {
	s := `{nameContainsFold: "zz"}`
	if n%2 == 1 {
		s = `{currency: "ZZZ"}`
	}
	for k := n; k >= 1; k-- {
		if k%2 == 1 {
			s = "{hasOrdersWith: " + s + "}"
		} else {
			s = "{hasCustomerWith: " + s + "}"
		}
	}
	return s
}

// NestNot nests a customer filter n levels of not deep, as JSON decodes it.
func NestNot(n int) any {
	var w any = map[string]any{"nameContains": "x"}
	for range n {
		w = map[string]any{"not": w}
	}
	return w
}

package querylimit

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/c360/c360/internal/errcode"
)

// StatsExtension is the name under which Check stores the estimated cost (an
// int) in the operation's graphql.Stats, for logs and metrics.
const StatsExtension = "QueryCost"

// The price list of the c360 schema. Lists that are not connections have an
// estimated length: Order.items 5, Customer.personas 10, any other 10.
//
// Aggregates are priced by the work they cause. Persona.scores,
// Query.insights and Query.insightsSeries are segment-wide computations
// (100-200 ms of database time each on 10,000 customers, the same four
// statements for a series of any length, cached per persona and window):
// 20,000 each, so
// 25 distinct ones fit in MAX_COST 500,000 and 30 aliases with distinct
// since values are refused. Persona.scores and Query.insights without a
// window read one row of a segment total (the day's first read sums the
// summaries, one row per customer, once): allTimeCost, so a dashboard of
// every persona's scores fits. Customer.scores is one customer's figures,
// batched per response: 10, multiplied by the page size like any field.
//
// Filters cost filterTerm per predicate (fieldGT, nameContainsFold, idIn,
// hasOrders...; and, or and not only add their terms'), and each has…With
// level multiplies the price of what it holds by filterFanOut: it is
// evaluated over the related rows of every candidate row (about the orders
// per customer of a real data set; SQLite visits that many more rows per
// level). A 3-level customers→orders→customer→orders filter costs about
// 280,000 (0.3 s on 10,000 customers), 4 levels 8.4 million (refused); 6
// levels ran past the 10 s deadline.
const (
	allTimeCost     = 1000
	defaultListSize = 10
	filterTerm      = 10
	filterFanOut    = 30
)

// fieldKey names a field of a type; a struct rather than "Type.field" so
// looking a field up builds no string.
type fieldKey struct{ typ, field string }

var (
	listSizes  = map[fieldKey]int{{"Order", "items"}: 5, {"Customer", "personas"}: 10}
	fieldCosts = map[fieldKey]int{{"Persona", "scores"}: 20000, {"Query", "insights"}: 20000,
		{"Query", "insightsSeries"}: 20000, {"Customer", "scores"}: 10}
)

// Check checks an operation after validation, in one walk: page sizes,
// filter sizes and cost. It is safe for concurrent use.
type Check struct {
	limits Limits
}

// NewCheck returns a Check enforcing l.MaxCost, l.MaxPageSize and
// l.MaxFilterTerms, with l.DefaultPageSize for connections given neither
// first nor last.
func NewCheck(l Limits) *Check { return &Check{limits: l} }

// FieldVisitor is given each field of the operation the walk reaches, once
// and before its children (a fragment spread several times is walked
// once), with its arguments as written, variables resolved (nil when none
// is written: the schema declares no argument defaults); defaultPage says it
// is a connection given neither first nor last, which gets DefaultPageSize.
// It is not called after a page size is refused.
type FieldVisitor func(f *ast.Field, args map[string]any, defaultPage bool)

// Operation walks the operation of rc, which must have been validated
// (fields carry their definitions), once, and refuses it:
//
//   - with BAD_USER_INPUT naming the argument when a connection's first or
//     last is above MaxPageSize or negative, or nodes(ids:) holds more than
//     MaxPageSize ids: an error, not a silent cut, found before any SQL runs
//     for nested connections too (their parents load them eagerly);
//   - with QUERY_TOO_COMPLEX when a where filter holds more than
//     MaxFilterTerms predicates, or the estimated cost is above MaxCost.
//
// The cost: every field costs 1 (or its price in fieldCosts) plus the price
// of its where filters (literal or in variables), and the cost of the
// children of a connection (a type named *Connection) is multiplied by its
// page size — the larger of first and last, or DefaultPageSize without
// either — and that of the children of another list by its estimated length
// (lists of a connection, such as edges, by 1: the page size counts them;
// nodes(ids:) by its ids). The result saturates instead of overflowing. It
// is stored in rc.Stats under StatsExtension unless a page size is refused.
//
// visit, when not nil, is given every field (see FieldVisitor). Each
// fragment is walked once, so this is linear in the size of the document.
func (c *Check) Operation(rc *graphql.OperationContext, visit FieldVisitor) *gqlerror.Error {
	if rc == nil || rc.Operation == nil {
		return nil
	}
	w := walk{limits: &c.limits, vars: rc.Variables, visit: visit}
	w.path = w.pathBuf[:0]
	n := w.selections(rc.Operation.SelectionSet)
	if w.pageErr != nil {
		return w.pageErr
	}
	rc.Stats.SetExtension(StatsExtension, n)
	if w.terms > c.limits.MaxFilterTerms {
		return refusal(fmt.Sprintf("the where filter of %s has %s terms, more than the limit of %d", w.termsAt, count(w.terms), c.limits.MaxFilterTerms))
	}
	if n > c.limits.MaxCost {
		return refusal(fmt.Sprintf("query cost %s exceeds the limit of %d", count(n), c.limits.MaxCost))
	}
	return nil
}

// inProgress marks a fragment being walked: a spread of it (a cycle, which
// validation rejects) costs nothing more.
const inProgress = -1

// walk is the state of one Operation.
type walk struct {
	limits *Limits
	vars   map[string]any
	visit  FieldVisitor
	// frags holds the cost of each fragment walked (made at the first spread).
	frags map[*ast.FragmentDefinition]int
	// path holds the response names down to the current field, for the
	// message of a refused page size; pathBuf spares allocating it.
	path    []string
	pathBuf [16]string
	// pageErr is the first page size refused; the walk stops there.
	pageErr *gqlerror.Error
	// terms and termsAt: the most predicates of one where filter, and the
	// field it filters.
	terms   int
	termsAt string
}

func (w *walk) selections(set ast.SelectionSet) int {
	total := 0
	for _, sel := range set {
		if w.pageErr != nil {
			return total
		}
		switch x := sel.(type) {
		case *ast.Field:
			total = satAdd(total, w.field(x))
		case *ast.InlineFragment:
			total = satAdd(total, w.selections(x.SelectionSet))
		case *ast.FragmentSpread:
			total = satAdd(total, w.fragment(x.Definition))
		}
	}
	return total
}

func (w *walk) fragment(d *ast.FragmentDefinition) int {
	if d == nil {
		return 0
	}
	if w.frags == nil {
		w.frags = map[*ast.FragmentDefinition]int{}
	}
	if c, ok := w.frags[d]; ok {
		return max(c, 0)
	}
	w.frags[d] = inProgress
	c := w.selections(d.SelectionSet)
	w.frags[d] = c
	return c
}

// field returns the cost of f with its children.
func (w *walk) field(f *ast.Field) int {
	var args map[string]any
	if len(f.Arguments) > 0 && f.Definition != nil {
		args = f.ArgumentMap(w.vars) // once for every use below
	}
	w.path = append(w.path, f.Alias)
	mult, defaultPage := w.multiplier(f, args)
	if w.pageErr != nil {
		return 0 // the walk stops; the path is no longer needed
	}
	if w.visit != nil && f.Definition != nil {
		w.visit(f, args, defaultPage)
	}
	c := satAdd(own(f, args), w.filters(f, args))
	if len(f.SelectionSet) > 0 {
		c = satAdd(c, satMul(mult, w.selections(f.SelectionSet)))
	}
	w.path = w.path[:len(w.path)-1]
	return c
}

// multiplier returns how many times the children of f are resolved, and
// whether f is a connection given neither first nor last. It refuses page
// sizes out of range (w.pageErr).
func (w *walk) multiplier(f *ast.Field, args map[string]any) (int, bool) {
	def := f.Definition
	if def == nil || def.Type == nil {
		return 1, false
	}
	if f.Name == "nodes" {
		if ids, ok := args["ids"].([]any); ok && len(ids) > w.limits.MaxPageSize {
			w.pageErr = errcode.New(errcode.BadUserInput, "ids",
				fmt.Sprintf("%s: at most %d ids at once, got %d", strings.Join(w.path, "."), w.limits.MaxPageSize, len(ids)))
			return 0, false
		}
	}
	t := def.Type
	if t.Elem == nil {
		if strings.HasSuffix(t.NamedType, "Connection") {
			return w.pageSize(args)
		}
		return 1, false
	}
	parent := ""
	if f.ObjectDefinition != nil {
		parent = f.ObjectDefinition.Name
	}
	if strings.HasSuffix(parent, "Connection") {
		return 1, false // edges or nodes: the connection's page size counts them
	}
	if ids, ok := args["ids"].([]any); ok {
		return len(ids), false // nodes(ids:): one result per id
	}
	if n, ok := listSizes[fieldKey{parent, f.Name}]; ok {
		return n, false
	}
	return defaultListSize, false
}

// pageSize returns the larger of first and last, or DefaultPageSize when
// neither is given; it refuses either out of [0, MaxPageSize].
func (w *walk) pageSize(args map[string]any) (int, bool) {
	size := -1
	for _, name := range [...]string{"first", "last"} {
		v := args[name]
		if v == nil {
			continue
		}
		n, err := graphql.UnmarshalInt(v)
		switch {
		case err != nil:
			n = w.limits.MaxPageSize // not an int: assume the worst
		case n > w.limits.MaxPageSize || n < 0:
			w.pageErr = errcode.New(errcode.BadUserInput, name,
				fmt.Sprintf("%s: %s must be between 0 and %d, got %d", strings.Join(w.path, "."), name, w.limits.MaxPageSize, n))
			return 0, false
		}
		size = max(size, n)
	}
	if size < 0 {
		return w.limits.DefaultPageSize, true
	}
	return size, false
}

// own returns the price of f itself: its fieldCosts entry (allTimeCost for
// a segment's figures without a window), else 1.
func own(f *ast.Field, args map[string]any) int {
	if f.ObjectDefinition == nil {
		return 1
	}
	k := fieldKey{f.ObjectDefinition.Name, f.Name}
	c, ok := fieldCosts[k]
	if !ok {
		return 1
	}
	if (k == fieldKey{"Persona", "scores"} || k == fieldKey{"Query", "insights"}) && args["since"] == nil && args["until"] == nil {
		return allTimeCost
	}
	return c
}

// filters returns the price of f's where filters (arguments of a
// …WhereInput type), with their values from the document or the variables.
func (w *walk) filters(f *ast.Field, args map[string]any) int {
	if args == nil {
		return 0
	}
	total := 0
	for _, a := range f.Definition.Arguments {
		if a.Type == nil || !strings.HasSuffix(a.Type.Name(), "WhereInput") || f.Arguments.ForName(a.Name) == nil {
			continue
		}
		price, terms := filter(args[a.Name])
		total = satAdd(total, price)
		if terms > w.terms {
			w.terms, w.termsAt = terms, strconv.Quote(f.Name)
		}
	}
	return total
}

// filter returns the price and the predicates of a where value: a map of
// input fields, or a list of them (has…With, and, or), null for absent.
// Coerced variables hold a single value given for a list as a
// []map[string]any.
func filter(v any) (price, terms int) {
	switch x := v.(type) {
	case []any:
		for _, el := range x {
			p, t := filter(el)
			price, terms = satAdd(price, p), satAdd(terms, t)
		}
	case []map[string]any:
		for _, el := range x {
			p, t := filter(el)
			price, terms = satAdd(price, p), satAdd(terms, t)
		}
	case map[string]any:
		for k, el := range x {
			if el == nil {
				continue
			}
			switch {
			case k == "and" || k == "or" || k == "not":
				p, t := filter(el)
				price, terms = satAdd(price, p), satAdd(terms, t)
			case strings.HasPrefix(k, "has") && strings.HasSuffix(k, "With"):
				p, t := filter(el)
				price = satAdd(price, satAdd(filterTerm, satMul(filterFanOut, p)))
				terms = satAdd(terms, satAdd(1, t))
			default:
				price, terms = satAdd(price, filterTerm), satAdd(terms, 1)
			}
		}
	}
	return price, terms
}

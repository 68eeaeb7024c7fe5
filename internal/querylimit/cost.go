package querylimit

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// StatsExtension is the name under which Cost stores the estimated cost (an
// int) in the operation's graphql.Stats, for logs and metrics.
const StatsExtension = "QueryCost"

// CostOptions tunes Estimate. Zero sizes take their defaults.
type CostOptions struct {
	// DefaultPageSize multiplies a connection given neither first nor last.
	DefaultPageSize int
	// MaxPageSize caps first and last.
	MaxPageSize int
	// ListSizes estimates the length of lists that are not connections, by
	// "Type.field".
	ListSizes map[string]int
	// DefaultListSize estimates any other list.
	DefaultListSize int
	// FieldCosts prices fields that cost more than 1 by "Type.field", before
	// the multipliers of the lists and connections around them.
	FieldCosts map[string]int
	// FilterTerm prices each predicate of a where filter (fieldGT,
	// nameContainsFold, idIn, hasOrders...; and, or and not only add their
	// terms'). Zero takes the default.
	FilterTerm int
	// FilterFanOut multiplies the price of the filter inside a has…With
	// term: it is evaluated over the related rows of every candidate row, so
	// each level multiplies the rows the statement visits. Zero takes the
	// default.
	FilterFanOut int
}

// DefaultCostOptions returns the options of the c360 schema: page sizes as
// enforced by the server (default 100, at most 1000), Order.items 5,
// Customer.personas 10, any other list 10.
//
// Aggregates are priced by the work they cause. Persona.scores and
// Query.insights are segment-wide computations (100-200 ms of database time
// each on 10,000 customers, cached per persona and since): 20,000 each, so
// 25 distinct ones fit in MAX_COST 500,000 and 30 aliases with distinct
// since values are refused. Customer.scores is one customer's figures,
// batched per response: 10, multiplied by the page size like any field.
//
// Filters cost 10 per predicate, and each has…With level multiplies the
// price of what it holds by 30 (about the orders per customer of a real data
// set; SQLite visits that many more rows per level): a 3-level
// customers→orders→customer→orders filter costs about 280,000 (0.3 s on
// 10,000 customers), 4 levels 8.4 million (refused); 6 levels ran past the
// 10 s deadline.
func DefaultCostOptions() CostOptions {
	return CostOptions{
		DefaultPageSize: 100,
		MaxPageSize:     1000,
		ListSizes:       map[string]int{"Order.items": 5, "Customer.personas": 10},
		DefaultListSize: 10,
		FieldCosts:      map[string]int{"Persona.scores": 20000, "Query.insights": 20000, "Customer.scores": 10},
		FilterTerm:      10,
		FilterFanOut:    30,
	}
}

// MaxFilterTerms bounds the predicates of one where filter: ent joins the
// terms of and/or into one chain, and SQLite refuses an expression deeper
// than 1,000 (an or of 999 names fails, "Expression tree is too large");
// 500 leaves room for the nesting around them.
const MaxFilterTerms = 500

// Cost refuses, after validation, an operation whose estimated cost (see
// Estimate) is above MaxCost. It is safe for concurrent use.
type Cost struct {
	max  int
	opts CostOptions
}

var _ interface {
	graphql.HandlerExtension
	graphql.OperationContextMutator
} = (*Cost)(nil)

// NewCost returns a Cost enforcing l.MaxCost with DefaultCostOptions.
func NewCost(l Limits) *Cost { return NewCostWithOptions(l, DefaultCostOptions()) }

// NewCostWithOptions returns a Cost enforcing l.MaxCost with opts.
// Zero page and list sizes in opts take their defaults.
func NewCostWithOptions(l Limits, opts CostOptions) *Cost {
	return &Cost{max: l.withDefaults().MaxCost, opts: opts.withDefaults()}
}

func (o CostOptions) withDefaults() CostOptions {
	d := DefaultCostOptions()
	if o.DefaultPageSize <= 0 {
		o.DefaultPageSize = d.DefaultPageSize
	}
	if o.MaxPageSize <= 0 {
		o.MaxPageSize = d.MaxPageSize
	}
	if o.DefaultListSize <= 0 {
		o.DefaultListSize = d.DefaultListSize
	}
	if o.FilterTerm <= 0 {
		o.FilterTerm = d.FilterTerm
	}
	if o.FilterFanOut <= 0 {
		o.FilterFanOut = d.FilterFanOut
	}
	return o
}

// ExtensionName implements graphql.HandlerExtension.
func (*Cost) ExtensionName() string { return "QueryCost" }

// Validate implements graphql.HandlerExtension.
func (*Cost) Validate(graphql.ExecutableSchema) error { return nil }

// MutateOperationContext implements graphql.OperationContextMutator.
func (c *Cost) MutateOperationContext(_ context.Context, rc *graphql.OperationContext) *gqlerror.Error {
	if rc == nil || rc.Operation == nil {
		return nil
	}
	e := newEstimator(rc, c.opts)
	n := e.selections(rc.Operation.SelectionSet)
	rc.Stats.SetExtension(StatsExtension, n)
	if e.terms > MaxFilterTerms {
		return refusal(fmt.Sprintf("the where filter of %s has %s terms, more than the limit of %d", e.termsAt, count(e.terms), MaxFilterTerms))
	}
	if n > c.max {
		return refusal(fmt.Sprintf("query cost %s exceeds the limit of %d", count(n), c.max))
	}
	return nil
}

// Estimate returns the cost of the operation of rc, which must have been
// validated (fields carry their definitions): every field costs 1 (or its
// FieldCosts price) plus the price of its where filter (literal or in
// variables; see DefaultCostOptions), and the
// cost of the children of a connection (a type named *Connection) is
// multiplied by its page size — the larger of first and last, capped at
// MaxPageSize, or DefaultPageSize without either — and that of the children
// of another list by its ListSizes estimate (lists of a connection, such as
// edges, by 1: the page size counts them). The result saturates instead of
// overflowing. Each fragment is costed once, so this is linear in the size
// of the document.
func Estimate(rc *graphql.OperationContext, opts CostOptions) int {
	if rc == nil || rc.Operation == nil {
		return 0
	}
	return newEstimator(rc, opts).selections(rc.Operation.SelectionSet)
}

func newEstimator(rc *graphql.OperationContext, opts CostOptions) *estimator {
	return &estimator{vars: rc.Variables, opts: opts.withDefaults(), frags: map[*ast.FragmentDefinition]int{}}
}

// inProgress marks a fragment being costed: a spread of it (a cycle, which
// validation rejects) costs nothing more.
const inProgress = -1

type estimator struct {
	vars  map[string]any
	opts  CostOptions
	frags map[*ast.FragmentDefinition]int
	// terms and termsAt: the most predicates of one where filter, and the
	// field it filters.
	terms   int
	termsAt string
}

func (e *estimator) selections(set ast.SelectionSet) int {
	total := 0
	for _, sel := range set {
		switch x := sel.(type) {
		case *ast.Field:
			c := satAdd(e.own(x), e.filters(x))
			if len(x.SelectionSet) > 0 {
				c = satAdd(c, satMul(e.multiplier(x), e.selections(x.SelectionSet)))
			}
			total = satAdd(total, c)
		case *ast.InlineFragment:
			total = satAdd(total, e.selections(x.SelectionSet))
		case *ast.FragmentSpread:
			total = satAdd(total, e.fragment(x.Definition))
		}
	}
	return total
}

func (e *estimator) fragment(d *ast.FragmentDefinition) int {
	if d == nil {
		return 0
	}
	if c, ok := e.frags[d]; ok {
		return max(c, 0)
	}
	e.frags[d] = inProgress
	c := e.selections(d.SelectionSet)
	e.frags[d] = c
	return c
}

// multiplier returns how many times the children of f are resolved.
func (e *estimator) multiplier(f *ast.Field) int {
	def := f.Definition
	if def == nil || def.Type == nil {
		return 1
	}
	t := def.Type
	if t.Elem == nil {
		if strings.HasSuffix(t.NamedType, "Connection") {
			return e.pageSize(f)
		}
		return 1
	}
	parent := ""
	if f.ObjectDefinition != nil {
		parent = f.ObjectDefinition.Name
	}
	if strings.HasSuffix(parent, "Connection") {
		return 1 // edges or nodes: the connection's page size counts them
	}
	if ids, ok := e.ids(f); ok {
		return ids
	}
	if n, ok := e.opts.ListSizes[parent+"."+f.Name]; ok {
		return max(n, 0)
	}
	return max(e.opts.DefaultListSize, 0)
}

// ids returns the length of f's ids argument when it is a list, as in
// nodes(ids: [...]): one result per id.
func (e *estimator) ids(f *ast.Field) (int, bool) {
	if f.Arguments.ForName("ids") == nil {
		return 0, false
	}
	l, ok := f.ArgumentMap(e.vars)["ids"].([]any)
	return len(l), ok
}

// pageSize returns the larger of first and last, within [0, MaxPageSize], or
// DefaultPageSize when neither is given.
func (e *estimator) pageSize(f *ast.Field) int {
	args := f.ArgumentMap(e.vars)
	size := -1
	for _, name := range [...]string{"first", "last"} {
		v, ok := args[name]
		if !ok || v == nil {
			continue
		}
		n, err := graphql.UnmarshalInt(v)
		if err != nil {
			n = e.opts.MaxPageSize // not an int: assume the worst
		}
		size = max(size, min(max(n, 0), e.opts.MaxPageSize))
	}
	if size < 0 {
		return min(e.opts.DefaultPageSize, e.opts.MaxPageSize)
	}
	return size
}

// own returns the price of f itself: its FieldCosts entry, else 1.
func (e *estimator) own(f *ast.Field) int {
	if f.ObjectDefinition != nil {
		if c, ok := e.opts.FieldCosts[f.ObjectDefinition.Name+"."+f.Name]; ok {
			return max(c, 0)
		}
	}
	return 1
}

// filters returns the price of f's where filters (arguments of a
// …WhereInput type), with their values from the document or the variables.
func (e *estimator) filters(f *ast.Field) int {
	if f.Definition == nil {
		return 0
	}
	var args map[string]any
	total := 0
	for _, a := range f.Definition.Arguments {
		if a.Type == nil || !strings.HasSuffix(a.Type.Name(), "WhereInput") || f.Arguments.ForName(a.Name) == nil {
			continue
		}
		if args == nil {
			args = f.ArgumentMap(e.vars)
		}
		price, terms := e.filter(args[a.Name])
		total = satAdd(total, price)
		if terms > e.terms {
			e.terms, e.termsAt = terms, strconv.Quote(f.Name)
		}
	}
	return total
}

// filter returns the price and the predicates of a where value: a map of
// input fields, or a list of them (has…With, and, or), null for absent.
// Coerced variables hold a single value given for a list as a
// []map[string]any.
func (e *estimator) filter(v any) (price, terms int) {
	switch x := v.(type) {
	case []any:
		for _, el := range x {
			p, t := e.filter(el)
			price, terms = satAdd(price, p), satAdd(terms, t)
		}
	case []map[string]any:
		for _, el := range x {
			p, t := e.filter(el)
			price, terms = satAdd(price, p), satAdd(terms, t)
		}
	case map[string]any:
		for k, el := range x {
			if el == nil {
				continue
			}
			switch {
			case k == "and" || k == "or" || k == "not":
				p, t := e.filter(el)
				price, terms = satAdd(price, p), satAdd(terms, t)
			case strings.HasPrefix(k, "has") && strings.HasSuffix(k, "With"):
				p, t := e.filter(el)
				price = satAdd(price, satAdd(e.opts.FilterTerm, satMul(e.opts.FilterFanOut, p)))
				terms = satAdd(terms, satAdd(1, t))
			default:
				price, terms = satAdd(price, e.opts.FilterTerm), satAdd(terms, 1)
			}
		}
	}
	return price, terms
}

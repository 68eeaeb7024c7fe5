package querylimit

import (
	"context"
	"fmt"
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
}

// DefaultCostOptions returns the options of the c360 schema: page sizes as
// enforced by the server (default 100, at most 1000), Order.items 5,
// Customer.personas 10, any other list 10.
func DefaultCostOptions() CostOptions {
	return CostOptions{
		DefaultPageSize: 100,
		MaxPageSize:     1000,
		ListSizes:       map[string]int{"Order.items": 5, "Customer.personas": 10},
		DefaultListSize: 10,
	}
}

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
	n := Estimate(rc, c.opts)
	rc.Stats.SetExtension(StatsExtension, n)
	if n > c.max {
		return refusal(fmt.Sprintf("query cost %s exceeds the limit of %d", count(n), c.max))
	}
	return nil
}

// Estimate returns the cost of the operation of rc, which must have been
// validated (fields carry their definitions): every field costs 1, and the
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
	e := estimator{vars: rc.Variables, opts: opts.withDefaults(), frags: map[*ast.FragmentDefinition]int{}}
	return e.selections(rc.Operation.SelectionSet)
}

// inProgress marks a fragment being costed: a spread of it (a cycle, which
// validation rejects) costs nothing more.
const inProgress = -1

type estimator struct {
	vars  map[string]any
	opts  CostOptions
	frags map[*ast.FragmentDefinition]int
}

func (e *estimator) selections(set ast.SelectionSet) int {
	total := 0
	for _, sel := range set {
		switch x := sel.(type) {
		case *ast.Field:
			c := 1
			if len(x.SelectionSet) > 0 {
				c = satAdd(1, satMul(e.multiplier(x), e.selections(x.SelectionSet)))
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

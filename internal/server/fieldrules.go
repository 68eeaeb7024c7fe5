package server

import (
	"context"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/c360/c360/internal/auth"
)

// fieldRules applies the rules that concern only some fields: refusals
// (writes by roles that cannot write; filters, orderings and lookups on
// personal data by roles that may not see it) and the default page size of a
// connection given neither first nor last. It walks the operation once before
// it runs and, only when some field needs a rule, wraps that operation's field
// middleware with a lookup of those fields: a field middleware installed on
// the server would run for each of the tens of thousands of fields of a large
// response (measured: a fifth of the CPU time of a page of 100 customers).
type fieldRules struct{}

var _ interface {
	graphql.HandlerExtension
	graphql.OperationContextMutator
} = fieldRules{}

// rule is what fieldRules does to one field of the document.
type rule uint8

const (
	ruleRefuse      rule = 1 << iota // authorizeField refuses it
	ruleDefaultPage                  // a connection given neither first nor last
)

func (fieldRules) ExtensionName() string                   { return "FieldRules" }
func (fieldRules) Validate(graphql.ExecutableSchema) error { return nil }

func (fieldRules) MutateOperationContext(ctx context.Context, rc *graphql.OperationContext) *gqlerror.Error {
	if rc.Operation == nil {
		return nil
	}
	p, _ := auth.FromContext(ctx)
	w := ruleWalk{rc: rc, refuseWrites: !p.Role.CanWrite(), refuseProbes: !p.Role.SeesPersonalData()}
	w.walk(rc.Operation.SelectionSet)
	if len(w.rules) == 0 {
		return nil
	}
	rules, next := w.rules, rc.ResolverMiddleware
	rc.ResolverMiddleware = func(ctx context.Context, res graphql.Resolver) (any, error) {
		fc := graphql.GetFieldContext(ctx)
		if fc == nil {
			return next(ctx, res)
		}
		r := rules[fc.Field.Field]
		if r&ruleRefuse != 0 {
			if err := authorizeField(ctx, fc); err != nil {
				return nil, err
			}
		}
		if r&ruleDefaultPage != 0 {
			defaultPageSize(fc)
		}
		return next(ctx, res)
	}
	return nil
}

// ruleWalk finds the fields of an operation that need a rule. Rules are keyed
// by the document's field: gqlgen hands each resolved field its *ast.Field.
type ruleWalk struct {
	rc                         *graphql.OperationContext
	refuseWrites, refuseProbes bool
	rules                      map[*ast.Field]rule
	seen                       map[string]bool // fragments walked
}

func (w *ruleWalk) add(f *ast.Field, r rule) {
	if w.rules == nil {
		w.rules = map[*ast.Field]rule{}
	}
	w.rules[f] |= r
}

func (w *ruleWalk) walk(set ast.SelectionSet) {
	for _, sel := range set {
		switch s := sel.(type) {
		case *ast.Field:
			w.field(s)
			w.walk(s.SelectionSet)
		case *ast.InlineFragment:
			w.walk(s.SelectionSet)
		case *ast.FragmentSpread:
			// Validation has rejected fragment cycles; seen guards the walk anyway.
			if s.Definition == nil || w.seen[s.Name] {
				continue
			}
			if w.seen == nil {
				w.seen = map[string]bool{}
			}
			w.seen[s.Name] = true
			w.walk(s.Definition.SelectionSet)
		}
	}
}

func (w *ruleWalk) field(f *ast.Field) {
	if f.Definition == nil || f.Name == "__typename" {
		return // gqlgen writes __typename without a resolver
	}
	isMutation := f.ObjectDefinition != nil && f.ObjectDefinition.Name == "Mutation"
	if len(f.Arguments) == 0 && !isMutation {
		if isConnection(f.Definition.Type) {
			w.add(f, ruleDefaultPage)
		}
		return
	}
	args := f.ArgumentMap(w.rc.Variables)
	switch {
	case isMutation && w.refuseWrites:
		w.add(f, ruleRefuse)
	case w.refuseProbes && personalArgument(args) != "":
		w.add(f, ruleRefuse)
	}
	if isConnection(f.Definition.Type) && args["first"] == nil && args["last"] == nil {
		w.add(f, ruleDefaultPage)
	}
}

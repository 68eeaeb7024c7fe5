package graph

import (
	"context"
	"errors"

	"github.com/99designs/gqlgen/graphql"
)

// errNoRootContext: the root field is not one whose context RootFieldContext
// builds; the read planner leaves it to its resolver.
var errNoRootContext = errors.New("no field context for this root field")

// RootFieldContext builds the field context the executor gives a Query root
// field before its resolver runs: its arguments coerced, and Child, which
// coerces the arguments of the fields below. The read planner
// (internal/readplan) plans from it. Errors of coercion go to a throwaway
// response context: the resolver path reports them when the planner declines.
func RootFieldContext(ctx context.Context, es graphql.ExecutableSchema, field graphql.CollectedField) (*graphql.FieldContext, error) {
	s, ok := es.(*executableSchema)
	if !ok {
		return nil, errNoRootContext
	}
	ec := newExecutionContext(graphql.GetOperationContext(ctx), s, nil)
	ctx = graphql.WithFreshResponseContext(ctx)
	switch field.Name {
	case "customer":
		return ec.fieldContext_Query_customer(ctx, field)
	case "customers":
		return ec.fieldContext_Query_customers(ctx, field)
	case "orders":
		return ec.fieldContext_Query_orders(ctx, field)
	case "feedbacks":
		return ec.fieldContext_Query_feedbacks(ctx, field)
	case "personas":
		return ec.fieldContext_Query_personas(ctx, field)
	case "node":
		return ec.fieldContext_Query_node(ctx, field)
	case "nodes":
		return ec.fieldContext_Query_nodes(ctx, field)
	}
	return nil, errNoRootContext
}

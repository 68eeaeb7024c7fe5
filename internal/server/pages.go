package server

import (
	"context"
	"fmt"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/c360/c360/internal/errcode"
)

// Page sizes of connections.
const (
	MaxPageSize     = 1000
	DefaultPageSize = 100
)

// pageLimits refuses, before anything runs, any connection field whose first
// or last is above MaxPageSize or negative: an error, not a silent cut. It
// walks the whole operation, so nested connections (loaded eagerly by their
// parents) are checked before any SQL runs.
type pageLimits struct{}

var _ interface {
	graphql.HandlerExtension
	graphql.OperationContextMutator
} = pageLimits{}

func (pageLimits) ExtensionName() string                   { return "PageLimits" }
func (pageLimits) Validate(graphql.ExecutableSchema) error { return nil }
func (pageLimits) MutateOperationContext(_ context.Context, rc *graphql.OperationContext) *gqlerror.Error {
	if rc.Operation == nil {
		return nil
	}
	return checkSelections(rc, rc.Operation.SelectionSet, nil, map[string]bool{})
}

func checkSelections(rc *graphql.OperationContext, set ast.SelectionSet, path []string, seen map[string]bool) *gqlerror.Error {
	for _, sel := range set {
		switch s := sel.(type) {
		case *ast.Field:
			p := append(path, s.Alias)
			if s.Name == "nodes" && s.Definition != nil {
				if ids, ok := s.ArgumentMap(rc.Variables)["ids"].([]any); ok && len(ids) > MaxPageSize {
					return errcode.New(errcode.BadUserInput, "ids",
						fmt.Sprintf("%s: at most %d ids at once, got %d", strings.Join(p, "."), MaxPageSize, len(ids)))
				}
			}
			if s.Definition != nil && isConnection(s.Definition.Type) {
				args := s.ArgumentMap(rc.Variables)
				for _, name := range []string{"first", "last"} {
					v, ok := args[name]
					if !ok || v == nil {
						continue
					}
					if n, err := graphql.UnmarshalInt(v); err == nil && (n > MaxPageSize || n < 0) {
						e := errcode.New(errcode.BadUserInput, name,
							fmt.Sprintf("%s: %s must be between 0 and %d, got %d", strings.Join(p, "."), name, MaxPageSize, n))
						return e
					}
				}
			}
			if err := checkSelections(rc, s.SelectionSet, p, seen); err != nil {
				return err
			}
		case *ast.InlineFragment:
			if err := checkSelections(rc, s.SelectionSet, path, seen); err != nil {
				return err
			}
		case *ast.FragmentSpread:
			// Validation has rejected fragment cycles; seen guards the walk anyway.
			if s.Definition == nil || seen[s.Name] {
				continue
			}
			seen[s.Name] = true
			if err := checkSelections(rc, s.Definition.SelectionSet, path, seen); err != nil {
				return err
			}
		}
	}
	return nil
}

func isConnection(t *ast.Type) bool {
	return t != nil && t.Elem == nil && strings.HasSuffix(t.NamedType, "Connection")
}

// defaultPageSize gives a connection without first or last a first of
// DefaultPageSize; pageInfo.hasNextPage tells the client there is more.
// fieldRules calls it for the connections its walk found without either.
func defaultPageSize(fc *graphql.FieldContext) {
	first, _ := fc.Args["first"].(*int)
	last, _ := fc.Args["last"].(*int)
	if first == nil && last == nil {
		n := DefaultPageSize
		fc.Args["first"] = &n
	}
}

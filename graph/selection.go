package graph

import (
	"context"

	"github.com/99designs/gqlgen/graphql"

	"github.com/c360/c360/ent"
)

// selectsNodeField reports whether the current connection field selects
// edges { node { <name> } } (through fragments too).
func selectsNodeField(ctx context.Context, name string) bool { return len(nodeFields(ctx, name)) > 0 }

// nodeFields returns the selections of edges { node { <name> } } under the
// current connection field (one per alias).
func nodeFields(ctx context.Context, name string) []graphql.CollectedField {
	fc := graphql.GetFieldContext(ctx)
	oc := graphql.GetOperationContext(ctx)
	if fc == nil || oc == nil {
		return nil
	}
	var out []graphql.CollectedField
	for _, edges := range graphql.CollectFields(oc, fc.Field.Selections, nil) {
		if edges.Name != "edges" {
			continue
		}
		for _, node := range graphql.CollectFields(oc, edges.Selections, nil) {
			if node.Name != "node" {
				continue
			}
			for _, f := range graphql.CollectFields(oc, node.Selections, nil) {
				if f.Name == name {
					out = append(out, f)
				}
			}
		}
	}
	return out
}

// prefetchScores loads the scores of a page of customers in one batch when
// the query asks for them.
func (r *Resolver) prefetchScores(ctx context.Context, conn *ent.CustomerConnection, err error) (*ent.CustomerConnection, error) {
	if err != nil || conn == nil || !selectsNodeField(ctx, "scores") {
		return conn, err
	}
	ids := make([]int, 0, len(conn.Edges))
	for _, e := range conn.Edges {
		ids = append(ids, e.Node.ID)
	}
	return conn, r.Aggregates.Prefetch(ctx, ids)
}

package graph

import (
	"context"

	"github.com/99designs/gqlgen/graphql"

	"github.com/c360/c360/ent"
)

// selectsNodeField reports whether the current connection field selects
// edges { node { <name> } } (through fragments too).
func selectsNodeField(ctx context.Context, name string) bool {
	fc := graphql.GetFieldContext(ctx)
	oc := graphql.GetOperationContext(ctx)
	if fc == nil || oc == nil {
		return false
	}
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
					return true
				}
			}
		}
	}
	return false
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

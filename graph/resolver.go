// Package graph holds the gqlgen resolvers of the customer 360 graph. They are
// thin: they call ent or a small domain package.
package graph

import (
	"context"

	"github.com/c360/c360/ent"
	"github.com/c360/c360/internal/eventstream"
	"github.com/c360/c360/internal/scores"
)

// Resolver is the root resolver, holding the dependencies.
type Resolver struct {
	Client        *ent.Client
	Aggregates    *scores.Service
	BaseCurrency  string
	Events        *eventstream.Stream
	Subscriptions *Subscriptions
	// AllowPrivateWebhooks lets webhooks target private and loopback
	// addresses (WEBHOOK_ALLOW_PRIVATE_NETWORKS).
	AllowPrivateWebhooks bool
}

// ent returns the transaction's client inside a mutation (entgql.Transactioner
// puts it in the context), the shared client otherwise.
func (r *Resolver) ent(ctx context.Context) *ent.Client {
	if c := ent.FromContext(ctx); c != nil {
		return c
	}
	return r.Client
}

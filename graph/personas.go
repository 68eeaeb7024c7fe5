package graph

import (
	"context"
	"errors"
	"sync"

	"github.com/c360/c360/ent"
	"github.com/c360/c360/ent/persona"
	"github.com/c360/c360/internal/personas"
	"github.com/c360/c360/internal/store"
)

// The loader of Customer.personas lives here rather than in internal/personas:
// it needs the ent client, which imports internal/personas.

type personaLoaderKey struct{}

// personaLoader reads all personas once per root field, however many
// customers ask.
type personaLoader struct {
	once     sync.Once
	client   *ent.Client
	personas []*ent.Persona
	err      error
}

// WithLoaders returns a context in which Customer.personas shares one
// persona query, and Customer.timeline and CustomerEvent.subject load in
// batches. The server installs it per root field, so that a mutation's later
// fields see what an earlier one wrote.
func WithLoaders(ctx context.Context, client *ent.Client) context.Context {
	return withTimelineLoaders(withSubjectLoader(context.WithValue(ctx, personaLoaderKey{}, &personaLoader{client: client}), client), client)
}

// personasOf returns the personas whose criteria the customer meets today,
// ordered by id.
func personasOf(ctx context.Context, c *ent.Customer) ([]*ent.Persona, error) {
	l, _ := ctx.Value(personaLoaderKey{}).(*personaLoader)
	if l == nil {
		return nil, errors.New("graph: no persona loader in the context (WithLoaders)")
	}
	l.once.Do(func() {
		client := ent.FromContext(ctx) // the transaction's client inside a mutation
		if client == nil {
			client = l.client
		}
		l.personas, l.err = client.Persona.Query().Order(persona.ByID()).All(ctx)
	})
	if l.err != nil {
		return nil, l.err
	}
	profile, today := store.PersonaProfile(c), personas.Today()
	out := []*ent.Persona{}
	for _, p := range l.personas {
		if p.Criteria.Matches(profile, today) {
			out = append(out, p)
		}
	}
	return out, nil
}

package graph

import (
	"context"
	"database/sql/driver"
	"errors"

	"entgo.io/contrib/entgql"
	"github.com/99designs/gqlgen/graphql"

	"github.com/c360/c360/ent"
	"github.com/c360/c360/internal/validate"
	"github.com/c360/c360/internal/webhooks"
)

// TxOpener opens the transaction entgql.Transactioner runs a mutation
// operation in. A dry run (mergeCustomers(dryRun: true)) writes in it like
// the real thing, so the response shows the outcome, and it is rolled back
// instead of committed (its commit hooks, the cache invalidations, never run).
// The URLs of createWebhook are checked before it opens: the check resolves
// hosts, and the transaction holds SQLite's only writer.
func TxOpener(client *ent.Client, allowPrivateWebhooks bool) entgql.TxOpener {
	return entgql.TxOpenerFunc(func(ctx context.Context) (context.Context, driver.Tx, error) {
		ctx = webhooks.Precheck(ctx, webhookURLs(ctx), allowPrivateWebhooks)
		ctx, tx, err := client.OpenTx(ctx)
		if err != nil {
			return ctx, nil, err
		}
		d := &dryRunTx{Tx: tx}
		return context.WithValue(ctx, dryRunKey{}, d), d, nil
	})
}

// webhookURLs are the urls of the operation's createWebhook fields.
func webhookURLs(ctx context.Context) []string {
	oc := graphql.GetOperationContext(ctx)
	var urls []string
	for _, f := range graphql.CollectFields(oc, oc.Operation.SelectionSet, nil) {
		if f.Name != "createWebhook" {
			continue
		}
		if input, ok := f.ArgumentMap(oc.Variables)["input"].(map[string]any); ok {
			if u, ok := input["url"].(string); ok {
				urls = append(urls, u)
			}
		}
	}
	return urls
}

type dryRunKey struct{}

type dryRunTx struct {
	driver.Tx
	dry bool
}

func (t *dryRunTx) Commit() error {
	if t.dry {
		return t.Tx.Rollback()
	}
	return t.Tx.Commit()
}

// dryRun makes the operation's transaction a dry run. It must be the
// operation's only mutation: the others would be rolled back with it.
func dryRun(ctx context.Context) error {
	t, ok := ctx.Value(dryRunKey{}).(*dryRunTx)
	if !ok {
		return errors.New("dry run: the mutation runs outside the operation's transaction")
	}
	oc := graphql.GetOperationContext(ctx)
	if len(graphql.CollectFields(oc, oc.Operation.SelectionSet, nil)) != 1 {
		return validate.Errorf("dryRun", "a dry run must be the operation's only mutation")
	}
	t.dry = true
	return nil
}

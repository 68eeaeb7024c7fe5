package webhooks

import (
	"context"
	"encoding/base64"
	"strings"
	"time"

	entsql "entgo.io/ent/dialect/sql"
	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"github.com/c360/c360/ent"
	"github.com/c360/c360/ent/customerevent"
	"github.com/c360/c360/ent/webhookdelivery"
	"github.com/c360/c360/internal/store"
	"github.com/c360/c360/internal/validate"
	"github.com/c360/c360/internal/webhooks/delivery"
)

// Secret length bounds, in bytes after base64 (Standard Webhooks: 24 to 64).
const minSecret, maxSecret = 24, 64

// Create registers a webhook for the events committed from now on whose
// type is in types. Each input is checked, and a refusal names it. Create
// and Replay write with client: the mutation's transaction.
func Create(ctx context.Context, client *ent.Client, url string, types []customerevent.Type, secret string, allowPrivate bool) (*ent.Webhook, error) {
	if len(url) > 2048 {
		return nil, validate.Errorf("input.url", "at most 2048 characters")
	}
	if err := checkURL(ctx, url, allowPrivate); err != nil {
		return nil, validate.Errorf("input.url", "%s", err)
	}
	if len(types) == 0 {
		return nil, validate.Errorf("input.types", "give at least one event type")
	}
	raw, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_"))
	switch {
	case !strings.HasPrefix(secret, "whsec_"):
		return nil, validate.Errorf("input.secret", `must start with "whsec_"`)
	case err != nil:
		return nil, validate.Errorf("input.secret", `must be "whsec_" and base64: %v`, err)
	case len(raw) < minSecret || len(raw) > maxSecret:
		return nil, validate.Errorf("input.secret", "must hold %d to %d bytes, not %d", minSecret, maxSecret, len(raw))
	}
	if _, err := standardwebhooks.NewWebhook(secret); err != nil {
		return nil, validate.Errorf("input.secret", "%s", err)
	}
	names := make([]string, 0, len(types))
	for _, t := range types {
		names = append(names, string(t))
	}
	last, err := store.LastEventID(ctx, client)
	if err != nil {
		return nil, err
	}
	return client.Webhook.Create().SetURL(url).SetTypes(names).SetSecret(secret).SetPosition(last).Save(ctx)
}

// Replay makes the webhook send its events again from fromEventID on: the
// deliveries recorded for them become pending (their attempts kept, their
// webhook-id the same), those of events it never had are recorded, and the
// webhook is active again.
func Replay(ctx context.Context, client *ent.Client, id, fromEventID int) (*ent.Webhook, error) {
	w, err := client.Webhook.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	err = client.WebhookDelivery.Update().Where(webhookdelivery.WebhookID(id), func(s *entsql.Selector) {
		s.Where(entsql.GTE(s.C(webhookdelivery.FieldEventID), fromEventID))
	}).SetStatus(delivery.Pending).SetQueued(true).SetNextAttemptAt(time.Now().UTC()).ClearLeaseUntil().Exec(ctx)
	if err != nil {
		return nil, err
	}
	if err := FreeStranded(ctx, client, id); err != nil { // each customer's first goes
		return nil, err
	}
	u := client.Webhook.UpdateOneID(id).SetActive(true)
	if fromEventID-1 < w.Position {
		u.SetPosition(max(fromEventID-1, 0)) // enqueue records the events it has no delivery of
	}
	return u.Save(ctx)
}

package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/dialect/entsql"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"

	"github.com/c360/c360/internal/webhooks/delivery"
)

// Webhook is an HTTP endpoint that gets the customer events of some types,
// signed (Standard Webhooks) and delivered by internal/webhooks.
type Webhook struct{ ent.Schema }

func (Webhook) Fields() []ent.Field {
	return []ent.Field{
		field.String("url").NotEmpty().MaxLen(2048).Immutable(),
		field.Strings("types").
			Comment("Event types (activity.Types); none is refused.").
			Annotations(entgql.Skip()), // Webhook.types: [CustomerEventType!]!, by its resolver
		field.String("secret").Sensitive().Immutable().
			Comment("The Standard Webhooks signing secret, \"whsec_\" + base64.").
			Annotations(entgql.Skip()),
		field.Bool("active").Default(true).
			Comment("False once a delivery died: deliveries are still recorded, none is sent until a replay."),
		field.Time("created_at").Default(now).Immutable(),
		field.Int("position").Default(0).
			Comment("Every event up to this id has its delivery recorded.").
			Annotations(entgql.Skip()),
	}
}

func (Webhook) Edges() []ent.Edge {
	return []ent.Edge{
		edge.To("deliveries", WebhookDelivery.Type).
			Annotations(entsql.OnDelete(entsql.Cascade), entgql.RelayConnection(), Interchange{Skip: true},
				entgql.Skip(entgql.SkipMutationCreateInput, entgql.SkipMutationUpdateInput)),
	}
}

func (Webhook) Annotations() []schema.Annotation {
	return []schema.Annotation{
		entgql.RelayConnection(),
		entgql.QueryField().Description("The webhooks, oldest first (admins)."),
		entgql.Skip(entgql.SkipWhereInput, entgql.SkipOrderField, entgql.SkipMutationCreateInput, entgql.SkipMutationUpdateInput),
	}
}

// WebhookDelivery is one event owed to one webhook, with its attempts.
type WebhookDelivery struct{ ent.Schema }

func (WebhookDelivery) Fields() []ent.Field {
	return []ent.Field{
		field.Int("webhook_id").Immutable().Annotations(entgql.Skip()),
		field.Int("event_id").Immutable().Annotations(entgql.Skip()),
		field.Int("customer_id").Default(0).Immutable().
			Comment("The event's customer, 0 for none: a customer's deliveries are sent in event order.").
			Annotations(entgql.Skip()),
		field.Enum("status").Values(delivery.Statuses...).Default(delivery.Pending).
			Annotations(entgql.Type("WebhookDeliveryStatus")),
		field.JSON("attempts", []delivery.Attempt{}).Optional().
			Annotations(entgql.Skip()), // WebhookDelivery.attempts, bound by gqlgen
		field.Time("next_attempt_at").Default(now),
		field.Bool("queued").Default(false).
			Comment("Waits behind an earlier pending delivery of its customer to its webhook, which frees it when delivered: the due query reads only the heads of the queues.").
			Annotations(entgql.Skip()),
		field.Time("lease_until").Optional().Nillable().
			Comment("While a process sends it, no other does.").
			Annotations(entgql.Skip()),
		field.Time("delivered_at").Optional().Nillable(),
	}
}

func (WebhookDelivery) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("webhook", Webhook.Type).Ref("deliveries").Field("webhook_id").Unique().Required().Immutable(),
		edge.To("event", CustomerEvent.Type).Field("event_id").Unique().Required().Immutable().
			Annotations(Interchange{Skip: true}),
	}
}

func (WebhookDelivery) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("webhook_id", "event_id").Unique(),
		index.Fields("status", "queued", "next_attempt_at"),
		index.Fields("webhook_id", "customer_id", "status", "event_id"),
	}
}

func (WebhookDelivery) Annotations() []schema.Annotation {
	return []schema.Annotation{
		entgql.RelayConnection(),
		entgql.Skip(entgql.SkipWhereInput, entgql.SkipOrderField, entgql.SkipMutationCreateInput, entgql.SkipMutationUpdateInput),
	}
}

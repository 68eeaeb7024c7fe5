package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"

	"github.com/c360/c360/internal/activity"
)

// CustomerEvent is one entry of a customer's event log, appended in the
// transaction of the change it records (store). Events are never changed,
// but erasing a customer strips the personal data of its events.
type CustomerEvent struct{ ent.Schema }

func (CustomerEvent) Fields() []ent.Field {
	return []ent.Field{
		field.Enum("type").Values(activity.Types...).Immutable().
			Annotations(entgql.Type("CustomerEventType")),
		field.Time("occurred_at").Default(now).Immutable().
			Annotations(entgql.OrderField("OCCURRED_AT")),
		field.Int("customer_id").Optional().Nillable().Annotations(entgql.Skip(entgql.SkipType)),
		field.Int("subject_id").Optional().Nillable().Immutable().
			Comment("The order, feedback, persona or merge the event is about (Node id).").
			Annotations(entgql.Skip()),
		field.String("summary").
			Comment("One line; names no personal data."),
		field.JSON("changes", []activity.FieldChange{}).Optional().
			Annotations(entgql.Skip()), // CustomerEvent.changes: [FieldChange!]!, bound by gqlgen
	}
}

func (CustomerEvent) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("customer", Customer.Type).Ref("events").Field("customer_id").Unique(),
	}
}

func (CustomerEvent) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("customer_id", "occurred_at"),
		index.Fields("occurred_at"),
	}
}

func (CustomerEvent) Annotations() []schema.Annotation {
	return []schema.Annotation{
		entgql.RelayConnection(),
		entgql.Skip(entgql.SkipWhereInput, entgql.SkipMutationCreateInput, entgql.SkipMutationUpdateInput),
	}
}

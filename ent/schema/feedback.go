package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"

	"github.com/c360/c360/internal/validate"
)

// Feedback is what a customer said: an NPS or CSAT answer, a review, a social
// media post or a support contact.
type Feedback struct{ ent.Schema }

func (Feedback) Mixin() []ent.Mixin { return []ent.Mixin{ExternalRefMixin{}, TimeMixin{}} }

func (Feedback) Fields() []ent.Field {
	return []ent.Field{
		field.Enum("kind").Values("NPS", "CSAT", "REVIEW", "SOCIAL", "SUPPORT").Immutable(),
		field.Enum("channel").Values("EMAIL", "WEB_FORM", "CHAT", "SMS", "PHONE", "SOCIAL_MEDIA", "REVIEW_SITE", "IN_STORE").Immutable(),
		field.Int("score").Optional().Nillable().Immutable(),
		field.Text("comment").Optional().Nillable().Validate(validate.Comment).Immutable().
			Annotations(entgql.Directives(personalData("text"))),
		field.String("language").Optional().Nillable().Validate(validate.Language).Immutable(),
		field.Time("submitted_at").Default(now).Immutable().
			Annotations(entgql.OrderField("SUBMITTED_AT")),
		field.Int("customer_id").Comment("Mutable: a merge moves feedback to the survivor.").Annotations(entgql.Skip(entgql.SkipType)),
		field.Int("order_id").Optional().Nillable().Immutable().Annotations(entgql.Skip(entgql.SkipType)),
	}
}

func (Feedback) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("customer", Customer.Type).Ref("feedbacks").Field("customer_id").Unique().Required(),
		edge.From("order", Order.Type).Ref("feedbacks").Field("order_id").Unique().Immutable(),
	}
}

func (Feedback) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("customer_id", "submitted_at"),
		index.Fields("submitted_at"),
		index.Fields("order_id"),
	}
}

func (Feedback) Hooks() []ent.Hook { return []ent.Hook{checkFeedbackScore} }

func (Feedback) Annotations() []schema.Annotation {
	return []schema.Annotation{
		entgql.QueryField(),
		entgql.RelayConnection(),
		entgql.Mutations(entgql.MutationCreate()),
		Interchange{File: "feedback.ndjson", Load: 4},
	}
}

package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/dialect/entsql"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/field"
)

// Summary is one customer's figures over all time, kept by internal/scores
// in the transaction of every write that changes them: a segment figure
// aggregates summaries instead of scanning every order and feedback. Not in
// the API nor in the interchange format; its rows are what the raw rows give.
type Summary struct{ ent.Schema }

func (Summary) Fields() []ent.Field {
	return []ent.Field{
		field.Int("id").Immutable().Comment("The customer's id."),
		field.Int("orders").Default(0).Comment("Revenue orders."),
		field.Int64("revenue").Default(0).Comment("Sum of the revenue orders' totals, in cents."),
		field.Time("first_order_at").Optional().Nillable(),
		field.Time("last_order_at").Optional().Nillable(),
		field.Int("feedback").Default(0).Comment("Feedback of any kind."),
		field.Int("csat_count").Default(0),
		field.Int64("csat_sum").Default(0),
		field.Int("csat_satisfied").Default(0).Comment("CSAT answers of 4 or 5."),
		field.Int("latest_nps").Optional().Nillable().Comment("The score of the latest NPS answer."),
	}
}

func (Summary) Annotations() []schema.Annotation {
	return []schema.Annotation{
		entsql.Table("customer_summaries"),
		entgql.Skip(entgql.SkipAll),
	}
}

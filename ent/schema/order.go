package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/dialect/entsql"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"

	"github.com/c360/c360/internal/money"
)

// Order is a purchase by a customer. Its total is derived from its items when
// it is created and never set directly.
type Order struct{ ent.Schema }

func (Order) Mixin() []ent.Mixin { return []ent.Mixin{ExternalRefMixin{}, TimeMixin{}} }

func (Order) Fields() []ent.Field {
	return []ent.Field{
		field.Enum("status").Values("PENDING", "PAID", "FULFILLED", "CANCELLED", "REFUNDED").Default("PENDING").
			Annotations(entgql.OrderField("STATUS")),
		field.Enum("channel").Values("WEB", "MOBILE_APP", "STORE", "PHONE", "PARTNER").Immutable().
			Annotations(entgql.Type("SalesChannel")),
		field.String("currency").MinLen(3).MaxLen(3).Immutable(),
		field.Time("placed_at").Default(now).Immutable().
			Annotations(entgql.OrderField("PLACED_AT")),
		field.Int64("total").GoType(money.Cents(0)).Immutable().
			Comment("Sum of quantity x unitPrice of the items, in cents.").
			Annotations(entgql.Type("Decimal"), entgql.OrderField("TOTAL"),
				entgql.Skip(entgql.SkipMutationCreateInput, entgql.SkipMutationUpdateInput), Interchange{Derived: true}),
		field.Int("customer_id").Comment("Mutable: a merge moves orders to the survivor.").
			Annotations(entgql.Skip(entgql.SkipType)),
	}
}

func (Order) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("customer", Customer.Type).Ref("orders").Field("customer_id").Unique().Required(),
		edge.To("items", OrderItem.Type).
			Annotations(entsql.OnDelete(entsql.Cascade),
				entgql.Skip(entgql.SkipMutationCreateInput, entgql.SkipMutationUpdateInput)),
		edge.To("feedbacks", Feedback.Type).
			Annotations(entsql.OnDelete(entsql.SetNull), entgql.Skip(entgql.SkipAll)),
	}
}

func (Order) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("customer_id", "placed_at"),
		index.Fields("placed_at"),
		// No index on status alone: too few values to help, and without
		// statistics SQLite would prefer it over customer_id.
	}
}

func (Order) Annotations() []schema.Annotation {
	return []schema.Annotation{
		entgql.QueryField(),
		entgql.RelayConnection(),
		Interchange{File: "orders.ndjson", Load: 3},
	}
}

package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"

	"github.com/c360/c360/internal/money"
	"github.com/c360/c360/internal/validate"
)

// OrderItem is one line of an order; written with its order, never alone.
type OrderItem struct{ ent.Schema }

func (OrderItem) Fields() []ent.Field {
	return []ent.Field{
		field.String("sku").Validate(validate.Text).Immutable(),
		field.String("name").Validate(validate.Text).Immutable(),
		field.String("category").Optional().Nillable().Validate(validate.Text).Immutable(),
		field.Int("quantity").Min(1).Immutable(),
		field.Int64("unit_price").GoType(money.Cents(0)).Min(0).Immutable().
			Annotations(entgql.Type("Decimal")),
		field.Int64("line_total").GoType(money.Cents(0)).Immutable().
			Annotations(entgql.Type("Decimal"), Interchange{Derived: true}),
		field.Int("order_id").Immutable().Annotations(entgql.Skip(entgql.SkipType)),
	}
}

func (OrderItem) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("order", Order.Type).Ref("items").Field("order_id").Unique().Required().Immutable(),
	}
}

func (OrderItem) Indexes() []ent.Index {
	return []ent.Index{index.Fields("order_id")}
}

func (OrderItem) Annotations() []schema.Annotation {
	return []schema.Annotation{
		entgql.Skip(entgql.SkipWhereInput, entgql.SkipMutationCreateInput, entgql.SkipMutationUpdateInput),
	}
}

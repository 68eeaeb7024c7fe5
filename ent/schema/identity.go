package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"

	"github.com/c360/c360/internal/identities"
	"github.com/c360/c360/internal/validate"
)

// Identity is a way a customer is known to another system: an email
// address, a phone number, another system's id, a loyalty card, a social
// media handle. Its value is stored in the kind's normal form
// (identities.Normalize), and one (kind, value) belongs to one customer.
type Identity struct{ ent.Schema }

func (Identity) Fields() []ent.Field {
	return []ent.Field{
		field.Enum("kind").Values(identities.Kinds...).Immutable().
			Annotations(entgql.Type("IdentityKind")),
		field.String("value").Immutable().
			Annotations(entgql.Directives(personalData("text"))),
		field.String("source").Optional().Nillable().Validate(validate.Text).
			Comment("The system the identity comes from (\"support\", \"shop\")."),
		field.Bool("verified").Default(false),
		field.Time("created_at").Default(now).Immutable().
			Annotations(Interchange{Skip: true}),
		field.Int("customer_id").Annotations(entgql.Skip(entgql.SkipType)),
	}
}

func (Identity) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("customer", Customer.Type).Ref("identities").Field("customer_id").Unique().Required(),
	}
}

func (Identity) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("kind", "value").Unique(),
		index.Fields("customer_id"),
	}
}

func (Identity) Annotations() []schema.Annotation {
	return []schema.Annotation{
		entgql.Skip(entgql.SkipWhereInput, entgql.SkipOrderField, entgql.SkipMutationCreateInput, entgql.SkipMutationUpdateInput),
		Interchange{Keep: "furtherIdentity"},
	}
}

package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/dialect/entsql"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"

	"github.com/c360/c360/internal/date"
	"github.com/c360/c360/internal/personas"
	"github.com/c360/c360/internal/validate"
)

// Customer is an individual, business or public organisation the company sells to.
type Customer struct{ ent.Schema }

func (Customer) Mixin() []ent.Mixin { return []ent.Mixin{ExternalRefMixin{}, TimeMixin{}} }

func (Customer) Fields() []ent.Field {
	return []ent.Field{
		field.Enum("kind").GoType(personas.Kind("")).
			Annotations(entgql.Type("CustomerKind")),
		field.Enum("relationship").Values("EXTERNAL", "INTERNAL").Default("EXTERNAL").
			Annotations(entgql.Type("CustomerRelationship")),
		field.Enum("lifecycle_stage").Values("PROSPECT", "ACTIVE", "CHURNED").Default("PROSPECT").
			Annotations(entgql.Type("LifecycleStage")),
		field.String("name").Validate(validate.Text).
			Annotations(entgql.OrderField("NAME")),
		field.String("email").Optional().Nillable().Unique().Validate(validate.Email).
			Comment("Lower-cased on write: unique case-insensitively.").
			Annotations(entgql.OrderField("EMAIL"), entgql.Directives(personalData("email"))),
		field.String("phone").Optional().Nillable().Validate(validate.Phone).
			Annotations(entgql.Directives(personalData("phone"))),
		field.String("birth_date").GoType(date.Date("")).Optional().Nillable().Validate(validBirthDate).
			Annotations(entgql.Type("Date"), entgql.OrderField("BIRTH_DATE"), entgql.Directives(personalData("date"))),
		field.Enum("gender").GoType(personas.Gender("")).Optional().Nillable().
			Annotations(entgql.Type("Gender")),
		field.Enum("income_band").GoType(personas.IncomeBand("")).Optional().Nillable().
			Annotations(entgql.Type("IncomeBand")),
		field.String("country").Optional().Nillable().Validate(validate.Country).
			Annotations(entgql.OrderField("COUNTRY")),
		field.String("region").Optional().Nillable().Validate(validate.Text).
			Annotations(entgql.Directives(personalData("region"))),
		field.String("city").Optional().Nillable().Validate(validate.Text).
			Annotations(entgql.Directives(personalData("city"))),
		field.String("preferred_language").Optional().Nillable().Validate(validate.Language).
			Comment("BCP 47 tag: the language customer service should use.").
			Annotations(Interchange{Sample: "language"}),
		// Duplicate detection's blocking keys (internal/duplicates: the name
		// key, the city's, the name key's first and last three letters),
		// kept by the matchKeys hook and the import, so one customer's
		// candidates are found through indexes.
		field.String("match_name").Default("").
			Annotations(entgql.Skip(), Interchange{Derived: true}),
		field.String("match_city").Default("").
			Annotations(entgql.Skip(), Interchange{Derived: true}),
		field.String("match_head").Default("").
			Annotations(entgql.Skip(), Interchange{Derived: true}),
		field.String("match_tail").Default("").
			Annotations(entgql.Skip(), Interchange{Derived: true}),
	}
}

func (Customer) Edges() []ent.Edge {
	return []ent.Edge{
		edge.To("orders", Order.Type).
			Annotations(entsql.OnDelete(entsql.Cascade), entgql.RelayConnection(),
				entgql.Skip(entgql.SkipMutationCreateInput, entgql.SkipMutationUpdateInput)),
		edge.To("feedbacks", Feedback.Type).
			Annotations(entsql.OnDelete(entsql.Cascade), entgql.RelayConnection(),
				entgql.Skip(entgql.SkipMutationCreateInput, entgql.SkipMutationUpdateInput)),
		edge.To("identities", Identity.Type).
			Annotations(entsql.OnDelete(entsql.Cascade),
				entgql.Skip(entgql.SkipMutationCreateInput, entgql.SkipMutationUpdateInput)),
		edge.To("events", CustomerEvent.Type).
			Comment("The customer's event log (Customer.timeline).").
			Annotations(entsql.OnDelete(entsql.SetNull), Interchange{Skip: true}, entgql.Skip()),
		edge.To("merges", Merge.Type).
			Comment("The merges this customer survived.").
			Annotations(entsql.OnDelete(entsql.Cascade), Interchange{Skip: true},
				entgql.Skip(entgql.SkipMutationCreateInput, entgql.SkipMutationUpdateInput)),
	}
}

func (Customer) Indexes() []ent.Index {
	return []ent.Index{
		// Persona membership filters on these.
		index.Fields("country", "income_band"),
		index.Fields("birth_date"),
		index.Fields("name"),
		index.Fields("created_at"),
		index.Fields("match_name", "birth_date"),
		index.Fields("match_name", "country"),
		index.Fields("match_city", "match_head"),
		index.Fields("match_city", "match_tail"),
		index.Fields("phone"), // a shared phone: duplicate detection
	}
}

func (Customer) Hooks() []ent.Hook { return []ent.Hook{normalizeEmail, matchKeys} }

func (Customer) Annotations() []schema.Annotation {
	return []schema.Annotation{
		entgql.QueryField(),
		entgql.RelayConnection(),
		entgql.Mutations(entgql.MutationCreate(), entgql.MutationUpdate()),
		Interchange{File: "customers.ndjson", Load: 2, With: []string{"created_at"}},
	}
}

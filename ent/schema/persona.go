package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/field"

	"github.com/c360/c360/internal/personas"
	"github.com/c360/c360/internal/validate"
)

// Persona is a demographic segment, the company's picture of an "ideal
// customer". Its members are not stored: they are computed from the criteria,
// so they are right after every write and on every birthday.
type Persona struct{ ent.Schema }

func (Persona) Mixin() []ent.Mixin { return []ent.Mixin{ExternalRefMixin{}, TimeMixin{}} }

func (Persona) Fields() []ent.Field {
	return []ent.Field{
		field.String("name").Validate(validate.Text).
			Annotations(entgql.OrderField("NAME")),
		field.Text("description").Optional().Nillable().Validate(validate.Comment),
		field.JSON("criteria", personas.Criteria{}).Default(personas.Criteria{}),
	}
}

func (Persona) Hooks() []ent.Hook { return []ent.Hook{checkCriteria} }

func (Persona) Annotations() []schema.Annotation {
	return []schema.Annotation{
		entgql.QueryField(),
		entgql.RelayConnection(),
		entgql.Mutations(entgql.MutationCreate(), entgql.MutationUpdate()),
		Interchange{File: "personas.ndjson", Load: 1},
	}
}

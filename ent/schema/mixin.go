package schema

import (
	"time"

	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/mixin"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/c360/c360/internal/validate"
)

// now is UTC so stored times compare the same on SQLite (text) and PostgreSQL.
func now() time.Time { return time.Now().UTC() }

// TimeMixin adds createdAt/updatedAt, orderable in GraphQL.
type TimeMixin struct{ mixin.Schema }

func (TimeMixin) Fields() []ent.Field {
	return []ent.Field{
		field.Time("created_at").Default(now).Immutable().
			Annotations(entgql.OrderField("CREATED_AT"), entgql.Skip(entgql.SkipMutationUpdateInput), Interchange{Skip: true}),
		field.Time("updated_at").Default(now).UpdateDefault(now).
			Annotations(entgql.OrderField("UPDATED_AT"), entgql.Skip(entgql.SkipMutationCreateInput, entgql.SkipMutationUpdateInput),
				Interchange{Skip: true}),
	}
}

// ExternalRefMixin adds the source system's id: optional, unique, the import's upsert key.
type ExternalRefMixin struct{ mixin.Schema }

func (ExternalRefMixin) Fields() []ent.Field {
	return []ent.Field{
		field.String("external_ref").Optional().Nillable().Unique().
			Validate(validate.Ref).
			Annotations(entgql.OrderField("EXTERNAL_REF")),
	}
}

// personalData marks a field as personal data in the GraphQL schema: the
// server shows it to admins, masks it for analysts and refuses it to viewers.
func personalData(kind string) entgql.Directive {
	return entgql.NewDirective("personalData", &ast.Argument{
		Name:  "kind",
		Value: &ast.Value{Raw: kind, Kind: ast.StringValue},
	})
}

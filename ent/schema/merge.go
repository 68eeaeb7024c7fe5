package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"

	"github.com/c360/c360/internal/merges"
)

// Merge records customers merged into a survivor, with what it takes to undo
// it: the merged customers as they were, and what moved or changed.
type Merge struct{ ent.Schema }

func (Merge) Fields() []ent.Field {
	return []ent.Field{
		field.Time("performed_at").Default(now).Immutable(),
		field.Time("undone_at").Optional().Nillable(),
		field.JSON("merged_ids", []int{}).Immutable().
			Annotations(entgql.Skip()), // Merge.mergedIDs: global ids, by its resolver
		field.JSON("record", &merges.Record{}).Optional().Sensitive().
			Comment("Personal data: dropped on undo, erased with the survivor.").
			Annotations(entgql.Skip()),
		field.Int("survivor_id").Annotations(entgql.Skip(entgql.SkipType)),
	}
}

func (Merge) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("survivor", Customer.Type).Ref("merges").Field("survivor_id").Unique().Required(),
	}
}

func (Merge) Indexes() []ent.Index {
	return []ent.Index{index.Fields("survivor_id")}
}

func (Merge) Annotations() []schema.Annotation {
	return []schema.Annotation{
		entgql.Skip(entgql.SkipWhereInput, entgql.SkipOrderField, entgql.SkipMutationCreateInput, entgql.SkipMutationUpdateInput),
	}
}

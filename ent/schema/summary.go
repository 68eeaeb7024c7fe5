package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/dialect/entsql"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
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

// MonthSummary is one customer's figures in one calendar month (UTC), kept
// like its Summary, which sums them: a month-aligned window or series
// aggregates them.
type MonthSummary struct{ ent.Schema }

func (MonthSummary) Fields() []ent.Field {
	return []ent.Field{
		field.Int("customer_id").Immutable(),
		field.String("month").Immutable().Comment(`The month's first day, "2006-01-02".`),
		field.Int("orders").Default(0).Comment("Revenue orders placed in the month."),
		field.Int64("revenue").Default(0),
		field.Time("first_order_at").Optional().Nillable(),
		field.Time("last_order_at").Optional().Nillable(),
		field.Int("feedback").Default(0).Comment("Feedback of any kind submitted in the month."),
		field.Int("csat_count").Default(0),
		field.Int64("csat_sum").Default(0),
		field.Int("csat_satisfied").Default(0),
		field.Int("latest_nps").Optional().Nillable().Comment("The score of the month's latest NPS answer."),
	}
}

func (MonthSummary) Indexes() []ent.Index {
	return []ent.Index{
		// Not unique: a refresh deletes a customer's months before writing
		// them again, and a first load then builds both indexes in one pass
		// each (database.BeginBulkLoad defers secondary indexes only).
		index.Fields("customer_id", "month"),
		index.Fields("month"),
	}
}

func (MonthSummary) Annotations() []schema.Annotation {
	return []schema.Annotation{
		entsql.Table("customer_months"),
		entgql.Skip(entgql.SkipAll),
	}
}

// MonthTotal is the figures of all customers in one calendar month, the sum
// of its MonthSummary rows' contributions, moved by every refresh by the
// difference it made: a monthly series of all customers reads one row a
// month.
type MonthTotal struct{ ent.Schema }

func (MonthTotal) Fields() []ent.Field {
	return []ent.Field{
		field.String("id").Immutable().Comment(`The month's first day, "2006-01-02".`),
		field.Int("buyers").Default(0),
		field.Int("repeaters").Default(0).Comment("Customers with 2 or more revenue orders in the month."),
		field.Int("orders").Default(0),
		field.Int64("revenue").Default(0),
		field.Int("promoters").Default(0).Comment("Customers whose latest NPS answer of the month is a promoter's."),
		field.Int("passives").Default(0),
		field.Int("detractors").Default(0),
		field.Int("csat_count").Default(0),
		field.Int64("csat_sum").Default(0),
		field.Int("csat_satisfied").Default(0),
	}
}

func (MonthTotal) Annotations() []schema.Annotation {
	return []schema.Annotation{
		entsql.Table("month_totals"),
		entgql.Skip(entgql.SkipAll),
	}
}

// SegmentTotal is the figures over all time of a segment (a persona's
// members, or all customers) on one day: membership changes with birthdays.
// Computed from the summaries at the day's first read, then moved by every
// refresh by the difference it made to the segment's members.
type SegmentTotal struct{ ent.Schema }

func (SegmentTotal) Fields() []ent.Field {
	return []ent.Field{
		field.Int("persona_id").Immutable().Comment("0 for all customers."),
		field.String("day").Immutable().Comment(`The day membership is evaluated on, "2006-01-02".`),
		field.Int("customers").Default(0),
		field.Int("buyers").Default(0),
		field.Int("repeaters").Default(0),
		field.Int("orders").Default(0),
		field.Int64("revenue").Default(0),
		field.Int("promoters").Default(0),
		field.Int("passives").Default(0),
		field.Int("detractors").Default(0),
		field.Int("csat_count").Default(0),
		field.Int64("csat_sum").Default(0),
		field.Int("csat_satisfied").Default(0),
	}
}

func (SegmentTotal) Indexes() []ent.Index {
	return []ent.Index{index.Fields("persona_id", "day").Unique()}
}

func (SegmentTotal) Annotations() []schema.Annotation {
	return []schema.Annotation{
		entsql.Table("segment_totals"),
		entgql.Skip(entgql.SkipAll),
	}
}

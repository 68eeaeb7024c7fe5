package casefold

import (
	"strings"

	"entgo.io/ent/dialect"
	"entgo.io/ent/dialect/sql"
)

// FieldEqualFold is the predicate of the generated <Field>EqualFold: the
// column's fold equals the fold of v.
func FieldEqualFold(name, v string) func(*sql.Selector) {
	return func(s *sql.Selector) { s.Where(EqualFold(s.C(name), v)) }
}

// FieldContainsFold is the predicate of the generated <Field>ContainsFold: the
// column's fold contains the fold of substr.
func FieldContainsFold(name, substr string) func(*sql.Selector) {
	return func(s *sql.Selector) { s.Where(ContainsFold(s.C(name), substr)) }
}

// EqualFold compares the fold of column col with the fold of v.
func EqualFold(col, v string) *sql.Predicate {
	return sql.P(func(b *sql.Builder) {
		fold(b, col)
		b.WriteString(" = ").Arg(String(v))
	})
}

// ContainsFold matches the fold of column col against the fold of substr with
// LIKE, its %, _ and \ escaped as ent escapes them.
func ContainsFold(col, substr string) *sql.Predicate {
	return sql.P(func(b *sql.Builder) {
		w, escaped := escape(String(substr))
		fold(b, col)
		b.WriteString(" LIKE ").Arg("%" + w + "%")
		if escaped && b.Dialect() != dialect.Postgres { // PostgreSQL's LIKE escapes with \ by default
			b.WriteString(" ESCAPE ").Arg(`\`)
		}
	})
}

// fold writes the fold of column col in the builder's dialect.
func fold(b *sql.Builder, col string) {
	if b.Dialect() == dialect.Postgres {
		b.WriteString(`replace(replace(lower(upper(normalize(`).Ident(col).
			WriteString(`, NFC) COLLATE "und-x-icu")), 'ς', 'σ'), 'ß', 'ss')`)
		return
	}
	b.WriteString(SQLiteFunc + "(").Ident(col).WriteString(")")
}

// escape escapes LIKE's wildcards and its escape character with \.
func escape(w string) (string, bool) {
	if !strings.ContainsAny(w, `%_\`) {
		return w, false
	}
	r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	return r.Replace(w), true
}

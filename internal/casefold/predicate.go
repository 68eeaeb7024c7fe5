package casefold

import (
	"context"
	stdsql "database/sql"
	"fmt"
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

// fold writes the fold of column col in the builder's dialect. ASCII values
// (as many bytes as characters) are lower-cased by the database's own lower(),
// which is the fold for ASCII and far cheaper than the full fold (on SQLite a
// call into Go per row).
func fold(b *sql.Builder, col string) {
	b.WriteString("(CASE WHEN octet_length(").Ident(col).WriteString(") = length(").Ident(col).WriteString(") THEN ")
	if b.Dialect() == dialect.Postgres {
		b.WriteString("lower(").Ident(col).WriteString(` COLLATE "C") ELSE `)
		b.WriteString(`replace(replace(lower(upper((CASE WHEN `).Ident(col).WriteString(" IS NFC NORMALIZED THEN ").Ident(col).
			WriteString(" ELSE normalize(").Ident(col).WriteString(`, NFC) END) COLLATE "und-x-icu")), 'ς', 'σ'), 'ß', 'ss') COLLATE "C"`)
	} else {
		b.WriteString("lower(").Ident(col).WriteString(") ELSE ")
		b.WriteString(SQLiteFunc + "(").Ident(col).WriteString(")")
	}
	b.WriteString(" END)")
}

// escape escapes LIKE's wildcards and its escape character with \.
func escape(w string) (string, bool) {
	if !strings.ContainsAny(w, `%_\`) {
		return w, false
	}
	r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	return r.Replace(w), true
}

// CheckPostgres fails when the PostgreSQL database cannot compute the fold: a
// server built without ICU has no "und-x-icu" collation, and normalize()
// needs a UTF8 database.
func CheckPostgres(ctx context.Context, db *stdsql.DB) error {
	var f string
	err := db.QueryRowContext(ctx, `SELECT lower(upper(normalize('ı', NFC) COLLATE "und-x-icu"))`).Scan(&f)
	if err != nil {
		return fmt.Errorf("PostgreSQL cannot fold case for the …Fold filters (it needs a UTF8 database on a server built with ICU): %w", err)
	}
	if f != "i" {
		return fmt.Errorf("PostgreSQL folds \"ı\" to %q, not \"i\": its ICU case mapping is not the one the …Fold filters need", f)
	}
	return nil
}

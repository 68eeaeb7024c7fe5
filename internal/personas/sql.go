package personas

import (
	"entgo.io/ent/dialect/sql"

	"github.com/c360/c360/internal/date"
)

// Columns of the customer table that membership tests. They are spelled out
// rather than taken from ent/customer, which imports this package; the SQL
// rules below are tested against the generated schema on both dialects.
const (
	columnBirthDate  = "birth_date"
	columnGender     = "gender"
	columnIncomeBand = "income_band"
	columnCountry    = "country"
	columnKind       = "kind"
)

// Predicate selects the customers who meet the criteria on the given day: an
// ent predicate.Customer (Matches in SQL), for queries built with ent.
func Predicate(c Criteria, today date.Date) func(*sql.Selector) {
	var ps []func(*sql.Selector)
	if c.MinAge != nil {
		// age >= minAge  <=>  born on or before the minAge-th birthday cut-off
		ps = append(ps, sql.FieldLTE(columnBirthDate, string(today.YearsBefore(*c.MinAge))))
	}
	if c.MaxAge != nil {
		// age <= maxAge  <=>  not yet maxAge+1
		ps = append(ps, sql.FieldGT(columnBirthDate, string(today.YearsBefore(*c.MaxAge+1))))
	}
	if len(c.Genders) > 0 {
		ps = append(ps, fieldIn(columnGender, c.Genders))
	}
	if len(c.IncomeBands) > 0 {
		ps = append(ps, fieldIn(columnIncomeBand, c.IncomeBands))
	}
	if len(c.Countries) > 0 {
		ps = append(ps, fieldIn(columnCountry, c.Countries))
	}
	if len(c.Kinds) > 0 {
		ps = append(ps, fieldIn(columnKind, c.Kinds))
	}
	if len(ps) == 0 {
		return func(*sql.Selector) {}
	}
	return sql.AndPredicates(ps...)
}

func fieldIn[T any](column string, vs []T) func(*sql.Selector) {
	args := make([]any, len(vs))
	for i, v := range vs {
		args[i] = v
	}
	return sql.FieldIn(column, args...)
}

// WriteMatch writes the SQL condition "the criteria of the persona row p hold
// for the customer row c on today": Matches in SQL, for reads that evaluate
// membership inside one statement (the read planner). p and c are quoted
// table aliases; criteria is the persona's JSON column.
func WriteMatch(b *sql.Builder, postgres bool, p, c string, today date.Date) {
	t := today.Time()
	year, monthDay := t.Year(), string(today)[4:]
	num := func(key string) string { // the criterion's integer, NULL when absent
		if postgres {
			return "(" + p + `."criteria"->>'` + key + "')::int"
		}
		return "json_extract(" + p + `."criteria", '$.` + key + "')"
	}
	// birth <= YearsBefore(n) <=> age >= n (see date.Date.YearsBefore).
	yearsBefore := func(n string, plus int) {
		if postgres {
			b.WriteString("lpad((").Arg(year - plus).WriteString(" - " + n + ")::text, 4, '0') || ").Arg(monthDay)
		} else {
			b.WriteString("printf('%04d', ").Arg(year - plus).WriteString(" - " + n + ") || ").Arg(monthDay)
		}
	}
	b.WriteString("((" + num("minAge") + " IS NULL OR " + c + `."` + columnBirthDate + `" <= `)
	yearsBefore(num("minAge"), 0)
	b.WriteString(") AND (" + num("maxAge") + " IS NULL OR " + c + `."` + columnBirthDate + `" > `)
	yearsBefore(num("maxAge"), 1)
	b.WriteString(")")
	for _, l := range []struct{ key, column string }{
		{"genders", columnGender}, {"incomeBands", columnIncomeBand}, {"countries", columnCountry}, {"kinds", columnKind},
	} {
		// An empty or missing list means any (Criteria's JSON leaves empty
		// lists out); a NULL column never matches a non-empty one.
		if postgres {
			b.WriteString(" AND (coalesce(jsonb_array_length(" + p + `."criteria"->'` + l.key + "'), 0) = 0 OR " +
				c + `."` + l.column + `" IN (SELECT jsonb_array_elements_text(` + p + `."criteria"->'` + l.key + "')))")
		} else {
			b.WriteString(" AND (coalesce(json_array_length(" + p + `."criteria", '$.` + l.key + "'), 0) = 0 OR " +
				c + `."` + l.column + `" IN (SELECT value FROM json_each(` + p + `."criteria", '$.` + l.key + "')))")
		}
	}
	b.WriteString(")")
}

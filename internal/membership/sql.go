package membership

import (
	"entgo.io/ent/dialect/sql"

	"github.com/c360/c360/internal/date"
)

// WriteMatch writes the SQL condition "the criteria of the persona row p hold
// for the customer row c on today": Criteria.Matches in SQL, for reads that
// evaluate membership inside one statement (the read planner). p and c are
// quoted table aliases; criteria is the persona's JSON column.
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
	b.WriteString("((" + num("minAge") + " IS NULL OR " + c + `."birth_date" <= `)
	yearsBefore(num("minAge"), 0)
	b.WriteString(") AND (" + num("maxAge") + " IS NULL OR " + c + `."birth_date" > `)
	yearsBefore(num("maxAge"), 1)
	b.WriteString(")")
	for _, l := range []struct{ key, column string }{
		{"genders", "gender"}, {"incomeBands", "income_band"}, {"countries", "country"}, {"kinds", "kind"},
	} {
		// An empty or missing list means any; a NULL column never matches a non-empty one.
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

package database

import (
	"strconv"

	"entgo.io/ent/dialect"
)

// IDList is a list of ids as one statement argument, for InIDs: an array
// literal on PostgreSQL ("{1,2}"), a JSON array on SQLite ("[1,2]"). Bound
// once whatever the number of ids, it keeps a statement within the
// parameter limits; PostgreSQL's planner counts 100 rows for any
// set-returning function and unpacked a JSON array once per candidate row
// (a nested loop), where it reads an array as a list.
func IDList(d string, ids []int) string {
	open, close := byte('['), byte(']')
	if d == dialect.Postgres {
		open, close = '{', '}'
	}
	b := make([]byte, 0, 2+8*len(ids))
	b = append(b, open)
	for i, id := range ids {
		if i > 0 {
			b = append(b, ',')
		}
		b = strconv.AppendInt(b, int64(id), 10)
	}
	return string(append(b, close))
}

// InIDs is the SQL of "column is one of the ids of the statement's n-th
// argument" (an IDList), which other uses may refer to by the same number.
func InIDs(d, column string, n int) string {
	if d == dialect.Postgres {
		return column + " = ANY($" + strconv.Itoa(n) + "::bigint[])"
	}
	return column + " IN (SELECT value FROM json_each(?" + strconv.Itoa(n) + "))"
}

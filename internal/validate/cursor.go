package validate

import (
	"reflect"
	"time"

	"entgo.io/contrib/entgql"
)

// Cursors refuses an after or before cursor made by another ordering of a
// connection than the one it is given to: entgql compares the cursor's value
// with the order column, which PostgreSQL refuses as a type error and SQLite
// answers with rows from nowhere. byID tells the connection is ordered by
// id, whose cursors hold no value; zero is the order field's Go value (a nil
// pointer for a nillable field, whose cursors may hold none).
func Cursors(after, before *entgql.Cursor[int], byID bool, zero any) error {
	for _, c := range []struct {
		name string
		c    *entgql.Cursor[int]
	}{{"after", after}, {"before", before}} {
		if c.c != nil && !fits(c.c.Value, byID, zero) {
			return Errorf(c.name, "is a cursor of another ordering of this connection; pass a startCursor or endCursor from pageInfo of the same orderBy")
		}
	}
	return nil
}

func fits(v any, byID bool, zero any) bool {
	if byID {
		return v == nil
	}
	t := reflect.TypeOf(zero)
	nillable := t != nil && t.Kind() == reflect.Pointer
	if nillable {
		t = t.Elem()
	}
	if v == nil {
		return nillable
	}
	got := reflect.TypeOf(v)
	switch {
	case t == nil:
		return true
	case t == reflect.TypeFor[time.Time]():
		return got == t
	case t.Kind() == reflect.String:
		return got.Kind() == reflect.String
	case t.Kind() >= reflect.Int && t.Kind() <= reflect.Uint64:
		return got.Kind() >= reflect.Int && got.Kind() <= reflect.Uint64
	case t.Kind() == reflect.Float32 || t.Kind() == reflect.Float64:
		return got.Kind() >= reflect.Int && got.Kind() <= reflect.Float64
	}
	return true
}

// Package nodeid is the GraphQL ID scalar of c360: every object's ID is ent's
// global integer ID, sent as a string. gqlgen's own graphql.IntID would do the
// same but refuses a bad ID with strconv's words ("strconv.Atoi: parsing
// \"abc\": invalid syntax"); this one says what is wrong in the API's words.
package nodeid

import (
	"encoding/json"
	"fmt"
	"io"
	"strconv"

	"github.com/99designs/gqlgen/graphql"
)

// MarshalIntID writes an ID as a JSON string.
func MarshalIntID(i int) graphql.Marshaler {
	return graphql.WriterFunc(func(w io.Writer) {
		_, _ = io.WriteString(w, strconv.Quote(strconv.Itoa(i)))
	})
}

// UnmarshalIntID reads an ID from a literal or a variable: a string of
// decimal digits, or an integer.
func UnmarshalIntID(v any) (int, error) {
	var s string
	switch v := v.(type) {
	case int:
		return v, nil
	case int64:
		return int(v), nil
	case string:
		s = v
	case json.Number:
		s = string(v)
	default:
		// gqlparser lets only strings and integers through as an ID.
		return 0, fmt.Errorf("an ID must be a string")
	}
	// An ID the server never issued is bad input whatever the reason
	// (letters, a fraction, out of range): one message says so.
	i, err := strconv.Atoi(s)
	if err != nil {
		return 0, fmt.Errorf("%q is not a valid ID", s)
	}
	return i, nil
}

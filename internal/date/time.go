package date

import (
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/99designs/gqlgen/graphql"
)

// The GraphQL Time scalar: RFC 3339 in and out, always normalised to UTC.
// SQLite stores times as text, so a filter value with another offset would
// compare wrongly as a string; UTC everywhere keeps both databases exact.

// MarshalTime writes t in UTC, RFC 3339 with as many fractional digits as needed.
func MarshalTime(t time.Time) graphql.Marshaler {
	return graphql.WriterFunc(func(w io.Writer) {
		_, _ = io.WriteString(w, strconv.Quote(t.UTC().Format(time.RFC3339Nano)))
	})
}

// UnmarshalTime reads an RFC 3339 string and returns it in UTC.
func UnmarshalTime(v any) (time.Time, error) {
	s, ok := v.(string)
	if !ok {
		return time.Time{}, fmt.Errorf("Time must be an RFC 3339 string such as 2024-05-02T14:31:00Z")
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%q is not an RFC 3339 time such as 2024-05-02T14:31:00Z", s)
	}
	return t.UTC(), nil
}

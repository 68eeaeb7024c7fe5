// Package ndjson implements the customer-360 data interchange format: a
// directory of NDJSON files (one JSON object per line, UTF-8) holding
// personas, customers, orders and feedback (see shared/spec/data-format.md).
//
// The package deals with the format's shape: record types whose JSON form
// matches the spec exactly (generated from the ent schema, with the record
// of a stored row), a streaming line reader that reports errors with file
// and line number, and a writer. Semantic validation (enums, required
// fields, decimal format, references) belongs to the importer.
package ndjson

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strconv"
)

// The record types, their file names and load order are generated from
// the ent schema (records_gen.go, ent/interchangegen), as is the mapping of
// a stored record to its record (CustomerOf ...).

// RefPrefix starts the externalRef of a stored record that has none.
const RefPrefix = "c360:"

// Ref returns the externalRef a stored record is exchanged with: its own,
// or RefPrefix followed by its id. Records created through the GraphQL API
// may have no externalRef, but the format references records by externalRef
// only; "c360:" and the id is also the record's GraphQL global id (node(id:)
// resolves it), e.g. "c360:8589934593".
func Ref(externalRef *string, id int) string {
	if externalRef != nil {
		return *externalRef
	}
	return RefPrefix + strconv.Itoa(id)
}

func ptr[T any](v T) *T { return &v }

// Decimal is a decimal number kept as its literal text. On input it accepts a
// JSON string ("19.90") or a JSON number (19.9), keeping the text exactly as
// written; on output it is always a JSON string. The format is not validated
// here (the domain layer parses it).
type Decimal string

var decimalType = reflect.TypeFor[Decimal]()

// UnmarshalJSON implements json.Unmarshaler.
func (d *Decimal) UnmarshalJSON(data []byte) error {
	data = bytes.TrimSpace(data)
	if len(data) == 0 {
		return &json.UnmarshalTypeError{Value: "empty input", Type: decimalType}
	}
	switch c := data[0]; {
	case c == '"':
		var s string
		if err := json.Unmarshal(data, &s); err != nil {
			return err
		}
		*d = Decimal(s)
		return nil
	case c == '-' || (c >= '0' && c <= '9'):
		// The decoder has already checked the number's syntax.
		*d = Decimal(data)
		return nil
	default:
		var what string
		switch c {
		case 't', 'f':
			what = "bool"
		case 'n':
			what = "null"
		case '{':
			what = "object"
		case '[':
			what = "array"
		default:
			what = "value"
		}
		return &json.UnmarshalTypeError{Value: what, Type: decimalType}
	}
}

// MarshalJSON implements json.Marshaler; a Decimal is written as a JSON string.
func (d Decimal) MarshalJSON() ([]byte, error) {
	return json.Marshal(string(d))
}

// String returns the literal text.
func (d Decimal) String() string { return string(d) }

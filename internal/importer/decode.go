package importer

import (
	"bytes"
	"io"
	"unicode/utf8"

	"github.com/mailru/easyjson"
	"github.com/mailru/easyjson/jlexer"

	"github.com/c360/c360/internal/ndjson"
)

// Lines are decoded by easyjson's decoders, generated for the record types
// (ndjson/records_easyjson.go): encoding/json decodes the format at about a
// quarter of their speed (reflection, a Decoder per line, UnmarshalJSON round
// trips). The reference is ndjson.Reader, which accepts the same lines as
// encoding/json and words every error. Whenever easyjson refuses a line, or
// the line holds what the two might read differently (invalid UTF-8, which
// encoding/json replaces; \u escapes, where they differ on lone surrogates),
// the line is decoded again by the reference. So the fast path changes speed
// only, never which lines are accepted, the values decoded or the reasons
// given (FuzzFastDecoderMatchesReader).

// decodeSlow decodes one line with the reference decoder, for its value or
// its error (a *ndjson.LineError carrying file and line).
func decodeSlow[T any](data []byte, file string, line int) (T, error) {
	rec, _, err := ndjson.NewReader[T](bytes.NewReader(data), file).Next()
	if le, ok := err.(*ndjson.LineError); ok {
		le.Line = line
		return rec, le
	}
	if err == io.EOF { // cannot happen for a non-blank line
		err = &ndjson.LineError{File: file, Line: line, Err: io.ErrUnexpectedEOF}
	}
	return rec, err
}

// plain reports whether a line is one easyjson reads as encoding/json does:
// an object (easyjson takes null), without null values (easyjson skips an
// unknown field whose value is null), valid UTF-8 (encoding/json replaces bad bytes), no control characters
// (easyjson takes them inside strings), no \u escapes (they differ on lone
// surrogates) and no number with a leading zero (easyjson takes 01).
func plain(data []byte) bool {
	if t := bytes.TrimLeft(data, " "); len(t) == 0 || t[0] != '{' || !utf8.Valid(data) {
		return false
	}
	inString, escaped, prev := false, false, byte(0)
	for i, c := range data {
		switch {
		case c < 0x20:
			return false
		case inString && escaped:
			if c == 'u' {
				return false
			}
			escaped = false
		case inString && c == '\\':
			escaped = true
		case c == '"':
			inString = !inString
		case !inString && c == 'n':
			return false
		case !inString && c == '0' && (prev < '0' || prev > '9') && prev != '.' &&
			i+1 < len(data) && data[i+1] >= '0' && data[i+1] <= '9':
			return false
		}
		prev = c
	}
	return true
}

// decode decodes one line of file.
func decode[T any, PT interface {
	*T
	easyjson.Unmarshaler
}](data []byte, file string, line int) (T, error) {
	var rec T
	if plain(data) {
		l := jlexer.Lexer{Data: data}
		PT(&rec).UnmarshalEasyJSON(&l)
		l.Consumed()
		if l.Error() == nil {
			return rec, nil
		}
		rec = *new(T)
	}
	return decodeSlow[T](data, file, line)
}

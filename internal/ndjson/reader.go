package ndjson

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"slices"
	"strings"
	"time"
)

// DefaultMaxLineBytes is the default limit on the length of one line. Longer
// lines are rejected with a *LineError (and skipped) instead of being buffered.
const DefaultMaxLineBytes = 64 << 20

// LineError reports a record that could not be decoded.
type LineError struct {
	File string // file name as given to NewReader
	Line int    // 1-based line number
	Err  error  // the reason
}

func (e *LineError) Error() string { return fmt.Sprintf("%s:%d: %v", e.File, e.Line, e.Err) }

func (e *LineError) Unwrap() error { return e.Err }

// Lines reads the non-blank lines of NDJSON input: 1-based line numbers,
// blank lines skipped (but counted), a UTF-8 byte order mark dropped from the
// first line, lines longer than the limit reported without being buffered, a
// last line without a newline accepted. Memory is bounded by the limit.
type Lines struct {
	// MaxLineBytes limits the length of one line; 0 means DefaultMaxLineBytes.
	MaxLineBytes int

	br   *bufio.Reader
	file string
	line int
	buf  []byte
	err  error // sticky read error (io.EOF at the end)
}

// NewLines reads lines from r; file is used in error messages only.
func NewLines(r io.Reader, file string) *Lines {
	return &Lines{br: bufio.NewReaderSize(r, 256<<10), file: file}
}

// Next returns the next non-blank line (trimmed, valid until the following
// call) and its number. tooLong reports a line over the limit (data is then
// nil); reading goes on with the next line. At the end it returns io.EOF;
// other errors are read errors and final.
func (r *Lines) Next() (data []byte, line int, tooLong bool, err error) {
	for {
		if r.err != nil {
			return nil, r.line, false, r.err
		}
		data, tooLong, err := r.readLine()
		if err != nil {
			if err != io.EOF {
				err = fmt.Errorf("%s:%d: read: %w", r.file, r.line+1, err)
			}
			r.err = err
			if err != io.EOF || (len(data) == 0 && !tooLong) {
				return nil, r.line, false, err
			}
			// Process the final line that lacked a newline; the sticky
			// error is returned by the next call.
		}
		r.line++
		if tooLong {
			return nil, r.line, true, nil
		}
		if r.line == 1 {
			data = bytes.TrimPrefix(data, []byte("\uFEFF")) // UTF-8 byte order mark
		}
		data = bytes.TrimSpace(data)
		if len(data) == 0 {
			continue
		}
		return data, r.line, false, nil
	}
}

func (r *Lines) maxLine() int {
	if r.MaxLineBytes > 0 {
		return r.MaxLineBytes
	}
	return DefaultMaxLineBytes
}

// readLine reads one line without its newline. If the line exceeds the
// limit, the rest of it is discarded and tooLong is set.
func (r *Lines) readLine() (data []byte, tooLong bool, err error) {
	r.buf = r.buf[:0]
	limit := r.maxLine()
	for {
		chunk, err := r.br.ReadSlice('\n')
		if !tooLong && len(r.buf) == 0 && err == nil && len(chunk) <= limit+1 {
			// The whole line is in the bufio buffer: no copy.
			return chunk[:len(chunk)-1], false, nil
		}
		if !tooLong {
			if len(r.buf)+len(chunk) > limit+1 { // +1: the newline
				tooLong = true
				r.buf = r.buf[:0]
			} else {
				r.buf = append(r.buf, chunk...)
			}
		}
		switch err {
		case bufio.ErrBufferFull:
			continue
		case nil:
			return bytes.TrimSuffix(r.buf, []byte("\n")), tooLong, nil
		default:
			return r.buf, tooLong, err
		}
	}
}

// Reader streams records of type T from NDJSON input, one object per line.
// Memory use is bounded by the longest line, not by the input size.
type Reader[T any] struct {
	// MaxLineBytes limits the length of one line; 0 means DefaultMaxLineBytes.
	MaxLineBytes int

	lines *Lines
}

// NewReader returns a reader of records of type T from r. file is used in
// error messages only.
func NewReader[T any](r io.Reader, file string) *Reader[T] {
	return &Reader[T]{lines: NewLines(r, file)}
}

// Next returns the next record and its 1-based line number. Blank lines are
// skipped (but counted). At the end of the input it returns io.EOF. A line that
// cannot be decoded yields a *LineError; the following call continues with the
// next line. Other errors come from the underlying reader and are final.
func (r *Reader[T]) Next() (rec T, line int, err error) {
	r.lines.MaxLineBytes = r.MaxLineBytes
	data, line, tooLong, err := r.lines.Next()
	switch {
	case err != nil:
		return rec, line, err
	case tooLong:
		return rec, line, &LineError{File: r.lines.file, Line: line,
			Err: fmt.Errorf("line longer than %d bytes", r.lines.maxLine())}
	}
	if err := decodeLine(data, &rec); err != nil {
		var zero T
		return zero, line, &LineError{File: r.lines.file, Line: line, Err: err}
	}
	return rec, line, nil
}

// decodeLine decodes one non-blank line into v, a pointer to a struct.
func decodeLine(data []byte, v any) error {
	if data[0] != '{' {
		return fmt.Errorf("expected a JSON object, got %s", describeStart(data[0]))
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return explain(err, data, v)
	}
	if rest := bytes.TrimSpace(data[dec.InputOffset():]); len(rest) > 0 {
		return fmt.Errorf("unexpected data after the JSON object at offset %d", dec.InputOffset())
	}
	return nil
}

func describeStart(c byte) string {
	switch {
	case c == '[':
		return "an array"
	case c == '"':
		return "a string"
	case c == 't' || c == 'f':
		return "a bool"
	case c == 'n':
		return "null"
	case c == '-' || (c >= '0' && c <= '9'):
		return "a number"
	default:
		return fmt.Sprintf("invalid character %q", c)
	}
}

// explain turns an encoding/json error into a reason that names the field.
func explain(err error, data []byte, v any) error {
	var typeErr *json.UnmarshalTypeError
	var synErr *json.SyntaxError
	switch {
	case errors.As(err, &typeErr):
		if typeErr.Field != "" {
			return fmt.Errorf("field %q: expected %s, got %s", typeErr.Field, describeType(typeErr.Type), typeErr.Value)
		}
		return fmt.Errorf("expected %s, got %s", describeType(typeErr.Type), typeErr.Value)
	case errors.As(err, &synErr):
		return fmt.Errorf("invalid JSON at offset %d: %s", synErr.Offset, strings.TrimPrefix(synErr.Error(), "json: "))
	case errors.Is(err, io.ErrUnexpectedEOF):
		return errors.New("invalid JSON: unexpected end of line")
	}
	msg := strings.TrimPrefix(err.Error(), "json: ")
	if strings.HasPrefix(msg, "unknown field ") {
		return errors.New(msg) // already names the field
	}
	// Errors from UnmarshalJSON methods (e.g. a malformed timestamp) do not
	// carry the field; find it by decoding the top-level fields one by one.
	if field := failingField(data, reflect.TypeOf(v).Elem()); field != "" {
		return fmt.Errorf("field %q: %s", field, msg)
	}
	return errors.New(msg)
}

// failingField returns the first top-level field of the object in data whose
// value alone fails to decode into a fresh value of type t.
func failingField(data []byte, t reflect.Type) string {
	var fields map[string]json.RawMessage
	if json.Unmarshal(data, &fields) != nil {
		return ""
	}
	keys := make([]string, 0, len(fields))
	for k := range fields {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		one, err := json.Marshal(map[string]json.RawMessage{k: fields[k]})
		if err != nil {
			continue
		}
		if json.Unmarshal(one, reflect.New(t).Interface()) != nil {
			return k
		}
	}
	return ""
}

var timeType = reflect.TypeFor[time.Time]()

func describeType(t reflect.Type) string {
	if t == nil {
		return "a different type"
	}
	switch t {
	case decimalType:
		return "a decimal (string or number)"
	case timeType:
		return "an RFC 3339 timestamp string"
	}
	switch t.Kind() {
	case reflect.Pointer:
		return describeType(t.Elem())
	case reflect.String:
		return "a string"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "an integer"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Bool:
		return "a bool"
	case reflect.Slice, reflect.Array:
		return "an array"
	case reflect.Struct, reflect.Map:
		return "an object"
	}
	return t.String()
}

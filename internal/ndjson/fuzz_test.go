package ndjson

import (
	"bytes"
	"errors"
	"io"
	"testing"
)

// The reader never panics on arbitrary input, reports each bad line as a
// LineError with a plausible line number, and keeps going to the end.
func FuzzReader(f *testing.F) {
	f.Add([]byte(`{"externalRef":"O-1","customerRef":"C-1","status":"PAID","channel":"WEB","currency":"EUR","placedAt":"2024-05-02T14:31:00Z","items":[{"sku":"S","name":"n","quantity":1,"unitPrice":"1.00"}]}` + "\n"))
	f.Add([]byte("{}\n\n{\"x\":1}\n[1,2]\n\"s\"\n{\"items\":[{\"unitPrice\":true}]}"))
	f.Add([]byte("\xef\xbb\xbf{\"externalRef\":\"O-2\"}\r\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		lines := bytes.Count(data, []byte("\n")) + 1
		r := NewReader[Order](bytes.NewReader(data), "orders.ndjson")
		for i := 0; ; i++ {
			_, line, err := r.Next()
			if errors.Is(err, io.EOF) {
				return
			}
			if line < 1 || line > lines {
				t.Fatalf("line %d outside 1..%d", line, lines)
			}
			var le *LineError
			if err != nil && !errors.As(err, &le) {
				t.Fatalf("error is not a LineError: %v", err)
			}
			if i > lines {
				t.Fatal("reader does not advance")
			}
		}
	})
}

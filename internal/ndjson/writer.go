package ndjson

import (
	"bufio"
	"encoding/json"
	"io"
)

// Writer writes records as NDJSON: one compact JSON object per line, without
// HTML escaping, so text (any Unicode) is written as is. Output is buffered;
// call Flush when done.
type Writer struct {
	bw  *bufio.Writer
	enc *json.Encoder
}

// NewWriter returns a Writer writing to w.
func NewWriter(w io.Writer) *Writer {
	bw := bufio.NewWriterSize(w, 64<<10)
	enc := json.NewEncoder(bw)
	enc.SetEscapeHTML(false)
	return &Writer{bw: bw, enc: enc}
}

// Write writes rec (typically a Persona, Customer, Order or Feedback) as one
// line.
func (w *Writer) Write(rec any) error {
	return w.enc.Encode(rec) // Encode appends the newline
}

// Flush writes any buffered data to the underlying writer.
func (w *Writer) Flush() error {
	return w.bw.Flush()
}

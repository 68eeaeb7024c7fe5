package seed

import (
	"errors"
	"io"
	"os"
	"path/filepath"

	"github.com/c360/c360/internal/ndjson"
)

// Counts is the number of records a sink received.
type Counts struct {
	Personas, Customers, Orders, Feedback int
}

// WriterSink writes each record kind to its own NDJSON stream, so the output
// can be imported in ndjson.LoadOrder. Call Flush when done.
type WriterSink struct {
	counts                                Counts
	personas, customers, orders, feedback *ndjson.Writer
}

// NewWriterSink returns a sink writing personas, customers, orders and
// feedback to the given writers.
func NewWriterSink(personas, customers, orders, feedback io.Writer) *WriterSink {
	return &WriterSink{
		personas:  ndjson.NewWriter(personas),
		customers: ndjson.NewWriter(customers),
		orders:    ndjson.NewWriter(orders),
		feedback:  ndjson.NewWriter(feedback),
	}
}

func (s *WriterSink) Persona(p ndjson.Persona) error {
	s.counts.Personas++
	return s.personas.Write(p)
}

func (s *WriterSink) Customer(c ndjson.Customer) error {
	s.counts.Customers++
	return s.customers.Write(c)
}

func (s *WriterSink) Order(o ndjson.Order) error {
	s.counts.Orders++
	return s.orders.Write(o)
}

func (s *WriterSink) Feedback(f ndjson.Feedback) error {
	s.counts.Feedback++
	return s.feedback.Write(f)
}

// Counts returns the number of records received so far.
func (s *WriterSink) Counts() Counts { return s.counts }

// Flush flushes the four writers.
func (s *WriterSink) Flush() error {
	return errors.Join(s.personas.Flush(), s.customers.Flush(), s.orders.Flush(), s.feedback.Flush())
}

// WriteDir generates a data set into directory dir (created if needed) as the
// four files personas.ndjson, customers.ndjson, orders.ndjson and
// feedback.ndjson, replacing existing files.
func WriteDir(dir string, cfg Config) (Counts, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return Counts{}, err
	}
	var files []*os.File
	closeAll := func() error {
		var errs []error
		for _, f := range files {
			errs = append(errs, f.Close())
		}
		return errors.Join(errs...)
	}
	for _, name := range []string{ndjson.PersonasFile, ndjson.CustomersFile, ndjson.OrdersFile, ndjson.FeedbackFile} {
		f, err := os.Create(filepath.Join(dir, name))
		if err != nil {
			_ = closeAll()
			return Counts{}, err
		}
		files = append(files, f)
	}
	sink := NewWriterSink(files[0], files[1], files[2], files[3])
	err := Generate(cfg, sink)
	if err == nil {
		err = sink.Flush()
	}
	if cerr := closeAll(); err == nil {
		err = cerr
	}
	return sink.Counts(), err
}

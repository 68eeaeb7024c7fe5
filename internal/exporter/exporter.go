// Package exporter writes the database as a data set in the interchange
// format of shared/spec/data-format.md: personas.ndjson, customers.ndjson,
// orders.ndjson (with their items) and feedback.ndjson, which the importer
// reads back. Import -> export -> import yields the same data, and exporting
// twice yields byte-identical files.
//
// Records are read in pages by id (keyset pagination: WHERE id > last ORDER
// BY id LIMIT n), so memory use depends on the page size, not on the size of
// the database. A page of orders costs three queries whatever its size (the
// orders, their items, the externalRefs of their customers), a page of
// feedback three (feedback, customers, orders). Records are written in id
// order, which is the order the importer inserted them in, and items in id
// order within their order.
//
// The per-type export (records_gen.go) is generated from the ent schema, as
// are the records (ndjson.CustomerOf ...).
//
// # Records without an externalRef
//
// Records created through the GraphQL API may have no externalRef, but the
// format references records by externalRef only. Such a record is exported
// with the externalRef ndjson.Ref gives it, "c360:" followed by its id; the
// orders and feedback referring to it use the same reference. Importing the
// export into another database creates the record with that externalRef.
// (Importing it back into the database it came from creates a second record:
// the importer matches on externalRef only, and the original still has none.)
//
// Timestamps are written in UTC; money as a decimal string with two
// fractional digits; absent optional fields are left out.
package exporter

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/c360/c360/ent"
	"github.com/c360/c360/ent/identity"
	"github.com/c360/c360/internal/identities"
	"github.com/c360/c360/internal/ndjson"
)

// furtherIdentity keeps the identities a customer record carries: those
// that are the customer's own email, phone or externalRef are derived from
// the record's fields.
var furtherIdentity = identity.Or(identity.SourceIsNil(), identity.SourceNEQ(identities.ProfileSource))

// DefaultPageSize is the number of records read per query when
// Options.PageSize is not set.
const DefaultPageSize = 1000

// Options tune an export.
type Options struct {
	// PageSize is the number of records read per query; 0 means DefaultPageSize.
	PageSize int
	// Progress, when set, is called after each page with the number of
	// records written so far.
	Progress func(done int64)
}

// Counts is the number of records written per file.
type Counts struct {
	Personas, Customers, Orders, Feedback int64
}

// Total returns the number of records.
func (c Counts) Total() int64 { return c.Personas + c.Customers + c.Orders + c.Feedback }

func (c Counts) String() string {
	return fmt.Sprintf("exported %d personas, %d customers, %d orders, %d feedback",
		c.Personas, c.Customers, c.Orders, c.Feedback)
}

// ExportDir writes the data set to directory dir (created if needed). Each
// file is written under a temporary name and renamed when complete, so a
// failed export leaves no truncated file behind (earlier files of the same
// export stay).
func ExportDir(ctx context.Context, client *ent.Client, dir string, opts Options) (Counts, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return Counts{}, fmt.Errorf("export: %w", err)
	}
	e := &exporter{ctx: ctx, client: client, page: opts.PageSize, progress: opts.Progress}
	if e.page <= 0 {
		e.page = DefaultPageSize
	}
	steps := []struct {
		file  string
		write func(*ndjson.Writer) (int64, error)
		count *int64
	}{
		{ndjson.PersonasFile, e.personas, &e.counts.Personas},
		{ndjson.CustomersFile, e.customers, &e.counts.Customers},
		{ndjson.OrdersFile, e.orders, &e.counts.Orders},
		{ndjson.FeedbackFile, e.feedback, &e.counts.Feedback},
	}
	for _, s := range steps {
		n, err := writeFile(filepath.Join(dir, s.file), s.write)
		*s.count = n
		if err != nil {
			return e.counts, fmt.Errorf("export %s: %w", s.file, err)
		}
	}
	return e.counts, nil
}

// writeFile writes path through a temporary file renamed at the end.
func writeFile(path string, write func(*ndjson.Writer) (int64, error)) (int64, error) {
	tmp := path + ".tmp"
	f, err := os.Create(tmp)
	if err != nil {
		return 0, err
	}
	w := ndjson.NewWriter(f)
	n, err := write(w)
	if err == nil {
		err = w.Flush()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		_ = os.Remove(tmp)
	}
	return n, err
}

type exporter struct {
	ctx      context.Context
	client   *ent.Client
	page     int
	progress func(int64)
	counts   Counts
}

func (e *exporter) done(n int64) {
	if e.progress != nil {
		e.progress(e.counts.Total() + n)
	}
}

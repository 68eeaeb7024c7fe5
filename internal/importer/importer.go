// Package importer loads a customer-360 data set (the NDJSON interchange
// format of shared/spec/data-format.md) into the database.
//
// The import is an idempotent upsert keyed by externalRef; importing the same
// data twice changes nothing:
//
//   - Personas and customers are inserted, or updated when a stored record with
//     the same externalRef differs from the incoming one (every field is
//     replaced, an absent optional field clears the stored value; createdAt is
//     immutable). Unchanged records are not written at all, so their updatedAt
//     stays as it was.
//   - Orders are immutable except for their status. A new order is inserted
//     together with its items (in the same transaction). For an order whose
//     externalRef already exists only the status is updated; its items, total,
//     channel and timestamps are left alone, whatever the file says (items of
//     an existing order are never replaced). An existing order cannot move to
//     another customer: such a record is rejected.
//   - Feedback is immutable: it is inserted, or nothing happens when feedback
//     with that externalRef exists.
//
// Every record is validated first: the field checks generated from the ent
// schema (records_gen.go), then the rules the GraphQL mutations apply too
// (check.go), then its references. A record that breaks a rule is rejected
// with its file, line and a reason naming the field; it never aborts the
// import and is never half-written. Records are written in batches, one
// transaction per batch: on PostgreSQL by COPY into staging tables and one
// upsert per table, on SQLite by multi-row INSERTs (sql.go); a load into
// empty tables defers their secondary indexes and PostgreSQL foreign keys
// to its end (database.BeginBulkLoad). Lines are decoded by easyjson's
// generated decoders, with ndjson.Reader as the reference (decode.go). Only
// infrastructure failures (database down, context cancelled) end an import
// with an error.
package importer

import (
	"cmp"
	"context"
	"entgo.io/ent/dialect"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/mailru/easyjson"

	"github.com/c360/c360/internal/database"
	"github.com/c360/c360/internal/ndjson"
)

// DefaultBatchSize is the number of records written per transaction when
// Options.BatchSize is not set.
const DefaultBatchSize = 1000

// MaxRejections is the number of rejections a Summary keeps (it counts all).
const MaxRejections = 1000

// DefaultBaseCurrency is used when Options.BaseCurrency is empty.
const DefaultBaseCurrency = "EUR"

// Options tune an import.
type Options struct {
	// BaseCurrency is the deployment's currency (e.g. "EUR", the default);
	// orders in another currency are rejected.
	BaseCurrency string
	// BatchSize is the number of records per transaction; 0 means
	// DefaultBatchSize.
	BatchSize int
	// Progress, when set, is called after each committed batch with the
	// number of records processed so far (imported plus rejected).
	Progress func(done int64)
	// OnReject, when set, is called for every rejected record (the Summary
	// keeps only the first MaxRejections), batch by batch, in file load order
	// and line order within a batch.
	OnReject func(Rejection)
	// AfterCommit, when set, is called after each committed batch and once
	// more at the end of the import (Loader.Flush, so also ImportDir) when
	// anything was committed: the hook for invalidating caches of data
	// derived from what was written. Records are written with SQL (not ent
	// mutations), so ent hooks do not see them; app.App's Import and Loader
	// set it to the score cache's invalidation.
	AfterCommit func(ctx context.Context)
}

// Rejection is a record that was not imported.
type Rejection struct {
	File   string // file name within the data set directory ("" for records given to a Loader directly)
	Line   int    // 1-based line number (the record's running number for a Loader)
	Reason string // names the field, e.g. `email: "x" is not a valid email address`
}

func (r Rejection) String() string {
	if r.File == "" {
		return fmt.Sprintf("record %d: %s", r.Line, r.Reason)
	}
	return fmt.Sprintf("%s:%d: %s", r.File, r.Line, r.Reason)
}

// Summary is the outcome of an import.
type Summary struct {
	Imported, Rejected int64
	// Summaries is the time spent on the figures' summaries (scores.Refresh
	// in each batch, or scores.Rebuild once after a first load).
	Summaries time.Duration
	// Rejections holds the first MaxRejections rejections, in file load order
	// and line order within each batch.
	Rejections []Rejection
}

// String returns "imported N, rejected M".
func (s Summary) String() string {
	return fmt.Sprintf("imported %d, rejected %d", s.Imported, s.Rejected)
}

// ImportDir imports the data set in directory dir: personas.ndjson,
// customers.ndjson, orders.ndjson and feedback.ndjson in that order, each
// optional. Files are streamed; memory use depends on the batch size and the
// number of customers, not on the number of orders or feedback. Rejection.File
// is the file's base name (e.g. "orders.ndjson").
//
// The error is non-nil only for infrastructure failures (unreadable files,
// database errors other than a record's own, context cancellation); the
// Summary then tells what was committed before.
func ImportDir(ctx context.Context, db *database.DB, dir string, opts Options) (Summary, error) {
	st, err := os.Stat(dir)
	if err != nil {
		return Summary{}, fmt.Errorf("import: %w", err)
	}
	if !st.IsDir() {
		return Summary{}, fmt.Errorf("import: %s is not a directory", dir)
	}
	l := NewLoader(ctx, db, opts)
	for _, name := range ndjson.LoadOrder {
		var err error
		switch name {
		case ndjson.PersonasFile:
			err = importFile(l, dir, name, l.addPersona)
		case ndjson.CustomersFile:
			err = importFile(l, dir, name, l.addCustomer)
		case ndjson.OrdersFile:
			err = importFile(l, dir, name, l.addOrder)
		case ndjson.FeedbackFile:
			err = importFile(l, dir, name, l.addFeedback)
		default:
			err = fmt.Errorf("import: no reader for %s", name)
		}
		if err != nil {
			return l.Summary(), err
		}
	}
	err = l.Flush() // before Summary: it counts what the flush commits
	return l.Summary(), err
}

// analyze refreshes PostgreSQL's statistics after an import. Until
// autovacuum gets to it, the planner misjudges the new rows: a page of 100
// customers with their orders took 200 ms instead of 4 ms (walking the orders
// by id instead of by customer), and estimated costs turned JIT on.
func (l *Loader) analyze() error {
	if l.db.Dialect != dialect.Postgres {
		return nil
	}
	if _, err := l.db.Client.ExecContext(l.ctx, "ANALYZE"); err != nil {
		return fmt.Errorf("import: analyzing the imported tables: %w", err)
	}
	return nil
}

// importFile streams one file into the loader; a missing file is skipped.
// Lines are decoded by the fast decoder of decode.go, which falls back to
// ndjson.Reader for anything unusual, so the outcome is that of ndjson.Reader.
func importFile[T any, PT interface {
	*T
	easyjson.Unmarshaler
}](l *Loader, dir, name string, add func(file string, line int, rec T) error) error {
	f, err := os.Open(filepath.Join(dir, name))
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("import: %w", err)
	}
	defer f.Close()
	r := ndjson.NewLines(f, name)
	for {
		data, line, tooLong, err := r.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("import: %w", err)
		}
		if tooLong {
			err = &ndjson.LineError{File: name, Line: line, Err: fmt.Errorf("line longer than %d bytes", ndjson.DefaultMaxLineBytes)}
		}
		var rec T
		if err == nil {
			rec, err = decode[T, PT](data, name, line)
		}
		var le *ndjson.LineError
		if errors.As(err, &le) {
			if err := l.addRejection(le.File, le.Line, le.Err.Error()); err != nil {
				return err
			}
			continue
		}
		if err != nil {
			return fmt.Errorf("import: %w", err)
		}
		if err := add(name, line, rec); err != nil {
			return err
		}
	}
}

// fileRank orders rejections by file load order.
func fileRank(file string) int {
	if i := slices.Index(ndjson.LoadOrder, file); i >= 0 {
		return i
	}
	return -1
}

func sortRejections(rs []Rejection) {
	slices.SortStableFunc(rs, func(a, b Rejection) int {
		if c := cmp.Compare(fileRank(a.File), fileRank(b.File)); c != 0 {
			return c
		}
		return cmp.Compare(a.Line, b.Line)
	})
}

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
// # Records without an externalRef
//
// Records created through the GraphQL API may have no externalRef, but the
// format references records by externalRef only. Such a record is exported
// with the externalRef "c360:" followed by its id, which is also its
// GraphQL global id (node(id:) resolves it), e.g. "c360:8589934593"; the
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
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"

	"github.com/c360/c360/ent"
	"github.com/c360/c360/ent/customer"
	"github.com/c360/c360/ent/feedback"
	"github.com/c360/c360/ent/order"
	"github.com/c360/c360/ent/orderitem"
	"github.com/c360/c360/ent/persona"
	"github.com/c360/c360/internal/ndjson"
)

// DefaultPageSize is the number of records read per query when
// Options.PageSize is not set.
const DefaultPageSize = 1000

// RefPrefix starts the externalRef given to exported records that have none.
const RefPrefix = "c360:"

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

// Ref returns the externalRef a record is exported with: its own, or
// RefPrefix followed by its id.
func Ref(externalRef *string, id int) string {
	if externalRef != nil {
		return *externalRef
	}
	return RefPrefix + strconv.Itoa(id)
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

func (e *exporter) personas(w *ndjson.Writer) (int64, error) {
	var n int64
	last := 0
	for {
		ps, err := e.client.Persona.Query().Where(persona.IDGT(last)).Order(persona.ByID()).Limit(e.page).All(e.ctx)
		if err != nil {
			return n, err
		}
		for _, p := range ps {
			rec := ndjson.Persona{ExternalRef: Ref(p.ExternalRef, p.ID), Name: p.Name, Description: p.Description, Criteria: p.Criteria}
			if err := w.Write(rec); err != nil {
				return n, err
			}
			n++
		}
		e.done(n)
		if len(ps) < e.page {
			return n, nil
		}
		last = ps[len(ps)-1].ID
	}
}

func (e *exporter) customers(w *ndjson.Writer) (int64, error) {
	var n int64
	last := 0
	for {
		cs, err := e.client.Customer.Query().Where(customer.IDGT(last)).Order(customer.ByID()).Limit(e.page).All(e.ctx)
		if err != nil {
			return n, err
		}
		for _, c := range cs {
			relationship, stage := string(c.Relationship), string(c.LifecycleStage)
			created := c.CreatedAt.UTC()
			rec := ndjson.Customer{
				ExternalRef:    Ref(c.ExternalRef, c.ID),
				Kind:           string(c.Kind),
				Relationship:   &relationship,
				LifecycleStage: &stage,
				Name:           c.Name,
				Email:          c.Email,
				Phone:          c.Phone,
				BirthDate:      (*string)(c.BirthDate),
				Gender:         (*string)(c.Gender),
				IncomeBand:     (*string)(c.IncomeBand),
				Country:        c.Country,
				Region:         c.Region,
				City:           c.City,
				CreatedAt:      &created,
			}
			if err := w.Write(rec); err != nil {
				return n, err
			}
			n++
		}
		e.done(n)
		if len(cs) < e.page {
			return n, nil
		}
		last = cs[len(cs)-1].ID
	}
}

// refOnly loads only the id and externalRef of an edge.
func customerRefOnly(q *ent.CustomerQuery) { q.Select(customer.FieldExternalRef) }
func orderRefOnly(q *ent.OrderQuery)       { q.Select(order.FieldExternalRef) }

func (e *exporter) orders(w *ndjson.Writer) (int64, error) {
	var n int64
	last := 0
	for {
		page, err := e.client.Order.Query().Where(order.IDGT(last)).Order(order.ByID()).Limit(e.page).
			WithCustomer(customerRefOnly).
			WithItems(func(q *ent.OrderItemQuery) { q.Order(orderitem.ByID()) }).
			All(e.ctx)
		if err != nil {
			return n, err
		}
		for _, o := range page {
			c := o.Edges.Customer
			if c == nil {
				return n, fmt.Errorf("order %d: customer %d not found", o.ID, o.CustomerID)
			}
			rec := ndjson.Order{
				ExternalRef: Ref(o.ExternalRef, o.ID),
				CustomerRef: Ref(c.ExternalRef, c.ID),
				Status:      string(o.Status),
				Channel:     string(o.Channel),
				Currency:    o.Currency,
				PlacedAt:    o.PlacedAt.UTC(),
				Items:       make([]ndjson.Item, len(o.Edges.Items)),
			}
			for i, it := range o.Edges.Items {
				rec.Items[i] = ndjson.Item{
					SKU:       it.Sku,
					Name:      it.Name,
					Category:  it.Category,
					Quantity:  it.Quantity,
					UnitPrice: ndjson.Decimal(it.UnitPrice.String()),
				}
			}
			if err := w.Write(rec); err != nil {
				return n, err
			}
			n++
		}
		e.done(n)
		if len(page) < e.page {
			return n, nil
		}
		last = page[len(page)-1].ID
	}
}

func (e *exporter) feedback(w *ndjson.Writer) (int64, error) {
	var n int64
	last := 0
	for {
		fs, err := e.client.Feedback.Query().Where(feedback.IDGT(last)).Order(feedback.ByID()).Limit(e.page).
			WithCustomer(customerRefOnly).
			WithOrder(orderRefOnly).
			All(e.ctx)
		if err != nil {
			return n, err
		}
		for _, f := range fs {
			c := f.Edges.Customer
			if c == nil {
				return n, fmt.Errorf("feedback %d: customer %d not found", f.ID, f.CustomerID)
			}
			rec := ndjson.Feedback{
				ExternalRef: Ref(f.ExternalRef, f.ID),
				CustomerRef: Ref(c.ExternalRef, c.ID),
				Kind:        string(f.Kind),
				Channel:     string(f.Channel),
				Score:       f.Score,
				Comment:     f.Comment,
				Language:    f.Language,
				SubmittedAt: f.SubmittedAt.UTC(),
			}
			if f.OrderID != nil {
				o := f.Edges.Order
				if o == nil {
					return n, errors.New("feedback " + strconv.Itoa(f.ID) + ": order not found")
				}
				ref := Ref(o.ExternalRef, o.ID)
				rec.OrderRef = &ref
			}
			if err := w.Write(rec); err != nil {
				return n, err
			}
			n++
		}
		e.done(n)
		if len(fs) < e.page {
			return n, nil
		}
		last = fs[len(fs)-1].ID
	}
}

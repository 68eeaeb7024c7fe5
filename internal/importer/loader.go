package importer

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	entsql "entgo.io/ent/dialect/sql"

	"github.com/c360/c360/ent"
	"github.com/c360/c360/ent/customer"
	"github.com/c360/c360/ent/customerevent"
	"github.com/c360/c360/ent/feedback"
	"github.com/c360/c360/ent/identity"
	"github.com/c360/c360/ent/monthsummary"
	"github.com/c360/c360/ent/order"
	"github.com/c360/c360/ent/orderitem"
	"github.com/c360/c360/internal/database"
	"github.com/c360/c360/internal/ndjson"
	"github.com/c360/c360/internal/scores"
)

// Record kinds, in load order.
const (
	kindPersona = iota
	kindCustomer
	kindOrder
	kindFeedback
	numKinds
)

// Loader imports records one at a time, batching them into transactions. It
// is a seed.Sink, so generated data can be loaded straight into the database;
// records given to its methods have Rejection.File "" and Rejection.Line = the
// record's running number (1-based, over all four kinds).
//
// Records may arrive in any interleaving that respects references (a
// customer before its orders, an order before feedback on it). Each batch is
// written in load order (personas, customers, orders, feedback) in one
// transaction. A full batch is written by a goroutine of its own while the
// next one fills up (at most one batch is being written at a time, so at most
// two are in memory); Options.Progress is called from that goroutine.
//
// The methods return an error only for infrastructure failures, possibly one
// met while writing an earlier batch; after one, the Loader is unusable and
// every call returns that error. Call Flush at the end to commit the last
// batch. A Loader is not safe for concurrent use.
type Loader struct {
	ctx      context.Context
	db       *database.DB
	base     string
	size     int
	progress func(int64)
	onReject func(Rejection)
	after    func(context.Context)

	// Owned by the goroutine adding records.
	b        *batch
	seq      int
	err      error         // sticky error: the Loader is unusable
	inflight chan struct{} // closed when the batch being written is done

	// Owned by the batch being written; read by the adding goroutine only
	// after waiting for it.
	sum  Summary
	werr error
	// freeArgs are argument slices for reuse by the next transaction.
	freeArgs [][]any
	// SQLite settings before the import changed them (tuneSQLite).
	sqlite    sqliteSettings
	committed bool // a batch was committed since the last AfterCommit at Flush
	// indexes: the first batch has looked at the tables; deferred lists the
	// tables whose secondary indexes (and PostgreSQL foreign keys) wait for
	// Flush (database.BeginBulkLoad).
	indexes  bool
	deferred []string
	// summarizeAtFlush: the import began with no customer, and Flush builds
	// every summary (scores.Rebuild) in one pass; otherwise each batch
	// refreshes those of its customers.
	summarizeAtFlush bool
	// customerIDs maps the externalRef of every customer written or looked up
	// by this import to its id (committed rows only). It grows with the number
	// of customers; orders and feedback are not remembered across batches.
	customerIDs map[string]int
	// created holds the customers this import created (committed rows):
	// their history arriving over several batches changes no customer that
	// existed, and gives no SIGNAL_CHURN_RISK_HIGH (churnBefore).
	created map[int]struct{}
}

// batch holds the records of the next transaction.
type batch struct {
	n         int // records, including rejected ones
	personas  []*personaRec
	customers []*customerRec
	orders    []*orderRec
	feedback  []*feedbackRec
	refs      [numKinds]map[string]struct{} // pending externalRefs per kind
	emails    map[string]string             // pending customers' emails -> externalRef
	claimed   map[string]string             // pending customers' identities ("KIND:value") -> externalRef
	rejects   []Rejection                   // records rejected before the database was asked
}

func newBatch() *batch {
	b := &batch{emails: make(map[string]string), claimed: make(map[string]string)}
	for i := range b.refs {
		b.refs[i] = make(map[string]struct{})
	}
	return b
}

// NewLoader returns a Loader writing to db. ctx bounds every write.
func NewLoader(ctx context.Context, db *database.DB, opts Options) *Loader {
	base := strings.ToUpper(strings.TrimSpace(opts.BaseCurrency))
	if base == "" {
		base = DefaultBaseCurrency
	}
	size := opts.BatchSize
	if size <= 0 {
		size = DefaultBatchSize
	}
	return &Loader{
		ctx:         ctx,
		db:          db,
		base:        base,
		size:        size,
		progress:    opts.Progress,
		onReject:    opts.OnReject,
		after:       opts.AfterCommit,
		customerIDs: make(map[string]int),
		created:     make(map[int]struct{}),
		b:           newBatch(),
	}
}

// Persona adds a persona.
func (l *Loader) Persona(p ndjson.Persona) error {
	l.seq++
	return l.addPersona("", l.seq, p)
}

// Customer adds a customer.
func (l *Loader) Customer(c ndjson.Customer) error {
	l.seq++
	return l.addCustomer("", l.seq, c)
}

// Order adds an order.
func (l *Loader) Order(o ndjson.Order) error {
	l.seq++
	return l.addOrder("", l.seq, o)
}

// Feedback adds feedback.
func (l *Loader) Feedback(f ndjson.Feedback) error {
	l.seq++
	return l.addFeedback("", l.seq, f)
}

// Flush writes the pending batch, waits until every batch is committed, and
// refreshes PostgreSQL's statistics when rows were written.
// It returns the first infrastructure error the Loader met, if any.
func (l *Loader) Flush() error {
	if err := l.flush(); err != nil {
		return err
	}
	if err := l.wait(); err != nil {
		return err
	}
	// A first load's summaries are built before the deferred indexes: the
	// month summaries' own are then built in one pass too.
	if l.summarizeAtFlush && l.committed {
		start := time.Now()
		if err := l.summarize(); err != nil {
			return fmt.Errorf("import: %w", err)
		}
		l.sum.Summaries += time.Since(start)
	}
	if err := l.buildIndexes(); err != nil {
		return fmt.Errorf("import: %w", err)
	}
	if err := l.restoreSQLite(); err != nil {
		return fmt.Errorf("import: %w", err)
	}
	if l.committed {
		if err := l.analyze(); err != nil {
			return err
		}
	}
	if l.committed && l.after != nil {
		l.after(l.ctx)
	}
	l.committed = false
	return nil
}

// summarize builds the summaries of a first load, in one transaction.
func (l *Loader) summarize() error {
	tx, err := l.db.Client.Tx(l.ctx)
	if err != nil {
		return err
	}
	if err := scores.Rebuild(l.ctx, tx.Client(), l.db.Dialect); err != nil {
		_ = tx.Rollback()
		return err
	}
	return tx.Commit()
}

// buildIndexes builds the indexes and keys deferred by the first batch.
func (l *Loader) buildIndexes() error {
	if len(l.deferred) == 0 {
		return nil
	}
	conn, err := l.db.WriterConn(l.ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	if l.sqlite.changed {
		// Index builds sort through temporary files; in memory, the sort of
		// a million orders took the RSS of an import past 350 MB.
		if _, err := conn.ExecContext(l.ctx, "PRAGMA temp_store = "+strconv.Itoa(l.sqlite.tempStore)); err != nil {
			return err
		}
	}
	if err := database.FinishBulkLoad(l.ctx, conn, l.db.Dialect); err != nil {
		return err
	}
	l.deferred = nil
	return nil
}

// Summary returns the counts of the batches written so far (it waits for the
// batch being written; records still pending are not counted).
func (l *Loader) Summary() Summary {
	_ = l.wait()
	s := l.sum
	s.Rejections = append([]Rejection(nil), l.sum.Rejections...)
	return s
}

func (l *Loader) addPersona(file string, line int, p ndjson.Persona) error {
	if l.err != nil {
		return l.err
	}
	r, err := checkPersonaRec(p)
	if err != nil {
		return l.addRejection(file, line, err.Error())
	}
	r.source = source{file, line}
	if err := l.makeRoom(kindPersona, r.ExternalRef); err != nil {
		return err
	}
	l.b.personas = append(l.b.personas, r)
	return l.added()
}

func (l *Loader) addCustomer(file string, line int, c ndjson.Customer) error {
	if l.err != nil {
		return l.err
	}
	r, err := checkCustomerRec(c)
	if err != nil {
		return l.addRejection(file, line, err.Error())
	}
	r.source = source{file, line}
	if err := l.makeRoom(kindCustomer, r.ExternalRef); err != nil {
		return err
	}
	if r.Email != nil {
		if other, taken := l.b.emails[*r.Email]; taken {
			delete(l.b.refs[kindCustomer], r.ExternalRef)
			return l.addRejection(file, line, fmt.Sprintf("email: %q is already used by customer %q", *r.Email, other))
		}
		l.b.emails[*r.Email] = r.ExternalRef
	}
	for i, id := range r.Identities {
		if other, taken := l.b.claimed[id.Kind+":"+id.Value]; taken && other != r.ExternalRef {
			delete(l.b.refs[kindCustomer], r.ExternalRef)
			return l.addRejection(file, line, fmt.Sprintf("identities[%d]: %s %q is claimed by customer %q", i, id.Kind, id.Value, other))
		}
	}
	for _, id := range r.Identities {
		l.b.claimed[id.Kind+":"+id.Value] = r.ExternalRef
	}
	l.b.customers = append(l.b.customers, r)
	return l.added()
}

func (l *Loader) addOrder(file string, line int, o ndjson.Order) error {
	if l.err != nil {
		return l.err
	}
	r, err := checkOrderRec(o, l.base)
	if err != nil {
		return l.addRejection(file, line, err.Error())
	}
	r.source = source{file, line}
	if err := l.makeRoom(kindOrder, r.ExternalRef); err != nil {
		return err
	}
	l.b.orders = append(l.b.orders, r)
	return l.added()
}

func (l *Loader) addFeedback(file string, line int, f ndjson.Feedback) error {
	if l.err != nil {
		return l.err
	}
	r, err := checkFeedbackRec(f)
	if err != nil {
		return l.addRejection(file, line, err.Error())
	}
	r.source = source{file, line}
	if err := l.makeRoom(kindFeedback, r.ExternalRef); err != nil {
		return err
	}
	l.b.feedback = append(l.b.feedback, r)
	return l.added()
}

// addRejection records a record rejected before it reached the database.
func (l *Loader) addRejection(file string, line int, reason string) error {
	if l.err != nil {
		return l.err
	}
	l.b.rejects = append(l.b.rejects, Rejection{File: file, Line: line, Reason: reason})
	return l.added()
}

// makeRoom flushes the batch when it already holds a record of that kind
// with the same externalRef (the later record wins, as in a sequential
// upsert), then marks ref pending.
func (l *Loader) makeRoom(kind int, ref string) error {
	if _, dup := l.b.refs[kind][ref]; dup {
		if err := l.flush(); err != nil {
			return err
		}
	}
	l.b.refs[kind][ref] = struct{}{}
	return nil
}

func (l *Loader) added() error {
	l.b.n++
	if l.b.n >= l.size {
		return l.flush()
	}
	return nil
}

// flush hands the pending batch to a goroutine that writes it, after the
// previous batch is written.
func (l *Loader) flush() error {
	if err := l.wait(); err != nil {
		return err
	}
	b := l.b
	if b.n == 0 {
		return nil
	}
	l.b = newBatch()
	done := make(chan struct{})
	l.inflight = done
	go func() {
		defer close(done)
		l.werr = l.write(b)
	}()
	return nil
}

// wait waits for the batch being written, if any, and returns the sticky error.
func (l *Loader) wait() error {
	if l.inflight != nil {
		<-l.inflight
		l.inflight = nil
		if l.werr != nil && l.err == nil {
			l.err = l.werr
		}
	}
	return l.err
}

// write writes a batch in one transaction and adds its outcome to the
// summary. If the database refuses the batch for a reason the checks did not
// foresee (a constraint, a value it does not take), the batch is written
// again record by record, each in its own transaction, so that only the
// failing records are rejected.
func (l *Loader) write(b *batch) error {
	if err := l.ctx.Err(); err != nil {
		return fmt.Errorf("import: %w", err)
	}
	rejects := b.rejects
	imported, err := l.writeTx(b, &rejects)
	if err != nil && l.isRecordError(err) && b.n-len(b.rejects) > 1 {
		rejects = b.rejects
		imported, err = l.writeEach(b, &rejects)
	} else if err != nil && l.isRecordError(err) {
		// A single record: it is the one at fault.
		rejects = append(b.rejects, rejectionFor(b.only(), err))
		imported, err = 0, nil
	}
	if err != nil {
		return fmt.Errorf("import: %w", err)
	}
	sortRejections(rejects)
	l.sum.Imported += imported
	l.sum.Rejected += int64(len(rejects))
	for _, r := range rejects {
		if l.onReject != nil {
			l.onReject(r)
		}
		if len(l.sum.Rejections) < MaxRejections {
			l.sum.Rejections = append(l.sum.Rejections, r)
		}
	}
	l.committed = true
	if l.after != nil {
		l.after(l.ctx)
	}
	if l.progress != nil {
		l.progress(l.sum.Imported + l.sum.Rejected)
	}
	return nil
}

// isRecordError reports whether err is the fault of a record rather than of
// the infrastructure.
func (l *Loader) isRecordError(err error) bool {
	return l.ctx.Err() == nil && isDataError(err)
}

// writeTx writes a batch in one transaction, appending the rejections found
// on the way to *rejects only if it commits. It returns the number of
// records imported.
func (l *Loader) writeTx(b *batch, rejects *[]Rejection) (int64, error) {
	// The batch's transaction runs on a connection of its own, so that
	// PostgreSQL's COPY (pgx's, below database/sql) joins it.
	conn, err := l.db.WriterConn(l.ctx)
	if err != nil {
		return 0, err
	}
	defer conn.Close()
	if err := l.tuneSQLite(conn); err != nil {
		return 0, err
	}
	if !l.indexes {
		l.indexes = true
		tables := []string{customer.Table, identity.Table, order.Table, orderitem.Table, feedback.Table, customerevent.Table, monthsummary.Table}
		// Customers stored before the import have their churnRisk judged on
		// each batch (churnBefore), read by customer: orders and feedback
		// then keep their indexes, or each batch would scan them.
		var stored bool
		if err := conn.QueryRowContext(l.ctx, "SELECT EXISTS (SELECT 1 FROM "+customer.Table+")").Scan(&stored); err != nil {
			return 0, err
		}
		if stored {
			tables = slices.DeleteFunc(tables, func(t string) bool {
				return t == order.Table || t == feedback.Table || t == monthsummary.Table // summaries refreshed per batch, by customer
			})
		}
		l.summarizeAtFlush = !stored
		l.deferred, err = database.BeginBulkLoad(l.ctx, conn, l.db.Dialect, tables...)
		if err != nil {
			return 0, err
		}
	}
	sqlTx, err := conn.BeginTx(l.ctx, nil)
	if err != nil {
		return 0, err
	}
	now := time.Now().UTC()
	w := &txWriter{ctx: l.ctx, conn: conn, l: l, now: now, nowArg: now,
		tx:        ent.NewClient(ent.Driver(entsql.NewDriver(l.db.Dialect, entsql.Conn{ExecQuerier: sqlTx}))),
		customers: make(map[string]int), orders: make(map[string]orderInfo), created: make(map[int]bool)}
	defer w.release()
	if err := w.write(b); err != nil {
		_ = sqlTx.Rollback()
		return 0, err
	}
	if err := sqlTx.Commit(); err != nil {
		return 0, err
	}
	for ref, id := range w.customers {
		l.customerIDs[ref] = id
	}
	for id := range w.created {
		l.created[id] = struct{}{}
	}
	l.sum.Summaries += w.summarized
	*rejects = append(*rejects, w.rejects...)
	return w.imported, nil
}

// writeEach writes the records of b one by one, in load order, each in its
// own transaction; a record the database refuses is rejected.
func (l *Loader) writeEach(b *batch, rejects *[]Rejection) (int64, error) {
	var imported int64
	one := func(single *batch, src source) error {
		single.n = 1
		n, err := l.writeTx(single, rejects)
		if err != nil {
			if !l.isRecordError(err) {
				return err
			}
			*rejects = append(*rejects, rejectionFor(src, err))
		}
		imported += n
		return nil
	}
	for _, r := range b.personas {
		if err := one(&batch{personas: []*personaRec{r}}, r.source); err != nil {
			return 0, err
		}
	}
	for _, r := range b.customers {
		if err := one(&batch{customers: []*customerRec{r}}, r.source); err != nil {
			return 0, err
		}
	}
	for _, r := range b.orders {
		if err := one(&batch{orders: []*orderRec{r}}, r.source); err != nil {
			return 0, err
		}
	}
	for _, r := range b.feedback {
		if err := one(&batch{feedback: []*feedbackRec{r}}, r.source); err != nil {
			return 0, err
		}
	}
	return imported, nil
}

// only returns the source of the single valid record of a batch.
func (b *batch) only() source {
	switch {
	case len(b.personas) > 0:
		return b.personas[0].source
	case len(b.customers) > 0:
		return b.customers[0].source
	case len(b.orders) > 0:
		return b.orders[0].source
	case len(b.feedback) > 0:
		return b.feedback[0].source
	}
	return source{}
}

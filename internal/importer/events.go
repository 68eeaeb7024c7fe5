package importer

import (
	"encoding/json"
	"slices"
	"strconv"

	"entgo.io/ent/dialect"

	"github.com/c360/c360/ent/customer"
	"github.com/c360/c360/ent/customerevent"
	"github.com/c360/c360/ent/feedback"
	"github.com/c360/c360/ent/order"
	"github.com/c360/c360/internal/activity"
	"github.com/c360/c360/internal/database"
	"github.com/c360/c360/internal/scores"
	"github.com/c360/c360/internal/store"
)

// eventsTable is the customer event log: an import appends the events of a
// batch in bulk, in the batch's transaction, like its rows.
var eventsTable = &table{name: customerevent.Table,
	cols: []string{customerevent.FieldType, customerevent.FieldOccurredAt, customerevent.FieldCustomerID,
		customerevent.FieldSubjectID, customerevent.FieldSummary, customerevent.FieldChanges}}

// event adds an event of the batch, written by writeEvents at its end
// (store.EventHook words those of the API). Summaries are concatenated: fmt
// took a tenth of an import's time.
func (w *txWriter) event(typ string, customerID int, subject *int, summary string, changes []activity.FieldChange) error {
	if w.events == nil {
		w.events = w.newRows(256, len(eventsTable.cols))
	}
	w.events.row()
	w.events.arg(typ)
	w.events.arg(w.nowArg)
	w.events.arg(int64(customerID))
	w.events.arg(optInt(subject))
	w.events.arg(summary)
	if changes == nil {
		w.events.arg(nil)
		return nil
	}
	b, err := json.Marshal(changes) // as ent stores a JSON field
	w.events.arg(b)
	return err
}

// churnBefore computes the churnRisk, before the batch writes their orders
// and feedback, of the customers that refs name and that existed before
// this import. Those it created started as prospects (churnRisk 90, from
// which no write crosses scores.ChurnRiskHigh) in this import, and how
// their history is cut into batches is no change to judge: a first load
// computes nothing here.
func (w *txWriter) churnBefore(refs []string) (map[int]int, error) {
	seen := make(map[int]bool)
	var ids []int
	for _, ref := range refs {
		id, ok := w.customerID(ref)
		if _, before := w.l.created[id]; ok && !before && !w.created[id] && !seen[id] {
			seen[id] = true
			ids = append(ids, id)
		}
	}
	if len(ids) == 0 {
		return nil, nil
	}
	return scores.ChurnRisks(w.ctx, w.tx, ids)
}

// churnSignals adds the SIGNAL_CHURN_RISK_HIGH events of the customers whose
// churnRisk the batch took from below scores.ChurnRiskHigh to it or above,
// as the API's order and feedback writes do.
func (w *txWriter) churnSignals(before map[int]int) error {
	var ids []int
	for id, risk := range before {
		if risk < scores.ChurnRiskHigh {
			ids = append(ids, id)
		}
	}
	if len(ids) == 0 {
		return nil
	}
	slices.Sort(ids)
	after, err := scores.ChurnRisks(w.ctx, w.tx, ids)
	if err != nil {
		return err
	}
	for _, id := range ids {
		if after[id] >= scores.ChurnRiskHigh {
			summary, changes := store.ChurnSignal(before[id], after[id])
			if err := w.event(string(customerevent.TypeSIGNAL_CHURN_RISK_HIGH), id, nil, summary+" (import)", changes); err != nil {
				return err
			}
		}
	}
	return nil
}

// seal closes the run of events added by event, so that those added next
// come after them.
func (w *txWriter) seal() {
	if w.events != nil {
		w.bulkEvents = append(w.bulkEvents, bulkEvents{rows: w.events})
		w.events = nil
	}
}

// writeEvents writes the batch's events in the order they were added, last
// before its commit: on PostgreSQL an event id taken long before the commit
// is a gap that subscribers and webhooks wait for (EVENT_GAP_WAIT).
func (w *txWriter) writeEvents() error {
	w.seal()
	for _, b := range w.bulkEvents {
		var err error
		if b.rows != nil {
			err = w.exec(eventsTable, b.rows, nil)
		} else {
			err = w.writeBulk(b.typ, b.src, b.ids)
		}
		if err != nil {
			return err
		}
	}
	w.bulkEvents = nil
	return nil
}

// An import's CUSTOMER_CREATED/UPDATED, ORDER_PLACED and FEEDBACK_RECEIVED
// events are made by the database from the rows the batch has just written,
// one statement per kind: binding five values per event from Go cost an
// import a quarter of its speed. An eventSource tells the table, the SQL of
// the event's customer and summary, and whether the row is the subject.
type eventSource struct {
	// table is a table or a subquery with its alias.
	table, customer, summary string
	subject                  bool
	// where selects among the rows (SQL over the table's columns).
	where string
}

var (
	customerEvents = func(verb string) eventSource {
		return eventSource{table: customer.Table, customer: "id", summary: "'Customer ' || external_ref || ' " + verb + " (import)'"}
	}
	orderEvents = func(d string) eventSource {
		total := "printf('%d.%02d', total / 100, total % 100)"
		if d == dialect.Postgres {
			total = "to_char(total / 100.0, 'FM9999999999999990.00')"
		}
		return eventSource{table: order.Table, customer: "customer_id", subject: true,
			summary: "'Order ' || external_ref || ' placed: ' || " + total + " || ' (import)'"}
	}
	feedbackEvents = eventSource{table: feedback.Table, customer: "customer_id", subject: true,
		summary: "kind || ' feedback ' || external_ref || ' received by ' || channel || ' (import)'"}
	// detractorEvents are the SIGNAL_NEW_DETRACTOR of NPS answers of 0-6
	// that are now their customer's latest (scores.md: the latest
	// submittedAt; on a tie the greater externalRef, byte by byte, then the
	// greater id; store.latestNPS is the API's).
	detractorEvents = func(d string) eventSource {
		// One ranking of the batch's customers' NPS answers, read as the
		// table, not a NOT EXISTS per answer nor a join with the ranking:
		// in a bulk load the feedback indexes are deferred and PostgreSQL
		// has no statistics of the new rows, so each probe scanned the
		// table or the ranking (a third of the import's time). writeBulk
		// keeps those of the batch.
		collate := ""
		if d == dialect.Postgres {
			collate = ` COLLATE "C"`
		}
		return eventSource{customer: "customer_id", subject: true,
			summary: "'New detractor: latest NPS answer ' || score || ' (import)'",
			table: `(SELECT id, customer_id, score, ROW_NUMBER() OVER (PARTITION BY customer_id ORDER BY submitted_at DESC,
				CASE WHEN external_ref IS NULL THEN 1 ELSE 0 END, external_ref` + collate + ` DESC, id DESC) AS rn
				FROM ` + feedback.Table + ` WHERE kind = 'NPS' AND customer_id IN (SELECT customer_id FROM ` + feedback.Table + ` WHERE ` + inBatch(d) + `)) latest`,
			where: "rn = 1 AND score <= " + strconv.Itoa(activity.DetractorMax)}
	}
)

// eventsOf has writeEvents append an event of type typ for each row of
// src.table with an id in ids, in the order of the ids.
func (w *txWriter) eventsOf(typ customerevent.Type, src eventSource, ids []int) {
	if len(ids) > 0 {
		w.seal()
		w.bulkEvents = append(w.bulkEvents, bulkEvents{typ: typ, src: src, ids: ids})
	}
}

// bulkEvents are events of one type to make from rows of the batch, or
// (rows) a run of events bound one by one.
type bulkEvents struct {
	typ  customerevent.Type
	src  eventSource
	ids  []int
	rows *rows
}

// inBatch is the SQL of "id is one of the batch's", writeBulk's fifth
// argument (a database.IDList).
func inBatch(d string) string { return database.InIDs(d, "id", 5) }

// writeBulk writes one bulkEvents.
func (w *txWriter) writeBulk(typ customerevent.Type, src eventSource, ids []int) error {
	lo, hi := slices.Min(ids), slices.Max(ids) // bounds let PostgreSQL scan a range of the key
	subject, p1, p2, p3, p4 := "NULL", "?1", "?2", "?3", "?4"
	if w.l.db.Dialect == dialect.Postgres {
		p1, p2, p3, p4 = "$1", "$2::timestamptz", "$3", "$4"
	}
	if src.subject {
		subject = "id"
	}
	where := ""
	if src.where != "" {
		where = " AND " + src.where
	}
	_, err := w.tx.ExecContext(w.ctx, "INSERT INTO "+eventsTable.name+
		" (type, occurred_at, customer_id, subject_id, summary) SELECT "+p1+", "+p2+", "+src.customer+", "+subject+", "+src.summary+
		" FROM "+src.table+" WHERE id BETWEEN "+p3+" AND "+p4+" AND "+inBatch(w.l.db.Dialect)+where+" ORDER BY id", string(typ), w.nowArg, lo, hi, database.IDList(w.l.db.Dialect, ids))
	return err
}

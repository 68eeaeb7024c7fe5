package importer

import (
	"github.com/c360/c360/ent/customerevent"
)

// eventsTable is the customer event log: an import appends the events of a
// batch in bulk, in the batch's transaction, like its rows.
var eventsTable = &table{name: customerevent.Table,
	cols: []string{customerevent.FieldType, customerevent.FieldOccurredAt, customerevent.FieldCustomerID,
		customerevent.FieldSubjectID, customerevent.FieldSummary}}

// event adds an event of the batch (store.EventHook words those of the API).
// Summaries are concatenated: fmt took a tenth of an import's time.
func (w *txWriter) event(typ string, customerID int, subject *int, summary string) {
	if w.events == nil {
		w.events = w.newRows(256, len(eventsTable.cols))
	}
	w.events.row()
	w.events.arg(typ)
	w.events.arg(w.nowArg)
	w.events.arg(int64(customerID))
	w.events.arg(optInt(subject))
	w.events.arg(summary)
}

// writeEvents writes the batch's events.
func (w *txWriter) writeEvents() error {
	if w.events == nil {
		return nil
	}
	return w.exec(eventsTable, w.events, nil)
}

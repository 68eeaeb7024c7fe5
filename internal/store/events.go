package store

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"entgo.io/ent/dialect"

	"github.com/c360/c360/ent"
	"github.com/c360/c360/ent/customerevent"
	"github.com/c360/c360/ent/feedback"
	"github.com/c360/c360/internal/activity"
	"github.com/c360/c360/internal/personas"
	"github.com/c360/c360/internal/scores"
)

// changed returns the GraphQL name of a field whose change an event
// records: one GraphQL shows, but the update time.
func changed(typ, column string) (string, bool) {
	name, ok := graphQLName(typ, column)
	return name, ok && name != "updatedAt"
}

// EventHook appends the events of a write to the customer's log, in the
// write's transaction: a customer created or updated (with its field
// changes), an order placed or its status changed, feedback received, the
// signal of a new detractor, persona membership. Bulk writes (a merge
// moving rows, an import) write their own events. wake is called when
// events were committed (live subscribers). Install it with client.Use.
func EventHook(wake func()) ent.Hook {
	return func(next ent.Mutator) ent.Mutator { return eventHook(next, wake) }
}

func eventHook(next ent.Mutator, wake func()) ent.Mutator {
	return ent.MutateFunc(func(ctx context.Context, m ent.Mutation) (ent.Value, error) {
		if _, ok := m.(*ent.CustomerEventMutation); ok {
			v, err := next.Mutate(ctx, m)
			if err == nil && atCommit(m, wake) == nil {
				wake()
			}
			return v, err
		}
		var before map[string]string // the updated fields' old values, as text
		if m.Op().Is(ent.OpUpdateOne) {
			var err error
			if before, err = oldValues(ctx, m); err != nil {
				return nil, err
			}
		}
		was, err := membershipBefore(ctx, m)
		if err != nil {
			return nil, err
		}
		risk, err := churnBefore(ctx, m)
		if err != nil {
			return nil, err
		}
		v, err := next.Mutate(ctx, m)
		if err != nil {
			return v, err
		}
		var events []*ent.CustomerEventCreate
		switch m := m.(type) {
		case *ent.CustomerMutation:
			events, err = customerEvents(m, v, before)
			if c, ok := v.(*ent.Customer); ok && err == nil && touchesDemographics(m) {
				var joined []*ent.CustomerEventCreate
				joined, err = membershipEvents(ctx, m.Client(), was.customer, c)
				events = append(events, joined...)
			}
		case *ent.PersonaMutation:
			err = personaEvents(ctx, m, v, was)
		case *ent.OrderMutation:
			events, err = orderEvents(m, v, before)
		case *ent.FeedbackMutation:
			events, err = feedbackEvents(ctx, m, v)
		}
		if err != nil {
			return v, err
		}
		if risk.customer != 0 {
			signal, err := churnSignal(ctx, clientOf(m), risk)
			if err != nil {
				return nil, err
			}
			events = append(events, signal...)
		}
		if len(events) == 0 {
			return v, nil
		}
		if err := writeEvents(ctx, m, events, wake); err != nil {
			return nil, err
		}
		return v, nil
	})
}

// writeEvents writes a mutation's events: in a transaction, last before its
// commit. On PostgreSQL an event id taken long before the commit is a gap
// that subscribers and webhooks wait for (EVENT_GAP_WAIT); the commit hook
// shrinks it to the commit itself.
func writeEvents(ctx context.Context, m ent.Mutation, events []*ent.CustomerEventCreate, wake func()) error {
	tx := atCommit(m, wake)
	if tx == nil {
		if err := clientOf(m).CustomerEvent.CreateBulk(events...).Exec(ctx); err != nil {
			return fmt.Errorf("writing events: %w", err)
		}
		return nil
	}
	now := time.Now().UTC() // when it happened, not when it is written
	for _, e := range events {
		if _, set := e.Mutation().OccurredAt(); !set {
			e.SetOccurredAt(now)
		}
	}
	tx.mu.Lock()
	tx.events = append(tx.events, events...)
	tx.mu.Unlock()
	return nil
}

// openTxs holds what each open transaction does at its commit.
var openTxs sync.Map // *ent.Tx → *txEvents

// txEvents is what a transaction does at its commit: write the events its
// writes deferred, commit, and then wake the readers, once however many
// writes it made (a persona edit writes thousands).
type txEvents struct {
	mu     sync.Mutex
	events []*ent.CustomerEventCreate
}

// atCommit returns the record of the write's transaction, registering its
// commit and rollback on first use; nil outside a transaction.
func atCommit(m ent.Mutation, wake func()) *txEvents {
	tx, err := m.(interface{ Tx() (*ent.Tx, error) }).Tx()
	if err != nil {
		return nil
	}
	v, loaded := openTxs.LoadOrStore(tx, &txEvents{})
	te := v.(*txEvents)
	if loaded {
		return te
	}
	tx.OnRollback(func(next ent.Rollbacker) ent.Rollbacker {
		return ent.RollbackFunc(func(ctx context.Context, tx *ent.Tx) error {
			openTxs.Delete(tx)
			return next.Rollback(ctx, tx)
		})
	})
	tx.OnCommit(func(next ent.Committer) ent.Committer {
		return ent.CommitFunc(func(ctx context.Context, tx *ent.Tx) error {
			te.mu.Lock()
			events := te.events
			te.mu.Unlock()
			// Written while the record is still open: these writes' own
			// hooks find it and register nothing more.
			for lo := 0; lo < len(events); lo += 1000 {
				if err := tx.CustomerEvent.CreateBulk(events[lo:min(lo+1000, len(events))]...).Exec(ctx); err != nil {
					openTxs.Delete(tx)
					return errors.Join(fmt.Errorf("writing events: %w", err), tx.Rollback())
				}
			}
			openTxs.Delete(tx)
			err := next.Commit(ctx, tx)
			if err == nil {
				wake()
			}
			return err
		})
	})
	return te
}

// membership is what a write's membership events compare with: the customer
// or the persona before the write.
type membership struct {
	customer *ent.Customer
	persona  *ent.Persona
}

func membershipBefore(ctx context.Context, m ent.Mutation) (membership, error) {
	var was membership
	var err error
	switch m := m.(type) {
	case *ent.CustomerMutation:
		if id, ok := m.ID(); ok && m.Op().Is(ent.OpUpdateOne) && touchesDemographics(m) {
			was.customer, err = m.Client().Customer.Get(ctx, id)
		}
	case *ent.PersonaMutation:
		if id, ok := m.ID(); ok && m.Op().Is(ent.OpUpdateOne|ent.OpDeleteOne) {
			was.persona, err = m.Client().Persona.Get(ctx, id)
		}
	}
	if err != nil && !ent.IsNotFound(err) {
		return was, fmt.Errorf("reading before the write: %w", err)
	}
	return was, nil
}

// personaEvents writes the membership events of a persona created, edited or
// deleted.
func personaEvents(ctx context.Context, m *ent.PersonaMutation, v ent.Value, was membership) error {
	var old, now *personas.Criteria
	p, _ := v.(*ent.Persona)
	if was.persona != nil {
		old = &was.persona.Criteria
	}
	switch {
	case m.Op().Is(ent.OpDeleteOne):
		p = was.persona
	case p != nil:
		now = &p.Criteria
	}
	if p == nil {
		return nil
	}
	return PersonaMembershipEvents(ctx, m.Client(), p, old, now)
}

// churn is a customer's churnRisk before a write that may move it.
type churn struct{ customer, before int }

// churnBefore computes the churnRisk of the customer an order or a feedback
// write touches (0: none): placing or changing an order, receiving feedback.
func churnBefore(ctx context.Context, m ent.Mutation) (churn, error) {
	var id int
	switch m := m.(type) {
	case *ent.OrderMutation:
		switch {
		case m.Op().Is(ent.OpCreate):
			id, _ = m.CustomerID()
		case m.Op().Is(ent.OpUpdateOne):
			if _, ok := m.Status(); ok {
				var err error
				if id, err = m.OldCustomerID(ctx); err != nil {
					return churn{}, err
				}
			}
		}
	case *ent.FeedbackMutation:
		if m.Op().Is(ent.OpCreate) {
			id, _ = m.CustomerID()
		}
	}
	if id == 0 {
		return churn{}, nil
	}
	risks, err := scores.ChurnRisks(ctx, clientOf(m), []int{id})
	return churn{customer: id, before: risks[id]}, err
}

// churnSignal is SIGNAL_CHURN_RISK_HIGH when the write took the customer's
// churnRisk from below scores.ChurnRiskHigh to it or above.
func churnSignal(ctx context.Context, client *ent.Client, c churn) ([]*ent.CustomerEventCreate, error) {
	if c.before >= scores.ChurnRiskHigh {
		return nil, nil // no crossing, whatever the write did
	}
	risks, err := scores.ChurnRisks(ctx, client, []int{c.customer})
	if err != nil || risks[c.customer] < scores.ChurnRiskHigh {
		return nil, err
	}
	summary, changes := ChurnSignal(c.before, risks[c.customer])
	return []*ent.CustomerEventCreate{client.CustomerEvent.Create().SetType(customerevent.TypeSIGNAL_CHURN_RISK_HIGH).
		SetCustomerID(c.customer).SetSummary(summary).SetChanges(changes)}, nil
}

// ChurnSignal is the summary and the field changes of a
// SIGNAL_CHURN_RISK_HIGH event from churnRisk before to after.
func ChurnSignal(before, after int) (string, []activity.FieldChange) {
	return fmt.Sprintf("Churn risk high: %d → %d", before, after),
		[]activity.FieldChange{{Field: "churnRisk", From: ptrText(before), To: ptrText(after)}}
}

func ptrText(n int) *string {
	s := strconv.Itoa(n)
	return &s
}

func clientOf(m ent.Mutation) *ent.Client {
	return m.(interface{ Client() *ent.Client }).Client()
}

// oldValues returns the old values of the fields an update of one sets or
// clears, as text.
func oldValues(ctx context.Context, m ent.Mutation) (map[string]string, error) {
	switch m.(type) {
	case *ent.CustomerMutation, *ent.OrderMutation:
	default:
		return nil, nil
	}
	out := make(map[string]string)
	for _, f := range slices.Concat(m.Fields(), m.ClearedFields()) {
		if _, ok := changed(m.Type(), f); !ok {
			continue
		}
		v, err := m.OldField(ctx, f)
		if err != nil {
			return nil, fmt.Errorf("reading %s before the update: %w", f, err)
		}
		if s, ok := text(v); ok {
			out[f] = s
		}
	}
	return out, nil
}

// text formats a field value; false for null.
func text(v ent.Value) (string, bool) {
	r := reflect.ValueOf(v)
	for r.Kind() == reflect.Pointer {
		if r.IsNil() {
			return "", false
		}
		r = r.Elem()
	}
	if !r.IsValid() {
		return "", false
	}
	if t, ok := r.Interface().(time.Time); ok {
		return t.UTC().Format(time.RFC3339Nano), true
	}
	return fmt.Sprint(r.Interface()), true
}

// changes lists the fields whose value differs from before.
func changes(m ent.Mutation, before map[string]string) []activity.FieldChange {
	var out []activity.FieldChange
	for _, f := range slices.Sorted(slices.Values(slices.Concat(m.Fields(), m.ClearedFields()))) {
		name, ok := changed(m.Type(), f)
		if !ok {
			continue
		}
		c := activity.FieldChange{Field: name}
		if s, ok := before[f]; ok {
			c.From = &s
		}
		if v, ok := m.Field(f); ok {
			if s, ok := text(v); ok {
				c.To = &s
			}
		}
		if (c.From == nil) != (c.To == nil) || (c.From != nil && *c.From != *c.To) {
			out = append(out, c)
		}
	}
	return out
}

func fieldNames(cs []activity.FieldChange) string {
	names := make([]string, len(cs))
	for i, c := range cs {
		names[i] = c.Field
	}
	return strings.Join(names, ", ")
}

func customerEvents(m *ent.CustomerMutation, v ent.Value, before map[string]string) ([]*ent.CustomerEventCreate, error) {
	c, ok := v.(*ent.Customer)
	if !ok { // a bulk write: its own events
		return nil, nil
	}
	client := m.Client()
	switch {
	case m.Op().Is(ent.OpCreate):
		return []*ent.CustomerEventCreate{client.CustomerEvent.Create().SetType(customerevent.TypeCUSTOMER_CREATED).
			SetCustomerID(c.ID).SetSummary("Customer created")}, nil
	case m.Op().Is(ent.OpUpdateOne):
		cs := changes(m, before)
		if len(cs) == 0 {
			return nil, nil
		}
		return []*ent.CustomerEventCreate{client.CustomerEvent.Create().SetType(customerevent.TypeCUSTOMER_UPDATED).
			SetCustomerID(c.ID).SetSummary("Customer updated: " + fieldNames(cs)).SetChanges(cs)}, nil
	}
	return nil, nil
}

// orderName names an order in a summary: its externalRef, else its id.
func orderName(o *ent.Order) string {
	if o.ExternalRef != nil {
		return "Order " + *o.ExternalRef
	}
	return fmt.Sprintf("Order %d", o.ID)
}

func orderEvents(m *ent.OrderMutation, v ent.Value, before map[string]string) ([]*ent.CustomerEventCreate, error) {
	o, ok := v.(*ent.Order)
	if !ok {
		return nil, nil
	}
	client := m.Client()
	switch {
	case m.Op().Is(ent.OpCreate):
		return []*ent.CustomerEventCreate{client.CustomerEvent.Create().SetType(customerevent.TypeORDER_PLACED).
			SetCustomerID(o.CustomerID).SetSubjectID(o.ID).
			SetSummary(fmt.Sprintf("%s placed: %s, %s", orderName(o), o.Total, o.Status))}, nil
	case m.Op().Is(ent.OpUpdateOne):
		cs := changes(m, before)
		i := slices.IndexFunc(cs, func(c activity.FieldChange) bool { return c.Field == "status" })
		if i < 0 {
			return nil, nil
		}
		return []*ent.CustomerEventCreate{client.CustomerEvent.Create().SetType(customerevent.TypeORDER_STATUS_CHANGED).
			SetCustomerID(o.CustomerID).SetSubjectID(o.ID).
			SetSummary(fmt.Sprintf("%s: %s → %s", orderName(o), *cs[i].From, *cs[i].To)).SetChanges(cs[i : i+1])}, nil
	}
	return nil, nil
}

func feedbackEvents(ctx context.Context, m *ent.FeedbackMutation, v ent.Value) ([]*ent.CustomerEventCreate, error) {
	f, ok := v.(*ent.Feedback)
	if !ok || !m.Op().Is(ent.OpCreate) {
		return nil, nil
	}
	client := m.Client()
	summary := fmt.Sprintf("%s feedback received by %s", f.Kind, f.Channel)
	if f.Score != nil {
		summary = fmt.Sprintf("%s %d received by %s", f.Kind, *f.Score, f.Channel)
	}
	events := []*ent.CustomerEventCreate{client.CustomerEvent.Create().SetType(customerevent.TypeFEEDBACK_RECEIVED).
		SetCustomerID(f.CustomerID).SetSubjectID(f.ID).SetSummary(summary)}
	if f.Kind != feedback.KindNPS || f.Score == nil || *f.Score > activity.DetractorMax {
		return events, nil
	}
	latest, err := latestNPS(ctx, client, f.CustomerID)
	if err != nil {
		return nil, err
	}
	if latest == f.ID {
		events = append(events, client.CustomerEvent.Create().SetType(customerevent.TypeSIGNAL_NEW_DETRACTOR).
			SetCustomerID(f.CustomerID).SetSubjectID(f.ID).
			SetSummary(fmt.Sprintf("New detractor: latest NPS answer %d", *f.Score)))
	}
	return events, nil
}

// latestNPS returns the id of the customer's latest NPS answer by the rule of
// scores.md as README words it: greatest submittedAt, then the greater
// externalRef byte by byte (none below any), then the greater id.
func latestNPS(ctx context.Context, client *ent.Client, customerID int) (int, error) {
	top, err := client.Feedback.Query().Where(feedback.CustomerID(customerID), feedback.KindEQ(feedback.KindNPS)).
		Order(ent.Desc(feedback.FieldSubmittedAt)).First(ctx)
	if err != nil {
		return 0, fmt.Errorf("finding the latest NPS answer: %w", err)
	}
	ties, err := client.Feedback.Query().Where(feedback.CustomerID(customerID), feedback.KindEQ(feedback.KindNPS),
		feedback.SubmittedAt(top.SubmittedAt)).All(ctx)
	if err != nil {
		return 0, fmt.Errorf("finding the latest NPS answer: %w", err)
	}
	best := slices.MaxFunc(ties, func(a, b *ent.Feedback) int {
		switch {
		case a.ExternalRef == nil && b.ExternalRef != nil:
			return -1
		case a.ExternalRef != nil && b.ExternalRef == nil:
			return 1
		case a.ExternalRef != nil:
			if c := strings.Compare(*a.ExternalRef, *b.ExternalRef); c != 0 { // byte by byte
				return c
			}
		}
		return cmp.Compare(a.ID, b.ID)
	})
	return best.ID, nil
}

// LastEventID is the id of the newest event in the log; in an empty log,
// the id just below the first one the log will give (ids start at the
// table's global-id range, at its start on PostgreSQL and one after it on
// SQLite). Readers that tail the log by id (eventstream, webhooks) start
// after it, so the first event is no gap to wait for.
func LastEventID(ctx context.Context, client *ent.Client) (int, error) {
	ids, err := client.CustomerEvent.Query().Order(ent.Desc(customerevent.FieldID)).Limit(1).IDs(ctx)
	if err != nil {
		return 0, err
	}
	if len(ids) > 0 {
		return ids[0], nil
	}
	q := "SELECT seq FROM sqlite_sequence WHERE name = ?"
	if client.Dialect() == dialect.Postgres {
		q = "SELECT start_value - 1 FROM pg_sequences WHERE sequencename = pg_get_serial_sequence($1, 'id')::regclass::text"
	}
	rows, err := client.QueryContext(ctx, q, customerevent.Table)
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	last := 0
	for rows.Next() {
		if err := rows.Scan(&last); err != nil {
			return 0, err
		}
	}
	return last, rows.Err()
}

package importer

import (
	"context"
	stdsql "database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/c360/c360/ent"
	"github.com/c360/c360/ent/customer"
	"github.com/c360/c360/ent/customerevent"
	"github.com/c360/c360/ent/feedback"
	"github.com/c360/c360/ent/identity"
	"github.com/c360/c360/ent/order"
	"github.com/c360/c360/ent/orderitem"
	"github.com/c360/c360/ent/persona"
	"github.com/c360/c360/ent/predicate"
	"github.com/c360/c360/internal/activity"
	"github.com/c360/c360/internal/date"
	"github.com/c360/c360/internal/duplicates"
	"github.com/c360/c360/internal/fault"
	"github.com/c360/c360/internal/identities"
	"github.com/c360/c360/internal/ndjson"
	"github.com/c360/c360/internal/personas"
	"github.com/c360/c360/internal/scores"
	"github.com/c360/c360/internal/store"
	"github.com/c360/c360/internal/validate"
)

// maxParams bounds the bind parameters of one statement (SQLite allows
// 32766, PostgreSQL 65535); bulk inserts and IN lists are split to stay below.
const maxParams = 30000

// chunked calls fn on consecutive ranges [lo, hi) of at most per elements.
func chunked(n, per int, fn func(lo, hi int) error) error {
	per = max(per, 1)
	for lo := 0; lo < n; lo += per {
		if err := fn(lo, min(lo+per, n)); err != nil {
			return err
		}
	}
	return nil
}

type orderInfo struct{ id, customerID int }

// txWriter writes one batch inside one transaction. Nothing it learns is
// kept unless the transaction commits.
type txWriter struct {
	ctx        context.Context
	tx         *ent.Client // bound to the batch's transaction
	conn       *stdsql.Conn
	l          *Loader
	imported   int64
	rejects    []Rejection
	customers  map[string]int       // customers written or looked up in this transaction
	orders     map[string]orderInfo // orders written or looked up in this transaction
	now        time.Time            // createdAt/updatedAt of the rows written
	nowArg     any                  // now, boxed once
	used       []*rows              // argument buffers to release
	events     *rows                // the batch's events (events.go)
	bulkEvents []bulkEvents         // and those made from its rows
	created    map[int]bool         // customers the batch created
	summarized time.Duration        // spent refreshing summaries
}

func (w *txWriter) reject(src source, field, format string, args ...any) {
	w.rejects = append(w.rejects, Rejection{File: src.file, Line: src.line,
		Reason: validate.Errorf(field, format, args...).Error()})
}

func (w *txWriter) write(b *batch) error {
	if err := w.personas(b.personas); err != nil {
		return err
	}
	if err := w.customerRecs(b.customers); err != nil {
		return err
	}
	refs := make([]string, 0, len(b.orders)+len(b.feedback))
	for _, o := range b.orders {
		refs = append(refs, o.CustomerRef)
	}
	for _, f := range b.feedback {
		refs = append(refs, f.CustomerRef)
	}
	if err := w.resolveCustomers(refs); err != nil {
		return err
	}
	churn, err := w.churnBefore(refs)
	if err != nil {
		return err
	}
	if err := w.orderRecs(b.orders); err != nil {
		return err
	}
	if err := w.feedbackRecs(b.feedback); err != nil {
		return err
	}
	if err := w.churnSignals(churn); err != nil {
		return err
	}
	if err := w.summaries(b, refs); err != nil {
		return err
	}
	return w.writeEvents()
}

// summaries refreshes the summaries of the customers the batch wrote, and
// of those its orders and feedback (refs) belong to, unless Flush builds them
// all. Customer and persona records may change any persona's membership.
func (w *txWriter) summaries(b *batch, refs []string) error {
	if w.l.summarizeAtFlush {
		return nil
	}
	ids := make([]int, 0, len(w.customers)+len(refs))
	for _, id := range w.customers {
		ids = append(ids, id)
	}
	for _, ref := range refs {
		if id, ok := w.customerID(ref); ok {
			ids = append(ids, id)
		}
	}
	if len(ids) == 0 && len(b.personas) == 0 {
		return nil
	}
	slices.Sort(ids)
	start := time.Now()
	defer func() { w.summarized = time.Since(start) }()
	return scores.Refresh(w.ctx, w.tx, w.l.db.Dialect, scores.Change{Customers: slices.Compact(ids),
		AllPersonas: len(b.customers) > 0 || len(b.personas) > 0})
}

// The tables an import writes. Their columns and the columns an upsert
// replaces come from the ent schema (records_gen.go):
//
//   - personas and customers: a stored record with the same externalRef has
//     every field replaced but its id and createdAt (optional fields absent
//     from the record are cleared: excluded.x is NULL); RETURNING tells the
//     id of each customer, new or updated;
//   - orders: inserted when new, and RETURNING tells the new ones' ids (their
//     items are inserted next, with them); a stored order's status is
//     updated apart, its items never;
//   - feedback: immutable; DO NOTHING, as feedback written by someone else
//     since the lookup wins; RETURNING tells the new ones (their events).
var (
	personasTable  = upsertTable(persona.Table, personaColumns, personaMutable, "")
	customersTable = upsertTable(customer.Table, customerColumns, customerMutable, " RETURNING id, external_ref")
	ordersTable    = upsertTable(order.Table, orderColumns, nil, " RETURNING id, external_ref")
	itemsTable     = &table{name: orderitem.Table, cols: orderItemColumns}
	feedbackTable  = upsertTable(feedback.Table, feedbackColumns, nil, " RETURNING id, external_ref")
	// On a conflict with another customer's identity the WHERE leaves it.
	identitiesTable = &table{name: identity.Table, cols: identityColumns,
		suffix: " ON CONFLICT (kind, value) DO UPDATE SET " + setExcluded(identityMutable) +
			" WHERE " + identity.Table + ".customer_id = excluded.customer_id"}
)

// upsertTable is an INSERT into name that updates the mutable columns of a
// row with the same externalRef, or does nothing when there are none.
func upsertTable(name string, cols, mutable []string, returning string) *table {
	if len(mutable) == 0 {
		return &table{name: name, cols: cols, suffix: " ON CONFLICT (external_ref) DO NOTHING" + returning}
	}
	return &table{name: name, cols: cols, suffix: " ON CONFLICT (external_ref) DO UPDATE SET " + setExcluded(mutable) + returning}
}

func (w *txWriter) personas(recs []*personaRec) error {
	if len(recs) == 0 {
		return nil
	}
	refs := make([]string, len(recs))
	for i, r := range recs {
		refs[i] = r.ExternalRef
	}
	existing := make(map[string]*ent.Persona, len(recs))
	err := chunked(len(refs), maxParams, func(lo, hi int) error {
		ps, err := w.tx.Persona.Query().Where(persona.ExternalRefIn(refs[lo:hi]...)).All(w.ctx)
		for _, p := range ps {
			existing[*p.ExternalRef] = p
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("looking up personas: %w", err)
	}
	var written []*personaRec
	for _, r := range recs {
		w.imported++
		if p := existing[r.ExternalRef]; p != nil && samePersona(p, &r.Persona) {
			continue
		}
		written = append(written, r)
	}
	if len(written) == 0 {
		return nil
	}
	rs := w.newRows(len(written), len(personasTable.cols))
	for _, r := range written {
		bindPersona(rs, &r.Persona, w.now, w.nowArg)
	}
	if err := w.exec(personasTable, rs, nil); err != nil {
		return err
	}
	return w.personaMembershipEvents(written, existing)
}

// personaMembershipEvents writes the PERSONA_JOINED/LEFT events of the
// stored customers that written personas take in or let go, as the API's
// persona writes do. They are written at once, not with the batch's other
// events, because they must see the customers before the batch changes
// them (membershipEvents adds the rest).
func (w *txWriter) personaMembershipEvents(written []*personaRec, existing map[string]*ent.Persona) error {
	refs := make([]string, len(written))
	for i, r := range written {
		refs[i] = r.ExternalRef
	}
	ps, err := w.tx.Persona.Query().Where(persona.ExternalRefIn(refs...)).Order(persona.ByID()).All(w.ctx)
	if err != nil {
		return fmt.Errorf("reading the written personas: %w", err)
	}
	for _, p := range ps {
		var old *personas.Criteria
		if e := existing[*p.ExternalRef]; e != nil {
			old = &e.Criteria
		}
		if err := store.PersonaMembershipEvents(w.ctx, w.tx, p, old, &p.Criteria); err != nil {
			return err
		}
	}
	return nil
}

// membershipEvents adds the PERSONA_JOINED/LEFT events of the written
// customers: byRef holds the stored version of those that existed.
func (w *txWriter) membershipEvents(written []*customerRec, byRef map[string]*ent.Customer) error {
	if len(written) == 0 {
		return nil
	}
	ps, err := w.tx.Persona.Query().Order(persona.ByID()).All(w.ctx)
	if err != nil || len(ps) == 0 {
		return err
	}
	today := personas.Today()
	for _, r := range written {
		var before *personas.Profile
		if c := byRef[r.ExternalRef]; c != nil {
			p := store.PersonaProfile(c)
			before = &p
		}
		id := w.customers[r.ExternalRef]
		for _, ch := range store.MembershipChanges(ps, before, profileOf(&r.Customer), today) {
			if err := w.event(string(ch.Type), id, &ch.Persona.ID, ch.Summary(), nil); err != nil {
				return err
			}
		}
	}
	return nil
}

// profileOf is what persona membership looks at in a customer record.
func profileOf(r *ndjson.Customer) personas.Profile {
	p := personas.Profile{Country: r.Country, Kind: personas.Kind(r.Kind)}
	if r.BirthDate != nil {
		d := date.Date(*r.BirthDate)
		p.BirthDate = &d
	}
	if r.Gender != nil {
		g := personas.Gender(*r.Gender)
		p.Gender = &g
	}
	if r.IncomeBand != nil {
		b := personas.IncomeBand(*r.IncomeBand)
		p.IncomeBand = &b
	}
	return p
}

func (w *txWriter) customerRecs(recs []*customerRec) error {
	if len(recs) == 0 {
		return nil
	}
	refs := make([]string, 0, len(recs))
	emails := make([]string, 0, len(recs))
	for _, r := range recs {
		refs = append(refs, r.ExternalRef)
		if r.Email != nil {
			emails = append(emails, *r.Email)
		}
	}
	// One query finds both the stored versions of these customers and the
	// customers already holding their emails.
	byRef := make(map[string]*ent.Customer)
	byEmail := make(map[string]*ent.Customer)
	err := chunked(max(len(refs), len(emails)), maxParams/2, func(lo, hi int) error {
		pred := customer.ExternalRefIn(refs[min(lo, len(refs)):min(hi, len(refs))]...)
		if lo < len(emails) {
			pred = customer.Or(pred, customer.EmailIn(emails[lo:min(hi, len(emails))]...))
		}
		cs, err := w.tx.Customer.Query().Where(pred).All(w.ctx)
		for _, c := range cs {
			if c.ExternalRef != nil {
				byRef[*c.ExternalRef] = c
			}
			if c.Email != nil {
				byEmail[*c.Email] = c
			}
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("looking up customers: %w", err)
	}
	owners, err := w.identityOwners(recs)
	if err != nil {
		return err
	}
	var unknown []string
	for _, ref := range refs {
		if byRef[ref] == nil {
			unknown = append(unknown, ref)
		}
	}
	merged, err := w.refOwners(unknown, identity.Source(identities.MergedSource))
	if err != nil {
		return err
	}
	var written, accepted []*customerRec
	for _, r := range recs {
		if into, ok := merged[r.ExternalRef]; ok {
			w.reject(r.source, "externalRef", "customer %q was merged into customer %d: import it as the survivor's identity, or undo the merge", r.ExternalRef, into)
			continue
		}
		if i, owner := claimedElsewhere(r, owners, byRef[r.ExternalRef]); owner != 0 {
			id := r.Identities[i]
			w.reject(r.source, fmt.Sprintf("identities[%d]", i), "%s %q belongs to another customer", id.Kind, id.Value)
			continue
		}
		if r.Email != nil {
			if owner := byEmail[*r.Email]; owner != nil && (owner.ExternalRef == nil || *owner.ExternalRef != r.ExternalRef) {
				if owner.ExternalRef != nil {
					w.reject(r.source, "email", "%q is already used by customer %q", *r.Email, *owner.ExternalRef)
				} else {
					w.reject(r.source, "email", "%q is already used by another customer", *r.Email)
				}
				continue
			}
		}
		w.imported++
		accepted = append(accepted, r)
		if c := byRef[r.ExternalRef]; c != nil && sameCustomer(c, &r.Customer) {
			w.customers[r.ExternalRef] = c.ID
			continue
		}
		written = append(written, r)
	}
	if err := w.writeCustomers(written); err != nil {
		return err
	}
	if err := w.identities(accepted); err != nil {
		return err
	}
	ids := make([]int, len(written))
	var created, updated []int
	for i, r := range written {
		ids[i] = w.customers[r.ExternalRef]
		if byRef[r.ExternalRef] == nil {
			created = append(created, ids[i])
			w.created[ids[i]] = true
		} else {
			updated = append(updated, ids[i])
		}
	}
	w.eventsOf(customerevent.TypeCUSTOMER_CREATED, customerEvents("created"), created)
	w.eventsOf(customerevent.TypeCUSTOMER_UPDATED, customerEvents("updated"), updated)
	if err := w.membershipEvents(written, byRef); err != nil {
		return err
	}
	return store.SyncProfileIdentities(w.ctx, w.tx, ids)
}

// writeCustomers upserts the customers that are new or changed.
func (w *txWriter) writeCustomers(written []*customerRec) error {
	if len(written) == 0 {
		return nil
	}
	// A new customer gets its id from the database; one that exists keeps
	// its own (the upsert updates it). RETURNING tells either.
	rs := w.newRows(len(written), len(customersTable.cols))
	for _, r := range written {
		city := ""
		if r.City != nil {
			city = *r.City
		}
		key := duplicates.NameKey(r.Name)
		head, tail := duplicates.HeadTail(key)
		bindCustomer(rs, &r.Customer, w.now, w.nowArg, key, duplicates.NameKey(city), head, tail)
	}
	return w.exec(customersTable, rs, func(rows *stdsql.Rows) error {
		var id int
		var ref string
		if err := rows.Scan(&id, &ref); err != nil {
			return err
		}
		w.customers[ref] = id
		return nil
	})
}

// identityOwners returns the customers holding the identities the records
// claim, by "KIND:value".
func (w *txWriter) identityOwners(recs []*customerRec) (map[string]int, error) {
	var ids []string
	for _, r := range recs {
		for _, id := range r.Identities {
			ids = append(ids, id.Kind+":"+id.Value)
		}
	}
	return store.IdentityOwners(w.ctx, w.tx, ids)
}

// claimedElsewhere returns the index of the first identity of r that a
// customer other than r's stored one holds, and that customer's id (0 when
// there is none).
func claimedElsewhere(r *customerRec, owners map[string]int, stored *ent.Customer) (int, int) {
	for i, id := range r.Identities {
		owner, ok := owners[id.Kind+":"+id.Value]
		if ok && (stored == nil || owner != stored.ID) {
			return i, owner
		}
	}
	return 0, 0
}

// identities writes the identities of the accepted customers: a new one is
// inserted, a stored one of the same customer takes the record's source
// and verified (identities a record leaves out stay: they may come from
// other systems). Another customer's identity was refused before; one
// taken since by a concurrent writer stays that customer's.
func (w *txWriter) identities(recs []*customerRec) error {
	n := 0
	for _, r := range recs {
		n += len(r.Identities)
	}
	if n == 0 {
		return nil
	}
	rs := w.newRows(n, len(identitiesTable.cols))
	for _, r := range recs {
		id := w.customers[r.ExternalRef]
		for i := range r.Identities {
			bindIdentity(rs, &r.Identities[i], w.now, w.nowArg, id)
		}
	}
	return w.exec(identitiesTable, rs, nil)
}

func (w *txWriter) customerID(ref string) (int, bool) {
	if id, ok := w.customers[ref]; ok {
		return id, true
	}
	id, ok := w.l.customerIDs[ref]
	return id, ok
}

// resolveCustomers looks up, in one query, the ids of the referenced
// customers not known yet.
func (w *txWriter) resolveCustomers(refs []string) error {
	var missing []string
	seen := make(map[string]struct{})
	for _, ref := range refs {
		if _, ok := w.customerID(ref); ok {
			continue
		}
		if _, ok := seen[ref]; ok {
			continue
		}
		seen[ref] = struct{}{}
		missing = append(missing, ref)
	}
	err := chunked(len(missing), maxParams, func(lo, hi int) error {
		var rows []struct {
			ID          int    `json:"id"`
			ExternalRef string `json:"external_ref"`
		}
		err := w.tx.Customer.Query().Where(customer.ExternalRefIn(missing[lo:hi]...)).
			Select(customer.FieldID, customer.FieldExternalRef).Scan(w.ctx, &rows)
		for _, r := range rows {
			w.customers[r.ExternalRef] = r.ID
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("looking up customers: %w", err)
	}
	// A reference no customer has as its own may be another system's id a
	// customer holds (a merged customer's: its survivor).
	var held []string
	for _, ref := range missing {
		if _, ok := w.customers[ref]; !ok {
			held = append(held, ref)
		}
	}
	owners, err := w.refOwners(held)
	for ref, id := range owners {
		w.customers[ref] = id
	}
	return err
}

// refOwners returns the customers holding the references as EXTERNAL_REF
// identities (those meeting preds), by reference.
func (w *txWriter) refOwners(refs []string, preds ...predicate.Identity) (map[string]int, error) {
	owners := make(map[string]int)
	err := chunked(len(refs), maxParams, func(lo, hi int) error {
		ids, err := w.tx.Identity.Query().Where(append(preds, identity.KindEQ(identity.KindEXTERNAL_REF),
			identity.ValueIn(refs[lo:hi]...))...).Select(identity.FieldValue, identity.FieldCustomerID).All(w.ctx)
		for _, id := range ids {
			owners[id.Value] = id.CustomerID
		}
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("looking up identities: %w", err)
	}
	return owners, nil
}

// lookupOrders adds the stored orders with the given externalRefs to w.orders
// and returns their statuses.
func (w *txWriter) lookupOrders(refs []string) (map[string]order.Status, error) {
	status := make(map[string]order.Status)
	err := chunked(len(refs), maxLookup, func(lo, hi int) error {
		q := "SELECT id, external_ref, customer_id, status FROM orders WHERE " + w.inJSON("external_ref")
		return w.query(q, []any{jsonStrings(refs[lo:hi])}, func(rows *stdsql.Rows) error {
			var o orderInfo
			var ref, st string
			if err := rows.Scan(&o.id, &ref, &o.customerID, &st); err != nil {
				return err
			}
			w.orders[ref] = o
			status[ref] = order.Status(st)
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("looking up orders: %w", err)
	}
	return status, nil
}

func (w *txWriter) orderRecs(recs []*orderRec) error {
	if len(recs) == 0 {
		return nil
	}
	// Every order whose customer is known is offered to the database; those
	// it inserts come back with their ids (ON CONFLICT DO NOTHING RETURNING),
	// so a new order costs no lookup. The others are stored already.
	written := make([]*orderRec, 0, len(recs))
	customerOf := make(map[string]int, len(recs))
	for _, r := range recs {
		cid, ok := w.customerID(r.CustomerRef)
		if !ok {
			w.reject(r.source, "customerRef", "no customer with externalRef %q", r.CustomerRef)
			continue
		}
		written = append(written, r)
		customerOf[r.ExternalRef] = cid
	}
	if len(written) == 0 {
		return nil
	}
	rs := w.newRows(len(written), len(ordersTable.cols))
	for _, r := range written {
		bindOrder(rs, &r.Order, w.now, w.nowArg, r.total, customerOf[r.ExternalRef])
	}
	inserted := make(map[string]int, len(written))
	err := w.exec(ordersTable, rs, func(rows *stdsql.Rows) error {
		var id int
		var ref string
		err := rows.Scan(&id, &ref)
		inserted[ref] = id
		return err
	})
	if err != nil {
		return err
	}
	nItems := 0
	var storedRefs []string
	placed := make([]int, 0, len(inserted))
	for _, r := range written {
		if id, ok := inserted[r.ExternalRef]; ok {
			w.orders[r.ExternalRef] = orderInfo{id: id, customerID: customerOf[r.ExternalRef]}
			nItems += len(r.Items)
			placed = append(placed, id)
		} else {
			storedRefs = append(storedRefs, r.ExternalRef)
		}
	}
	items := w.newRows(nItems, len(itemsTable.cols))
	for _, r := range written {
		id, ok := inserted[r.ExternalRef]
		if !ok {
			continue
		}
		for j := range r.Items {
			line, _ := r.prices[j].CheckedMul(r.Items[j].Quantity) // CheckOrder ruled out overflow
			bindOrderItem(items, &r.Items[j], w.now, w.nowArg, line, id)
		}
	}
	if err := w.exec(itemsTable, items, nil); err != nil {
		return err
	}
	w.eventsOf(customerevent.TypeORDER_PLACED, orderEvents(w.l.db.Dialect), placed)
	return w.storedOrders(written, inserted, storedRefs)
}

// storedOrders counts the orders written and handles those that existed:
// only their status may change (their items stay), and they may not move
// to another customer.
func (w *txWriter) storedOrders(recs []*orderRec, inserted map[string]int, refs []string) error {
	status, err := w.lookupOrders(refs)
	if err != nil {
		return err
	}
	updates := make(map[order.Status][]int)
	for _, r := range recs {
		if _, ok := inserted[r.ExternalRef]; ok {
			w.imported++
			continue
		}
		o, ok := w.orders[r.ExternalRef]
		cid, _ := w.customerID(r.CustomerRef)
		switch {
		case !ok:
			w.reject(r.source, "externalRef", "order %q was deleted while it was imported", r.ExternalRef)
			continue
		case o.customerID != cid:
			w.reject(r.source, "customerRef", "order %q already exists for another customer", r.ExternalRef)
			continue
		}
		if st := order.Status(stringOr(r.Status, string(order.DefaultStatus))); status[r.ExternalRef] != st {
			updates[st] = append(updates[st], o.id)
			from, to := string(status[r.ExternalRef]), string(st)
			err := w.event(string(customerevent.TypeORDER_STATUS_CHANGED), o.customerID, &o.id,
				"Order "+r.ExternalRef+": "+from+" → "+to+" (import)",
				[]activity.FieldChange{{Field: "status", From: &from, To: &to}})
			if err != nil {
				return err
			}
		}
		w.imported++
	}
	for st, ids := range updates {
		err := chunked(len(ids), maxParams, func(lo, hi int) error {
			return w.tx.Order.Update().Where(order.IDIn(ids[lo:hi]...)).SetStatus(st).Exec(w.ctx)
		})
		if err != nil {
			return err
		}
	}
	return nil
}

func (w *txWriter) feedbackRecs(recs []*feedbackRec) error {
	if len(recs) == 0 {
		return nil
	}
	var orderRefs []string
	for _, r := range recs {
		if r.OrderRef != nil {
			if _, ok := w.orders[*r.OrderRef]; !ok {
				orderRefs = append(orderRefs, *r.OrderRef)
			}
		}
	}
	if _, err := w.lookupOrders(orderRefs); err != nil {
		return err
	}
	rs := w.newRows(len(recs), len(feedbackTable.cols))
	for _, r := range recs {
		cid, ok := w.customerID(r.CustomerRef)
		if !ok {
			w.reject(r.source, "customerRef", "no customer with externalRef %q", r.CustomerRef)
			continue
		}
		var orderID *int
		if r.OrderRef != nil {
			o, ok := w.orders[*r.OrderRef]
			if !ok {
				w.reject(r.source, "orderRef", "no order with externalRef %q", *r.OrderRef)
				continue
			}
			if o.customerID != cid {
				w.reject(r.source, "orderRef", "order %q belongs to another customer", *r.OrderRef)
				continue
			}
			orderID = &o.id
		}
		// Feedback is immutable: a stored one with this externalRef stays
		// (ON CONFLICT DO NOTHING), and the record counts as imported.
		w.imported++
		bindFeedback(rs, &r.Feedback, w.now, w.nowArg, cid, orderID)
	}
	// The feedback inserted comes back (RETURNING): its events.
	var received []int
	err := w.exec(feedbackTable, rs, func(rows *stdsql.Rows) error {
		var id int
		var ref string
		err := rows.Scan(&id, &ref)
		received = append(received, id)
		return err
	})
	if err != nil {
		return err
	}
	w.eventsOf(customerevent.TypeFEEDBACK_RECEIVED, feedbackEvents, received)
	w.eventsOf(customerevent.TypeSIGNAL_NEW_DETRACTOR, detractorEvents(w.l.db.Dialect), received)
	return nil
}

// isDataError reports whether err is the database refusing the data of a
// record (fault.FromDatabase), or a rule refusing it, as opposed to an
// infrastructure failure.
func isDataError(err error) bool {
	var c *fault.Conflict
	var b *fault.BadInput
	err = fault.FromDatabase(err)
	return errors.As(err, &c) || errors.As(err, &b)
}

// fieldOf names the field of the interchange format a column holds.
func fieldOf(column string) string {
	if f, ok := formatFields[column]; ok {
		return f
	}
	return column
}

// rejectionFor describes a record the database refused, naming the field
// when the error tells it.
func rejectionFor(src source, err error) Rejection {
	rj := Rejection{File: src.file, Line: src.line}
	var c *fault.Conflict
	var b *fault.BadInput
	switch err := fault.FromDatabase(err); {
	case errors.As(err, &c) && c.Reference && c.Column != "":
		rj.Reason = fieldOf(c.Column) + ": the referenced record does not exist (any more)"
	case errors.As(err, &c) && c.Reference: // SQLite does not tell which
		rj.Reason = "customerRef: the referenced customer or order does not exist (any more)"
	case errors.As(err, &c) && c.Field == "email":
		rj.Reason = "email: is already used by another customer"
	case errors.As(err, &c) && c.Field == "externalRef":
		rj.Reason = "externalRef: conflicts with another record written at the same time"
	case errors.As(err, &b) && b.Field != "":
		rj.Reason = fieldOf(b.Field) + strings.TrimPrefix(b.Message, b.Field)
	case errors.As(err, &b):
		rj.Reason = b.Message
	default:
		rj.Reason = "the database refused the record: " + err.Error()
	}
	return rj
}

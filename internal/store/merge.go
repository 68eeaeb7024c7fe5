package store

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	"entgo.io/ent/dialect"
	"entgo.io/ent/dialect/sql"
	"entgo.io/ent/dialect/sql/sqljson"

	"github.com/c360/c360/ent"
	"github.com/c360/c360/ent/customer"
	"github.com/c360/c360/ent/customerevent"
	"github.com/c360/c360/ent/feedback"
	"github.com/c360/c360/ent/identity"
	"github.com/c360/c360/ent/merge"
	"github.com/c360/c360/ent/order"
	"github.com/c360/c360/internal/fault"
	"github.com/c360/c360/internal/identities"
	"github.com/c360/c360/internal/merges"
	"github.com/c360/c360/internal/validate"
)

// MaxMerged bounds the customers one merge takes.
const MaxMerged = 100

// FieldChoice takes a field of the survivor ("email", "birthDate": its
// GraphQL name) from one of the merged customers.
type FieldChoice struct {
	Field string
	From  int
}

// notMerged are the customer fields a merge never takes from another
// customer: the survivor's identity and bookkeeping. The merged customers'
// externalRefs stay theirs (the survivor holds them as identities). Fields
// GraphQL does not show (the blocking keys) are not merged either: they
// follow the name and the city.
var notMerged = []string{customer.FieldID, customer.FieldExternalRef, customer.FieldCreatedAt, customer.FieldUpdatedAt}

// customerType is the ent type of customers, as ent.ReadPlanNodes names it.
const customerType = "Customer"

// mergeable returns the ent field of a GraphQL field name a merge may take.
func mergeable(name string) (string, bool) {
	c, ok := ent.ReadPlanNodes[customerType].Columns[name]
	if !ok || !mergeableColumn(c.Column) {
		return "", false
	}
	return c.Column, true
}

// mergeableColumn reports whether a merge may take a customer column.
func mergeableColumn(column string) bool {
	_, ok := graphQLName(customerType, column)
	return ok && !slices.Contains(notMerged, column)
}

func idList(ids []int) string {
	s := make([]string, len(ids))
	for i, id := range ids {
		s[i] = strconv.Itoa(id)
	}
	return strings.Join(s, ", ")
}

// fieldsOf returns a customer's field values by ent name (a null field is
// absent), generated from the schema through CreateFrom.
func fieldsOf(client *ent.Client, c *ent.Customer) map[string]ent.Value {
	m := client.Customer.CreateFrom(c).Mutation()
	out := make(map[string]ent.Value)
	for _, f := range m.Fields() {
		out[f], _ = m.Field(f)
	}
	return out
}

// lockCustomers takes the rows of ids for the transaction on PostgreSQL, in
// id order so two merges cannot deadlock (SQLite transactions start with
// BEGIN IMMEDIATE: one writer at a time).
func lockCustomers(ctx context.Context, client *ent.Client, ids []int) error {
	_, err := client.Customer.Query().Where(customer.IDIn(ids...)).Order(customer.ByID()).Select(customer.FieldID).
		Modify(forUpdate).Ints(ctx)
	return err
}

// forUpdate locks the rows a query selects on PostgreSQL (SQLite has one
// writer at a time and no FOR UPDATE).
func forUpdate(s *sql.Selector) {
	if s.Dialect() == dialect.Postgres {
		s.ForUpdate()
	}
}

// mergedInto returns the survivor a customer was merged into, 0 if none.
func mergedInto(ctx context.Context, client *ent.Client, id int) (int, error) {
	m, err := client.Merge.Query().Where(merge.UndoneAtIsNil(), mergedIDsHold(id)).
		Order(ent.Desc(merge.FieldID)).First(ctx)
	if ent.IsNotFound(err) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	return m.SurvivorID, nil
}

// missing words why a customer of a merge is not there.
func missing(ctx context.Context, client *ent.Client, field string, id int) error {
	into, err := mergedInto(ctx, client, id)
	switch {
	case err != nil:
		return err
	case into != 0:
		return validate.Errorf(field, "customer %d was merged into customer %d", id, into)
	}
	return &fault.NotFound{What: fmt.Sprintf("customer %d", id)}
}

// Merge merges customers into a survivor, in client's transaction: their
// identities, orders and feedback move to the survivor (profile identities
// become the survivor's with source "merged"), the merges they survived
// become the survivor's, and they are deleted. Per field the survivor's
// value wins unless it is null (the first merged customer's non-null value
// is taken) or choices take another's. The returned Merge holds what Unmerge
// needs. Merging a customer into itself, a customer twice, or into a merged
// customer is refused.
func Merge(ctx context.Context, client *ent.Client, survivorID int, mergedIDs []int, choices []FieldChoice) (*ent.Merge, error) {
	switch {
	case len(mergedIDs) == 0:
		return nil, validate.Errorf("mergedIDs", "name at least one customer to merge")
	case len(mergedIDs) > MaxMerged:
		return nil, validate.Errorf("mergedIDs", "at most %d customers in one merge, got %d", MaxMerged, len(mergedIDs))
	}
	for i, id := range mergedIDs {
		field := fmt.Sprintf("mergedIDs[%d]", i)
		if id == survivorID {
			return nil, validate.Errorf(field, "customer %d cannot be merged into itself", id)
		}
		if slices.Index(mergedIDs, id) != i {
			return nil, validate.Errorf(field, "customer %d is named twice", id)
		}
	}
	all := append([]int{survivorID}, mergedIDs...)
	if err := lockCustomers(ctx, client, all); err != nil {
		return nil, fmt.Errorf("locking customers: %w", err)
	}
	cs, err := client.Customer.Query().Where(customer.IDIn(all...)).All(ctx)
	if err != nil {
		return nil, fmt.Errorf("loading customers: %w", err)
	}
	byID := make(map[int]*ent.Customer, len(cs))
	for _, c := range cs {
		byID[c.ID] = c
	}
	survivor := byID[survivorID]
	if survivor == nil {
		return nil, missing(ctx, client, "survivorID", survivorID)
	}
	for i, id := range mergedIDs {
		if byID[id] == nil {
			return nil, missing(ctx, client, fmt.Sprintf("mergedIDs[%d]", i), id)
		}
	}
	values, changed, err := mergedFields(client, survivor, mergedIDs, byID, choices)
	if err != nil {
		return nil, err
	}

	rec := &merges.Record{Changed: changed}
	if rec.Survivor, err = json.Marshal(survivor); err != nil {
		return nil, err
	}
	for _, id := range mergedIDs {
		moved, err := moveToSurvivor(ctx, client, id, survivorID)
		if err != nil {
			return nil, err
		}
		snap, err := json.Marshal(byID[id])
		if err != nil {
			return nil, err
		}
		rec.Merged = append(rec.Merged, snap)
		rec.Moved = append(rec.Moved, moved)
	}
	theirs, err := client.Merge.Query().Where(merge.SurvivorIDIn(mergedIDs...)).All(ctx)
	if err != nil {
		return nil, fmt.Errorf("finding the merged customers' merges: %w", err)
	}
	for _, m := range theirs {
		rec.Repointed = append(rec.Repointed, merges.Repoint{Merge: m.ID, Survivor: m.SurvivorID})
	}
	if len(theirs) > 0 {
		if err := client.Merge.Update().Where(merge.SurvivorIDIn(mergedIDs...)).SetSurvivorID(survivorID).Exec(ctx); err != nil {
			return nil, fmt.Errorf("moving the merged customers' merges: %w", err)
		}
	}
	if _, err := client.Customer.Delete().Where(customer.IDIn(mergedIDs...)).Exec(ctx); err != nil {
		return nil, fmt.Errorf("removing merged customers: %w", err)
	}
	after := survivor
	if len(changed) > 0 {
		upd := client.Customer.UpdateOneID(survivorID)
		for _, f := range changed {
			if err := setOrClear(upd.Mutation(), f, values[f]); err != nil {
				return nil, err
			}
		}
		if after, err = upd.Save(ctx); err != nil {
			return nil, fault.FromDatabase(fmt.Errorf("updating the survivor: %w", err))
		}
	}
	if rec.After, err = json.Marshal(after); err != nil {
		return nil, err
	}
	m, err := client.Merge.Create().SetSurvivorID(survivorID).SetMergedIds(mergedIDs).SetRecord(rec).Save(ctx)
	if err != nil {
		return nil, fmt.Errorf("recording the merge: %w", err)
	}
	err = client.CustomerEvent.Create().SetType(customerevent.TypeCUSTOMER_MERGED).SetCustomerID(survivorID).
		SetSubjectID(m.ID).SetSummary(fmt.Sprintf("Customers %s merged into this one", idList(mergedIDs))).Exec(ctx)
	if err != nil {
		return nil, fmt.Errorf("writing the merge's event: %w", err)
	}
	return m, nil
}

// mergedFields returns the survivor's fields after the merge and the fields
// that change.
func mergedFields(client *ent.Client, survivor *ent.Customer, mergedIDs []int, byID map[int]*ent.Customer, choices []FieldChoice) (map[string]ent.Value, []string, error) {
	values := fieldsOf(client, survivor)
	chosen := make(map[string]bool)
	for i, ch := range choices {
		path := fmt.Sprintf("fieldChoices[%d]", i)
		f, ok := mergeable(ch.Field)
		switch {
		case !ok:
			return nil, nil, validate.Errorf(path+".field", "%q is not a customer field a merge takes", ch.Field)
		case chosen[f]:
			return nil, nil, validate.Errorf(path+".field", "%q is chosen twice", ch.Field)
		case ch.From != survivor.ID && !slices.Contains(mergedIDs, ch.From):
			return nil, nil, validate.Errorf(path+".fromCustomerID", "customer %d is not part of the merge", ch.From)
		}
		chosen[f] = true
		from := fieldsOf(client, byID[ch.From])
		if v, ok := from[f]; ok {
			values[f] = v
		} else {
			delete(values, f)
		}
	}
	for _, id := range mergedIDs {
		for f, v := range fieldsOf(client, byID[id]) {
			if mergeableColumn(f) && !chosen[f] {
				if _, held := values[f]; !held {
					values[f] = v // the survivor's null field
				}
			}
		}
	}
	before := fieldsOf(client, survivor)
	var changed []string
	for _, f := range customer.Columns {
		if mergeableColumn(f) && !reflect.DeepEqual(before[f], values[f]) {
			changed = append(changed, f)
		}
	}
	return values, changed, nil
}

func setOrClear(m *ent.CustomerMutation, f string, v ent.Value) error {
	if v == nil {
		return m.ClearField(f)
	}
	return m.SetField(f, v)
}

// moveToSurvivor moves a customer's identities, orders and feedback to the
// survivor and returns what moved.
func moveToSurvivor(ctx context.Context, client *ent.Client, from, to int) (merges.Moved, error) {
	moved := merges.Moved{Customer: from}
	var err error
	if moved.Orders, err = client.Order.Query().Where(order.CustomerID(from)).Order(order.ByID()).IDs(ctx); err != nil {
		return moved, err
	}
	if moved.Feedback, err = client.Feedback.Query().Where(feedback.CustomerID(from)).Order(feedback.ByID()).IDs(ctx); err != nil {
		return moved, err
	}
	if moved.Events, err = client.CustomerEvent.Query().Where(customerevent.CustomerID(from)).Order(customerevent.ByID()).IDs(ctx); err != nil {
		return moved, err
	}
	if len(moved.Events) > 0 {
		if err := client.CustomerEvent.Update().Where(customerevent.IDIn(moved.Events...)).SetCustomerID(to).Exec(ctx); err != nil {
			return moved, fmt.Errorf("moving events: %w", err)
		}
	}
	ids, err := client.Identity.Query().Where(identity.CustomerID(from)).Order(identity.ByID()).All(ctx)
	if err != nil {
		return moved, err
	}
	var profile []int
	for _, id := range ids {
		moved.Identities = append(moved.Identities, merges.Identity{ID: id.ID, Source: id.Source})
		if id.Source != nil && *id.Source == identities.ProfileSource {
			profile = append(profile, id.ID)
		}
	}
	if len(moved.Orders) > 0 {
		if err := client.Order.Update().Where(order.IDIn(moved.Orders...)).SetCustomerID(to).Exec(ctx); err != nil {
			return moved, fmt.Errorf("moving orders: %w", err)
		}
	}
	if len(moved.Feedback) > 0 {
		if err := client.Feedback.Update().Where(feedback.IDIn(moved.Feedback...)).SetCustomerID(to).Exec(ctx); err != nil {
			return moved, fmt.Errorf("moving feedback: %w", err)
		}
	}
	if len(ids) > 0 {
		if err := client.Identity.Update().Where(identity.CustomerID(from)).SetCustomerID(to).Exec(ctx); err != nil {
			return moved, fmt.Errorf("moving identities: %w", err)
		}
	}
	if len(profile) > 0 {
		if err := client.Identity.Update().Where(identity.IDIn(profile...)).SetSource(identities.MergedSource).Exec(ctx); err != nil {
			return moved, fmt.Errorf("moving identities: %w", err)
		}
	}
	return moved, nil
}

// Unmerge undoes a merge in client's transaction and returns the survivor
// and the customers brought back, as they were: their fields, identities,
// orders and feedback, and the survivor's fields the merge set. What
// happened since stays: a new order of the survivor stays its own, a field
// edited since keeps its edit, an identity or order deleted since stays
// deleted. The merge's record of personal data is dropped.
func Unmerge(ctx context.Context, client *ent.Client, mergeID int) ([]*ent.Customer, error) {
	m, err := client.Merge.Get(ctx, mergeID) // which survivor to lock
	if ent.IsNotFound(err) {
		return nil, &fault.NotFound{What: fmt.Sprintf("merge %d", mergeID)}
	}
	if err != nil {
		return nil, err
	}
	// The survivor first, then the merge, as Merge takes them: a merge and
	// an undo at once queue instead of deadlocking.
	if err := lockCustomers(ctx, client, []int{m.SurvivorID}); err != nil {
		return nil, fmt.Errorf("locking the survivor: %w", err)
	}
	_, err = client.Merge.Query().Where(merge.ID(mergeID)).Select(merge.FieldID).Modify(forUpdate).Ints(ctx)
	if err != nil {
		return nil, fmt.Errorf("locking the merge: %w", err)
	}
	if m, err = client.Merge.Get(ctx, mergeID); err != nil {
		return nil, err
	}
	if m.UndoneAt != nil {
		return nil, validate.Errorf("mergeID", "merge %d was undone at %s", mergeID, m.UndoneAt.UTC().Format(time.RFC3339))
	}
	rec := m.Record
	var survivor ent.Customer
	if err := json.Unmarshal(rec.Survivor, &survivor); err != nil {
		return nil, fmt.Errorf("reading merge %d: %w", mergeID, err)
	}
	if survivor.ID != m.SurvivorID {
		return nil, validate.Errorf("mergeID", "customer %d was merged into customer %d since: undo that merge first", survivor.ID, m.SurvivorID)
	}
	// The survivor's fields first: it gives back an email or an externalRef
	// it took before the customer that had it comes back.
	if err := restoreSurvivor(ctx, client, m); err != nil {
		return nil, err
	}
	ids := []int{m.SurvivorID}
	for _, snap := range rec.Merged {
		var c ent.Customer
		if err := json.Unmarshal(snap, &c); err != nil {
			return nil, fmt.Errorf("reading merge %d: %w", mergeID, err)
		}
		if err := client.Customer.Restore(ctx, &c); err != nil {
			return nil, fault.FromDatabase(fmt.Errorf("bringing back customer %d: %w", c.ID, err))
		}
		ids = append(ids, c.ID)
	}
	for _, mv := range rec.Moved {
		if err := moveBack(ctx, client, mv); err != nil {
			return nil, err
		}
	}
	for _, r := range rec.Repointed {
		err := client.Merge.Update().Where(merge.ID(r.Merge), merge.SurvivorID(m.SurvivorID)).SetSurvivorID(r.Survivor).Exec(ctx)
		if err != nil {
			return nil, fmt.Errorf("giving back merge %d: %w", r.Merge, err)
		}
	}
	if err := client.Merge.UpdateOne(m).SetUndoneAt(time.Now().UTC()).ClearRecord().Exec(ctx); err != nil {
		return nil, fmt.Errorf("recording the undo: %w", err)
	}
	events := make([]*ent.CustomerEventCreate, len(ids))
	for i, id := range ids {
		events[i] = client.CustomerEvent.Create().SetType(customerevent.TypeCUSTOMER_UNMERGED).SetCustomerID(id).
			SetSubjectID(m.ID).SetSummary(fmt.Sprintf("Merge %d undone: customers %s separate again", m.ID, idList(ids)))
	}
	if err := client.CustomerEvent.CreateBulk(events...).Exec(ctx); err != nil {
		return nil, fmt.Errorf("writing the undo's events: %w", err)
	}
	// Restore bypasses the hooks: bring the profile identities in step.
	if err := SyncProfileIdentities(ctx, client, ids[1:]); err != nil {
		return nil, err
	}
	cs, err := client.Customer.Query().Where(customer.IDIn(ids...)).Order(customer.ByID()).All(ctx)
	if err != nil {
		return nil, err
	}
	return cs, nil
}

// moveBack gives a merged customer back what it brought and still exists.
func moveBack(ctx context.Context, client *ent.Client, mv merges.Moved) error {
	if len(mv.Events) > 0 {
		if err := client.CustomerEvent.Update().Where(customerevent.IDIn(mv.Events...)).SetCustomerID(mv.Customer).Exec(ctx); err != nil {
			return fmt.Errorf("moving events back: %w", err)
		}
	}
	if len(mv.Orders) > 0 {
		if err := client.Order.Update().Where(order.IDIn(mv.Orders...)).SetCustomerID(mv.Customer).Exec(ctx); err != nil {
			return fmt.Errorf("moving orders back: %w", err)
		}
	}
	if len(mv.Feedback) > 0 {
		if err := client.Feedback.Update().Where(feedback.IDIn(mv.Feedback...)).SetCustomerID(mv.Customer).Exec(ctx); err != nil {
			return fmt.Errorf("moving feedback back: %w", err)
		}
	}
	bySource := make(map[string][]int)
	for _, id := range mv.Identities {
		src := ""
		if id.Source != nil {
			src = *id.Source
		}
		bySource[src] = append(bySource[src], id.ID)
	}
	for src, ids := range bySource {
		upd := client.Identity.Update().Where(identity.IDIn(ids...)).SetCustomerID(mv.Customer)
		if src == "" {
			upd.ClearSource()
		} else {
			upd.SetSource(src)
		}
		if err := upd.Exec(ctx); err != nil {
			return fmt.Errorf("moving identities back: %w", err)
		}
	}
	return nil
}

// restoreSurvivor sets back the survivor's fields the merge set and nothing
// changed since (with its update time, when nothing else changed either).
func restoreSurvivor(ctx context.Context, client *ent.Client, m *ent.Merge) error {
	var before, after ent.Customer
	if err := json.Unmarshal(m.Record.Survivor, &before); err != nil {
		return err
	}
	if err := json.Unmarshal(m.Record.After, &after); err != nil {
		return err
	}
	if len(m.Record.Changed) == 0 {
		return nil
	}
	now, err := client.Customer.Get(ctx, m.SurvivorID)
	if err != nil {
		return err
	}
	upd := client.Customer.UpdateOneID(m.SurvivorID)
	was, set, is := fieldsOf(client, &before), fieldsOf(client, &after), fieldsOf(client, now)
	restored := 0
	for _, f := range m.Record.Changed {
		if reflect.DeepEqual(is[f], set[f]) {
			if err := setOrClear(upd.Mutation(), f, was[f]); err != nil {
				return err
			}
			restored++
		}
	}
	if restored == 0 {
		return nil
	}
	if now.UpdatedAt.Equal(after.UpdatedAt) {
		upd.SetUpdatedAt(before.UpdatedAt) // nothing else changed since: as it was
	}
	if err := upd.Exec(ctx); err != nil {
		return fault.FromDatabase(fmt.Errorf("restoring the survivor: %w", err))
	}
	return nil
}

// mergedIDsHold is the predicate of the merges whose merged_ids hold id.
func mergedIDsHold(id int) func(*sql.Selector) {
	return func(s *sql.Selector) {
		s.Where(sqljson.ValueContains(s.C(merge.FieldMergedIds), id))
	}
}

package store

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"

	"github.com/c360/c360/ent"
	"github.com/c360/c360/ent/customer"
	"github.com/c360/c360/ent/identity"
	"github.com/c360/c360/internal/duplicates"
	"github.com/c360/c360/internal/identities"
)

// maxIDs bounds the ids one IN list carries (SQLite allows 32,766 parameters).
const maxIDs = 10000

// profileOf returns a customer's own email, phone and externalRef as
// identities ("KIND" -> value); they are stored in their normal form already
// (the schema's validators and the email hook).
func profileOf(c *ent.Customer) map[string]string {
	p := make(map[string]string, 3)
	for kind, v := range map[string]*string{identities.Email: c.Email, identities.Phone: c.Phone, identities.ExternalRef: c.ExternalRef} {
		if v != nil {
			p[kind] = *v
		}
	}
	return p
}

// SyncProfileIdentities makes the customers' own email, phone and
// externalRef their identities of source "profile": a stale one goes, a new
// one comes unless another customer holds it already (the pair is then a
// duplicate candidate by SHARED_IDENTITY, not an error). Mutations run it
// from ProfileHook; the import runs it for each batch, in its transaction.
func SyncProfileIdentities(ctx context.Context, client *ent.Client, ids []int) error {
	for lo := 0; lo < len(ids); lo += maxIDs {
		if err := syncProfiles(ctx, client, ids[lo:min(lo+maxIDs, len(ids))]); err != nil {
			return fmt.Errorf("keeping profile identities: %w", err)
		}
	}
	return nil
}

func syncProfiles(ctx context.Context, client *ent.Client, ids []int) error {
	cs, err := client.Customer.Query().Where(customer.IDIn(ids...)).
		Select(customer.FieldEmail, customer.FieldPhone, customer.FieldExternalRef).All(ctx)
	if err != nil {
		return err
	}
	held, err := client.Identity.Query().
		Where(identity.CustomerIDIn(ids...), identity.Source(identities.ProfileSource)).
		Select(identity.FieldKind, identity.FieldValue, identity.FieldCustomerID).All(ctx)
	if err != nil {
		return err
	}
	want := make(map[int]map[string]string, len(cs))
	for _, c := range cs {
		want[c.ID] = profileOf(c)
	}
	var stale []int
	for _, h := range held {
		if want[h.CustomerID][string(h.Kind)] == h.Value {
			delete(want[h.CustomerID], string(h.Kind)) // in step already
			continue
		}
		stale = append(stale, h.ID)
	}
	if len(stale) > 0 {
		if _, err := client.Identity.Delete().Where(identity.IDIn(stale...)).Exec(ctx); err != nil {
			return err
		}
	}
	var add []*ent.IdentityCreate
	for _, id := range slices.Sorted(maps.Keys(want)) {
		for _, kind := range identities.Kinds {
			if v, ok := want[id][kind]; ok {
				add = append(add, client.Identity.Create().SetCustomerID(id).SetKind(identity.Kind(kind)).
					SetValue(v).SetSource(identities.ProfileSource))
			}
		}
	}
	for lo := 0; lo < len(add); lo += 1000 {
		err := client.Identity.CreateBulk(add[lo:min(lo+1000, len(add))]...).
			OnConflictColumns(identity.FieldKind, identity.FieldValue).DoNothing().Exec(ctx)
		if err != nil {
			return err
		}
	}
	return nil
}

// ProfileHook runs SyncProfileIdentities after every write of a customer's
// email, phone or externalRef, in the write's transaction.
func ProfileHook(next ent.Mutator) ent.Mutator {
	return ent.MutateFunc(func(ctx context.Context, m ent.Mutation) (ent.Value, error) {
		cm, ok := m.(*ent.CustomerMutation)
		if !ok || cm.Op().Is(ent.OpDelete|ent.OpDeleteOne) || !touchesProfile(cm) {
			return next.Mutate(ctx, m)
		}
		var ids []int
		if !cm.Op().Is(ent.OpCreate) {
			var err error
			if ids, err = cm.IDs(ctx); err != nil {
				return nil, err
			}
		}
		v, err := next.Mutate(ctx, m)
		if err != nil {
			return v, err
		}
		if c, ok := v.(*ent.Customer); ok && cm.Op().Is(ent.OpCreate) {
			ids = []int{c.ID}
		}
		return v, SyncProfileIdentities(ctx, cm.Client(), ids)
	})
}

func touchesProfile(m *ent.CustomerMutation) bool {
	for _, f := range []string{customer.FieldEmail, customer.FieldPhone, customer.FieldExternalRef} {
		if _, set := m.Field(f); set || m.FieldCleared(f) {
			return true
		}
	}
	return false
}

// Backfill gives the customers stored before duplicate detection their
// blocking keys and profile identities, in batches; it finds nothing to do
// once done, so every process may run it at start.
func Backfill(ctx context.Context, client *ent.Client) error {
	for {
		cs, err := client.Customer.Query().Where(customer.MatchName("")).Limit(1000).
			Select(customer.FieldName, customer.FieldCity).All(ctx)
		if err != nil || len(cs) == 0 {
			return err
		}
		err = WithTx(ctx, client, func(tx *ent.Client) error {
			ids := make([]int, len(cs))
			for i, c := range cs {
				ids[i] = c.ID
				city := ""
				if c.City != nil {
					city = *c.City
				}
				key := duplicates.NameKey(c.Name)
				head, tail := duplicates.HeadTail(key)
				err := tx.Customer.UpdateOneID(c.ID).SetMatchName(key).SetMatchCity(duplicates.NameKey(city)).
					SetMatchHead(head).SetMatchTail(tail).Exec(ctx)
				if err != nil {
					return err
				}
			}
			return SyncProfileIdentities(ctx, tx, ids)
		})
		if err != nil {
			return fmt.Errorf("backfilling duplicate detection: %w", err)
		}
	}
}

// WithTx runs f in a transaction of client, committed when f returns nil.
func WithTx(ctx context.Context, client *ent.Client, f func(*ent.Client) error) error {
	tx, err := client.Tx(ctx)
	if err != nil {
		return err
	}
	if err := f(tx.Client()); err != nil {
		return errors.Join(err, tx.Rollback())
	}
	return tx.Commit()
}

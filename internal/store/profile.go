package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"entgo.io/ent/dialect"
	"entgo.io/ent/dialect/sql"

	"github.com/c360/c360/ent"
	"github.com/c360/c360/ent/customer"
	"github.com/c360/c360/ent/identity"
	"github.com/c360/c360/internal/duplicates"
	"github.com/c360/c360/internal/identities"
)

// maxIDs bounds the ids of one statement: 3 IN lists of them fit SQLite's
// 32,766 parameters.
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
		if err := syncProfiles(ctx, client, ids[lo:min(lo+maxIDs, len(ids))]); err != nil { // 3 uses of each id
			return fmt.Errorf("keeping profile identities: %w", err)
		}
	}
	return nil
}

// profileColumns are the customer columns that are identities, by kind.
var profileColumns = [][2]string{
	{identities.Email, customer.FieldEmail},
	{identities.Phone, customer.FieldPhone},
	{identities.ExternalRef, customer.FieldExternalRef},
}

// syncProfiles runs two set-based statements: the stale profile identities
// of the customers go, then their fields come in as identities where no one
// holds them (ON CONFLICT DO NOTHING).
func syncProfiles(ctx context.Context, client *ent.Client, ids []int) error {
	d := sql.Dialect(client.Dialect())
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = id
	}
	c := sql.Table(customer.Table).As("c")
	var current []*sql.Predicate
	for _, kc := range profileColumns {
		current = append(current, sql.And(sql.EQ(sql.Table(identity.Table).C(identity.FieldKind), kc[0]),
			sql.ColumnsEQ(c.C(kc[1]), sql.Table(identity.Table).C(identity.FieldValue))))
	}
	del, delArgs := d.Delete(identity.Table).Where(sql.And(
		sql.EQ(identity.FieldSource, identities.ProfileSource),
		sql.In(identity.FieldCustomerID, args...),
		sql.NotExists(d.Select(c.C(customer.FieldID)).From(c).Where(sql.And(
			sql.ColumnsEQ(c.C(customer.FieldID), sql.Table(identity.Table).C(identity.FieldCustomerID)),
			sql.Or(current...)))),
	)).Query()
	if _, err := client.ExecContext(ctx, del, delArgs...); err != nil {
		return err
	}
	// INSERT ... SELECT with literals for the constants (they are ours): a
	// parameter in a UNION's select list has no type on PostgreSQL.
	b := &sql.Builder{}
	b.SetDialect(client.Dialect())
	b.WriteString("INSERT INTO ").Ident(identity.Table).Pad().Wrap(func(b *sql.Builder) {
		b.IdentComma(identity.FieldKind, identity.FieldValue, identity.FieldSource, identity.FieldVerified,
			identity.FieldCreatedAt, identity.FieldCustomerID)
	})
	now := time.Now().UTC()
	for i, kc := range profileColumns {
		if i > 0 {
			b.WriteString(" UNION ALL")
		}
		b.WriteString(" SELECT '" + kc[0] + "', ").Ident(kc[1]).WriteString(", '" + identities.ProfileSource + "', FALSE, ")
		if client.Dialect() == dialect.Postgres {
			b.WriteString("CAST(").Arg(now).WriteString(" AS timestamptz)")
		} else {
			b.Arg(now)
		}
		b.Comma().Ident(customer.FieldID).WriteString(" FROM ").Ident(customer.Table).WriteString(" WHERE ").
			Ident(customer.FieldID).WriteString(" IN ").Wrap(func(b *sql.Builder) { b.Args(args...) }).
			WriteString(" AND ").Ident(kc[1]).WriteString(" IS NOT NULL")
	}
	b.WriteString(" ON CONFLICT ").Wrap(func(b *sql.Builder) { b.IdentComma(identity.FieldKind, identity.FieldValue) }).
		WriteString(" DO NOTHING")
	ins, insArgs := b.Query()
	_, err := client.ExecContext(ctx, ins, insArgs...)
	return err
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
	for last := 0; ; {
		cs, err := client.Customer.Query().Where(customer.MatchName(""), customer.IDGT(last)).Order(customer.ByID()).
			Limit(1000).Select(customer.FieldName, customer.FieldCity, customer.FieldUpdatedAt).All(ctx)
		if err != nil || len(cs) == 0 {
			return err
		}
		last = cs[len(cs)-1].ID // a name whose key is empty stays so: go on past it
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
					SetMatchHead(head).SetMatchTail(tail).SetUpdatedAt(c.UpdatedAt).Exec(ctx) // derived keys: no update of the customer's
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

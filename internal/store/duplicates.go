package store

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"entgo.io/ent/dialect/sql"

	"github.com/c360/c360/ent"
	"github.com/c360/c360/ent/customer"
	"github.com/c360/c360/ent/identity"
	"github.com/c360/c360/ent/predicate"
	"github.com/c360/c360/internal/date"
	"github.com/c360/c360/internal/duplicates"
	"github.com/c360/c360/internal/identities"
	"github.com/c360/c360/internal/personas"
)

// matchColumns are the customer columns duplicate detection reads.
var matchColumns = []string{customer.FieldKind, customer.FieldName, customer.FieldBirthDate, customer.FieldCity,
	customer.FieldCountry, customer.FieldEmail, customer.FieldPhone, customer.FieldExternalRef}

// DuplicateCandidates returns the pairs of customers that may be one, by
// score, then by ids (duplicates.Index.All); with customerID, that
// customer's pairs only, found through the blocking keys the customer has
// (indexed columns), never by reading every customer.
func DuplicateCandidates(ctx context.Context, client *ent.Client, customerID *int, minScore float64) ([]duplicates.Candidate, error) {
	if customerID == nil {
		cs, err := matchable(ctx, client, nil)
		if err != nil {
			return nil, err
		}
		return duplicates.NewIndex(cs).All(minScore), nil
	}
	id := *customerID
	target, err := matchable(ctx, client, []predicate.Customer{customer.ID(id)})
	if err != nil {
		return nil, err
	}
	if len(target) == 0 {
		return nil, missing(ctx, client, "customerID", id)
	}
	owners, err := IdentityOwners(ctx, client, target[0].Identities[:min(len(target[0].Identities), maxIdentityBlocks)])
	if err != nil {
		return nil, err
	}
	others, err := matchable(ctx, client, []predicate.Customer{inBlocks(id, blocksOf(target[0], owners))})
	if err != nil {
		return nil, err
	}
	return duplicates.NewIndex(others).For(id, minScore), nil
}

// maxIdentityBlocks bounds the identities one customer's candidates are
// looked up by (in identity order): one block each in one UNION, and SQLite
// takes at most 500 SELECTs in one. A customer holding more (a survivor of
// many merges) is not compared by the rest, unlike in the whole list.
const maxIdentityBlocks = 200

// IdentityOwners returns the customer holding each of the identities
// ("KIND:value", in normal form) as an identity, by identity: one at most,
// an identity has one owner. The import's claim check uses it too.
func IdentityOwners(ctx context.Context, client *ent.Client, ids []string) (map[string]int, error) {
	owners := make(map[string]int)
	for lo := 0; lo < len(ids); lo += identitiesPerQuery {
		chunk := ids[lo:min(lo+identitiesPerQuery, len(ids))]
		ps := make([]predicate.Identity, len(chunk))
		for i, kv := range chunk {
			kind, v, _ := strings.Cut(kv, ":")
			ps[i] = identity.And(identity.KindEQ(identity.Kind(kind)), identity.Value(v))
		}
		held, err := client.Identity.Query().Where(identity.Or(ps...)).
			Select(identity.FieldKind, identity.FieldValue, identity.FieldCustomerID).All(ctx)
		if err != nil {
			return nil, fmt.Errorf("reading identities: %w", err)
		}
		for _, h := range held {
			owners[string(h.Kind)+":"+h.Value] = h.CustomerID
		}
	}
	return owners, nil
}

// identitiesPerQuery bounds the ORed identities of one query (SQLite's
// expression depth is 1,000).
const identitiesPerQuery = 200

// blocksOf returns the predicates of the customers in each block of c
// (duplicates' blockingKeys, on indexed columns): for an identity, its
// owner and the customers with it as their own email, phone or externalRef.
func blocksOf(c duplicates.Customer, owners map[string]int) []predicate.Customer {
	var ps []predicate.Customer
	for _, kv := range c.Identities[:min(len(c.Identities), maxIdentityBlocks)] {
		kind, v, _ := strings.Cut(kv, ":")
		p := customer.IDIn() // the owner, read first: a subquery here made the planners scan
		if owner, ok := owners[kv]; ok {
			p = customer.ID(owner)
		}
		switch kind {
		case identities.Email:
			p = customer.Or(p, customer.Email(v))
		case identities.Phone:
			p = customer.Or(p, customer.Phone(v))
		case identities.ExternalRef:
			p = customer.Or(p, customer.ExternalRef(v))
		}
		ps = append(ps, p)
	}
	key, city := duplicates.NameKey(c.Name), duplicates.NameKey(c.City)
	if key == "" {
		return ps
	}
	if c.Individual && c.BirthDate != "" {
		ps = append(ps, customer.And(customer.MatchName(key), customer.BirthDateEQ(date.Date(c.BirthDate))))
	}
	if !c.Individual && c.Country != "" {
		ps = append(ps, customer.And(customer.MatchName(key), customer.Country(c.Country)))
	}
	if city != "" {
		head, tail := duplicates.HeadTail(key)
		ps = append(ps,
			customer.And(customer.MatchCity(city), customer.MatchHead(head)),
			customer.And(customer.MatchCity(city), customer.MatchTail(tail)))
	}
	return ps
}

// inBlocks selects the customer id and the members of the blocks, each
// block read on its own index (an OR of them made the planners scan the
// table: 100 ms at 100,000 customers) in one statement: a UNION ALL of the
// blocks of at most MaxBlock members (a bigger one tells nothing: Index.For
// skips it, so it is left out, found by a window count over at most
// MaxBlock+1 of its rows).
func inBlocks(id int, blocks []predicate.Customer) predicate.Customer {
	return func(s *sql.Selector) {
		d := sql.Dialect(s.Dialect())
		union := d.Select(customer.FieldID).From(sql.Table(customer.Table)).Where(sql.EQ(customer.FieldID, id))
		for i, p := range blocks {
			members := d.Select(customer.FieldID).From(sql.Table(customer.Table))
			p(members)
			members.Limit(duplicates.MaxBlock + 1)
			counted := d.Select(customer.FieldID, "COUNT(*) OVER () AS n").From(members.As(fmt.Sprintf("b%d", i)))
			union.UnionAll(d.Select(customer.FieldID).From(counted.As(fmt.Sprintf("c%d", i))).
				Where(sql.LTE("n", duplicates.MaxBlock)))
		}
		s.Where(sql.In(s.C(customer.FieldID), union))
	}
}

// matchPage is how many customers the whole list reads at once: the
// entities of a page are dropped once indexed, so memory holds the index,
// not every customer's row.
const matchPage = 5000

// matchable reads the customers that preds select (all with none) as
// duplicate detection sees them: their own email, phone and externalRef and
// their identities, in normal form, each once; page by page in id order.
func matchable(ctx context.Context, client *ent.Client, preds []predicate.Customer) ([]duplicates.Customer, error) {
	var out []duplicates.Customer
	last := 0
	for {
		cs, err := client.Customer.Query().Where(append(preds, customer.IDGT(last))...).Order(customer.ByID()).
			Limit(matchPage).Select(matchColumns...).All(ctx)
		if err != nil {
			return nil, fmt.Errorf("reading customers: %w", err)
		}
		if len(cs) == 0 {
			return out, nil
		}
		ids := make([]int, len(cs))
		for i, c := range cs {
			ids[i] = c.ID
		}
		held, err := client.Identity.Query().Where(identity.CustomerIDIn(ids...)).
			Select(identity.FieldCustomerID, identity.FieldKind, identity.FieldValue).All(ctx)
		if err != nil {
			return nil, fmt.Errorf("reading identities: %w", err)
		}
		byCustomer := make(map[int][]string, len(cs))
		for _, h := range held {
			byCustomer[h.CustomerID] = append(byCustomer[h.CustomerID], string(h.Kind)+":"+h.Value)
		}
		for _, c := range cs {
			keys := byCustomer[c.ID]
			for kind, v := range profileOf(c) {
				keys = append(keys, kind+":"+v)
			}
			slices.Sort(keys)
			out = append(out, duplicates.Customer{ID: c.ID, Individual: c.Kind == personas.KindIndividual, Name: c.Name,
				BirthDate: str(c.BirthDate), City: str(c.City), Country: str(c.Country), Identities: slices.Compact(keys)})
		}
		if len(cs) < matchPage {
			return out, nil
		}
		last = cs[len(cs)-1].ID
	}
}

func str[T ~string](p *T) string {
	if p == nil {
		return ""
	}
	return string(*p)
}

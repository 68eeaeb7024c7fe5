package store

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"entgo.io/ent/dialect"
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
	others, err := matchable(ctx, client, blocksOf(target[0], duplicates.NameKey(target[0].Name), duplicates.NameKey(target[0].City)))
	if err != nil {
		return nil, err
	}
	return duplicates.NewIndex(others).For(id, minScore), nil
}

// blocksOf returns the predicates of the customers sharing a blocking key
// with c (duplicates' blockingKeys, as columns).
func blocksOf(c duplicates.Customer, key, city string) []predicate.Customer {
	var ps []predicate.Customer
	byKind := make(map[string][]string)
	var idps []predicate.Identity
	for _, kv := range c.Identities {
		kind, v, _ := strings.Cut(kv, ":")
		byKind[kind] = append(byKind[kind], v)
		idps = append(idps, identity.And(identity.KindEQ(identity.Kind(kind)), identity.Value(v)))
	}
	if len(idps) > 0 {
		ps = append(ps, customer.HasIdentitiesWith(identity.Or(idps...)))
	}
	if v := byKind[identities.Email]; len(v) > 0 {
		ps = append(ps, customer.EmailIn(v...))
	}
	if v := byKind[identities.Phone]; len(v) > 0 {
		ps = append(ps, customer.PhoneIn(v...))
	}
	if v := byKind[identities.ExternalRef]; len(v) > 0 {
		ps = append(ps, customer.ExternalRefIn(v...))
	}
	if key != "" && c.Individual && c.BirthDate != "" {
		ps = append(ps, customer.And(customer.MatchName(key), customer.BirthDateEQ(date.Date(c.BirthDate))))
	}
	if key != "" && !c.Individual && c.Country != "" {
		ps = append(ps, customer.And(customer.MatchName(key), customer.Country(c.Country)))
	}
	if key != "" && city != "" {
		r := []rune(key)
		pre, suf := string(r[:min(3, len(r))]), string(r[max(0, len(r)-3):])
		ps = append(ps, customer.And(customer.MatchCity(city), func(s *sql.Selector) {
			col := s.C(customer.FieldMatchName)
			suffix := "substr(" + col + ", -3)"
			if s.Dialect() == dialect.Postgres {
				suffix = "right(" + col + ", 3)"
			}
			s.Where(sql.Or(sql.EQ("substr("+col+", 1, 3)", pre), sql.EQ(suffix, suf)))
		}))
	}
	return []predicate.Customer{customer.Or(append(ps, customer.ID(c.ID))...)}
}

// matchable reads the customers that preds select (all with none) as
// duplicate detection sees them: their own email, phone and externalRef and
// their identities, in normal form, each once.
func matchable(ctx context.Context, client *ent.Client, preds []predicate.Customer) ([]duplicates.Customer, error) {
	cs, err := client.Customer.Query().Where(preds...).Order(customer.ByID()).Select(matchColumns...).All(ctx)
	if err != nil {
		return nil, fmt.Errorf("reading customers: %w", err)
	}
	iq := client.Identity.Query().Select(identity.FieldCustomerID, identity.FieldKind, identity.FieldValue)
	if preds != nil {
		ids := make([]int, len(cs))
		for i, c := range cs {
			ids[i] = c.ID
		}
		iq.Where(identity.CustomerIDIn(ids...))
	}
	held, err := iq.All(ctx)
	if err != nil {
		return nil, fmt.Errorf("reading identities: %w", err)
	}
	byCustomer := make(map[int][]string, len(cs))
	for _, h := range held {
		byCustomer[h.CustomerID] = append(byCustomer[h.CustomerID], string(h.Kind)+":"+h.Value)
	}
	out := make([]duplicates.Customer, len(cs))
	for i, c := range cs {
		ids := byCustomer[c.ID]
		for kind, v := range profileOf(c) {
			ids = append(ids, kind+":"+v)
		}
		slices.Sort(ids)
		out[i] = duplicates.Customer{ID: c.ID, Individual: c.Kind == personas.KindIndividual, Name: c.Name,
			BirthDate: str(c.BirthDate), City: str(c.City), Country: str(c.Country), Identities: slices.Compact(ids)}
	}
	return out, nil
}

func str[T ~string](p *T) string {
	if p == nil {
		return ""
	}
	return string(*p)
}

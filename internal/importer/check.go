package importer

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/c360/c360/ent/order"
	"github.com/c360/c360/internal/fault"
	"github.com/c360/c360/internal/identities"
	"github.com/c360/c360/internal/money"
	"github.com/c360/c360/internal/ndjson"
	"github.com/c360/c360/internal/personas"
	"github.com/c360/c360/internal/store"
	"github.com/c360/c360/internal/validate"
)

// A record is checked in two steps: the field checks generated from the ent
// schema (records_gen.go: required fields, enum values, the fields'
// validators), then the rules that span fields or need more than a field's
// value, which the GraphQL mutations apply too (store.CheckOrder,
// validate.FeedbackScore, personas.Criteria.Validate, email normalization).

type source struct {
	file string
	line int
}

type personaRec struct {
	source
	ndjson.Persona
}

type customerRec struct {
	source
	ndjson.Customer
}

type orderRec struct {
	source
	ndjson.Order
	total  money.Cents
	prices []money.Cents // of the items, in order
}

type feedbackRec struct {
	source
	ndjson.Feedback
}

func required(field string) error { return validate.Errorf(field, "is required") }

func invalid(field string, err error) error { return validate.Errorf(field, "%s", err) }

// invalidInt names the value too: ent's own validators (Min, Max) do not.
func invalidInt(field string, v int, err error) error {
	return validate.Errorf(field, "%s, got %d", err, v)
}

// within puts the path of an embedded record in front of the field an error names.
func within(parent string, err error) error {
	if bi, ok := err.(*fault.BadInput); ok {
		return &fault.BadInput{Field: parent + "." + bi.Field, Message: parent + "." + bi.Message}
	}
	return validate.Errorf(parent, "%s", err)
}

func checkEnumValue(field, v string, values []string) error {
	if !slices.Contains(values, v) {
		return validate.Errorf(field, "%q is not one of %s", v, strings.Join(values, ", "))
	}
	return nil
}

func checkPersonaRec(p ndjson.Persona) (*personaRec, error) {
	if err := checkPersona(&p); err != nil {
		return nil, err
	}
	if p.Criteria == nil {
		p.Criteria = &personas.Criteria{} // the schema's default
	}
	if err := p.Criteria.Validate(); err != nil {
		return nil, err // names the field, e.g. criteria.genders[0]
	}
	return &personaRec{Persona: p}, nil
}

func checkCustomerRec(c ndjson.Customer) (*customerRec, error) {
	if c.Email != nil {
		e := validate.NormalizeEmail(*c.Email)
		c.Email = &e
	}
	if err := checkCustomer(&c); err != nil {
		return nil, err
	}
	// Identities in their kind's normal form, each once.
	seen := make(map[string]bool, len(c.Identities))
	ids := c.Identities[:0:0]
	for i, id := range c.Identities {
		v, err := identities.Normalize(id.Kind, id.Value)
		if err != nil {
			return nil, validate.Errorf(fmt.Sprintf("identities[%d].value", i), "%s", err)
		}
		if err := identities.CheckSource(id.Source); err != nil {
			return nil, validate.Errorf(fmt.Sprintf("identities[%d].source", i), "%s", err)
		}
		if id.Value = v; !seen[id.Kind+":"+v] {
			seen[id.Kind+":"+v] = true
			ids = append(ids, id)
		}
	}
	c.Identities = ids
	if c.CreatedAt != nil {
		c.CreatedAt = ptr(c.CreatedAt.UTC())
	}
	return &customerRec{Customer: c}, nil
}

func checkOrderRec(o ndjson.Order, baseCurrency string) (*orderRec, error) {
	if err := checkOrder(&o); err != nil {
		return nil, err
	}
	r := &orderRec{Order: o, prices: make([]money.Cents, len(o.Items))}
	items := make([]store.Item, len(o.Items))
	for i, it := range o.Items {
		r.prices[i] = cents(it.UnitPrice)
		items[i] = store.Item{SKU: it.Sku, Name: it.Name, Category: it.Category, Quantity: it.Quantity, UnitPrice: r.prices[i]}
	}
	status := order.Status(stringOr(o.Status, string(order.DefaultStatus)))
	total, err := store.CheckOrder(store.NewOrder{
		ExternalRef: &o.ExternalRef,
		Status:      &status,
		Channel:     order.Channel(o.Channel),
		Currency:    &o.Currency,
		PlacedAt:    o.PlacedAt,
		Items:       items,
	}, baseCurrency)
	if err != nil {
		return nil, err
	}
	r.total = total
	r.Currency = baseCurrency // matched case-insensitively; stored as configured
	return r, nil
}

func checkFeedbackRec(f ndjson.Feedback) (*feedbackRec, error) {
	if err := checkFeedback(&f); err != nil {
		return nil, err
	}
	if err := validate.FeedbackScore(f.Kind, f.Score); err != nil {
		return nil, err
	}
	return &feedbackRec{Feedback: f}, nil
}

// The values bound for a record's fields (records_gen.go).

func optString(s *string) any {
	if s == nil {
		return nil
	}
	return *s
}

func optInt(p *int) any {
	if p == nil {
		return nil
	}
	return int64(*p)
}

func boolOr(b *bool, def bool) bool {
	if b == nil {
		return def
	}
	return *b
}

func stringOr(s *string, def string) string {
	if s == nil {
		return def
	}
	return *s
}

func timeOr(t *time.Time, def time.Time) time.Time {
	if t == nil {
		return def
	}
	return t.UTC()
}

// cents returns the amount of a checked decimal.
func cents(d ndjson.Decimal) money.Cents {
	c, _ := money.Parse(string(d))
	return c
}

// jsonText returns v as JSON text (how ent stores JSON fields).
func jsonText(v any) any {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err) // the record's own types always marshal
	}
	return string(b)
}

func eqPtr[T comparable](a, b *T) bool {
	return (a == nil) == (b == nil) && (a == nil || *a == *b)
}

func ptr[T any](v T) *T { return &v }

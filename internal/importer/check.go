package importer

import (
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	entschema "entgo.io/ent/dialect/sql/schema"

	"github.com/c360/c360/ent/customer"
	"github.com/c360/c360/ent/feedback"
	"github.com/c360/c360/ent/migrate"
	"github.com/c360/c360/ent/order"
	"github.com/c360/c360/internal/date"
	"github.com/c360/c360/internal/money"
	"github.com/c360/c360/internal/ndjson"
	"github.com/c360/c360/internal/personas"
	"github.com/c360/c360/internal/store"
	"github.com/c360/c360/internal/validate"
)

// The values of the enums ent generates from the schema (they have no
// Values method; the generated table descriptions list them).
var (
	relationshipValues   = enumValues(migrate.CustomersTable, customer.FieldRelationship)
	lifecycleStageValues = enumValues(migrate.CustomersTable, customer.FieldLifecycleStage)
	orderStatusValues    = enumValues(migrate.OrdersTable, order.FieldStatus)
	orderChannelValues   = enumValues(migrate.OrdersTable, order.FieldChannel)
	feedbackKindValues   = enumValues(migrate.FeedbacksTable, feedback.FieldKind)
	feedbackChanValues   = enumValues(migrate.FeedbacksTable, feedback.FieldChannel)
)

func enumValues(t *entschema.Table, column string) []string {
	for _, c := range t.Columns {
		if c.Name == column && len(c.Enums) > 0 {
			return c.Enums
		}
	}
	panic(fmt.Sprintf("importer: no enum column %s.%s", t.Name, column))
}

// source locates a record in the input.
type source struct {
	file string
	line int
}

type personaRec struct {
	source
	ref         string
	name        string
	description *string
	criteria    personas.Criteria
}

type customerRec struct {
	source
	ref            string
	kind           personas.Kind
	relationship   customer.Relationship
	lifecycleStage customer.LifecycleStage
	name           string
	email          *string // normalized
	phone          *string
	birthDate      *date.Date
	gender         *personas.Gender
	incomeBand     *personas.IncomeBand
	country        *string
	region         *string
	city           *string
	createdAt      *time.Time // UTC
}

type orderRec struct {
	source
	ref         string
	customerRef string
	status      order.Status
	channel     order.Channel
	placedAt    time.Time // UTC
	total       money.Cents
	items       []store.Item
}

type feedbackRec struct {
	source
	ref         string
	customerRef string
	orderRef    *string
	kind        feedback.Kind
	channel     feedback.Channel
	score       *int
	comment     *string
	language    *string
	submittedAt time.Time // UTC
}

func required(field string) error { return validate.Errorf(field, "is required") }

// checkRef checks a required reference field.
func checkRef(field, s string) error {
	if s == "" {
		return required(field)
	}
	return checkRefValue(field, s)
}

// checkRefValue checks a reference that is given. References must be valid
// UTF-8 (they are compared and written as text).
func checkRefValue(field, s string) error {
	if err := validate.Ref(s); err != nil {
		return validate.Errorf(field, "%s", err)
	}
	if !utf8.ValidString(s) {
		return validate.Errorf(field, "must be valid UTF-8")
	}
	return nil
}

// checkEnum checks a required enum field.
func checkEnum(field, v string, values []string) error {
	if v == "" {
		return required(field)
	}
	return checkEnumValue(field, v, values)
}

func checkEnumValue(field, v string, values []string) error {
	if !slices.Contains(values, v) {
		return validate.Errorf(field, "%q is not one of %s", v, strings.Join(values, ", "))
	}
	return nil
}

// checkText checks an optional short text (region, city).
func checkText(field string, s *string) error {
	if s == nil {
		return nil
	}
	if err := validate.Text(*s); err != nil {
		return validate.Errorf(field, "%s", err)
	}
	return nil
}

func checkPersona(p ndjson.Persona) (*personaRec, error) {
	if err := checkRef("externalRef", p.ExternalRef); err != nil {
		return nil, err
	}
	if p.Name == "" {
		return nil, required("name")
	}
	if err := validate.Text(p.Name); err != nil {
		return nil, validate.Errorf("name", "%s", err)
	}
	if p.Description != nil {
		if err := validate.Comment(*p.Description); err != nil {
			return nil, validate.Errorf("description", "%s", err)
		}
	}
	if err := p.Criteria.Validate(); err != nil {
		return nil, err // names the field, e.g. criteria.genders[0]
	}
	return &personaRec{ref: p.ExternalRef, name: p.Name, description: p.Description, criteria: p.Criteria.Normalized()}, nil
}

func checkCustomer(c ndjson.Customer, today date.Date) (*customerRec, error) {
	if err := checkRef("externalRef", c.ExternalRef); err != nil {
		return nil, err
	}
	if err := checkEnum("kind", c.Kind, personas.Kind("").Values()); err != nil {
		return nil, err
	}
	r := &customerRec{
		ref:            c.ExternalRef,
		kind:           personas.Kind(c.Kind),
		relationship:   customer.DefaultRelationship,
		lifecycleStage: customer.DefaultLifecycleStage,
		name:           c.Name,
		phone:          c.Phone,
		country:        c.Country,
		region:         c.Region,
		city:           c.City,
	}
	if c.Relationship != nil {
		if err := checkEnumValue("relationship", *c.Relationship, relationshipValues); err != nil {
			return nil, err
		}
		r.relationship = customer.Relationship(*c.Relationship)
	}
	if c.LifecycleStage != nil {
		if err := checkEnumValue("lifecycleStage", *c.LifecycleStage, lifecycleStageValues); err != nil {
			return nil, err
		}
		r.lifecycleStage = customer.LifecycleStage(*c.LifecycleStage)
	}
	if c.Name == "" {
		return nil, required("name")
	}
	if err := validate.Text(c.Name); err != nil {
		return nil, validate.Errorf("name", "%s", err)
	}
	if c.Email != nil {
		e := validate.NormalizeEmail(*c.Email)
		if err := validate.Email(e); err != nil {
			return nil, validate.Errorf("email", "%q %s", *c.Email, err)
		}
		r.email = &e
	}
	if c.Phone != nil {
		if err := validate.Phone(*c.Phone); err != nil {
			return nil, validate.Errorf("phone", "%q %s", *c.Phone, err)
		}
	}
	if c.BirthDate != nil {
		d, err := date.Parse(*c.BirthDate)
		if err != nil {
			return nil, validate.Errorf("birthDate", "%s", err)
		}
		if d > today {
			return nil, validate.Errorf("birthDate", "%q must not be in the future", *c.BirthDate)
		}
		r.birthDate = &d
	}
	if c.Gender != nil {
		if err := checkEnumValue("gender", *c.Gender, personas.Gender("").Values()); err != nil {
			return nil, err
		}
		g := personas.Gender(*c.Gender)
		r.gender = &g
	}
	if c.IncomeBand != nil {
		if err := checkEnumValue("incomeBand", *c.IncomeBand, personas.IncomeBand("").Values()); err != nil {
			return nil, err
		}
		b := personas.IncomeBand(*c.IncomeBand)
		r.incomeBand = &b
	}
	if c.Country != nil {
		if err := validate.Country(*c.Country); err != nil {
			return nil, validate.Errorf("country", "%s", err)
		}
	}
	if err := checkText("region", c.Region); err != nil {
		return nil, err
	}
	if err := checkText("city", c.City); err != nil {
		return nil, err
	}
	if c.CreatedAt != nil {
		t := c.CreatedAt.UTC()
		r.createdAt = &t
	}
	return r, nil
}

func checkOrder(o ndjson.Order, baseCurrency string) (*orderRec, error) {
	if err := checkRef("externalRef", o.ExternalRef); err != nil {
		return nil, err
	}
	if err := checkRef("customerRef", o.CustomerRef); err != nil {
		return nil, err
	}
	if err := checkEnum("status", o.Status, orderStatusValues); err != nil {
		return nil, err
	}
	if err := checkEnum("channel", o.Channel, orderChannelValues); err != nil {
		return nil, err
	}
	if o.Currency == "" {
		return nil, validate.Errorf("currency", "is required (the base currency %s)", baseCurrency)
	}
	if o.PlacedAt.IsZero() {
		return nil, required("placedAt")
	}
	items := make([]store.Item, len(o.Items))
	for i, it := range o.Items {
		price, err := money.Parse(string(it.UnitPrice))
		if err != nil {
			return nil, validate.Errorf(fmt.Sprintf("items[%d].unitPrice", i), "%v", err)
		}
		items[i] = store.Item{SKU: it.SKU, Name: it.Name, Category: it.Category, Quantity: it.Quantity, UnitPrice: price}
	}
	status, channel, placedAt := order.Status(o.Status), order.Channel(o.Channel), o.PlacedAt.UTC()
	total, err := store.CheckOrder(store.NewOrder{
		ExternalRef: &o.ExternalRef,
		Status:      &status,
		Channel:     channel,
		Currency:    &o.Currency,
		PlacedAt:    &placedAt,
		Items:       items,
	}, baseCurrency)
	if err != nil {
		return nil, err
	}
	return &orderRec{
		ref:         o.ExternalRef,
		customerRef: o.CustomerRef,
		status:      status,
		channel:     channel,
		placedAt:    placedAt,
		total:       total,
		items:       items,
	}, nil
}

func checkFeedback(f ndjson.Feedback) (*feedbackRec, error) {
	if err := checkRef("externalRef", f.ExternalRef); err != nil {
		return nil, err
	}
	if err := checkRef("customerRef", f.CustomerRef); err != nil {
		return nil, err
	}
	if f.OrderRef != nil {
		if err := checkRefValue("orderRef", *f.OrderRef); err != nil {
			return nil, err
		}
	}
	if err := checkEnum("kind", f.Kind, feedbackKindValues); err != nil {
		return nil, err
	}
	if err := checkEnum("channel", f.Channel, feedbackChanValues); err != nil {
		return nil, err
	}
	if err := validate.FeedbackScore(f.Kind, f.Score); err != nil {
		return nil, err
	}
	if f.Comment != nil {
		if err := validate.Comment(*f.Comment); err != nil {
			return nil, validate.Errorf("comment", "%s", err)
		}
	}
	if f.Language != nil {
		if err := validate.Language(*f.Language); err != nil {
			return nil, validate.Errorf("language", "%s", err)
		}
	}
	if f.SubmittedAt.IsZero() {
		return nil, required("submittedAt")
	}
	return &feedbackRec{
		ref:         f.ExternalRef,
		customerRef: f.CustomerRef,
		orderRef:    f.OrderRef,
		kind:        feedback.Kind(f.Kind),
		channel:     feedback.Channel(f.Channel),
		score:       f.Score,
		comment:     f.Comment,
		language:    f.Language,
		submittedAt: f.SubmittedAt.UTC(),
	}, nil
}

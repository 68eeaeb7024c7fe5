// Package segment holds the demographic vocabulary of personas: the enums a
// persona's criteria select on and the membership rule of data-format.md.
// It depends on nothing generated, because the ent schema imports it.
package segment

import (
	"fmt"
	"io"
	"slices"
	"strconv"

	"github.com/c360/c360/internal/date"
)

// Gender of an individual customer.
type Gender string

// IncomeBand of a customer.
type IncomeBand string

// Kind of customer: a person or an organisation.
type Kind string

const (
	GenderFemale      Gender = "FEMALE"
	GenderMale        Gender = "MALE"
	GenderNonBinary   Gender = "NON_BINARY"
	GenderUndisclosed Gender = "UNDISCLOSED"

	IncomeLow         IncomeBand = "LOW"
	IncomeLowerMiddle IncomeBand = "LOWER_MIDDLE"
	IncomeMiddle      IncomeBand = "MIDDLE"
	IncomeUpperMiddle IncomeBand = "UPPER_MIDDLE"
	IncomeHigh        IncomeBand = "HIGH"

	KindIndividual         Kind = "INDIVIDUAL"
	KindBusiness           Kind = "BUSINESS"
	KindPublicOrganization Kind = "PUBLIC_ORGANIZATION"
)

// Values lists the enum's values (ent's EnumValues interface).
func (Gender) Values() []string {
	return []string{string(GenderFemale), string(GenderMale), string(GenderNonBinary), string(GenderUndisclosed)}
}

// Values lists the enum's values (ent's EnumValues interface).
func (IncomeBand) Values() []string {
	return []string{string(IncomeLow), string(IncomeLowerMiddle), string(IncomeMiddle), string(IncomeUpperMiddle), string(IncomeHigh)}
}

// Values lists the enum's values (ent's EnumValues interface).
func (Kind) Values() []string {
	return []string{string(KindIndividual), string(KindBusiness), string(KindPublicOrganization)}
}

func (g Gender) MarshalGQL(w io.Writer)     { _, _ = io.WriteString(w, strconv.Quote(string(g))) }
func (b IncomeBand) MarshalGQL(w io.Writer) { _, _ = io.WriteString(w, strconv.Quote(string(b))) }
func (k Kind) MarshalGQL(w io.Writer)       { _, _ = io.WriteString(w, strconv.Quote(string(k))) }

func (g *Gender) UnmarshalGQL(v any) error {
	return unmarshalEnum(v, "Gender", (*string)(g), g.Values())
}
func (b *IncomeBand) UnmarshalGQL(v any) error {
	return unmarshalEnum(v, "IncomeBand", (*string)(b), b.Values())
}
func (k *Kind) UnmarshalGQL(v any) error {
	return unmarshalEnum(v, "CustomerKind", (*string)(k), k.Values())
}

func unmarshalEnum(v any, name string, dst *string, values []string) error {
	s, ok := v.(string)
	if !ok || !slices.Contains(values, s) {
		return fmt.Errorf("%v is not a valid %s", v, name)
	}
	*dst = s
	return nil
}

// Criteria select a persona's members. Every non-empty criterion must hold; an
// empty list or a missing bound means "any".
type Criteria struct {
	MinAge      *int         `json:"minAge,omitempty"`
	MaxAge      *int         `json:"maxAge,omitempty"`
	Genders     []Gender     `json:"genders"`
	IncomeBands []IncomeBand `json:"incomeBands"`
	Countries   []string     `json:"countries"`
	Kinds       []Kind       `json:"kinds"`
}

// Profile is what membership looks at in a customer.
type Profile struct {
	BirthDate  *date.Date
	Gender     *Gender
	IncomeBand *IncomeBand
	Country    *string
	Kind       Kind
}

// Matches reports whether a customer belongs to the segment on the given day.
// A customer without a birth date never matches an age bound; a missing
// gender, income band or country never matches a non-empty list.
func (c Criteria) Matches(p Profile, today date.Date) bool {
	if c.MinAge != nil || c.MaxAge != nil {
		if p.BirthDate == nil {
			return false
		}
		age := p.BirthDate.AgeOn(today)
		if (c.MinAge != nil && age < *c.MinAge) || (c.MaxAge != nil && age > *c.MaxAge) {
			return false
		}
	}
	return in(c.Genders, p.Gender) && in(c.IncomeBands, p.IncomeBand) &&
		in(c.Countries, p.Country) && (len(c.Kinds) == 0 || slices.Contains(c.Kinds, p.Kind))
}

func in[T comparable](set []T, v *T) bool {
	return len(set) == 0 || (v != nil && slices.Contains(set, *v))
}

// Normalized returns c with nil lists replaced by empty ones.
func (c Criteria) Normalized() Criteria {
	if c.Genders == nil {
		c.Genders = []Gender{}
	}
	if c.IncomeBands == nil {
		c.IncomeBands = []IncomeBand{}
	}
	if c.Countries == nil {
		c.Countries = []string{}
	}
	if c.Kinds == nil {
		c.Kinds = []Kind{}
	}
	return c
}

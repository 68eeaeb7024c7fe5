package personas

import (
	"fmt"
	"io"
	"slices"
	"strconv"
)

// The demographic vocabulary criteria select on. The ent schema types the
// customer's columns with these enums, so a criterion and the column it tests
// cannot drift apart.

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

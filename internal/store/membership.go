package store

import (
	"context"
	"fmt"
	"reflect"

	"github.com/c360/c360/ent"
	"github.com/c360/c360/ent/customer"
	"github.com/c360/c360/ent/customerevent"
	"github.com/c360/c360/ent/persona"
	"github.com/c360/c360/internal/date"
	"github.com/c360/c360/internal/personas"
)

// demographics are the customer fields persona membership looks at.
var demographics = []string{customer.FieldBirthDate, customer.FieldGender, customer.FieldIncomeBand,
	customer.FieldCountry, customer.FieldKind}

// PersonaProfile is what persona membership looks at in a customer.
func PersonaProfile(c *ent.Customer) personas.Profile {
	return personas.Profile{BirthDate: c.BirthDate, Gender: c.Gender, IncomeBand: c.IncomeBand, Country: c.Country, Kind: c.Kind}
}

// touchesDemographics reports whether a customer write may change its
// personas.
func touchesDemographics(m *ent.CustomerMutation) bool {
	if m.Op().Is(ent.OpCreate) {
		return true
	}
	for _, f := range demographics {
		if _, set := m.Field(f); set || m.FieldCleared(f) {
			return true
		}
	}
	return false
}

// membershipEvents are the PERSONA_JOINED and PERSONA_LEFT events of a
// customer whose profile went from before (nil: new) to after.
func membershipEvents(ctx context.Context, client *ent.Client, before, after *ent.Customer) ([]*ent.CustomerEventCreate, error) {
	ps, err := client.Persona.Query().Order(persona.ByID()).All(ctx)
	if err != nil {
		return nil, fmt.Errorf("reading personas: %w", err)
	}
	var was *personas.Profile
	if before != nil {
		p := PersonaProfile(before)
		was = &p
	}
	var events []*ent.CustomerEventCreate
	for _, c := range MembershipChanges(ps, was, PersonaProfile(after), personas.Today()) {
		events = append(events, c.event(client, after.ID))
	}
	return events, nil
}

// A MembershipChange is a customer joining or leaving a persona.
type MembershipChange struct {
	Type    customerevent.Type // PERSONA_JOINED or PERSONA_LEFT
	Persona *ent.Persona
}

// Summary is the change's event summary.
func (c MembershipChange) Summary() string {
	if c.Type == customerevent.TypePERSONA_JOINED {
		return "Joined persona " + c.Persona.Name
	}
	return "Left persona " + c.Persona.Name
}

func (c MembershipChange) event(client *ent.Client, customerID int) *ent.CustomerEventCreate {
	return client.CustomerEvent.Create().SetType(c.Type).SetCustomerID(customerID).
		SetSubjectID(c.Persona.ID).SetSummary(c.Summary())
}

// MembershipChanges are the personas of ps (in their order) that a customer
// joins or leaves when its profile goes from before (nil: a new customer) to
// after: the one rule of the API's writes and the import's.
func MembershipChanges(ps []*ent.Persona, before *personas.Profile, after personas.Profile, today date.Date) []MembershipChange {
	var out []MembershipChange
	for _, p := range ps {
		was := before != nil && p.Criteria.Matches(*before, today)
		switch is := p.Criteria.Matches(after, today); {
		case is && !was:
			out = append(out, MembershipChange{customerevent.TypePERSONA_JOINED, p})
		case was && !is:
			out = append(out, MembershipChange{customerevent.TypePERSONA_LEFT, p})
		}
	}
	return out
}

// PersonaMembershipEvents appends the events of the customers a persona
// write moves in or out: those its new criteria take and the old did not
// (JOINED), and the reverse (LEFT); nil criteria are a persona that did not
// or does not exist any more. The customers are found by the SQL form of
// one set of criteria and checked against the other in Go (Matches): a
// negated SQL predicate would drop customers whose field is NULL. Written
// in pages, in the write's transaction; unchanged criteria write none.
func PersonaMembershipEvents(ctx context.Context, client *ent.Client, p *ent.Persona, old, now *personas.Criteria) error {
	if old != nil && now != nil && reflect.DeepEqual(*old, *now) {
		return nil
	}
	today := personas.Today()
	for _, d := range []struct {
		in, out *personas.Criteria
		typ     customerevent.Type
	}{{now, old, customerevent.TypePERSONA_JOINED}, {old, now, customerevent.TypePERSONA_LEFT}} {
		if d.in == nil {
			continue
		}
		cs, err := client.Customer.Query().Where(personas.Predicate(*d.in, today)).
			Select(customer.FieldBirthDate, customer.FieldGender, customer.FieldIncomeBand, customer.FieldCountry, customer.FieldKind).
			All(ctx)
		if err != nil {
			return fmt.Errorf("finding the persona's members: %w", err)
		}
		var events []*ent.CustomerEventCreate
		for _, c := range cs {
			if d.out == nil || !d.out.Matches(PersonaProfile(c), today) {
				events = append(events, MembershipChange{d.typ, p}.event(client, c.ID))
			}
		}
		for lo := 0; lo < len(events); lo += 1000 {
			if err := client.CustomerEvent.CreateBulk(events[lo:min(lo+1000, len(events))]...).Exec(ctx); err != nil {
				return fmt.Errorf("writing membership events: %w", err)
			}
		}
	}
	return nil
}

package store

import (
	"context"
	"fmt"

	"github.com/c360/c360/ent"
	"github.com/c360/c360/ent/customer"
	"github.com/c360/c360/ent/customerevent"
	"github.com/c360/c360/ent/persona"
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
	today := personas.Today()
	var events []*ent.CustomerEventCreate
	for _, p := range ps {
		was := before != nil && p.Criteria.Matches(PersonaProfile(before), today)
		is := p.Criteria.Matches(PersonaProfile(after), today)
		switch {
		case is && !was:
			events = append(events, personaEvent(client, customerevent.TypePERSONA_JOINED, after.ID, p, "Joined"))
		case was && !is:
			events = append(events, personaEvent(client, customerevent.TypePERSONA_LEFT, after.ID, p, "Left"))
		}
	}
	return events, nil
}

func personaEvent(client *ent.Client, typ customerevent.Type, customerID int, p *ent.Persona, verb string) *ent.CustomerEventCreate {
	return client.CustomerEvent.Create().SetType(typ).SetCustomerID(customerID).SetSubjectID(p.ID).
		SetSummary(verb + " persona " + p.Name)
}

// personaMembershipEvents appends the events of the customers a persona
// write moves in or out: those its new criteria take and the old did not
// (JOINED), and the reverse (LEFT); nil criteria are a persona that did not
// or does not exist any more. The customers are found by the SQL form of
// one set of criteria and checked against the other in Go (Matches): a
// negated SQL predicate would drop customers whose field is NULL. Written
// in pages, in the write's transaction.
func personaMembershipEvents(ctx context.Context, client *ent.Client, p *ent.Persona, old, now *personas.Criteria) error {
	today := personas.Today()
	for _, d := range []struct {
		in, out *personas.Criteria
		typ     customerevent.Type
		verb    string
	}{{now, old, customerevent.TypePERSONA_JOINED, "Joined"}, {old, now, customerevent.TypePERSONA_LEFT, "Left"}} {
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
				events = append(events, personaEvent(client, d.typ, c.ID, p, d.verb))
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

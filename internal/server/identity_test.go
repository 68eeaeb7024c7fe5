package server_test

import (
	"testing"
)

const addIdentity = `mutation($c: ID!, $in: AddIdentityInput!) { addIdentity(customerID: $c, input: $in) { id kind value source verified customer { id } } }`

// TestIdentitiesAreStoredNormalizedAndFindTheirCustomer: addIdentity stores
// the kind's normal form; customer(identity:) finds the customer from any
// form of it; Customer.identities lists them in the order they were added.
func TestIdentitiesAreStoredNormalizedAndFindTheirCustomer(t *testing.T) {
	dialects(t, func(t *testing.T, a *api) {
		aino := a.customer(map[string]any{"kind": "INDIVIDUAL", "name": "Aino Jääskeläinen"})
		var phone struct {
			AddIdentity struct {
				ID, Kind, Value string
				Source          *string
				Verified        bool
				Customer        struct{ ID string }
			}
		}
		a.ok(addIdentity, map[string]any{"c": aino, "in": map[string]any{"kind": "PHONE", "value": "+358 40 123 4567", "source": "support"}}, &phone)
		if p := phone.AddIdentity; p.Value != "+358401234567" || p.Kind != "PHONE" || p.Source == nil || *p.Source != "support" ||
			p.Verified || p.Customer.ID != aino {
			t.Fatalf("addIdentity = %+v, want the phone in E.164, from support, unverified, of customer %s", p, aino)
		}
		a.ok(addIdentity, map[string]any{"c": aino, "in": map[string]any{"kind": "SOCIAL_HANDLE", "value": "@Aino_J", "verified": true}}, nil)

		for _, form := range []map[string]any{
			{"kind": "PHONE", "value": "00358401234567"},
			{"kind": "PHONE", "value": "+358 (40) 123-4567"},
			{"kind": "SOCIAL_HANDLE", "value": "aino_j"},
		} {
			var got struct {
				Customer *struct {
					ID         string
					Identities []struct{ Kind, Value string }
				}
			}
			a.ok(`query($i: IdentityLookupInput!) { customer(identity: $i) { id identities { kind value } } }`, map[string]any{"i": form}, &got)
			if got.Customer == nil || got.Customer.ID != aino {
				t.Fatalf("customer(identity: %v) = %+v, want customer %s", form, got.Customer, aino)
			}
			if ids := got.Customer.Identities; len(ids) != 2 || ids[0].Value != "+358401234567" || ids[1].Value != "aino_j" {
				t.Errorf("identities = %+v, want the phone, then the handle", ids)
			}
		}
		var none struct{ Customer *struct{ ID string } }
		a.ok(`{ customer(identity: {kind: LOYALTY_CARD, value: "+358401234567"}) { id } }`, nil, &none)
		if none.Customer != nil {
			t.Errorf("a phone number looked up as a loyalty card found customer %s", none.Customer.ID)
		}
		a.fails(`{ customer(identity: {kind: PHONE, value: "040 123"}) { id } }`, nil, "BAD_USER_INPUT", "identity.value")
		a.fails(`{ customer(email: "a@example.fi", identity: {kind: PHONE, value: "+358401234567"}) { id } }`, nil, "BAD_USER_INPUT", "")
	})
}

// TestAnIdentityBelongsToOneCustomer: adding another customer's identity is
// refused and changes nothing; adding one's own again returns it; removing
// it frees it for another customer.
func TestAnIdentityBelongsToOneCustomer(t *testing.T) {
	dialects(t, func(t *testing.T, a *api) {
		giulia := a.customer(map[string]any{"kind": "INDIVIDUAL", "name": "Giulia Rossi"})
		viktor := a.customer(map[string]any{"kind": "INDIVIDUAL", "name": "Виктор Петров"})
		card := map[string]any{"kind": "LOYALTY_CARD", "value": "it-7781 2231"}
		var first, again struct{ AddIdentity struct{ ID, Value string } }
		a.ok(addIdentity, map[string]any{"c": giulia, "in": card}, &first)
		a.ok(addIdentity, map[string]any{"c": giulia, "in": map[string]any{"kind": "LOYALTY_CARD", "value": "IT-77812231"}}, &again)
		if again.AddIdentity.ID != first.AddIdentity.ID || first.AddIdentity.Value != "IT-77812231" {
			t.Errorf("adding a customer's own identity again gave %+v, want the first %+v", again.AddIdentity, first.AddIdentity)
		}
		e := a.fails(addIdentity, map[string]any{"c": viktor, "in": card}, "BAD_USER_INPUT", "value")
		if e.Message == "" {
			t.Error("the refusal says nothing")
		}
		a.fails(addIdentity, map[string]any{"c": viktor, "in": map[string]any{"kind": "EMAIL", "value": "not an email"}}, "BAD_USER_INPUT", "value")
		a.fails(addIdentity, map[string]any{"c": "999999", "in": map[string]any{"kind": "EMAIL", "value": "v@example.bg"}}, "BAD_USER_INPUT", "customerID")
		if n := identityCount(t, a); n != 1 {
			t.Fatalf("%d identities after the refusals, want 1", n)
		}

		var removed struct{ RemoveIdentity string }
		a.ok(`mutation($id: ID!) { removeIdentity(id: $id) }`, map[string]any{"id": first.AddIdentity.ID}, &removed)
		if removed.RemoveIdentity != first.AddIdentity.ID {
			t.Errorf("removeIdentity = %q, want %q", removed.RemoveIdentity, first.AddIdentity.ID)
		}
		a.fails(`mutation($id: ID!) { removeIdentity(id: $id) }`, map[string]any{"id": first.AddIdentity.ID}, "NOT_FOUND", "")
		a.ok(addIdentity, map[string]any{"c": viktor, "in": card}, nil)

		// Erasing a customer erases its identities.
		a.ok(`mutation($id: ID!) { deleteCustomer(id: $id) }`, map[string]any{"id": viktor}, nil)
		if n := identityCount(t, a); n != 0 {
			t.Errorf("%d identities after erasing their customer, want 0", n)
		}
	})
}

func identityCount(t *testing.T, a *api) int {
	t.Helper()
	n, err := a.db.Client.Identity.Query().Count(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	return n
}

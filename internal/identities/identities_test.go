package identities_test

import (
	"strings"
	"testing"

	"github.com/c360/c360/internal/identities"
)

// TestEachKindHasOneNormalForm: the forms people write an identity in come
// to one value; what the kind cannot take is refused with the reason.
func TestEachKindHasOneNormalForm(t *testing.T) {
	for _, tc := range []struct{ kind, in, want string }{
		{identities.Email, "  Aino.Jaaskelainen@Example.FI ", "aino.jaaskelainen@example.fi"},
		{identities.Email, "ВИКТОР@пример.бг", "виктор@пример.бг"},
		{identities.Phone, "+358 40 123 4567", "+358401234567"},
		{identities.Phone, "00359 (88) 123-45.67", "+359881234567"},
		{identities.Phone, "+39 06 1234 5678", "+390612345678"},
		{identities.ExternalRef, " crm:Giulia-Rossi ", "crm:Giulia-Rossi"},
		{identities.LoyaltyCard, "fi-7781 2231", "FI-77812231"},
		{identities.SocialHandle, "@Jääskeläinen_Aino", "jääskeläinen_aino"},
		{identities.SocialHandle, "giulia.rossi", "giulia.rossi"},
	} {
		got, err := identities.Normalize(tc.kind, tc.in)
		if err != nil || got != tc.want {
			t.Errorf("Normalize(%s, %q) = %q, %v; want %q", tc.kind, tc.in, got, err, tc.want)
		}
	}
	for _, tc := range []struct{ kind, in, reason string }{
		{identities.Email, "not an email", "not a valid email address"},
		{identities.Phone, "040 123 4567", "E.164"},
		{identities.Phone, "+358 40 123 4567 890 123", "E.164"},
		{identities.ExternalRef, "   ", "empty"},
		{identities.LoyaltyCard, " ", "empty"},
		{identities.SocialHandle, "@", "empty"},
		{identities.SocialHandle, "@two words", "spaces"},
		{identities.SocialHandle, "bad\xff", "UTF-8"},
		{identities.LoyaltyCard, strings.Repeat("9", identities.MaxLength+1), "at most"},
		{"PASSPORT", "X1", "not one of"},
	} {
		if got, err := identities.Normalize(tc.kind, tc.in); err == nil || !strings.Contains(err.Error(), tc.reason) {
			t.Errorf("Normalize(%s, %q) = %q, %v; want an error saying %q", tc.kind, tc.in, got, err, tc.reason)
		}
	}
}

// Package identities holds the ways a customer is known to other systems (an
// email address, a phone number, another system's id, a loyalty card, a
// social media handle) and the one normal form of each, so that the same
// identity written two ways is found as one.
package identities

import (
	"errors"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/c360/c360/internal/validate"
)

// The kinds of an identity (shared/spec/graphql-contract.md); ent's
// Identity.kind, and through it the GraphQL enum IdentityKind, take their
// values from Kinds.
const (
	Email        = "EMAIL"
	Phone        = "PHONE"
	ExternalRef  = "EXTERNAL_REF"
	LoyaltyCard  = "LOYALTY_CARD"
	SocialHandle = "SOCIAL_HANDLE"
)

// Kinds lists the kinds.
var Kinds = []string{Email, Phone, ExternalRef, LoyaltyCard, SocialHandle}

// ProfileSource is the source of the identities that are a customer's own
// email, phone and externalRef, kept in step with those fields
// (store.SyncProfileIdentities). Other writers may not use it.
const ProfileSource = "profile"

// MergedSource is the source a profile identity takes when its customer is
// merged into another: it is no longer one of the survivor's own fields.
const MergedSource = "merged"

// CheckSource refuses the source only c360 gives: "profile" identities
// follow the customer's own fields. ("merged" is given by merges too, but an
// export carries it, so an import takes it back.)
func CheckSource(source *string) error {
	if source != nil && *source == ProfileSource {
		return fmt.Errorf("%q is kept for the customer's own email, phone and externalRef", *source)
	}
	return nil
}

// MaxLength bounds a value, in bytes.
const MaxLength = 320

// Normalize returns the normal form of value for kind, or an error saying
// what is wrong with it:
//
//   - EMAIL: trimmed and lower-cased (as a customer's email), then a valid
//     address;
//   - PHONE: spaces, dots, dashes and parentheses dropped, a leading 00
//     read as +, then E.164 (+ and up to 15 digits);
//   - EXTERNAL_REF: trimmed (another system's id is compared as written);
//   - LOYALTY_CARD: trimmed, spaces dropped, upper case;
//   - SOCIAL_HANDLE: trimmed, without a leading @, lower case.
func Normalize(kind, value string) (string, error) {
	if !utf8.ValidString(value) {
		return "", errors.New("must be valid UTF-8")
	}
	v := strings.TrimSpace(value)
	switch kind {
	case Email:
		v = validate.NormalizeEmail(v) // as a customer's own email is stored
		if err := validate.Email(v); err != nil {
			return "", err
		}
	case Phone:
		v = strings.Map(func(r rune) rune {
			if r == ' ' || r == '.' || r == '-' || r == '(' || r == ')' {
				return -1
			}
			return r
		}, v)
		if strings.HasPrefix(v, "00") {
			v = "+" + v[2:]
		}
		if err := validate.Phone(v); err != nil {
			return "", err
		}
	case ExternalRef:
		if err := validate.Ref(v); err != nil {
			return "", err
		}
	case LoyaltyCard:
		v = strings.ToUpper(strings.Map(func(r rune) rune {
			if unicode.IsSpace(r) {
				return -1
			}
			return r
		}, v))
	case SocialHandle:
		v = strings.ToLower(strings.TrimPrefix(v, "@"))
		if strings.ContainsFunc(v, unicode.IsSpace) {
			return "", errors.New("must not contain spaces")
		}
	default:
		return "", fmt.Errorf("%q is not one of %s", kind, strings.Join(Kinds, ", "))
	}
	switch {
	case v == "":
		return "", errors.New("must not be empty")
	case len(v) > MaxLength:
		return "", fmt.Errorf("must be at most %d bytes", MaxLength)
	}
	return v, nil
}

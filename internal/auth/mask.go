package auth

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
)

// Kinds of personal data, the first argument of Mask and Pseudonym. The kind
// chooses the pseudonym's shape; the field it is keyed by is a separate
// argument (see Pseudonym).
const (
	KindEmail   = "email"   // u_<16 hex>@pseudonym.invalid
	KindPhone   = "phone"   // +999 and 11 digits
	KindName    = "name"    // Customer <10 hex>
	KindText    = "text"    // [redacted <8 hex>], for free text such as comments
	KindDate    = "date"    // YYYY-01-01: the year only
	KindCity    = "city"    // city <8 hex>
	KindRegion  = "region"  // region <8 hex>
	KindAddress = "address" // address <8 hex>
)

// maskers is the table Mask dispatches on: one line per kind of personal data.
var maskers = map[string]func(a *Authenticator, kind, field, value string) string{
	KindEmail:   (*Authenticator).Pseudonym,
	KindPhone:   (*Authenticator).Pseudonym,
	KindName:    (*Authenticator).Pseudonym,
	KindText:    (*Authenticator).Pseudonym,
	KindDate:    func(_ *Authenticator, _, _, v string) string { return yearOnly(v) },
	KindCity:    (*Authenticator).Pseudonym,
	KindRegion:  (*Authenticator).Pseudonym,
	KindAddress: (*Authenticator).Pseudonym,
}

// withheld are the kinds a masking role is refused instead of shown a
// pseudonym: fields with few distinct values. A pseudonym keeps equality, so
// counting reverses it there: the most frequent city pseudonym among a
// country's customers is that country's largest city, the next one the
// second, and so on down to the small towns where a city, a birth year and a
// gender single a person out.
var withheld = map[string]bool{KindCity: true, KindRegion: true}

// Withheld reports whether values of kind are refused to roles that mask
// personal data, rather than pseudonymised (see withheld).
func Withheld(kind string) bool { return withheld[kind] }

// Mask returns what an analyst sees instead of value, the value of field
// (its coordinate, e.g. "Customer.email"). Pseudonyms are consistent within a
// field (the same value always gives the same pseudonym there, so BI joins
// and group-bys still work), unrelated across fields, and cannot be reversed
// without the pseudonym key. Dates are generalised to January 1st of their
// year instead: a pseudonymous date would be useless, the year keeps age
// analyses possible.
//
// An empty value stays empty (there is nothing to hide, and inventing a value
// would turn "unknown" into data). An unknown kind fails closed: the value is
// redacted like free text.
func (a *Authenticator) Mask(kind, field, value string) string {
	if value == "" {
		return ""
	}
	if m, ok := maskers[kind]; ok {
		return m(a, kind, field, value)
	}
	return fmt.Sprintf("[redacted %s]", hex.EncodeToString(a.mac(kind, field, value)[:4]))
}

// Pseudonym returns the keyed pseudonym of value, shaped per kind so clients
// that validate the field still accept it:
//
//	email         u_<16 hex>@pseudonym.invalid (RFC 2606 reserves .invalid)
//	phone         +999<11 digits>, E.164-shaped, in the unassigned +999 code
//	name          Customer <10 hex>
//	text          [redacted <8 hex>]
//	anything else <kind> <8 hex>, e.g. "city 3fa2b4c1"
//
// The digits come from HMAC-SHA256(key, kind, field, value). The field is in
// the input so that one value in two fields gives two unrelated pseudonyms:
// with the kind alone, a customer whose city and region are both "Uusimaa"
// showed it, and pseudonyms joined across fields that were never meant to be
// compared. Use Mask for field values: it also handles dates and empty values.
func (a *Authenticator) Pseudonym(kind, field, value string) string {
	sum := a.mac(kind, field, value)
	switch kind {
	case KindEmail:
		return "u_" + hex.EncodeToString(sum[:8]) + "@pseudonym.invalid"
	case KindPhone:
		// 64 bits reduced mod 10^11: the bias is below 10^-8, irrelevant here.
		return fmt.Sprintf("+999%011d", binary.BigEndian.Uint64(sum[:8])%100_000_000_000)
	case KindName:
		return "Customer " + hex.EncodeToString(sum[:5])
	case KindText:
		return "[redacted " + hex.EncodeToString(sum[:4]) + "]"
	default:
		return kind + " " + hex.EncodeToString(sum[:4])
	}
}

// mac is HMAC-SHA256(pseudonym key, kind NUL field NUL value); the NULs keep
// ("ab","c") and ("a","bc") apart.
func (a *Authenticator) mac(kind, field, value string) []byte {
	m := hmac.New(sha256.New, a.pseudonymKey)
	m.Write([]byte(kind))
	m.Write([]byte{0})
	m.Write([]byte(field))
	m.Write([]byte{0})
	m.Write([]byte(value))
	return m.Sum(nil)
}

// yearOnly turns "YYYY-MM-DD" (or a timestamp starting so) into "YYYY-01-01".
// Anything else gives "" (shown as null): returning it would leak it.
func yearOnly(v string) string {
	if len(v) < 5 || v[4] != '-' {
		return ""
	}
	for i := range 4 {
		if v[i] < '0' || v[i] > '9' {
			return ""
		}
	}
	return v[:4] + "-01-01"
}

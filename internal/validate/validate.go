// Package validate holds the field rules of data-format.md. Every write path
// (GraphQL mutations, the NDJSON import) goes through them, and every failure
// is a *fault.BadInput naming the input field, so clients can point at it.
package validate

import (
	"errors"
	"fmt"
	"net/mail"
	"regexp"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/language"

	"github.com/c360/c360/internal/fault"
)

// Errorf builds the refusal of the value of field (a GraphQL input path
// such as "email", "criteria.minAge" or "items[1].quantity"); the message
// starts with the field's name.
func Errorf(field, format string, args ...any) error {
	return &fault.BadInput{Field: field, Message: field + ": " + fmt.Sprintf(format, args...)}
}

// Limits of free text, in characters.
const (
	MaxNameLength    = 500
	MaxCommentLength = 10000
	MaxRefLength     = 200
)

var e164 = regexp.MustCompile(`^\+[1-9][0-9]{1,14}$`)

// NormalizeEmail lower-cases and trims an address: emails are unique case-insensitively.
func NormalizeEmail(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

// Email checks a bare address (no display name).
func Email(s string) error {
	a, err := mail.ParseAddress(s)
	if err != nil || a.Address != s || a.Name != "" {
		return errors.New("is not a valid email address")
	}
	return nil
}

// Phone checks the E.164 form: + and up to 15 digits.
func Phone(s string) error {
	if !e164.MatchString(s) {
		return errors.New("must be in E.164 form, e.g. +358401234567")
	}
	return nil
}

// Country checks an ISO 3166-1 alpha-2 code in upper case.
func Country(s string) error {
	r, err := language.ParseRegion(s)
	if len(s) != 2 || err != nil || !r.IsCountry() || r.String() != s {
		return fmt.Errorf("%q is not an ISO 3166-1 alpha-2 country code", s)
	}
	return nil
}

// Language checks a well-formed BCP 47 tag.
func Language(s string) error {
	if _, err := language.Parse(s); err != nil || s == "" {
		return fmt.Errorf("%q is not a BCP 47 language tag", s)
	}
	return nil
}

// Text checks a required short text.
func Text(s string) error {
	if strings.TrimSpace(s) == "" {
		return errors.New("must not be empty")
	}
	if utf8.RuneCountInString(s) > MaxNameLength {
		return fmt.Errorf("must be at most %d characters", MaxNameLength)
	}
	if !utf8.ValidString(s) {
		return errors.New("must be valid UTF-8")
	}
	return nil
}

// Ref checks an externalRef.
func Ref(s string) error {
	if strings.TrimSpace(s) == "" {
		return errors.New("must not be empty")
	}
	if len(s) > MaxRefLength {
		return fmt.Errorf("must be at most %d bytes", MaxRefLength)
	}
	return nil
}

// Comment checks free-text feedback.
func Comment(s string) error {
	if n := utf8.RuneCountInString(s); n > MaxCommentLength {
		return fmt.Errorf("must be at most %d characters, got %d", MaxCommentLength, n)
	}
	if !utf8.ValidString(s) {
		return errors.New("must be valid UTF-8")
	}
	return nil
}

// scoreRule is the score range of one feedback kind, and whether a score is
// required.
type scoreRule struct {
	lo, hi   int
	required bool
}

// scoreRules are data-format.md's scores per feedback kind, the one copy both
// the GraphQL mutations (through the ent hook) and the importer apply. SOCIAL
// and SUPPORT may carry a 1-5 rating (a post's rating or sentiment, a support
// contact's satisfaction) or none.
var scoreRules = map[string]scoreRule{
	"NPS":     {0, 10, true},
	"CSAT":    {1, 5, true},
	"REVIEW":  {1, 5, true},
	"SOCIAL":  {1, 5, false},
	"SUPPORT": {1, 5, false},
}

// FeedbackScore applies the per-kind score rules of data-format.md.
func FeedbackScore(kind string, score *int) error {
	r, ok := scoreRules[kind]
	if !ok {
		return Errorf("kind", "%q is not a feedback kind", kind)
	}
	if score == nil {
		if r.required {
			return Errorf("score", "is required for %s feedback", kind)
		}
		return nil
	}
	if *score < r.lo || *score > r.hi {
		return Errorf("score", "must be between %d and %d for %s feedback, got %d", r.lo, r.hi, kind, *score)
	}
	return nil
}

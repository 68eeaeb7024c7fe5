package validate

import (
	"errors"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/c360/c360/internal/fault"
)

// The validators never panic, and what they accept is what the format says.
func FuzzValidators(f *testing.F) {
	for _, s := range []string{"aino@example.fi", "+358401234567", "FI", "fi", "en-GB", "", " ", "Цветелина", "\xff", "a@b", "+0123", "ZZ", "UK"} {
		f.Add(s, 5)
	}
	f.Fuzz(func(t *testing.T, s string, n int) {
		if Email(s) == nil && (strings.ContainsAny(s, " <>\"") || !strings.Contains(s, "@")) {
			t.Fatalf("Email accepted %q", s)
		}
		if Phone(s) == nil && (len(s) < 3 || len(s) > 16 || s[0] != '+' || s[1] == '0') {
			t.Fatalf("Phone accepted %q", s)
		}
		if Country(s) == nil && (len(s) != 2 || strings.ToUpper(s) != s) {
			t.Fatalf("Country accepted %q", s)
		}
		_ = Language(s)
		if Text(s) == nil && (strings.TrimSpace(s) == "" || !utf8.ValidString(s)) {
			t.Fatalf("Text accepted %q", s)
		}
		if Comment(s) == nil && utf8.RuneCountInString(s) > MaxCommentLength {
			t.Fatalf("Comment accepted %d characters", utf8.RuneCountInString(s))
		}
		score := n
		for _, kind := range []string{"NPS", "CSAT", "REVIEW", "SOCIAL", "SUPPORT", s} {
			err := FeedbackScore(kind, &score)
			var fe *fault.BadInput
			if err != nil && !errors.As(err, &fe) {
				t.Fatalf("FeedbackScore error is not a fault.BadInput: %v", err)
			}
			if err == nil && kind == "NPS" && (n < 0 || n > 10) {
				t.Fatalf("NPS %d accepted", n)
			}
		}
	})
}

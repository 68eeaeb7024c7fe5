package personas

import (
	"errors"
	"testing"

	"github.com/c360/c360/internal/fault"
)

// Validate never panics, fails with a field error, and refuses minAge > maxAge
// whatever the other criteria.
func FuzzValidate(f *testing.F) {
	for _, s := range []string{"FI", "fi", "", "ZZ", "UK", "\xff", "FEMALE"} {
		f.Add(s, 5)
	}
	f.Fuzz(func(t *testing.T, s string, n int) {
		min, max := n, n-1
		err := Criteria{MinAge: &min, MaxAge: &max, Countries: []string{s}}.Validate()
		var fe *fault.BadInput
		if err == nil || !errors.As(err, &fe) {
			t.Fatalf("criteria with minAge > maxAge: %v", err)
		}
		err = Criteria{Genders: []Gender{Gender(s)}, Kinds: []Kind{Kind(s)}, Countries: []string{s}}.Validate()
		if err != nil && !errors.As(err, &fe) {
			t.Fatalf("error is not a fault.BadInput: %v", err)
		}
	})
}

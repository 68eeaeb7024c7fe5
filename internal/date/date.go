// Package date holds calendar dates without a time of day (the GraphQL scalar
// Date, "YYYY-MM-DD"). They are stored as that text, which sorts and compares
// correctly as a string on every database.
package date

import (
	"fmt"
	"io"
	"strconv"
	"time"
)

const layout = "2006-01-02"

// Date is a canonical "YYYY-MM-DD" string; the zero value is invalid.
type Date string

// Parse validates and canonicalises s.
func Parse(s string) (Date, error) {
	t, err := time.Parse(layout, s)
	if err != nil {
		return "", fmt.Errorf("%q is not a date in the form YYYY-MM-DD", s)
	}
	return Of(t), nil
}

// Of returns the calendar date of t in t's location.
func Of(t time.Time) Date { return Date(t.Format(layout)) }

// Time returns midnight UTC of the date.
func (d Date) Time() time.Time {
	t, _ := time.Parse(layout, string(d))
	return t
}

// AgeOn returns the whole years between d and on (a birthday counts from its day).
func (d Date) AgeOn(on Date) int {
	b, t := d.Time(), on.Time()
	age := t.Year() - b.Year()
	if t.Month() < b.Month() || (t.Month() == b.Month() && t.Day() < b.Day()) {
		age--
	}
	return age
}

// YearsBefore returns the date n years before d as a comparable string, without
// normalising February 29th, so that (birth <= d.YearsBefore(n)) == (age >= n)
// holds for every birth date under string comparison.
func (d Date) YearsBefore(n int) Date {
	t := d.Time()
	return Date(fmt.Sprintf("%04d-%02d-%02d", t.Year()-n, int(t.Month()), t.Day()))
}

// MarshalGQL writes the Date scalar.
func (d Date) MarshalGQL(w io.Writer) { _, _ = io.WriteString(w, strconv.Quote(string(d))) }

// UnmarshalGQL reads the Date scalar.
func (d *Date) UnmarshalGQL(v any) error {
	s, ok := v.(string)
	if !ok {
		return fmt.Errorf("Date must be a string in the form YYYY-MM-DD")
	}
	p, err := Parse(s)
	if err != nil {
		return err
	}
	*d = p
	return nil
}

// Package money holds exact monetary amounts. Amounts are integer cents so sums
// and averages are exact in Go and in SQL alike; the GraphQL scalar Decimal and
// the NDJSON format carry them as strings with two fractional digits ("1234.50").
package money

import (
	"database/sql/driver"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
)

// Cents is an amount in the smallest unit of the base currency.
type Cents int64

// ErrFormat is wrapped by every parse failure, so callers can tell bad input apart.
var ErrFormat = errors.New("must be a decimal number with at most 2 fractional digits")

// Parse reads "12", "12.3" or "12.34" (an optional leading '-'), exactly.
func Parse(s string) (Cents, error) {
	if s == "" {
		return 0, ErrFormat
	}
	neg := false
	digits := s
	if digits[0] == '-' {
		neg, digits = true, digits[1:]
	}
	whole, frac, hasDot := strings.Cut(digits, ".")
	if whole == "" || len(frac) > 2 || (hasDot && frac == "") || !allDigits(whole) || !allDigits(frac) {
		return 0, fmt.Errorf("%q: %w", s, ErrFormat)
	}
	for len(frac) < 2 {
		frac += "0"
	}
	w, err := strconv.ParseInt(whole, 10, 64)
	if err != nil || w > (math.MaxInt64-99)/100 {
		return 0, fmt.Errorf("%q: out of range: %w", s, ErrFormat)
	}
	f, _ := strconv.ParseInt(frac, 10, 64)
	c := Cents(w*100 + f)
	if neg {
		c = -c
	}
	return c, nil
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// String formats with exactly two fractional digits.
func (c Cents) String() string {
	sign := ""
	u := uint64(c)
	if c < 0 {
		sign, u = "-", uint64(-c)
	}
	return fmt.Sprintf("%s%d.%02d", sign, u/100, u%100)
}

// CheckedMul multiplies by a quantity, reporting overflow.
func (c Cents) CheckedMul(q int) (Cents, bool) {
	r := int64(c) * int64(q)
	if q != 0 && r/int64(q) != int64(c) {
		return 0, false
	}
	return Cents(r), true
}

// CheckedAdd adds, reporting overflow.
func (c Cents) CheckedAdd(d Cents) (Cents, bool) {
	r := c + d
	if (d > 0 && r < c) || (d < 0 && r > c) {
		return 0, false
	}
	return r, true
}

// DivRound divides a sum by a count, rounding half away from zero, as scores.md asks.
func DivRound(sum Cents, n int64) Cents {
	if n == 0 {
		return 0
	}
	q, r := int64(sum)/n, int64(sum)%n
	if r < 0 {
		r = -r
	}
	if 2*r >= n {
		if sum < 0 {
			q--
		} else {
			q++
		}
	}
	return Cents(q)
}

// MarshalGQL writes the Decimal scalar: a JSON string.
func (c Cents) MarshalGQL(w io.Writer) {
	_, _ = io.WriteString(w, strconv.Quote(c.String()))
}

// UnmarshalGQL accepts a string, or a number literal with at most two decimals.
func (c *Cents) UnmarshalGQL(v any) error {
	var s string
	switch t := v.(type) {
	case string:
		s = t
	case json.Number:
		s = t.String()
	case int:
		s = strconv.Itoa(t)
	case int64:
		s = strconv.FormatInt(t, 10)
	case float64:
		// Literals parsed by gqlparser as floats: keep the shortest representation.
		s = strconv.FormatFloat(t, 'f', -1, 64)
	default:
		return fmt.Errorf("Decimal %w", ErrFormat)
	}
	p, err := Parse(s)
	if err != nil {
		return err
	}
	*c = p
	return nil
}

// MarshalJSON writes the decimal string.
func (c Cents) MarshalJSON() ([]byte, error) { return []byte(strconv.Quote(c.String())), nil }

// UnmarshalJSON reads a decimal string (or number) back.
func (c *Cents) UnmarshalJSON(b []byte) error {
	s := string(b)
	if uq, err := strconv.Unquote(s); err == nil {
		s = uq
	}
	p, err := Parse(s)
	if err != nil {
		return err
	}
	*c = p
	return nil
}

// Value stores cents as an integer column.
func (c Cents) Value() (driver.Value, error) { return int64(c), nil }

// Scan reads an integer column.
func (c *Cents) Scan(src any) error {
	switch v := src.(type) {
	case int64:
		*c = Cents(v)
	case nil:
		*c = 0
	default:
		return fmt.Errorf("money: cannot scan %T", src)
	}
	return nil
}

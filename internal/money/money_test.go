package money

import (
	"errors"
	"testing"
)

func TestParseAndFormat(t *testing.T) {
	good := map[string]string{"0": "0.00", "19.9": "19.90", "19.90": "19.90", "1234.5": "1234.50", "-3.05": "-3.05", "007.01": "7.01"}
	for in, want := range good {
		c, err := Parse(in)
		if err != nil || c.String() != want {
			t.Errorf("Parse(%q) = %s, %v; want %s", in, c, err, want)
		}
	}
	for _, in := range []string{"", "1.234", "1.", ".5", "1e3", "abc", "1,50", "+1", "--1", "99999999999999999999"} {
		if _, err := Parse(in); !errors.Is(err, ErrFormat) {
			t.Errorf("Parse(%q) should fail with ErrFormat, got %v", in, err)
		}
	}
}

func TestDivRoundHalfAwayFromZero(t *testing.T) {
	cases := []struct {
		sum  Cents
		n    int64
		want Cents
	}{{10, 4, 3}, {10, 3, 3}, {5, 2, 3}, {-5, 2, -3}, {7, 2, 4}, {1, 3, 0}, {2, 3, 1}, {0, 0, 0}}
	for _, c := range cases {
		if got := DivRound(c.sum, c.n); got != c.want {
			t.Errorf("DivRound(%d, %d) = %d, want %d", c.sum, c.n, got, c.want)
		}
	}
}

func TestCheckedArithmetic(t *testing.T) {
	if _, ok := Cents(1 << 62).CheckedMul(4); ok {
		t.Error("overflowing multiplication not reported")
	}
	if v, ok := Cents(199).CheckedMul(3); !ok || v != 597 {
		t.Errorf("199*3 = %d %v", v, ok)
	}
	if _, ok := Cents(1<<63 - 1).CheckedAdd(1); ok {
		t.Error("overflowing addition not reported")
	}
}

func TestUnmarshalGQL(t *testing.T) {
	var c Cents
	for in, want := range map[any]Cents{"12.30": 1230, 12: 1200, int64(3): 300, 1.5: 150} {
		if err := c.UnmarshalGQL(in); err != nil || c != want {
			t.Errorf("UnmarshalGQL(%v) = %d, %v; want %d", in, c, err, want)
		}
	}
	if err := c.UnmarshalGQL(true); err == nil {
		t.Error("a boolean is not a Decimal")
	}
}

func TestJSONRoundTrip(t *testing.T) {
	for _, c := range []Cents{0, 5, 1999, -250} {
		b, _ := c.MarshalJSON()
		var back Cents
		if err := back.UnmarshalJSON(b); err != nil || back != c {
			t.Errorf("%d -> %s -> %d, %v", c, b, back, err)
		}
	}
}

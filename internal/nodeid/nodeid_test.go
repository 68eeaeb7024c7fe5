package nodeid_test

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/c360/c360/internal/nodeid"
)

func TestUnmarshalIntID(t *testing.T) {
	for in, want := range map[any]int{"42": 42, 7: 7, int64(9): 9, json.Number("12"): 12, "-3": -3} {
		if got, err := nodeid.UnmarshalIntID(in); err != nil || got != want {
			t.Errorf("UnmarshalIntID(%#v) = %d, %v; want %d", in, got, err, want)
		}
	}
	for in, want := range map[any]string{
		"abc":                  `"abc" is not a valid ID`,
		"99999999999999999999": `"99999999999999999999" is not a valid ID`,
		json.Number("1.5"):     `"1.5" is not a valid ID`,
		"":                     `"" is not a valid ID`,
		1.5:                    "an ID must be a string",
	} {
		_, err := nodeid.UnmarshalIntID(in)
		if err == nil || err.Error() != want {
			t.Errorf("UnmarshalIntID(%#v) error %v; want %q", in, err, want)
		}
		if err != nil && strings.Contains(err.Error(), "strconv") {
			t.Errorf("UnmarshalIntID(%#v) shows strconv: %v", in, err)
		}
	}
	var b bytes.Buffer
	nodeid.MarshalIntID(123).MarshalGQL(&b)
	if b.String() != `"123"` {
		t.Errorf("MarshalIntID(123) = %s", b.String())
	}
}

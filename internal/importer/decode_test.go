package importer

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"
	"testing"

	"github.com/mailru/easyjson"
	"github.com/mailru/easyjson/jlexer"

	"github.com/c360/c360/internal/ndjson"
)

// The fast decoder must never change what is decoded or the reason given:
// every input is read both ways and the outcomes compared.

var decodeSeeds = []string{
	`{"externalRef":"O-1","customerRef":"C-1","status":"FULFILLED","channel":"WEB","currency":"EUR","placedAt":"2024-05-02T14:31:00Z","items":[{"sku":"SKU-104","name":"Espresso beans 1kg","category":"coffee","quantity":2,"unitPrice":"19.90"}]}`,
	`{"externalRef":"O-2","customerRef":"C-1","status":"PAID","channel":"WEB","currency":"EUR","placedAt":"2024-05-02T16:31:00+02:00","items":[{"sku":"S","name":"Чай","quantity":1,"unitPrice":8.5},{"sku":"T","name":"N","quantity":3,"unitPrice":1e2}]}`,
	` { "externalRef" : "O-3" , "customerRef":"C-1","status":"PAID","channel":"WEB","currency":"EUR","placedAt":"2024-05-02T14:31:00.123456789Z","items":[ ] } `,
	`{"externalRef":"O-4","externalRef":"O-5","customerRef":"C-1","status":"PAID","channel":"WEB","currency":"EUR","placedAt":"2024-05-02T14:31:00Z","items":[]}`,
	`{"ExternalRef":"O-6","customerRef":"C-1","status":"PAID","channel":"WEB","currency":"EUR","placedAt":"2024-05-02T14:31:00Z","items":[]}`,
	`{"externalRef":"O-7\u00e4","customerRef":"C-1","status":"PAID","channel":"WEB","currency":"EUR","placedAt":"2024-05-02T14:31:00Z","items":[{"sku":"A\"B","name":"n","quantity":1,"unitPrice":"1"}]}`,
	`{"externalRef":"O-8","customerRef":"C-1","status":null,"channel":"WEB","currency":"EUR","placedAt":"2024-05-02T14:31:00Z","items":[{"sku":"A","name":"n","category":null,"quantity":1,"unitPrice":"1"}]}`,
	`{"externalRef":"O-9","customerRef":"C-1","status":"PAID","channel":"WEB","currency":"EUR","placedAt":"yesterday","items":[]}`,
	`{"externalRef":"O-10","customerRef":"C-1","status":"PAID","channel":"WEB","currency":"EUR","placedAt":"2024-05-02T14:31:00Z","items":[{"sku":"A","name":"n","quantity":1.0,"unitPrice":"1"}]}`,
	`{"externalRef":"O-11","customerRef":"C-1","status":"PAID","channel":"WEB","currency":"EUR","placedAt":"2024-05-02T14:31:00Z","items":[{"sku":"A","name":"n","quantity":99999999999999999999,"unitPrice":"1"}]}`,
	`{"externalRef":"O-12","customerRef":"C-1","status":"PAID","channel":"WEB","currency":"EUR","placedAt":"2024-05-02T14:31:00Z","items":[{"sku":"A","name":"n","quantity":1,"unitPrice":true}]}`,
	`{"externalRef":"O-13","customerRef":"C-1","status":"PAID","channel":"WEB","currency":"EUR","placedAt":"2024-05-02T14:31:00Z","items":[]} x`,
	`{"externalRef":"O-14","nickname":"x"}`,
	`{"externalRef":"O-15",}`,
	`{"externalRef":"O-16"`,
	`{"externalRef":"O-17","customerRef":"C-1","items":[{"sku":"A","quantity":-0,"unitPrice":-1.5E+2}]}`,
	`{"externalRef":"O-18","customerRef":"C-1","items":[{"sku":"A","quantity":01,"unitPrice":"1"}]}`,
	`{"externalRef":"O-19","customerRef":"C-1","items":{}}`,
	"{\"externalRef\":\"O-20\xff\",\"customerRef\":\"C-1\"}",
	"{\"externalRef\":\"O-21\tx\",\"customerRef\":\"C-1\"}",
	`[1,2]`,
	`{}`,
	`{"externalRef":"C-1","kind":"INDIVIDUAL","relationship":"EXTERNAL","lifecycleStage":"ACTIVE","name":"Aino Virtanen","email":"aino.virtanen@example.fi","phone":"+358401234567","birthDate":"1991-04-12","gender":"FEMALE","incomeBand":"MIDDLE","country":"FI","region":"Uusimaa","city":"Helsinki","createdAt":"2021-03-04T10:00:00Z"}`,
	`{"externalRef":"C-2","kind":"BUSINESS","name":"Кафе Раковски ООД","createdAt":null}`,
	`{"externalRef":"C-3","kind":"INDIVIDUAL","name":"X","createdAt":"2021-13-04T10:00:00Z"}`,
	`{"externalRef":"F-1","customerRef":"C-1","orderRef":"O-1","kind":"NPS","channel":"EMAIL","score":9,"comment":"Nopea toimitus, kiitos!","language":"fi","submittedAt":"2024-05-09T08:00:00Z"}`,
	`{"externalRef":"F-2","customerRef":"C-1","kind":"SOCIAL","channel":"SOCIAL_MEDIA","comment":"line\nbreak 🎉","submittedAt":"2024-05-09T08:00:00Z"}`,
	`{"externalRef":"F-3","customerRef":"C-1","kind":"NPS","channel":"EMAIL","score":"9","submittedAt":"2024-05-09T08:00:00Z"}`,
	`{"externalRef":"F-4","customerRef":"C-1","kind":"NPS","channel":"EMAIL","score":9.5,"submittedAt":"2024-05-09T08:00:00Z"}`,
	`{"externalRef":"C-4","kind":"INDIVIDUAL","name":"Aino","identities":[{"kind":"PHONE","value":"+358401234567","source":"support","verified":true},{"kind":"LOYALTY_CARD","value":"FI-1"}]}`,
	`{"externalRef":"C-5","kind":"INDIVIDUAL","name":"Aino","identities":[{"kind":"PHONE","value":"+358401234567","verified":1}]}`,
}

type outcome struct {
	Line int
	Rec  any
	Err  string
}

// readFast reads input as ImportDir does.
func readFast[T any, PT interface {
	*T
	easyjson.Unmarshaler
}](input []byte) []outcome {
	var out []outcome
	r := ndjson.NewLines(bytes.NewReader(input), "f.ndjson")
	for {
		data, line, tooLong, err := r.Next()
		if err == io.EOF {
			return out
		}
		if err != nil {
			return append(out, outcome{line, nil, err.Error()})
		}
		if tooLong {
			out = append(out, outcome{line, nil, "too long"})
			continue
		}
		rec, err := decode[T, PT](data, "f.ndjson", line)
		if err != nil {
			var le *ndjson.LineError
			if !errors.As(err, &le) {
				return append(out, outcome{line, nil, "not a LineError: " + err.Error()})
			}
			out = append(out, outcome{line, nil, err.Error()})
			continue
		}
		out = append(out, outcome{line, rec, ""})
	}
}

// readRef reads input with ndjson.Reader.
func readRef[T any](input []byte) []outcome {
	var out []outcome
	r := ndjson.NewReader[T](bytes.NewReader(input), "f.ndjson")
	for {
		rec, line, err := r.Next()
		if err == io.EOF {
			return out
		}
		var le *ndjson.LineError
		if errors.As(err, &le) {
			if strings.Contains(le.Err.Error(), "line longer than") {
				out = append(out, outcome{line, nil, "too long"})
			} else {
				out = append(out, outcome{line, nil, err.Error()})
			}
			continue
		}
		if err != nil {
			return append(out, outcome{line, nil, err.Error()})
		}
		out = append(out, outcome{line, rec, ""})
	}
}

func compareReads[T any, PT interface {
	*T
	easyjson.Unmarshaler
}](t *testing.T, input []byte) {
	t.Helper()
	fast, ref := readFast[T, PT](input), readRef[T](input)
	if !reflect.DeepEqual(fast, ref) {
		t.Errorf("%T: input %q\nfast: %s\nref:  %s", *new(T), input, dump(fast), dump(ref))
	}
}

func dump(os []outcome) string {
	var b strings.Builder
	for _, o := range os {
		fmt.Fprintf(&b, "\n  %d %+v %q", o.Line, o.Rec, o.Err)
	}
	return b.String()
}

func TestFastDecoderMatchesReference(t *testing.T) {
	for _, s := range decodeSeeds {
		compareReads[ndjson.Order](t, []byte(s))
		compareReads[ndjson.Customer](t, []byte(s))
		compareReads[ndjson.Feedback](t, []byte(s))
		compareReads[ndjson.Persona](t, []byte(s))
	}
	// Whole files: blank lines, a byte order mark, a last line without a
	// newline, CRLF line ends.
	all := "\uFEFF" + strings.Join(decodeSeeds, "\n\n") + "\r\n  \n" + decodeSeeds[0]
	compareReads[ndjson.Order](t, []byte(all))
	compareReads[ndjson.Feedback](t, []byte(all))
}

// fast decodes a line with easyjson alone.
func fast[T any, PT interface {
	*T
	easyjson.Unmarshaler
}](line string) (T, error) {
	var rec T
	l := jlexer.Lexer{Data: []byte(line)}
	PT(&rec).UnmarshalEasyJSON(&l)
	l.Consumed()
	return rec, l.Error()
}

func TestFastDecoderTakesTheFastPath(t *testing.T) {
	if o, err := fast[ndjson.Order](decodeSeeds[0]); err != nil || len(o.Items) != 1 || o.Items[0].UnitPrice != "19.90" {
		t.Errorf("a plain order line was not decoded by the fast path: %+v, %v", o, err)
	}
	if c, err := fast[ndjson.Customer](decodeSeeds[22]); err != nil || c.CreatedAt == nil || *c.City != "Helsinki" {
		t.Errorf("a plain customer line was not decoded by the fast path: %+v, %v", c, err)
	}
	if f, err := fast[ndjson.Feedback](decodeSeeds[25]); err != nil || *f.Score != 9 {
		t.Errorf("a plain feedback line was not decoded by the fast path: %+v, %v", f, err)
	}
	if _, err := fast[ndjson.Customer](`{"externalRef":"C-1","nickname":"x"}`); err == nil {
		t.Error("the fast path accepted an unknown field")
	}
}

func FuzzFastDecoderPersona(f *testing.F) {
	for _, s := range decodeSeeds {
		f.Add([]byte(s))
	}
	f.Add([]byte(`{"externalRef":"P-1","name":"Young","criteria":{"minAge":25,"maxAge":34,"genders":[],"incomeBands":["MIDDLE"],"countries":["FI"],"kinds":["INDIVIDUAL"]}}`))
	f.Fuzz(func(t *testing.T, in []byte) { compareReads[ndjson.Persona](t, in) })
}

func FuzzFastDecoderOrder(f *testing.F) {
	for _, s := range decodeSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) { compareReads[ndjson.Order](t, in) })
}

func FuzzFastDecoderCustomer(f *testing.F) {
	for _, s := range decodeSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) { compareReads[ndjson.Customer](t, in) })
}

func FuzzFastDecoderFeedback(f *testing.F) {
	for _, s := range decodeSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) { compareReads[ndjson.Feedback](t, in) })
}

func TestAppendJSONString(t *testing.T) {
	for _, s := range []string{"", "plain", `q"uote\back`, "ctl\x00\x01\n\r\t\x1f", "Кафе 🎉", "bad\xffbyte"} {
		got := string(appendJSONString(nil, s))
		var back string
		if err := json.Unmarshal([]byte(got), &back); err != nil || back != strings.ToValidUTF8(s, "\uFFFD") {
			t.Errorf("appendJSONString(%q) = %s (decodes to %q, %v)", s, got, back, err)
		}
	}
}

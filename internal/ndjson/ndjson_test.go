package ndjson

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/c360/c360/internal/personas"
)

func ts(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

// roundTrip writes recs with a Writer and reads them back with a Reader.
func roundTrip[T any](t *testing.T, recs []T) ([]T, string) {
	t.Helper()
	var buf bytes.Buffer
	w := NewWriter(&buf)
	for _, r := range recs {
		if err := w.Write(r); err != nil {
			t.Fatalf("Write: %v", err)
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatalf("Flush: %v", err)
	}
	text := buf.String()
	if got := strings.Count(text, "\n"); got != len(recs) {
		t.Fatalf("wrote %d lines, want %d:\n%s", got, len(recs), text)
	}
	rd := NewReader[T](strings.NewReader(text), "x.ndjson")
	var out []T
	for {
		rec, line, err := rd.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("Next: %v", err)
		}
		if line != len(out)+1 {
			t.Fatalf("line = %d, want %d", line, len(out)+1)
		}
		out = append(out, rec)
	}
	if !reflect.DeepEqual(out, recs) {
		t.Fatalf("round trip mismatch\n got: %#v\nwant: %#v", out, recs)
	}
	return out, text
}

func TestRoundTripPersona(t *testing.T) {
	recs := []Persona{
		{ExternalRef: "P-young-urban", Name: "Young urban professionals", Description: ptr("25-34, urban"),
			Criteria: &personas.Criteria{MinAge: ptr(25), MaxAge: ptr(34), IncomeBands: []personas.IncomeBand{"MIDDLE", "UPPER_MIDDLE"},
				Countries: []string{"FI", "IT"}, Kinds: []personas.Kind{"INDIVIDUAL"}, Genders: []personas.Gender{"FEMALE"}}},
		{ExternalRef: "P-everyone", Name: "Everyone"},
		{ExternalRef: "P-zero", Name: "Zero age", Criteria: &personas.Criteria{MinAge: ptr(0)}},
	}
	_, text := roundTrip(t, recs)
	if !strings.Contains(text, `"minAge":0`) {
		t.Errorf("minAge 0 must be written (pointer), got %s", text)
	}
	if !strings.HasPrefix(text, `{"externalRef":"P-young-urban","name":"Young urban professionals","description":"25-34, urban","criteria":{"minAge":25,"maxAge":34,`) {
		t.Errorf("unexpected JSON: %s", text)
	}
}

func TestRoundTripCustomer(t *testing.T) {
	created := ts("2021-03-04T10:00:00Z")
	recs := []Customer{
		{ExternalRef: "C-000001", Kind: "INDIVIDUAL", Relationship: ptr("EXTERNAL"), LifecycleStage: ptr("ACTIVE"),
			Name: "Aino Virtanen", Email: ptr("aino.virtanen@example.fi"), Phone: ptr("+358401234567"),
			BirthDate: ptr("1991-04-12"), Gender: ptr("FEMALE"), IncomeBand: ptr("MIDDLE"),
			Country: ptr("FI"), Region: ptr("Uusimaa"), City: ptr("Helsinki"), CreatedAt: &created},
		{ExternalRef: "C-000002", Kind: "BUSINESS", Name: "Петров ЕООД"},
		{ExternalRef: "C-000003", Kind: "INDIVIDUAL", Name: "Empty email", Email: ptr("")},
	}
	_, text := roundTrip(t, recs)
	want := `{"externalRef":"C-000001","kind":"INDIVIDUAL","relationship":"EXTERNAL","lifecycleStage":"ACTIVE",` +
		`"name":"Aino Virtanen","email":"aino.virtanen@example.fi","phone":"+358401234567",` +
		`"birthDate":"1991-04-12","gender":"FEMALE","incomeBand":"MIDDLE",` +
		`"country":"FI","region":"Uusimaa","city":"Helsinki","createdAt":"2021-03-04T10:00:00Z"}` + "\n" +
		`{"externalRef":"C-000002","kind":"BUSINESS","name":"Петров ЕООД"}` + "\n" +
		`{"externalRef":"C-000003","kind":"INDIVIDUAL","name":"Empty email","email":""}` + "\n"
	if text != want {
		t.Errorf("JSON mismatch\n got: %s\nwant: %s", text, want)
	}
}

func TestRoundTripOrder(t *testing.T) {
	recs := []Order{
		{ExternalRef: "O-0000001", CustomerRef: "C-000001", Status: ptr("FULFILLED"), Channel: "WEB", Currency: "EUR",
			PlacedAt: ptr(ts("2024-05-02T14:31:00Z")),
			Items: []OrderItem{
				{Sku: "SKU-104", Name: "Espresso beans 1kg", Category: ptr("coffee"), Quantity: 2, UnitPrice: "19.90"},
				{Sku: "SKU-001", Name: "Чаша за кафе", Quantity: 1, UnitPrice: "0.00"},
			}},
	}
	_, text := roundTrip(t, recs)
	want := `{"externalRef":"O-0000001","customerRef":"C-000001","status":"FULFILLED","channel":"WEB",` +
		`"currency":"EUR","placedAt":"2024-05-02T14:31:00Z",` +
		`"items":[{"sku":"SKU-104","name":"Espresso beans 1kg","category":"coffee","quantity":2,"unitPrice":"19.90"},` +
		`{"sku":"SKU-001","name":"Чаша за кафе","quantity":1,"unitPrice":"0.00"}]}` + "\n"
	if text != want {
		t.Errorf("JSON mismatch\n got: %s\nwant: %s", text, want)
	}
}

func TestRoundTripFeedback(t *testing.T) {
	recs := []Feedback{
		{ExternalRef: "F-0000001", CustomerRef: "C-000001", OrderRef: ptr("O-0000001"), Kind: "NPS", Channel: "EMAIL",
			Score: ptr(9), Comment: ptr("Nopea toimitus, kiitos!"), Language: ptr("fi"), SubmittedAt: ptr(ts("2024-05-09T08:00:00Z"))},
		{ExternalRef: "F-0000002", CustomerRef: "C-000002", Kind: "NPS", Channel: "SMS", Score: ptr(0),
			SubmittedAt: ptr(ts("2024-05-09T08:00:00+03:00").UTC())},
		{ExternalRef: "F-0000003", CustomerRef: "C-000002", Kind: "SOCIAL", Channel: "SOCIAL_MEDIA",
			Comment: ptr("<b>A & B</b>"), SubmittedAt: ptr(ts("2024-05-09T05:00:00Z"))},
	}
	_, text := roundTrip(t, recs)
	if !strings.Contains(text, `"score":0`) {
		t.Errorf("score 0 must be written: %s", text)
	}
	if !strings.Contains(text, `"comment":"<b>A & B</b>"`) {
		t.Errorf("HTML must not be escaped: %s", text)
	}
}

func TestUnicodeByteExact(t *testing.T) {
	names := []string{
		"Päivi Häkkinen", "Jukka Mäkinen", "Öljy ja Äes Oy", // Finnish
		"Цветелина Димитрова", "Бърза доставка, благодаря!", // Bulgarian
		"Niccolò Bianchi", "Caffè però è già così", // Italian
		"Great coffee ☕👍🏽 🇫🇮", "combining e\u0301 and \u00e9", "tab\tquote\"backslash\\",
	}
	var recs []Customer
	for i, n := range names {
		recs = append(recs, Customer{ExternalRef: "C-" + string(rune('a'+i)), Kind: "INDIVIDUAL", Name: n, City: ptr(n)})
	}
	out, text := roundTrip(t, recs)
	for i := range names {
		if out[i].Name != names[i] || []byte(out[i].Name) == nil || !bytes.Equal([]byte(out[i].Name), []byte(names[i])) {
			t.Errorf("name %d: got %q want %q", i, out[i].Name, names[i])
		}
	}
	// Non-ASCII text is written raw (UTF-8), not as \u escapes.
	for _, n := range names[:9] {
		if !strings.Contains(text, n) {
			t.Errorf("output does not contain %q literally", n)
		}
	}
}

func collect[T any](t *testing.T, input string) (recs []T, lines []int, errs []*LineError) {
	t.Helper()
	rd := NewReader[T](strings.NewReader(input), "customers.ndjson")
	for i := 0; i < 10000; i++ {
		rec, line, err := rd.Next()
		if err == io.EOF {
			return
		}
		var le *LineError
		if errors.As(err, &le) {
			if le.Line != line {
				t.Errorf("LineError.Line %d != returned line %d", le.Line, line)
			}
			errs = append(errs, le)
			continue
		}
		if err != nil {
			t.Fatalf("unexpected error: %v", err)
		}
		recs = append(recs, rec)
		lines = append(lines, line)
	}
	t.Fatal("reader did not terminate")
	return
}

func TestUnknownFieldAndContinue(t *testing.T) {
	input := `{"externalRef":"C-1","kind":"INDIVIDUAL","name":"A"}` + "\n" +
		"\n" +
		"   \n" +
		`{"externalRef":"C-2","kind":"INDIVIDUAL","name":"B","favouriteColour":"blue"}` + "\n" +
		`{"externalRef":"C-3","kind":"INDIVIDUAL","name":"C"}` + "\r\n" +
		`{"externalRef":"C-4","kind":"INDIVIDUAL","name":"D"}` // no final newline
	recs, lines, errs := collect[Customer](t, input)
	if len(errs) != 1 {
		t.Fatalf("errors = %v, want 1", errs)
	}
	e := errs[0]
	if e.File != "customers.ndjson" || e.Line != 4 {
		t.Errorf("error at %s:%d, want customers.ndjson:4", e.File, e.Line)
	}
	msg := e.Error()
	if !strings.HasPrefix(msg, "customers.ndjson:4: ") || !strings.Contains(msg, `"favouriteColour"`) || !strings.Contains(msg, "unknown field") {
		t.Errorf("message %q should name file, line and field", msg)
	}
	var refs []string
	for _, r := range recs {
		refs = append(refs, r.ExternalRef)
	}
	if !reflect.DeepEqual(refs, []string{"C-1", "C-3", "C-4"}) || !reflect.DeepEqual(lines, []int{1, 5, 6}) {
		t.Errorf("records %v at lines %v, want [C-1 C-3 C-4] at [1 5 6]", refs, lines)
	}
}

func TestErrorMessages(t *testing.T) {
	cases := []struct {
		line string
		want []string
	}{
		{`{"externalRef":"O-1","items":[{"sku":"S","quantity":"two"}]}`, []string{`"items.quantity"`, "integer", "string"}},
		{`{"externalRef":"O-1","items":[{"sku":"S","unitPrice":true}]}`, []string{`"items.unitPrice"`, "decimal", "bool"}},
		{`{"externalRef":"O-1","status":5}`, []string{`"status"`, "string", "number"}},
		{`{"externalRef":"O-1","placedAt":"yesterday"}`, []string{`"placedAt"`, "yesterday"}},
		{`{"externalRef":"O-1","items":[{"sku":"S","colour":"red"}]}`, []string{`unknown field "colour"`}},
		{`{"externalRef":"O-1"} {"externalRef":"O-2"}`, []string{"after the JSON object"}},
		{`{"externalRef":"O-1"} x`, []string{"after the JSON object"}},
		{`{"externalRef":"O-1",}`, []string{"invalid JSON"}},
		{`{"externalRef":"O-1"`, []string{"invalid JSON"}},
		{`null`, []string{"expected a JSON object", "null"}},
		{`[1,2]`, []string{"expected a JSON object", "array"}},
	}
	for _, c := range cases {
		input := `{"externalRef":"O-0"}` + "\n" + c.line + "\n"
		recs, _, errs := collect[Order](t, input)
		if len(recs) != 1 || len(errs) != 1 {
			t.Errorf("%s: %d records, errors %v; want 1 record and 1 error", c.line, len(recs), errs)
			continue
		}
		msg := errs[0].Error()
		if !strings.HasPrefix(msg, "customers.ndjson:2: ") {
			t.Errorf("%s: message %q lacks position", c.line, msg)
		}
		for _, w := range c.want {
			if !strings.Contains(msg, w) {
				t.Errorf("%s: message %q does not contain %q", c.line, msg, w)
			}
		}
	}
}

func TestLongLine(t *testing.T) {
	long := strings.Repeat("ä", 1<<20) // 2 MiB of UTF-8
	var buf bytes.Buffer
	w := NewWriter(&buf)
	_ = w.Write(Customer{ExternalRef: "C-0", Kind: "INDIVIDUAL", Name: "short"})
	_ = w.Write(Customer{ExternalRef: "C-1", Kind: "INDIVIDUAL", Name: long})
	_ = w.Write(Customer{ExternalRef: "C-2", Kind: "INDIVIDUAL", Name: "after"})
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if buf.Len() < 2<<20 {
		t.Fatalf("input is only %d bytes", buf.Len())
	}
	recs, lines, errs := collect[Customer](t, buf.String())
	if len(errs) != 0 || len(recs) != 3 {
		t.Fatalf("got %d records, errors %v", len(recs), errs)
	}
	if recs[1].Name != long || recs[2].Name != "after" || !reflect.DeepEqual(lines, []int{1, 2, 3}) {
		t.Errorf("long line not decoded correctly (lines %v)", lines)
	}
}

func TestMaxLineBytes(t *testing.T) {
	input := `{"externalRef":"C-1","kind":"INDIVIDUAL","name":"A"}` + "\n" +
		`{"externalRef":"C-2","kind":"INDIVIDUAL","name":"` + strings.Repeat("x", 5000) + `"}` + "\n" +
		`{"externalRef":"C-3","kind":"INDIVIDUAL","name":"C"}` + "\n"
	rd := NewReader[Customer](strings.NewReader(input), "c")
	rd.MaxLineBytes = 1000
	var refs []string
	var errLines []int
	for {
		rec, line, err := rd.Next()
		if err == io.EOF {
			break
		}
		var le *LineError
		if errors.As(err, &le) {
			errLines = append(errLines, line)
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		refs = append(refs, rec.ExternalRef)
	}
	if !reflect.DeepEqual(refs, []string{"C-1", "C-3"}) || !reflect.DeepEqual(errLines, []int{2}) {
		t.Errorf("refs %v errLines %v", refs, errLines)
	}
}

func TestEOFRepeats(t *testing.T) {
	rd := NewReader[Customer](strings.NewReader("\n\n"), "c")
	for i := 0; i < 3; i++ {
		if _, _, err := rd.Next(); err != io.EOF {
			t.Fatalf("call %d: err = %v, want io.EOF", i, err)
		}
	}
	rd = NewReader[Customer](strings.NewReader(""), "c")
	if _, _, err := rd.Next(); err != io.EOF {
		t.Fatalf("empty input: err = %v", err)
	}
}

type failingReader struct{ n int }

func (f *failingReader) Read(p []byte) (int, error) {
	if f.n == 0 {
		f.n++
		return copy(p, `{"externalRef":"C-1","kind":"INDIVIDUAL","name":"A"}`+"\n"+`{"externalRef"`), nil
	}
	return 0, errors.New("disk on fire")
}

func TestReadErrorIsFinal(t *testing.T) {
	rd := NewReader[Customer](&failingReader{}, "c")
	if _, _, err := rd.Next(); err != nil {
		t.Fatal(err)
	}
	_, _, err := rd.Next()
	var le *LineError
	if err == nil || err == io.EOF || errors.As(err, &le) || !strings.Contains(err.Error(), "disk on fire") {
		t.Fatalf("err = %v, want the read error", err)
	}
	if _, _, err2 := rd.Next(); err2 != err {
		t.Fatalf("read error not sticky: %v", err2)
	}
}

func TestBOM(t *testing.T) {
	recs, _, errs := collect[Customer](t, "\uFEFF"+`{"externalRef":"C-1","kind":"INDIVIDUAL","name":"A"}`+"\n")
	if len(errs) != 0 || len(recs) != 1 {
		t.Fatalf("recs %v errs %v", recs, errs)
	}
}

func TestDecimal(t *testing.T) {
	good := map[string]Decimal{
		`19.9`:    "19.9",
		`"19.90"`: "19.90",
		`0`:       "0",
		`"0.00"`:  "0.00",
		`-1.5e3`:  "-1.5e3", // kept literally; the domain layer rejects it
		`"abc"`:   "abc",
	}
	for in, want := range good {
		var d Decimal
		if err := json.Unmarshal([]byte(in), &d); err != nil {
			t.Errorf("%s: %v", in, err)
			continue
		}
		if d != want {
			t.Errorf("%s: got %q want %q", in, d, want)
		}
		var it OrderItem
		if err := json.Unmarshal([]byte(`{"unitPrice":`+in+`}`), &it); err != nil || it.UnitPrice != want {
			t.Errorf("in struct %s: got %q, %v", in, it.UnitPrice, err)
		}
	}
	for _, in := range []string{`true`, `false`, `null`, `{}`, `[]`, `{"a":1}`} {
		var d Decimal
		if err := json.Unmarshal([]byte(in), &d); err == nil {
			t.Errorf("%s: accepted as %q", in, d)
		}
		var it OrderItem
		if err := json.Unmarshal([]byte(`{"unitPrice":`+in+`}`), &it); err == nil {
			t.Errorf("in struct %s: accepted as %q", in, it.UnitPrice)
		}
	}
	b, err := json.Marshal(OrderItem{Sku: "S", Name: "n", Quantity: 1, UnitPrice: "19.9"})
	if err != nil || string(b) != `{"sku":"S","name":"n","quantity":1,"unitPrice":"19.9"}` {
		t.Errorf("marshal: %s %v", b, err)
	}
	// A number on input becomes a string on output.
	recs, _, errs := collect[Order](t, `{"items":[{"sku":"S","name":"n","quantity":1,"unitPrice":19.9}]}`)
	if len(errs) != 0 || len(recs) != 1 || recs[0].Items[0].UnitPrice != "19.9" {
		t.Fatalf("recs %v errs %v", recs, errs)
	}
	var buf bytes.Buffer
	w := NewWriter(&buf)
	_ = w.Write(recs[0].Items[0])
	_ = w.Flush()
	if !strings.Contains(buf.String(), `"unitPrice":"19.9"`) {
		t.Errorf("decimal not written as string: %s", buf.String())
	}
}

func TestSpecExamples(t *testing.T) {
	// The examples of the spec (joined to one line) decode without error.
	persona := `{"externalRef":"P-young-urban","name":"Young urban professionals","description":"...", "criteria":{"minAge":25,"maxAge":34,"genders":[],"incomeBands":["MIDDLE","UPPER_MIDDLE"], "countries":["FI","IT"],"kinds":["INDIVIDUAL"]}}`
	ps, _, errs := collect[Persona](t, persona)
	if len(errs) != 0 || len(ps) != 1 || *ps[0].Criteria.MinAge != 25 || len(ps[0].Criteria.IncomeBands) != 2 {
		t.Errorf("persona: %v %v", ps, errs)
	}
	order := `{"externalRef":"O-0000001","customerRef":"C-000001","status":"FULFILLED","channel":"WEB", "currency":"EUR","placedAt":"2024-05-02T14:31:00Z", "items":[{"sku":"SKU-104","name":"Espresso beans 1kg","category":"coffee","quantity":2,"unitPrice":"19.90"}]}`
	os, _, errs := collect[Order](t, order)
	if len(errs) != 0 || len(os) != 1 || !os[0].PlacedAt.Equal(ts("2024-05-02T14:31:00Z")) || os[0].Items[0].Sku != "SKU-104" {
		t.Errorf("order: %v %v", os, errs)
	}
	fb := `{"externalRef":"F-0000001","customerRef":"C-000001","orderRef":"O-0000001","kind":"NPS","channel":"EMAIL", "score":9,"comment":"Nopea toimitus, kiitos!","language":"fi","submittedAt":"2024-05-09T08:00:00Z"}`
	fs, _, errs := collect[Feedback](t, fb)
	if len(errs) != 0 || len(fs) != 1 || *fs[0].Score != 9 || *fs[0].OrderRef != "O-0000001" {
		t.Errorf("feedback: %v %v", fs, errs)
	}
}

func TestLoadOrder(t *testing.T) {
	want := []string{"personas.ndjson", "customers.ndjson", "orders.ndjson", "feedback.ndjson"}
	if !reflect.DeepEqual(LoadOrder, want) {
		t.Errorf("LoadOrder = %v", LoadOrder)
	}
}

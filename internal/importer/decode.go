package importer

import (
	"bytes"
	"io"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/c360/c360/internal/ndjson"
)

// This file holds the importer's fast line decoder. encoding/json decodes the
// interchange format at about 20 MB/s (a fresh Decoder per line, reflection,
// UnmarshalJSON round trips for Decimal and time.Time), which alone would cap
// an import at some 50,000 orders per second. The fast decoder handles the
// lines a well-behaved exporter writes: an object with the exact field names
// of the format, each at most once, strings without escape sequences, numbers
// in plain JSON syntax. Whenever a line is anything else (an escape, a null,
// a field name in another case, a duplicate or unknown field, a syntax error
// or a type mismatch) it gives up, and the line is decoded again by
// ndjson.Reader, which is the reference: it accepts the same lines as
// encoding/json and words every error. So the fast path changes speed only,
// never which lines are accepted, the values decoded or the reasons given.

// decodeSlow decodes one line with the reference decoder, for its value or
// its error (a *ndjson.LineError carrying file and line).
func decodeSlow[T any](data []byte, file string, line int) (T, error) {
	rec, _, err := ndjson.NewReader[T](bytes.NewReader(data), file).Next()
	if le, ok := err.(*ndjson.LineError); ok {
		le.Line = line
		return rec, le
	}
	if err == io.EOF { // cannot happen for a non-blank line
		err = &ndjson.LineError{File: file, Line: line, Err: io.ErrUnexpectedEOF}
	}
	return rec, err
}

// decoder holds the fast decoder's state: the line being decoded and a
// bounded table of repeated strings (enum values, SKUs, product names), so
// that a million orders do not allocate a million copies of "FULFILLED".
type decoder struct {
	b      []byte
	i      int
	intern map[string]string
}

// maxInterned bounds the table's entries and maxInternLen the length of a
// string worth interning, so the table stays under a megabyte whatever the
// input.
const (
	maxInterned  = 8192
	maxInternLen = 64
)

func newDecoder() *decoder { return &decoder{intern: make(map[string]string, 256)} }

func (d *decoder) reset(b []byte) { d.b, d.i = b, 0 }

func (d *decoder) ws() {
	for d.i < len(d.b) {
		switch d.b[d.i] {
		case ' ', '\t', '\n', '\r':
			d.i++
		default:
			return
		}
	}
}

// tok consumes c (after white space) if it is next.
func (d *decoder) tok(c byte) bool {
	d.ws()
	if d.i < len(d.b) && d.b[d.i] == c {
		d.i++
		return true
	}
	return false
}

func (d *decoder) peek() byte {
	d.ws()
	if d.i < len(d.b) {
		return d.b[d.i]
	}
	return 0
}

// rawStr consumes a string without escapes or control characters that is
// valid UTF-8 and returns its contents (aliasing the line).
func (d *decoder) rawStr() ([]byte, bool) {
	d.ws()
	if d.i >= len(d.b) || d.b[d.i] != '"' {
		return nil, false
	}
	start := d.i + 1
	ascii := true
	for j := start; j < len(d.b); j++ {
		c := d.b[j]
		switch {
		case c == '"':
			v := d.b[start:j]
			if !ascii && !utf8.Valid(v) {
				return nil, false // encoding/json would replace the bad bytes
			}
			d.i = j + 1
			return v, true
		case c == '\\' || c < 0x20:
			return nil, false
		case c >= 0x80:
			ascii = false
		}
	}
	return nil, false
}

func (d *decoder) str(dst *string) bool {
	v, ok := d.rawStr()
	if ok {
		*dst = string(v)
	}
	return ok
}

// istr is str for values that repeat across records.
func (d *decoder) istr(dst *string) bool {
	v, ok := d.rawStr()
	if !ok {
		return false
	}
	if s, ok := d.intern[string(v)]; ok {
		*dst = s
		return true
	}
	s := string(v)
	if len(d.intern) < maxInterned && len(s) <= maxInternLen {
		d.intern[s] = s
	}
	*dst = s
	return true
}

func (d *decoder) optStr(dst **string, intern bool) bool {
	s := new(string)
	ok := false
	if intern {
		ok = d.istr(s)
	} else {
		ok = d.str(s)
	}
	*dst = s
	return ok
}

// number consumes a JSON number and returns its text; isInt reports that it
// has neither fraction nor exponent.
func (d *decoder) number() (text []byte, isInt bool, ok bool) {
	d.ws()
	b, start := d.b, d.i
	i := start
	if i < len(b) && b[i] == '-' {
		i++
	}
	switch {
	case i < len(b) && b[i] == '0':
		i++
	case i < len(b) && b[i] >= '1' && b[i] <= '9':
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
	default:
		return nil, false, false
	}
	isInt = true
	if i < len(b) && b[i] == '.' {
		isInt = false
		i++
		j := i
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
		if i == j {
			return nil, false, false
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		isInt = false
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		j := i
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
		if i == j {
			return nil, false, false
		}
	}
	d.i = i
	return b[start:i], isInt, true
}

func (d *decoder) int(dst *int) bool {
	text, isInt, ok := d.number()
	if !ok || !isInt {
		return false
	}
	n, err := strconv.ParseInt(string(text), 10, strconv.IntSize)
	if err != nil {
		return false
	}
	*dst = int(n)
	return true
}

func (d *decoder) optInt(dst **int) bool {
	n := new(int)
	*dst = n
	return d.int(n)
}

// decimal takes a string or a number, keeping the text (as ndjson.Decimal does).
func (d *decoder) decimal(dst *ndjson.Decimal) bool {
	if d.peek() == '"' {
		v, ok := d.rawStr()
		if ok {
			if s, ok := d.intern[string(v)]; ok {
				*dst = ndjson.Decimal(s)
			} else {
				*dst = ndjson.Decimal(v)
			}
		}
		return ok
	}
	text, _, ok := d.number()
	if ok {
		*dst = ndjson.Decimal(text)
	}
	return ok
}

// time decodes an RFC 3339 string exactly as time.Time.UnmarshalJSON does.
func (d *decoder) time(dst *time.Time) bool {
	d.ws()
	start := d.i
	if _, ok := d.rawStr(); !ok {
		return false
	}
	return dst.UnmarshalJSON(d.b[start:d.i]) == nil
}

func (d *decoder) optTime(dst **time.Time) bool {
	t := new(time.Time)
	*dst = t
	return d.time(t)
}

// object decodes an object, calling field for each member with the name; it
// fails on a repeated name (field returns the name's bit) or when field fails.
func (d *decoder) object(field func(name []byte) (bit uint32, ok bool)) bool {
	if !d.tok('{') {
		return false
	}
	if d.tok('}') {
		return true
	}
	var seen uint32
	for {
		name, ok := d.rawStr()
		if !ok || !d.tok(':') {
			return false
		}
		bit, ok := field(name)
		if !ok || seen&bit != 0 {
			return false
		}
		seen |= bit
		if d.tok(',') {
			continue
		}
		return d.tok('}')
	}
}

// end reports whether the line holds nothing after the value.
func (d *decoder) end() bool {
	d.ws()
	return d.i == len(d.b)
}

func (d *decoder) customer(b []byte, c *ndjson.Customer) bool {
	d.reset(b)
	return d.object(func(name []byte) (uint32, bool) {
		switch string(name) {
		case "externalRef":
			return 1 << 0, d.str(&c.ExternalRef)
		case "kind":
			return 1 << 1, d.istr(&c.Kind)
		case "relationship":
			return 1 << 2, d.optStr(&c.Relationship, true)
		case "lifecycleStage":
			return 1 << 3, d.optStr(&c.LifecycleStage, true)
		case "name":
			return 1 << 4, d.str(&c.Name)
		case "email":
			return 1 << 5, d.optStr(&c.Email, false)
		case "phone":
			return 1 << 6, d.optStr(&c.Phone, false)
		case "birthDate":
			return 1 << 7, d.optStr(&c.BirthDate, false)
		case "gender":
			return 1 << 8, d.optStr(&c.Gender, true)
		case "incomeBand":
			return 1 << 9, d.optStr(&c.IncomeBand, true)
		case "country":
			return 1 << 10, d.optStr(&c.Country, true)
		case "region":
			return 1 << 11, d.optStr(&c.Region, true)
		case "city":
			return 1 << 12, d.optStr(&c.City, true)
		case "createdAt":
			return 1 << 13, d.optTime(&c.CreatedAt)
		}
		return 0, false
	}) && d.end()
}

func (d *decoder) order(b []byte, o *ndjson.Order) bool {
	d.reset(b)
	return d.object(func(name []byte) (uint32, bool) {
		switch string(name) {
		case "externalRef":
			return 1 << 0, d.str(&o.ExternalRef)
		case "customerRef":
			return 1 << 1, d.str(&o.CustomerRef)
		case "status":
			return 1 << 2, d.istr(&o.Status)
		case "channel":
			return 1 << 3, d.istr(&o.Channel)
		case "currency":
			return 1 << 4, d.istr(&o.Currency)
		case "placedAt":
			return 1 << 5, d.time(&o.PlacedAt)
		case "items":
			return 1 << 6, d.items(&o.Items)
		}
		return 0, false
	}) && d.end()
}

func (d *decoder) items(dst *[]ndjson.Item) bool {
	if !d.tok('[') {
		return false
	}
	*dst = make([]ndjson.Item, 0, 4)
	if d.tok(']') {
		return true
	}
	for {
		*dst = append(*dst, ndjson.Item{})
		it := &(*dst)[len(*dst)-1]
		ok := d.object(func(name []byte) (uint32, bool) {
			switch string(name) {
			case "sku":
				return 1 << 0, d.istr(&it.SKU)
			case "name":
				return 1 << 1, d.istr(&it.Name)
			case "category":
				return 1 << 2, d.optStr(&it.Category, true)
			case "quantity":
				return 1 << 3, d.int(&it.Quantity)
			case "unitPrice":
				return 1 << 4, d.decimal(&it.UnitPrice)
			}
			return 0, false
		})
		if !ok {
			return false
		}
		if d.tok(',') {
			continue
		}
		return d.tok(']')
	}
}

func (d *decoder) feedback(b []byte, f *ndjson.Feedback) bool {
	d.reset(b)
	return d.object(func(name []byte) (uint32, bool) {
		switch string(name) {
		case "externalRef":
			return 1 << 0, d.str(&f.ExternalRef)
		case "customerRef":
			return 1 << 1, d.str(&f.CustomerRef)
		case "orderRef":
			return 1 << 2, d.optStr(&f.OrderRef, false)
		case "kind":
			return 1 << 3, d.istr(&f.Kind)
		case "channel":
			return 1 << 4, d.istr(&f.Channel)
		case "score":
			return 1 << 5, d.optInt(&f.Score)
		case "comment":
			return 1 << 6, d.optStr(&f.Comment, false)
		case "language":
			return 1 << 7, d.optStr(&f.Language, true)
		case "submittedAt":
			return 1 << 8, d.time(&f.SubmittedAt)
		}
		return 0, false
	}) && d.end()
}

// decode decodes one line into a record of type T: fast when it can, by the
// reference decoder otherwise (see the top of this file).
func decode[T any](d *decoder, data []byte, file string, line int) (T, error) {
	var rec T
	ok := false
	switch r := any(&rec).(type) {
	case *ndjson.Customer:
		ok = d.customer(data, r)
	case *ndjson.Order:
		ok = d.order(data, r)
	case *ndjson.Feedback:
		ok = d.feedback(data, r)
	}
	if ok {
		return rec, nil
	}
	return decodeSlow[T](data, file, line)
}

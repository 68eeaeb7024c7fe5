package server

import (
	"bytes"
	"encoding/json"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// responses covers every part a response may have or lack, and data with
// the characters json.Marshal escapes.
var responses = []*graphql.Response{
	{Data: json.RawMessage(`{"customer":{"name":"Aino","email":null,"n":[1,2.5,-3e2],"ok":true}}`)},
	{Data: json.RawMessage(`{"c":"<script>&amp;</script> \u2028 line\u2029sep é 😀 \"q\" \\"}`)},
	{Data: json.RawMessage("{\"c\":\"raw \xe2\x80\xa8 and \xe2\x80\xa9 and \xe2\x82\xac\"}")},
	{Data: json.RawMessage(`null`), Errors: gqlerror.List{{Message: "a <b> & c", Path: ast.Path{ast.PathName("customer"), ast.PathIndex(0)},
		Extensions: map[string]any{"code": "FORBIDDEN", "field": "email"}}}},
	{Errors: gqlerror.List{{Message: "bad", Extensions: map[string]any{"code": "BAD_REQUEST"}}}},
	{Data: json.RawMessage(`{"a":1}`), Extensions: map[string]any{"cost": 12, "z": "<"}},
	{Errors: gqlerror.List{{Message: "x"}}, Extensions: map[string]any{"k": []int{1}}},
	{},
}

// The response body is byte for byte what json.Marshal wrote before.
func TestResponsesAreWrittenAsJSONMarshalWritesThem(t *testing.T) {
	for _, r := range responses {
		want, err := json.Marshal(response{Errors: r.Errors, Data: r.Data, Extensions: r.Extensions})
		if err != nil {
			t.Fatal(err)
		}
		rec := httptest.NewRecorder()
		writeResponse(rec, 200, r)
		if got := rec.Body.Bytes(); !bytes.Equal(got, want) {
			t.Errorf("wrote\n%s\nwant\n%s", got, want)
		}
	}
	// Data that is not JSON is an internal error, as json.Marshal made it.
	rec := httptest.NewRecorder()
	writeResponse(rec, 200, &graphql.Response{Data: json.RawMessage(`{"a":`)})
	if rec.Code != 500 || !strings.Contains(rec.Body.String(), "INTERNAL_SERVER_ERROR") {
		t.Fatalf("broken data: %d %s", rec.Code, rec.Body)
	}
}

// bigData is a page of 100 customers' worth of data (about 600 KB).
func bigData() json.RawMessage {
	var b strings.Builder
	b.WriteString(`{"customers":{"edges":[`)
	for i := range 2000 {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(`{"node":{"id":"T3JkZXI6MTIzNDU=","name":"Asiakas Virtanen","placedAt":"2025-01-01T00:00:00Z","total":"123.45","items":[{"sku":"SKU-1","quantity":2},{"sku":"SKU-2","quantity":1}]}}`)
	}
	b.WriteString(`]}}`)
	return json.RawMessage(b.String())
}

func BenchmarkWriteResponse(b *testing.B) {
	r := &graphql.Response{Data: bigData()}
	b.Run("json.Marshal", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			out, _ := json.Marshal(response{Errors: r.Errors, Data: r.Data, Extensions: r.Extensions})
			_ = out
		}
	})
	b.Run("writeResponse", func(b *testing.B) {
		b.ReportAllocs()
		w := httptest.NewRecorder()
		for b.Loop() {
			w.Body.Reset()
			writeResponse(w, 200, r)
		}
	})
}

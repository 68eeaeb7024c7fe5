package server_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"testing"
	"time"

	"entgo.io/ent/dialect"
)

// nestedQuery is the customer 360 BI pull of the issue: 100 customers with
// their personas, latest orders with items, and latest feedback.
const nestedQuery = `{ customers(first: 100, orderBy: {field: NAME, direction: ASC}) { totalCount edges { node {
	id name email country personas { name }
	orders(first: 10, orderBy: {field: PLACED_AT, direction: DESC}) { totalCount edges { node { total status placedAt items { sku quantity unitPrice lineTotal } } } }
	feedbacks(first: 10, orderBy: {field: SUBMITTED_AT, direction: DESC}) { totalCount edges { node { kind score comment } } } } } } }`

// BenchmarkNestedQuery100 times one nested 100-customer query over loopback
// HTTP, on SQLite and on PostgreSQL; statements/op is the SQL sent per query.
func BenchmarkNestedQuery100(b *testing.B) {
	for _, d := range []string{dialect.SQLite, dialect.Postgres} {
		b.Run(d, func(b *testing.B) {
			a := newAPI(b, d)
			a.ok(`mutation { createPersona(input: {name: "Finns", criteria: {countries: ["FI"]}}) { id } }`, nil, nil)
			for i := range 100 {
				id := a.customer(map[string]any{"kind": "INDIVIDUAL", "name": fmt.Sprintf("Asiakas %03d", i), "country": "FI",
					"email": fmt.Sprintf("asiakas%03d@example.fi", i)})
				for j := range 3 {
					oid := a.order(id, time.Date(2024, 1, 1+j, 0, 0, 0, 0, time.UTC), "FULFILLED", "19.90", "5.00")
					a.feedback(map[string]any{"customerID": id, "orderID": oid, "kind": "NPS", "channel": "EMAIL", "score": 9, "comment": "Kiitos!"})
				}
			}
			body, _ := json.Marshal(map[string]any{"query": nestedQuery})
			a.counter.Reset()
			b.ResetTimer()
			for b.Loop() {
				resp, err := http.Post(a.url+"/graphql", "application/json", bytes.NewReader(body))
				if err != nil {
					b.Fatal(err)
				}
				raw, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if resp.StatusCode != 200 || bytes.Contains(raw, []byte(`"errors"`)) {
					b.Fatalf("query failed: %s", raw)
				}
			}
			b.ReportMetric(float64(a.counter.Count())/float64(b.N), "statements/op")
		})
	}
}

package server_test

import (
	"context"
	"encoding/json"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/parser"

	"github.com/c360/c360/internal/graphiql"
)

// readmeExample is one ```graphql block of the README with the ```json block
// right after it ("" when there is none).
type readmeExample struct {
	name, query, variables string
	subscription           bool // run over Server-Sent Events, as GraphiQL does
}

var fence = regexp.MustCompile("(?s)```graphql\n(.*?)```\n(?:\\s*```json\n(.*?)```\n)?")

func readmeExamples(t *testing.T) []readmeExample {
	t.Helper()
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	var out []readmeExample
	for _, m := range fence.FindAllStringSubmatch(string(b), -1) {
		out = append(out, readmeExample{query: m[1], variables: m[2]})
	}
	if n := strings.Count(string(b), "```graphql"); n != len(out) {
		t.Fatalf("README has %d graphql blocks, parsed %d", n, len(out))
	}
	return out
}

// TestREADMEExamplesRunAsWritten runs every GraphQL block of the README with
// its variables against the demo data, and checks that they are GraphiQL's
// example tabs, text for text.
func TestREADMEExamplesRunAsWritten(t *testing.T) {
	examples := readmeExamples(t)
	tabs, err := graphiql.Examples()
	if err != nil {
		t.Fatal(err)
	}
	if len(examples) != len(tabs) {
		t.Fatalf("README has %d examples, GraphiQL %d tabs", len(examples), len(tabs))
	}
	for i := range examples {
		e := &examples[i]
		if e.query != tabs[i].Query || e.variables != tabs[i].Variables {
			t.Errorf("README example %d differs from internal/graphiql/examples/%s.{graphql,json}:\n%s%s\nvs\n%s%s",
				i+1, tabs[i].Name, e.query, e.variables, tabs[i].Query, tabs[i].Variables)
		}
		doc, err := parser.ParseQuery(&ast.Source{Input: e.query})
		if err != nil || len(doc.Operations) != 1 || doc.Operations[0].Name == "" || len(doc.Fragments) != 0 {
			t.Errorf("README example %d is not one named operation (%v):\n%s", i+1, err, e.query)
			continue
		}
		e.name = doc.Operations[0].Name
		e.subscription = doc.Operations[0].Operation == ast.Subscription
	}
	if t.Failed() {
		return
	}
	dialects(t, func(t *testing.T, a *api) {
		if _, err := a.app.LoadDemo(context.Background(), 300); err != nil {
			t.Fatal(err)
		}
		for _, e := range examples {
			var vars map[string]any
			if e.variables != "" {
				if err := json.Unmarshal([]byte(e.variables), &vars); err != nil {
					t.Fatalf("variables are not JSON: %v\n%s", err, e.variables)
				}
			}
			var r result
			if e.subscription {
				r = firstMessage(t, a, e.query, vars)
			} else {
				r = a.do(e.query, vars)
			}
			if len(r.Errors) > 0 || r.status != 200 {
				t.Errorf("%s answered (%d) %s", e.name, r.status, r.raw)
				continue
			}
			var data map[string]any
			if err := json.Unmarshal(r.Data, &data); err != nil || len(data) == 0 {
				t.Errorf("%s answered no data: %s", e.name, r.raw)
				continue
			}
			// Each root field has something: a customer, an id, a non-empty
			// page or list.
			for field, v := range data {
				if list, ok := v.([]any); ok {
					if len(list) == 0 {
						t.Errorf("%s: %s is empty: %s", e.name, field, r.raw)
					}
					continue
				}
				obj, _ := v.(map[string]any)
				if obj == nil {
					t.Errorf("%s: %s is %v", e.name, field, v)
					continue
				}
				if edges, ok := obj["edges"].([]any); ok && len(edges) == 0 {
					t.Errorf("%s: %s has no edges: %s", e.name, field, r.raw)
				}
				if orders, ok := obj["orders"].(map[string]any); ok && orders["totalCount"] == float64(0) {
					t.Errorf("%s: %s has no orders: %s", e.name, field, r.raw)
				}
				if id, ok := obj["id"]; ok && id == "" {
					t.Errorf("%s: %s has an empty id", e.name, field)
				}
			}
		}
	})
}

// firstMessage subscribes over Server-Sent Events and returns the first
// message, as GraphiQL shows it.
func firstMessage(t *testing.T, a *api, query string, vars map[string]any) result {
	t.Helper()
	messages, cancel := sseMessages(t, a.url, "", query, vars)
	defer cancel()
	select {
	case m, ok := <-messages:
		var r result
		if !ok || json.Unmarshal([]byte(m.data), &r) != nil {
			t.Fatalf("subscription ended or sent %q", m.data)
		}
		r.status, r.raw = 200, m.data
		return r
	case <-time.After(10 * time.Second):
		t.Fatal("no event within 10 s")
	}
	return result{}
}

package loadtest_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"testing"
	"time"

	"github.com/c360/c360/internal/loadtest"
	"github.com/c360/c360/internal/seed"
	"github.com/c360/c360/internal/testservices"
)

// The floor statements of the benchmark return c360's response data, value
// for value, on both databases: for every customer of a small seeded data
// set, customers on the edges of the personas' age bounds today (Q1), and
// the first BI page (Q2).
func TestFloorStatementsReturnC360sData(t *testing.T) {
	const customers = 300
	dataDir := t.TempDir()
	if _, err := seed.WriteDir(dataDir, seed.Config{Customers: customers, Seed: 7, Now: time.Now().UTC().Truncate(time.Second)}); err != nil {
		t.Fatal(err)
	}
	for _, d := range []string{"sqlite", "postgres"} {
		t.Run(d, func(t *testing.T) {
			url := "file:" + filepath.Join(t.TempDir(), "floor.db")
			if d == "postgres" {
				url = testservices.PostgreSQL(t)
			}
			env, err := loadtest.Setup(context.Background(), url, dataDir, customers)
			if err != nil {
				t.Fatal(err)
			}
			defer env.Close()
			var refs []string
			for i := range customers {
				refs = append(refs, fmt.Sprintf("C-%07d", i+1))
			}
			refs = append(refs, ageEdgeCustomers(t, env.URL)...)
			if err := env.CheckFloor(context.Background(), refs); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// ageEdgeCustomers creates, through the API, individuals in Italy with a
// middle income (the seed's personas select on those) who turned or turn
// 18, 25, 30, 35, 50 and 65 yesterday, today and tomorrow, and one born on
// February 29th, and returns their externalRefs.
func ageEdgeCustomers(t *testing.T, url string) []string {
	today := time.Now().UTC().Truncate(24 * time.Hour)
	var births []string
	for _, age := range []int{18, 25, 30, 35, 50, 65} {
		for _, days := range []int{-1, 0, 1} {
			births = append(births, today.AddDate(-age, 0, days).Format("2006-01-02"))
		}
	}
	births = append(births, "2000-02-29")
	var refs []string
	for i, b := range births {
		ref := fmt.Sprintf("EDGE-%02d", i)
		body, _ := json.Marshal(map[string]any{
			"query": `mutation($in: CreateCustomerInput!) { createCustomer(input: $in) { id } }`,
			"variables": map[string]any{"in": map[string]any{"externalRef": ref, "name": "Edge " + b, "kind": "INDIVIDUAL",
				"birthDate": b, "country": "IT", "incomeBand": "MIDDLE", "gender": "FEMALE"}},
		})
		resp, err := http.Post(url+"/graphql", "application/json", bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		raw, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || bytes.Contains(raw, []byte(`"errors"`)) {
			t.Fatalf("createCustomer %s: HTTP %d %s", b, resp.StatusCode, raw)
		}
		refs = append(refs, ref)
	}
	return refs
}

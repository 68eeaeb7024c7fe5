package server_test

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"entgo.io/ent/dialect"

	"github.com/c360/c360/internal/config"
)

func hashOf(q string) string {
	s := sha256.Sum256([]byte(q))
	return hex.EncodeToString(s[:])
}

func persistedQuery(hash string) map[string]any {
	return map[string]any{"persistedQuery": map[string]any{"version": 1, "sha256Hash": hash}}
}

func (a *api) doExt(query string, ext map[string]any) result {
	a.t.Helper()
	body := map[string]any{"extensions": ext}
	if query != "" {
		body["query"] = query
	}
	b, _ := json.Marshal(body)
	resp, r := send(a.t.(*testing.T), "POST", a.url+"/graphql", "application/json", "", string(b))
	var out result
	if err := json.Unmarshal([]byte(r), &out); err != nil {
		a.t.Fatalf("not JSON: %s", r)
	}
	out.status, out.raw = resp.StatusCode, r
	return out
}

func TestAutomaticPersistedQueries(t *testing.T) {
	a := newAPI(t, dialect.SQLite)
	const q = `{ customers(first: 1) { totalCount } }`
	r := a.doExt("", persistedQuery(hashOf(q)))
	if len(r.Errors) != 1 || r.Errors[0].Extensions["code"] != "PERSISTED_QUERY_NOT_FOUND" {
		t.Fatalf("unknown hash: %s", r.raw)
	}
	if r := a.doExt(q, persistedQuery(hashOf(q))); len(r.Errors) > 0 {
		t.Fatalf("registering: %s", r.raw)
	}
	if r := a.doExt("", persistedQuery(hashOf(q))); len(r.Errors) > 0 || !contains(r.raw, `"totalCount":0`) {
		t.Fatalf("by hash after registering: %s", r.raw)
	}
	if r := a.doExt(q, persistedQuery(hashOf("something else"))); len(r.Errors) == 0 {
		t.Fatalf("a wrong hash was accepted: %s", r.raw)
	}
}

func TestPersistedOnly(t *testing.T) {
	const allowed = `query Count { customers(first: 1) { totalCount } }`
	file := filepath.Join(t.TempDir(), "ops.json")
	b, _ := json.Marshal(map[string]string{hashOf(allowed): allowed})
	if err := os.WriteFile(file, b, 0o600); err != nil {
		t.Fatal(err)
	}
	a := newAPIWith(t, dialect.SQLite, func(c *config.Config) {
		c.PersistedOperationsFile, c.PersistedOnly = file, true
	})
	if r := a.doExt("", persistedQuery(hashOf(allowed))); len(r.Errors) > 0 {
		t.Fatalf("allowlisted hash refused: %s", r.raw)
	}
	if r := a.do(allowed, nil); len(r.Errors) > 0 {
		t.Fatalf("allowlisted text refused: %s", r.raw)
	}
	before := a.counts()
	for _, q := range []string{`{ customers(first: 2) { totalCount } }`, `mutation { createCustomer(input: {kind: BUSINESS, name: "X"}) { id } }`} {
		if r := a.do(q, nil); len(r.Errors) != 1 || r.Errors[0].Extensions["code"] != "FORBIDDEN" {
			t.Fatalf("operation outside the allowlist ran: %s", r.raw)
		}
		if r := a.doExt(q, persistedQuery(hashOf(q))); len(r.Errors) != 1 || r.Errors[0].Extensions["code"] != "FORBIDDEN" {
			t.Fatalf("APQ registration bypassed the allowlist: %s", r.raw)
		}
	}
	if a.counts() != before {
		t.Fatal("a refused operation wrote")
	}
}

package server_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"entgo.io/ent/dialect"
	"github.com/golang-jwt/jwt/v5"

	"github.com/c360/c360/internal/config"
	"github.com/c360/c360/internal/hostileinput"
)

func nested(depth int) string {
	var b strings.Builder
	b.WriteString("{ customers(first: 1) { edges { node { ")
	for range depth {
		b.WriteString("orders(first: 1) { edges { node { customer { ")
	}
	b.WriteString("name")
	for range depth {
		b.WriteString(" } } } }")
	}
	b.WriteString(" } } } }")
	return b.String()
}

func repeated(n int, s string) string { return strings.Repeat(s, n) }

func body(query string, vars map[string]any) string {
	b, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	return string(b)
}

// Every hostile request is refused quickly with a small error body and
// bounded memory, and the server is healthy afterwards, on SQLite and on
// PostgreSQL.
func TestHostileRequests(t *testing.T) {
	for _, d := range []string{dialect.SQLite, dialect.Postgres} {
		t.Run(d, func(t *testing.T) { hostileRequests(t, d) })
	}
}

func hostileRequests(t *testing.T, d string) {
	const secret = "hostile-test-jwt-secret-0123456789abcdef"
	a := newAPIWith(t, d, securedConfig(func(c *config.Config) { c.Auth.JWTHS256Secret = secret }))
	a.as(adminKey, `mutation { createCustomer(input: {kind: INDIVIDUAL, name: "Aino", email: "aino@example.fi"}) { id } }`, nil)
	var persona struct{ CreatePersona struct{ ID string } }
	if err := json.Unmarshal(a.as(adminKey, `mutation { createPersona(input: {name: "Everyone"}) { id } }`, nil).Data, &persona); err != nil || persona.CreatePersona.ID == "" {
		t.Fatalf("creating a persona: %v", err)
	}
	var scores strings.Builder
	for i := range 30 {
		fmt.Fprintf(&scores, "s%d: scores(since: \"2024-01-%02dT00:00:00Z\") { orderCount revenue } ", i, i+1)
	}
	ors := make([]any, 4999)
	for i := range ors {
		ors[i] = map[string]any{"name": fmt.Sprint("n", i)}
	}
	const filtered = `query($w: CustomerWhereInput) { customers(first: 1, where: $w) { totalCount } }`
	expired, _ := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{"sub": "bob", "role": "admin", "exp": time.Now().Add(-time.Hour).Unix()}).SignedString([]byte(secret))
	ids := make([]string, 100000)
	for i := range ids {
		ids[i] = fmt.Sprint(i + 1)
	}
	deepList := strings.Repeat("[", 500000) + strings.Repeat("]", 500000)
	batch := "[" + strings.TrimSuffix(strings.Repeat(`{"query":"{ __typename }"},`, 500), ",") + "]"
	big := "# " + strings.Repeat("x", 1900000) + "\n{ __typename }"
	bigHash := sha256.Sum256([]byte(big))
	bigAPQ, _ := json.Marshal(map[string]any{"query": big, "extensions": map[string]any{
		"persistedQuery": map[string]any{"version": 1, "sha256Hash": hex.EncodeToString(bigHash[:])}}})
	gql := a.url + "/graphql"
	cases := []struct {
		name, method, target, ct, key, body string
		status                              int
		code                                string
	}{
		{"depth bomb", "POST", gql, "application/json", adminKey, body(nested(30), nil), 200, "QUERY_TOO_COMPLEX"},
		{"alias bomb", "POST", gql, "application/json", adminKey, body("{ "+func() string {
			var b strings.Builder
			for i := range 500 {
				fmt.Fprintf(&b, "a%d: __typename ", i)
			}
			return b.String()
		}()+"}", nil), 200, "QUERY_TOO_COMPLEX"},
		{"cost bomb", "POST", gql, "application/json", adminKey, body(`{ customers(first: 1000) { edges { node { orders(first: 1000) { edges { node { items { sku } } } } } } } }`, nil), 200, "QUERY_TOO_COMPLEX"},
		{"fragment cycle", "POST", gql, "application/json", adminKey, body(`{ customers(first: 1) { edges { node { ...A } } } } fragment A on Customer { name ...B } fragment B on Customer { email ...A }`, nil), 200, ""},
		{"circular introspection", "POST", gql, "application/json", adminKey, body("{ __schema { types { "+repeated(12, "fields { type { ")+"name"+repeated(12, " } }")+" } } }", nil), 200, "QUERY_TOO_COMPLEX"},
		{"50,000 directives", "POST", gql, "application/json", adminKey, body("{ __typename "+repeated(50000, "@include(if: true) ")+"}", nil), 200, "QUERY_TOO_COMPLEX"},
		{"8,000 duplicated fields", "POST", gql, "application/json", adminKey, body("{ customers(first: 1) { edges { node { "+repeated(8000, "name ")+"} } } }", nil), 200, "QUERY_TOO_COMPLEX"},
		{"1 MB nested list in variables", "POST", gql, "application/json", adminKey, `{"query":"query($x: [ID!]!) { nodes(ids: $x) { id } }","variables":{"x":` + deepList + `}}`, 400, "BAD_REQUEST"},
		{"100,000 ids in variables", "POST", gql, "application/json", adminKey, body(`query($x: [ID!]!) { nodes(ids: $x) { id } }`, map[string]any{"x": ids}), 400, "BAD_REQUEST"},
		{"2,000 ids in variables", "POST", gql, "application/json", adminKey, body(`query($x: [ID!]!) { nodes(ids: $x) { id } }`, map[string]any{"x": ids[:2000]}), 200, "BAD_USER_INPUT"},
		{"3 MB body", "POST", gql, "application/json", adminKey, `{"query":"{ __typename }","variables":{"pad":"` + strings.Repeat("x", 3<<20) + `"}}`, 413, "BAD_REQUEST"},
		{"batch of 500 operations", "POST", gql, "application/json", adminKey, batch, 400, "BAD_REQUEST"},
		{"malformed JSON", "POST", gql, "application/json", adminKey, `{"query": "{ customers { email } }", "secret": "4111-1111`, 400, "BAD_REQUEST"},
		{"wrong content type", "POST", gql, "text/plain", adminKey, body("{ __typename }", nil), 415, "BAD_REQUEST"},
		{"mutation over GET", "GET", gql + "?query=" + url.QueryEscape(`mutation { deletePersona(id: 1) }`), "", adminKey, "", 405, "BAD_REQUEST"},
		{"missing credentials", "POST", gql, "application/json", "", body("{ __typename }", nil), 401, "UNAUTHENTICATED"},
		{"wrong credentials", "POST", gql, "application/json", "c360_wrong", body("{ __typename }", nil), 401, "UNAUTHENTICATED"},
		{"expired JWT", "POST", gql, "application/json", expired, body("{ __typename }", nil), 401, "UNAUTHENTICATED"},
		{"ent constraint error", "POST", gql, "application/json", adminKey, body(`mutation { createCustomer(input: {kind: INDIVIDUAL, name: "Dup", email: "AINO@example.fi"}) { id } }`, nil), 200, "BAD_USER_INPUT"},
		// Issue 8, items 2, 3, 4 and 6.
		{"1.9 MB persisted query registration", "POST", gql, "application/json", viewerKey, string(bigAPQ), 200, "BAD_USER_INPUT"},
		{"6 has…With levels as viewer", "POST", gql, "application/json", viewerKey, body(`{ customers(first: 10, where: `+hostileinput.HasWith(6)+`) { edges { node { name } } } }`, nil), 200, "QUERY_TOO_COMPLEX"},
		{"40 has…With levels", "POST", gql, "application/json", viewerKey, body(`{ customers(first: 1, where: `+hostileinput.HasWith(40)+`) { totalCount } }`, nil), 200, "QUERY_TOO_COMPLEX"},
		{"not 9,990 deep in variables", "POST", gql, "application/json", viewerKey, body(filtered, map[string]any{"w": hostileinput.NestNot(9990)}), 200, "BAD_USER_INPUT"},
		{"not 900 deep literal", "POST", gql, "application/json", viewerKey, body(`{ customers(first: 1, where: `+strings.Repeat("{not: ", 900)+`{name: "x"}`+strings.Repeat("}", 900)+`) { totalCount } }`, nil), 200, "QUERY_TOO_COMPLEX"},
		{"4,999 or terms in variables", "POST", gql, "application/json", viewerKey, body(filtered, map[string]any{"w": map[string]any{"or": ors}}), 200, "BAD_USER_INPUT"},
		{"999 or terms literal", "POST", gql, "application/json", viewerKey, body(`{ customers(first: 1, where: {or: [`+strings.Repeat(`{name: "x"} `, 999)+`]}) { totalCount } }`, nil), 200, "QUERY_TOO_COMPLEX"},
		{"30 aliases of Persona.scores", "POST", gql, "application/json", viewerKey, body(`query($p: ID!) { node(id: $p) { ... on Persona { `+scores.String()+` } } }`, map[string]any{"p": persona.CreatePersona.ID}), 200, "QUERY_TOO_COMPLEX"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			req, _ := http.NewRequest(c.method, c.target, strings.NewReader(c.body))
			if c.ct != "" {
				req.Header.Set("Content-Type", c.ct)
			}
			if c.key != "" {
				req.Header.Set("Authorization", "Bearer "+c.key)
			}
			start, cpu := time.Now(), cpuTime()
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			raw, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			took, used := time.Since(start), cpuTime()-cpu
			runtime.ReadMemStats(&after)
			if resp.StatusCode != c.status {
				t.Fatalf("status %d, want %d: %.300s", resp.StatusCode, c.status, raw)
			}
			var r result
			if err := json.Unmarshal(raw, &r); err != nil || len(r.Errors) == 0 {
				t.Fatalf("no GraphQL error body: %.300s", raw)
			}
			if c.code != "" && r.Errors[0].Extensions["code"] != c.code {
				t.Fatalf("code %v, want %s: %.300s", r.Errors[0].Extensions["code"], c.code, raw)
			}
			if len(raw) > 4096 {
				t.Fatalf("error body of %d bytes", len(raw))
			}
			for _, leak := range []string{"4111", "SELECT", "INSERT", "sqlite", "UNIQUE", ".go:"} {
				if bytes.Contains(raw, []byte(leak)) {
					t.Fatalf("error body leaks %q: %s", leak, raw)
				}
			}
			// Server time as CPU time of this process (server and the thin
			// client), which a busy machine does not inflate as it does wall
			// time; reading a large body over loopback is allowed beside it.
			if limit := 50*time.Millisecond + time.Duration(len(c.body)/(1<<20))*20*time.Millisecond; used > limit {
				t.Errorf("used %v of CPU (limit %v)", used, limit)
			}
			if took > 5*time.Second {
				t.Errorf("took %v", took)
			}
			if grown := int64(after.HeapAlloc) - int64(before.HeapAlloc); grown > 64<<20 {
				t.Errorf("heap grew by %d MB", grown>>20)
			}
			// What stays on the heap misses the peak: bound what the request
			// allocated (server and client; bodies count once or twice).
			allocated := after.TotalAlloc - before.TotalAlloc
			if limit := uint64(64<<20 + 4*len(c.body)); allocated > limit {
				t.Errorf("allocated %d MB (limit %d MB)", allocated>>20, limit>>20)
			}
			t.Logf("%-36s %3d %-18v %6d bytes, %v CPU, %v wall, %.1f MB allocated", c.name, resp.StatusCode, r.Errors[0].Extensions["code"], len(raw),
				used.Round(10*time.Microsecond), took.Round(10*time.Microsecond), float64(allocated)/(1<<20))
		})
	}
	// Healthy after all that.
	if r := a.as(adminKey, `{ customers(first: 5) { totalCount } }`, nil); len(r.Errors) > 0 || !contains(r.raw, `"totalCount":1`) {
		t.Fatalf("server unhealthy after hostile requests: %s", r.raw)
	}
	resp, _ := send(t, "GET", a.url+"/healthz", "", "", "")
	if resp.StatusCode != 200 {
		t.Fatalf("healthz %d", resp.StatusCode)
	}
}

// cpuTime is the user and system CPU time of this process so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

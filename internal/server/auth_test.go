package server_test

import (
	"encoding/json"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"entgo.io/ent/dialect"

	"github.com/c360/c360/internal/auth"
	"github.com/c360/c360/internal/config"
)

const (
	adminKey   = "c360_admin-key-for-tests-0123456789"
	analystKey = "c360_analyst-key-for-tests-0123456789"
	viewerKey  = "c360_viewer-key-for-tests-0123456789"
)

func newSecuredAPI(t *testing.T, edit func(*config.Config)) *api {
	return newAPIWith(t, dialect.SQLite, securedConfig(edit))
}

// securedConfig sets the test credentials, then applies edit (nil: none).
func securedConfig(edit func(*config.Config)) func(*config.Config) {
	return func(c *config.Config) {
		c.Auth.APIKeys = "admin:" + auth.HashKey(adminKey) + ",analyst:" + auth.HashKey(analystKey) + ",viewer:" + auth.HashKey(viewerKey)
		c.Auth.PseudonymKey = "test-pseudonym-key-0123456789abcdef0123456789"
		if edit != nil {
			edit(c)
		}
	}
}

func TestAuthenticationAndRoles(t *testing.T) {
	a := newSecuredAPI(t, nil)
	create := a.as(adminKey, `mutation { a: createCustomer(input: {kind: INDIVIDUAL, name: "Aino Virtanen", email: "aino@example.fi",
		phone: "+358401234567", birthDate: "1990-05-17", city: "Helsinki", country: "FI"}) { id }
		b: createCustomer(input: {kind: INDIVIDUAL, name: "Mario Rossi", email: "mario@example.it", country: "IT"}) { id } }`, nil)
	if len(create.Errors) > 0 {
		t.Fatalf("admin cannot write: %s", create.raw)
	}
	var ids struct{ A, B struct{ ID string } }
	_ = json.Unmarshal(create.Data, &ids)
	a.as(adminKey, `mutation($c: ID!) { createFeedback(input: {customerID: $c, kind: SOCIAL, channel: SOCIAL_MEDIA, comment: "Loistava palvelu, soita 040 123"}) { id } }`,
		map[string]any{"c": ids.A.ID})

	// Credentials.
	for name, key := range map[string]string{"missing": "", "wrong": "c360_not-a-real-key", "malformed jwt": "a.b.c"} {
		r := a.as(key, `{ customers(first: 1) { totalCount } }`, nil)
		if r.status != http.StatusUnauthorized || len(r.Errors) != 1 || r.Errors[0].Extensions["code"] != "UNAUTHENTICATED" || r.Data != nil {
			t.Fatalf("%s credentials: %d %s", name, r.status, r.raw)
		}
		if key != "" && strings.Contains(r.raw, key) {
			t.Fatalf("the credential is echoed: %s", r.raw)
		}
	}

	const q = `query($id: ID!) { customer(id: $id) { name email phone birthDate city country feedbacks(first: 5) { edges { node { comment kind } } } } }`
	type view struct {
		Customer struct {
			Name, Country                 string
			Email, Phone, BirthDate, City *string
			Feedbacks                     struct {
				Edges []struct{ Node struct{ Comment *string } }
			}
		}
	}
	// Admin sees everything.
	var adm view
	r := a.as(adminKey, q, map[string]any{"id": ids.A.ID})
	_ = json.Unmarshal(r.Data, &adm)
	if len(r.Errors) > 0 || *adm.Customer.Email != "aino@example.fi" || *adm.Customer.BirthDate != "1990-05-17" ||
		*adm.Customer.Feedbacks.Edges[0].Node.Comment != "Loistava palvelu, soita 040 123" {
		t.Fatalf("admin view: %s", r.raw)
	}
	// Analyst sees consistent pseudonyms.
	var an, an2 view
	r = a.as(analystKey, q, map[string]any{"id": ids.A.ID})
	_ = json.Unmarshal(r.Data, &an)
	if len(r.Errors) != 1 || r.Errors[0].Extensions["code"] != "FORBIDDEN" || !strings.Contains(r.raw, `"path":["customer","city"]`) {
		t.Fatalf("analyst read: want only city refused: %s", r.raw)
	}
	c := an.Customer
	if c.Name != "Aino Virtanen" || c.Country != "FI" || !regexp.MustCompile(`^u_[0-9a-f]{16}@pseudonym\.invalid$`).MatchString(*c.Email) ||
		!regexp.MustCompile(`^\+999[0-9]{11}$`).MatchString(*c.Phone) || *c.BirthDate != "1990-01-01" ||
		c.City != nil || strings.Contains(*c.Feedbacks.Edges[0].Node.Comment, "040") {
		t.Fatalf("analyst view is not masked: %s", r.raw)
	}
	r = a.as(analystKey, `query($id: ID!) { nodes(ids: [$id]) { ... on Customer { email } } customers(first: 10, orderBy: {field: NAME, direction: ASC}) { edges { node { email } } } }`,
		map[string]any{"id": ids.A.ID})
	var again struct {
		Nodes     []struct{ Email string }
		Customers struct {
			Edges []struct{ Node struct{ Email string } }
		}
	}
	_ = json.Unmarshal(r.Data, &again)
	if again.Nodes[0].Email != *c.Email || again.Customers.Edges[0].Node.Email != *c.Email || again.Customers.Edges[1].Node.Email == *c.Email {
		t.Fatalf("pseudonyms are not consistent per customer: %s", r.raw)
	}
	_ = an2
	// Viewer: personal fields refused one by one, the rest answers.
	r = a.as(viewerKey, q, map[string]any{"id": ids.A.ID})
	var vw view
	_ = json.Unmarshal(r.Data, &vw)
	if vw.Customer.Name != "Aino Virtanen" || vw.Customer.Country != "FI" || vw.Customer.Email != nil || vw.Customer.BirthDate != nil {
		t.Fatalf("viewer view: %s", r.raw)
	}
	forbiddenPaths := map[string]bool{}
	for _, e := range r.Errors {
		if e.Extensions["code"] != "FORBIDDEN" {
			t.Fatalf("viewer error is not FORBIDDEN: %s", r.raw)
		}
		p, _ := json.Marshal(e.Path)
		forbiddenPaths[string(p)] = true
	}
	for _, want := range []string{`["customer","email"]`, `["customer","phone"]`, `["customer","birthDate"]`, `["customer","city"]`, `["customer","feedbacks","edges",0,"node","comment"]`} {
		if !forbiddenPaths[want] {
			t.Errorf("no FORBIDDEN error at %s: %s", want, r.raw)
		}
	}
	// Writes and personal-data probes are refused to non-admins, and write nothing.
	before := a.counts()
	for _, key := range []string{analystKey, viewerKey} {
		for _, probe := range []struct{ doc, field string }{
			{`mutation { createCustomer(input: {kind: BUSINESS, name: "Sneaky Ltd"}) { id } }`, "createCustomer"},
			{`mutation($id: ID!) { deleteCustomer(id: $id) }`, "deleteCustomer"},
			{`{ customers(first: 5, where: {emailContainsFold: "aino"}) { totalCount } }`, "where.emailContainsFold"},
			{`{ customers(first: 5, orderBy: {field: BIRTH_DATE, direction: ASC}) { totalCount } }`, "orderBy.field"},
			{`{ customer(email: "aino@example.fi") { name } }`, "email"},
			{`{ customer(identity: {kind: PHONE, value: "+358401234567"}) { name } }`, "identity"},
			{`{ orders(first: 5, where: {hasCustomerWith: [{phoneHasPrefix: "+358"}]}) { totalCount } }`, "where.hasCustomerWith[0].phoneHasPrefix"},
			{`{ feedbacks(first: 5, where: {commentContains: "040"}) { totalCount } }`, "where.commentContains"},
		} {
			r := a.as(key, probe.doc, map[string]any{"id": ids.B.ID})
			if len(r.Errors) == 0 || r.Errors[0].Extensions["code"] != "FORBIDDEN" || r.Errors[0].Extensions["field"] != probe.field {
				t.Fatalf("%s: %s not refused with field %s: %s", key[:10], probe.doc, probe.field, r.raw)
			}
		}
	}
	if after := a.counts(); after != before {
		t.Fatalf("refused writes changed data: %s -> %s", before, after)
	}
	// Metrics: admins only.
	for key, want := range map[string]int{"": 401, viewerKey: 403, adminKey: 200} {
		req, _ := http.NewRequest("GET", a.url+"/metrics", nil)
		if key != "" {
			req.Header.Set("X-API-Key", key)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("metrics with %q: %d, want %d", key, resp.StatusCode, want)
		}
	}
}

// Analysts' pseudonyms are keyed by the field's coordinate: the server puts
// "Type.field" into the HMAC, so a value gives another pseudonym in another
// field, and the same one wherever it occurs in the same field.
func TestAnalystPseudonymsAreKeyedPerField(t *testing.T) {
	const pseudonymKey = "test-pseudonym-key-0123456789abcdef0123456789"
	a := newSecuredAPI(t, nil)
	r := a.as(adminKey, `mutation { a: createCustomer(input: {kind: INDIVIDUAL, name: "Aino Virtanen", email: "aino@example.fi"}) { id }
		b: createCustomer(input: {kind: INDIVIDUAL, name: "Mario Rossi", email: "mario@example.it"}) { id } }`, nil)
	var ids struct{ A, B struct{ ID string } }
	if err := json.Unmarshal(r.Data, &ids); err != nil || len(r.Errors) > 0 {
		t.Fatalf("create customers: %s", r.raw)
	}
	for _, c := range []string{ids.A.ID, ids.B.ID} {
		if r := a.as(adminKey, `mutation($c: ID!) { createFeedback(input: {customerID: $c, kind: SUPPORT, channel: EMAIL, comment: "aino@example.fi"}) { id } }`,
			map[string]any{"c": c}); len(r.Errors) > 0 {
			t.Fatalf("create feedback: %s", r.raw)
		}
	}
	r = a.as(analystKey, `query($a: ID!, $b: ID!) { a: customer(id: $a) { email feedbacks(first: 1) { edges { node { comment } } } }
		b: customer(id: $b) { feedbacks(first: 1) { edges { node { comment } } } } }`, map[string]any{"a": ids.A.ID, "b": ids.B.ID})
	type fbs struct {
		Edges []struct{ Node struct{ Comment string } }
	}
	var got struct {
		A struct {
			Email     string
			Feedbacks fbs
		}
		B struct{ Feedbacks fbs }
	}
	if err := json.Unmarshal(r.Data, &got); err != nil || len(r.Errors) > 0 || len(got.A.Feedbacks.Edges) != 1 || len(got.B.Feedbacks.Edges) != 1 {
		t.Fatalf("analyst read: %s", r.raw)
	}
	au, err := auth.New(auth.Config{PseudonymKey: pseudonymKey})
	if err != nil {
		t.Fatal(err)
	}
	if want := au.Mask(auth.KindEmail, "Customer.email", "aino@example.fi"); got.A.Email != want {
		t.Errorf("Customer.email pseudonym %q, want %q (keyed by the coordinate)", got.A.Email, want)
	}
	if want := au.Mask(auth.KindText, "Feedback.comment", "aino@example.fi"); got.A.Feedbacks.Edges[0].Node.Comment != want {
		t.Errorf("Feedback.comment pseudonym %q, want %q (keyed by the coordinate)", got.A.Feedbacks.Edges[0].Node.Comment, want)
	}
	if got.A.Feedbacks.Edges[0].Node.Comment != got.B.Feedbacks.Edges[0].Node.Comment {
		t.Errorf("one comment in two customers' feedback gives two pseudonyms: %s", r.raw)
	}
}

// City and region are refused to analysts like to viewers: with few distinct
// values, pseudonyms counted per country name the largest cities.
func TestAnalystIsRefusedLowCardinalityPersonalData(t *testing.T) {
	a := newSecuredAPI(t, nil)
	r := a.as(adminKey, `mutation { createCustomer(input: {kind: INDIVIDUAL, name: "Aino Virtanen", country: "FI", region: "Uusimaa", city: "Uusimaa"}) { id } }`, nil)
	var created struct{ CreateCustomer struct{ ID string } }
	if err := json.Unmarshal(r.Data, &created); err != nil || len(r.Errors) > 0 {
		t.Fatalf("create customer: %s", r.raw)
	}
	r = a.as(analystKey, `query($id: ID!) { customer(id: $id) { name country region city } }`, map[string]any{"id": created.CreateCustomer.ID})
	var got struct {
		Customer struct {
			Name, Country string
			Region, City  *string
		}
	}
	_ = json.Unmarshal(r.Data, &got)
	if got.Customer.Name != "Aino Virtanen" || got.Customer.Country != "FI" || got.Customer.Region != nil || got.Customer.City != nil {
		t.Fatalf("analyst view: %s", r.raw)
	}
	paths := map[string]bool{}
	for _, e := range r.Errors {
		p, _ := json.Marshal(e.Path)
		if e.Extensions["code"] != "FORBIDDEN" || !strings.Contains(e.Message, "analyst") {
			t.Errorf("error at %s: %s", p, e.Message)
		}
		paths[string(p)] = true
	}
	if len(r.Errors) != 2 || !paths[`["customer","region"]`] || !paths[`["customer","city"]`] {
		t.Fatalf("want FORBIDDEN at region and city: %s", r.raw)
	}
}

func TestRateLimit(t *testing.T) {
	a := newSecuredAPI(t, func(c *config.Config) { c.RateLimit, c.RateBurst = 1, 3 })
	refused := 0
	var retry string
	for range 6 {
		req, _ := http.NewRequest("POST", a.url+"/graphql", strings.NewReader(`{"query":"{ __typename }"}`))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-API-Key", viewerKey)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode == http.StatusTooManyRequests {
			refused++
			retry = resp.Header.Get("Retry-After")
			if !strings.Contains(string(body), "RATE_LIMITED") {
				t.Fatalf("429 body: %s", body)
			}
		}
	}
	if refused < 2 || retry == "" {
		t.Fatalf("expected the burst of 3 then refusals with Retry-After; refused %d, Retry-After %q", refused, retry)
	}
	// Another credential has its own budget.
	if r := a.as(adminKey, `{ __typename }`, nil); r.status != 200 {
		t.Fatalf("admin limited by the viewer's use: %d", r.status)
	}
	time.Sleep(1100 * time.Millisecond)
	if r := a.as(viewerKey, `{ __typename }`, nil); r.status != 200 {
		t.Fatalf("viewer not allowed again after a second: %d", r.status)
	}
}

func hashKey(k string) string { return auth.HashKey(k) }

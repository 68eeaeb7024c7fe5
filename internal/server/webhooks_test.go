package server_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"github.com/c360/c360/internal/config"
)

const testSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw" // 24 bytes, the Standard Webhooks test vector's

// receiver is a webhook endpoint: it verifies each delivery's signature
// and records it; fail decides, per delivery, to answer 500.
type receiver struct {
	t    testing.TB
	srv  *httptest.Server
	mu   sync.Mutex
	got  []received // verified and answered 2xx
	seen map[string]int
	fail func(msgID string, try int) bool
}

type received struct {
	MsgID, Type, EventID, CustomerID string
}

func newReceiver(t testing.TB, fail func(msgID string, try int) bool) *receiver {
	r := &receiver{t: t, seen: map[string]int{}, fail: fail}
	wh, err := standardwebhooks.NewWebhook(testSecret)
	if err != nil {
		t.Fatal(err)
	}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		if err := wh.Verify(body, req.Header); err != nil {
			t.Errorf("delivery with a bad signature: %v", err)
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		var p struct {
			Type string
			Data struct {
				EventID    string
				CustomerID *string
			}
		}
		if err := json.Unmarshal(body, &p); err != nil {
			t.Errorf("delivery body %s: %v", body, err)
		}
		id := req.Header.Get("webhook-id")
		r.mu.Lock()
		defer r.mu.Unlock()
		r.seen[id]++
		if r.fail != nil && r.fail(id, r.seen[id]) {
			w.WriteHeader(http.StatusInternalServerError)
			return
		}
		c := ""
		if p.Data.CustomerID != nil {
			c = *p.Data.CustomerID
		}
		r.got = append(r.got, received{MsgID: id, Type: p.Type, EventID: p.Data.EventID, CustomerID: c})
	}))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *receiver) received() []received {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.got)
}

// waitFor waits until the receiver has n deliveries (distinct messages).
func (r *receiver) waitFor(n int, within time.Duration) []received {
	r.t.Helper()
	got, ok := r.waitUpTo(n, within)
	if !ok {
		r.t.Fatalf("the receiver got %d messages within %s, want %d", len(got), within, n)
	}
	return got
}

// waitUpTo waits until the receiver has n deliveries (distinct messages)
// or within has passed, and tells which.
func (r *receiver) waitUpTo(n int, within time.Duration) ([]received, bool) {
	deadline := time.Now().Add(within)
	for {
		got := r.received()
		ids := map[string]bool{}
		for _, g := range got {
			ids[g.MsgID] = true
		}
		if len(ids) >= n {
			return got, true
		}
		if time.Now().After(deadline) {
			return got, false
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// fastWebhooks lets webhooks reach loopback and retry within milliseconds.
func fastWebhooks(c *config.Config) {
	c.Webhooks.AllowPrivateNetworks = true
	c.Webhooks.RetryBase, c.Webhooks.RetryMax = 10*time.Millisecond, 40*time.Millisecond
	c.Webhooks.PollInterval = 20 * time.Millisecond
	c.EventGapWait, c.Webhooks.GapWait = 300*time.Millisecond, 300*time.Millisecond
}

func (a *api) webhook(url string, types ...string) string {
	a.t.Helper()
	var out struct{ CreateWebhook struct{ ID string } }
	a.ok(`mutation($in: CreateWebhookInput!) { createWebhook(input: $in) { id } }`,
		map[string]any{"in": map[string]any{"url": url, "types": types, "secret": testSecret}}, &out)
	return out.CreateWebhook.ID
}

const deliveriesQuery = `query($id: ID!) { node(id: $id) { ... on Webhook { active deliveries(first: 100) {
  totalCount edges { node { status event { id type } attempts { statusCode error durationMs } } } } } } }`

type deliveriesOut struct {
	Node struct {
		Active     bool
		Deliveries struct {
			TotalCount int
			Edges      []struct {
				Node struct {
					Status   string
					Event    struct{ ID, Type string }
					Attempts []struct {
						StatusCode *int
						Error      *string
					}
				}
			}
		}
	}
}

// TestWebhooksGetSignedEventsInOrderPerCustomerAtLeastOnce: a webhook gets
// the events of its types committed after its creation, signed the
// Standard Webhooks way (the library verifies them), each customer's in
// event order; an attempt the endpoint fails is retried with the same
// webhook-id, and the deliveries list their attempts.
func TestWebhooksGetSignedEventsInOrderPerCustomerAtLeastOnce(t *testing.T) {
	for _, d := range []string{"sqlite3", "postgres"} {
		t.Run(d, func(t *testing.T) {
			a := newAPIWith(t, d, fastWebhooks)
			before := a.customer(map[string]any{"kind": "INDIVIDUAL", "name": "Before Hook"})
			r := newReceiver(t, func(_ string, try int) bool { return try == 1 }) // every first try fails
			hook := a.webhook(r.srv.URL+"/hook", "CUSTOMER_CREATED", "ORDER_PLACED")
			var customers []string
			for i := range 3 {
				c := a.customer(map[string]any{"kind": "INDIVIDUAL", "name": "Hook Customer " + strconv.Itoa(i)})
				customers = append(customers, c)
				a.ok(`mutation($id: ID!) { updateCustomer(id: $id, input: {city: "Oulu"}) { id } }`, map[string]any{"id": c}, nil) // not a type it gets
				for j := range 3 {
					a.order(c, time.Now().Add(-time.Duration(j)*time.Hour), "PAID", "10.00")
				}
			}
			got := r.waitFor(12, 30*time.Second)
			perCustomer := map[string][]int{}
			for _, g := range got {
				if g.CustomerID == before || (g.Type != "CUSTOMER_CREATED" && g.Type != "ORDER_PLACED") {
					t.Errorf("delivered %+v: before the webhook, or of a type it does not get", g)
				}
				if g.MsgID != "evt_"+g.EventID {
					t.Errorf("webhook-id %s for event %s", g.MsgID, g.EventID)
				}
				id, _ := strconv.Atoi(g.EventID)
				perCustomer[g.CustomerID] = append(perCustomer[g.CustomerID], id)
			}
			for _, c := range customers {
				ids := perCustomer[c]
				if len(ids) != 4 || !slices.IsSorted(ids) {
					t.Errorf("customer %s: events %v, want 4 in id order", c, ids)
				}
			}
			// The receiver answers before the dispatcher records the answer.
			var out deliveriesOut
			for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
				a.ok(deliveriesQuery, map[string]any{"id": hook}, &out)
				pending := false
				for _, e := range out.Node.Deliveries.Edges {
					pending = pending || e.Node.Status == "PENDING"
				}
				if !pending || time.Now().After(deadline) {
					break
				}
			}
			if out.Node.Deliveries.TotalCount != 12 || !out.Node.Active {
				t.Fatalf("deliveries = %d (active %v), want 12", out.Node.Deliveries.TotalCount, out.Node.Active)
			}
			for _, e := range out.Node.Deliveries.Edges {
				at := e.Node.Attempts
				if e.Node.Status != "DELIVERED" || len(at) != 2 || *at[0].StatusCode != 500 || at[0].Error == nil ||
					*at[1].StatusCode != 200 || at[1].Error != nil {
					t.Errorf("delivery of %s: %s, attempts %+v; want DELIVERED after a 500 and a 200", e.Node.Event.Type, e.Node.Status, at)
				}
			}
		})
	}
}

// TestAWebhookWhoseDeliveryDiesStopsUntilAReplay: after
// WEBHOOK_MAX_ATTEMPTS failures a delivery is DEAD and the webhook
// inactive; later events are still recorded but not sent; replayWebhook
// from the dead event sends it and every later one, with their webhook-ids.
func TestAWebhookWhoseDeliveryDiesStopsUntilAReplay(t *testing.T) {
	for _, d := range []string{"sqlite3", "postgres"} {
		t.Run(d, func(t *testing.T) {
			a := newAPIWith(t, d, func(c *config.Config) { fastWebhooks(c); c.Webhooks.MaxAttempts = 2 })
			var mu sync.Mutex
			down := true
			r := newReceiver(t, func(string, int) bool { mu.Lock(); defer mu.Unlock(); return down })
			hook := a.webhook(r.srv.URL, "CUSTOMER_CREATED")
			first := a.customer(map[string]any{"kind": "INDIVIDUAL", "name": "First"})
			var out deliveriesOut
			deadline := time.Now().Add(20 * time.Second)
			for a.ok(deliveriesQuery, map[string]any{"id": hook}, &out); out.Node.Active; a.ok(deliveriesQuery, map[string]any{"id": hook}, &out) {
				if time.Now().After(deadline) {
					t.Fatalf("the webhook is still active: %+v", out)
				}
				time.Sleep(20 * time.Millisecond)
			}
			if e := out.Node.Deliveries.Edges; len(e) != 1 || e[0].Node.Status != "DEAD" || len(e[0].Node.Attempts) != 2 {
				t.Fatalf("deliveries %+v, want one DEAD after 2 attempts", e)
			}
			a.customer(map[string]any{"kind": "INDIVIDUAL", "name": "Second"})
			time.Sleep(300 * time.Millisecond) // a few polls: recorded, not sent
			mu.Lock()
			down = false
			mu.Unlock()
			if n := len(r.received()); n != 0 {
				t.Fatalf("an inactive webhook delivered %d", n)
			}
			a.ok(`mutation($id: ID!, $from: ID!) { replayWebhook(id: $id, fromEventID: $from) { active } }`,
				map[string]any{"id": hook, "from": latestEvent(t, a, first)}, nil)
			got := r.waitFor(2, 20*time.Second)
			i := slices.IndexFunc(got, func(g received) bool { return g.CustomerID == first })
			if i < 0 || got[i].MsgID != "evt_"+latestEvent(t, a, first) {
				t.Errorf("replay sent %+v, want the dead delivery of customer %s with its webhook-id", got, first)
			}
		})
	}
}

// TestWebhookInputsAreCheckedAndAdminOnly: a private or loopback URL (unless
// WEBHOOK_ALLOW_PRIVATE_NETWORKS), a URL that is not http(s), no types or a
// secret that is not "whsec_" and 24-64 bytes of base64 are refused, naming
// the input; analysts and viewers may neither create nor read webhooks.
func TestWebhookInputsAreCheckedAndAdminOnly(t *testing.T) {
	a := newSecuredAPI(t, nil)
	create := `mutation($in: CreateWebhookInput!) { createWebhook(input: $in) { id } }`
	for _, c := range []struct {
		url, secret string
		types       []string
		field       string
	}{
		{"http://127.0.0.1:8080/hook", testSecret, []string{"ORDER_PLACED"}, "input.url"},
		{"http://10.1.2.3/hook", testSecret, []string{"ORDER_PLACED"}, "input.url"},
		{"http://[::1]/hook", testSecret, []string{"ORDER_PLACED"}, "input.url"},
		{"http://169.254.169.254/latest/meta-data", testSecret, []string{"ORDER_PLACED"}, "input.url"},
		{"ftp://93.184.215.14/hook", testSecret, []string{"ORDER_PLACED"}, "input.url"},
		{"https://93.184.215.14/hook", testSecret, []string{}, "input.types"},
		{"https://93.184.215.14/hook", "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", []string{"ORDER_PLACED"}, "input.secret"},
		{"https://93.184.215.14/hook", "whsec_c2hvcnQ=", []string{"ORDER_PLACED"}, "input.secret"},
		{"https://93.184.215.14/hook", "whsec_%%%", []string{"ORDER_PLACED"}, "input.secret"},
	} {
		r := a.as(adminKey, create, map[string]any{"in": map[string]any{"url": c.url, "types": c.types, "secret": c.secret}})
		if len(r.Errors) == 0 || r.Errors[0].Extensions["code"] != "BAD_USER_INPUT" || r.Errors[0].Extensions["field"] != c.field {
			t.Errorf("%s %q %v: %s, want BAD_USER_INPUT on %s", c.url, c.secret, c.types, r.raw, c.field)
		}
	}
	if r := a.as(adminKey, `{ webhooks { totalCount } }`, nil); !contains(r.raw, `"totalCount":0`) {
		t.Errorf("refused webhooks were stored: %s", r.raw)
	}
	ok := a.as(adminKey, create, map[string]any{"in": map[string]any{"url": "https://93.184.215.14/hook", "types": []string{"ORDER_PLACED"}, "secret": testSecret}})
	if len(ok.Errors) != 0 {
		t.Fatalf("a public URL: %s", ok.raw)
	}
	for _, key := range []string{analystKey, viewerKey} {
		for _, q := range []string{`{ webhooks { totalCount } }`,
			`mutation { createWebhook(input: {url: "https://93.184.215.14/x", types: [ORDER_PLACED], secret: "` + testSecret + `"}) { id } }`} {
			if r := a.as(key, q, nil); len(r.Errors) == 0 || r.Errors[0].Extensions["code"] != "FORBIDDEN" {
				t.Errorf("%s as %s: %s, want FORBIDDEN", q, key[:12], r.raw)
			}
		}
	}
}

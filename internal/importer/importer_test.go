package importer_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"entgo.io/ent/dialect"

	"github.com/c360/c360/ent"
	"github.com/c360/c360/ent/customer"
	"github.com/c360/c360/ent/customerevent"
	"github.com/c360/c360/ent/feedback"
	"github.com/c360/c360/ent/order"
	"github.com/c360/c360/ent/orderitem"
	"github.com/c360/c360/ent/persona"
	"github.com/c360/c360/internal/database"
	"github.com/c360/c360/internal/exporter"
	"github.com/c360/c360/internal/importer"
	"github.com/c360/c360/internal/money"
	"github.com/c360/c360/internal/ndjson"
	"github.com/c360/c360/internal/personas"
	"github.com/c360/c360/internal/seed"
	"github.com/c360/c360/internal/testservices"
)

func TestMain(m *testing.M) {
	testservices.Main(m)
}

var fixedNow = time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)

var backends = testservices.Backends

func ptr[T any](v T) *T { return &v }

func openDB(t testing.TB, url string) *database.DB {
	t.Helper()
	return testservices.Open(t, url, database.Options{})
}

// readLines decodes every line of an NDJSON file of the data set.
func readLines[T any](t testing.TB, dir, name string) []T {
	t.Helper()
	f, err := os.Open(filepath.Join(dir, name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []T
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var v T
		if err := json.Unmarshal(sc.Bytes(), &v); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		out = append(out, v)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

type tableCounts struct{ Personas, Customers, Orders, Items, Feedback int }

func countRows(t testing.TB, c *ent.Client) tableCounts {
	t.Helper()
	ctx := context.Background()
	var n tableCounts
	var err error
	must := func(v int, e error) int {
		if e != nil && err == nil {
			err = e
		}
		return v
	}
	n.Personas = must(c.Persona.Query().Count(ctx))
	n.Customers = must(c.Customer.Query().Count(ctx))
	n.Orders = must(c.Order.Query().Count(ctx))
	n.Items = must(c.OrderItem.Query().Count(ctx))
	n.Feedback = must(c.Feedback.Query().Count(ctx))
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// fingerprint hashes every stored row of every table (all columns, including
// the timestamps), so two fingerprints are equal only if nothing changed.
func fingerprint(t testing.TB, c *ent.Client) string {
	t.Helper()
	ctx := context.Background()
	h := sha256.New()
	add := func(v any, err error) {
		if err != nil {
			t.Fatal(err)
		}
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		h.Write(b)
	}
	add(c.Persona.Query().Order(persona.ByID()).All(ctx))
	add(c.Customer.Query().Order(customer.ByID()).All(ctx))
	add(c.Order.Query().Order(order.ByID()).All(ctx))
	add(c.OrderItem.Query().Order(orderitem.ByID()).All(ctx))
	add(c.Feedback.Query().Order(feedback.ByID()).All(ctx))
	return hex.EncodeToString(h.Sum(nil))
}

// orderTotals is a checksum of all orders' totals: their sum and a hash of
// (externalRef, total) in externalRef order.
func orderTotals(t testing.TB, c *ent.Client) (money.Cents, string) {
	t.Helper()
	all, err := c.Order.Query().Order(order.ByExternalRef()).All(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var sum money.Cents
	h := sha256.New()
	for _, o := range all {
		sum += o.Total
		fmt.Fprintf(h, "%s=%d;", *o.ExternalRef, o.Total)
	}
	return sum, hex.EncodeToString(h.Sum(nil))
}

func itemsTotal(t testing.TB, items []ndjson.OrderItem) money.Cents {
	t.Helper()
	var total money.Cents
	for _, it := range items {
		p, err := money.Parse(string(it.UnitPrice))
		if err != nil {
			t.Fatal(err)
		}
		total += p * money.Cents(it.Quantity)
	}
	return total
}

func TestImportSeedDataSet(t *testing.T) {
	dir := t.TempDir()
	if _, err := seed.WriteDir(dir, seed.Config{Customers: 300, Seed: 1, Now: fixedNow}); err != nil {
		t.Fatal(err)
	}
	personas := readLines[ndjson.Persona](t, dir, ndjson.PersonasFile)
	customers := readLines[ndjson.Customer](t, dir, ndjson.CustomersFile)
	orders := readLines[ndjson.Order](t, dir, ndjson.OrdersFile)
	feedbacks := readLines[ndjson.Feedback](t, dir, ndjson.FeedbackFile)
	want := tableCounts{Personas: len(personas), Customers: len(customers), Orders: len(orders), Feedback: len(feedbacks)}
	var wantSum money.Cents
	for _, o := range orders {
		want.Items += len(o.Items)
		wantSum += itemsTotal(t, o.Items)
	}
	records := int64(want.Personas + want.Customers + want.Orders + want.Feedback)

	for _, be := range backends {
		t.Run(be.Name, func(t *testing.T) {
			ctx := context.Background()
			db := openDB(t, be.URL(t))
			client := db.Client
			var progress []int64
			opts := importer.Options{BaseCurrency: "EUR", Progress: func(n int64) { progress = append(progress, n) }}

			sum, err := importer.ImportDir(ctx, db, dir, opts)
			if err != nil {
				t.Fatalf("ImportDir: %v", err)
			}
			if sum.Imported != records || sum.Rejected != 0 || len(sum.Rejections) != 0 {
				t.Fatalf("summary = %s %v, want %d imported, none rejected", sum, sum.Rejections, records)
			}
			if want := fmt.Sprintf("imported %d, rejected 0", records); sum.String() != want {
				t.Errorf("String() = %q, want %q", sum.String(), want)
			}
			if len(progress) < 2 || progress[len(progress)-1] != records {
				t.Errorf("progress = %v, want several batches ending at %d", progress, records)
			}
			if got := countRows(t, client); got != want {
				t.Fatalf("row counts = %+v, want %+v (lines in the files)", got, want)
			}

			// A customer with a non-Latin name.
			var uc *ndjson.Customer
			for i := range customers {
				if strings.ContainsAny(customers[i].Name, "абвгдежзийклмнопрстуфхцчшщъьюяАБВГДЕЖЗИЙКЛМНОПРСТУФХЦЧШЩЪЮЯ") {
					uc = &customers[i]
					break
				}
			}
			if uc == nil {
				t.Fatal("the data set has no Cyrillic customer name")
			}
			c, err := client.Customer.Query().Where(customer.ExternalRef(uc.ExternalRef)).Only(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if c.Name != uc.Name || !utf8.ValidString(c.Name) {
				t.Errorf("customer %s name = %q, want %q", uc.ExternalRef, c.Name, uc.Name)
			}
			if uc.Email != nil && (c.Email == nil || *c.Email != strings.ToLower(*uc.Email)) {
				t.Errorf("customer %s email = %v, want %q", uc.ExternalRef, c.Email, *uc.Email)
			}
			if uc.CreatedAt != nil && !c.CreatedAt.Equal(*uc.CreatedAt) {
				t.Errorf("customer %s createdAt = %v, want %v", uc.ExternalRef, c.CreatedAt, *uc.CreatedAt)
			}

			// An order with several items: total exact to the cent.
			var mo *ndjson.Order
			for i := range orders {
				if len(orders[i].Items) >= 3 {
					mo = &orders[i]
					break
				}
			}
			o, err := client.Order.Query().Where(order.ExternalRef(mo.ExternalRef)).WithItems().WithCustomer().Only(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if wantTotal := itemsTotal(t, mo.Items); o.Total != wantTotal {
				t.Errorf("order %s total = %s, want %s", mo.ExternalRef, o.Total, wantTotal)
			}
			if len(o.Edges.Items) != len(mo.Items) || *o.Edges.Customer.ExternalRef != mo.CustomerRef ||
				string(o.Status) != *mo.Status || o.Currency != "EUR" || !o.PlacedAt.Equal(*mo.PlacedAt) {
				t.Errorf("order %s = %+v (%d items), want %+v", mo.ExternalRef, o, len(o.Edges.Items), mo)
			}

			// Feedback on an order, with a score.
			var fb *ndjson.Feedback
			for i := range feedbacks {
				if feedbacks[i].OrderRef != nil && feedbacks[i].Score != nil {
					fb = &feedbacks[i]
					break
				}
			}
			f, err := client.Feedback.Query().Where(feedback.ExternalRef(fb.ExternalRef)).WithOrder().Only(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if f.Score == nil || *f.Score != *fb.Score || string(f.Kind) != fb.Kind ||
				*f.Edges.Order.ExternalRef != *fb.OrderRef || !f.SubmittedAt.Equal(*fb.SubmittedAt) {
				t.Errorf("feedback %s = %+v, want %+v", fb.ExternalRef, f, fb)
			}

			gotSum, totals := orderTotals(t, client)
			if gotSum != wantSum {
				t.Errorf("sum of order totals = %s, want %s", gotSum, wantSum)
			}
			before := fingerprint(t, client)

			// Importing again changes nothing.
			sum2, err := importer.ImportDir(ctx, db, dir, importer.Options{BaseCurrency: "EUR"})
			if err != nil {
				t.Fatalf("second ImportDir: %v", err)
			}
			if sum2.Imported != records || sum2.Rejected != 0 {
				t.Fatalf("second summary = %s %v, want %d imported", sum2, sum2.Rejections, records)
			}
			if got := countRows(t, client); got != want {
				t.Errorf("row counts after the second import = %+v, want %+v", got, want)
			}
			if gotSum2, totals2 := orderTotals(t, client); gotSum2 != gotSum || totals2 != totals {
				t.Errorf("order totals changed by the second import: %s -> %s", gotSum, gotSum2)
			}
			if after := fingerprint(t, client); after != before {
				t.Error("the second import changed stored values")
			}
		})
	}
}

// TestImportUpdates checks the upsert rules: customers and personas take the
// new values, an existing order only its new status (its items stay),
// feedback is immutable.
func TestImportUpdates(t *testing.T) {
	for _, be := range backends {
		t.Run(be.Name, func(t *testing.T) {
			ctx := context.Background()
			db := openDB(t, be.URL(t))
			client := db.Client
			dir := t.TempDir()
			writeFiles(t, dir, map[string]string{
				ndjson.PersonasFile:  `{"externalRef":"P-1","name":"Old","description":"d","criteria":{"minAge":20}}`,
				ndjson.CustomersFile: `{"externalRef":"C-1","kind":"INDIVIDUAL","name":"Aino","email":"Aino@Example.fi","phone":"+358401234567","city":"Helsinki"}`,
				ndjson.OrdersFile:    `{"externalRef":"O-1","customerRef":"C-1","status":"PAID","channel":"WEB","currency":"EUR","placedAt":"2024-05-02T16:31:00+02:00","items":[{"sku":"S","name":"N","quantity":2,"unitPrice":"19.90"}]}`,
				ndjson.FeedbackFile:  `{"externalRef":"F-1","customerRef":"C-1","kind":"NPS","channel":"EMAIL","score":9,"submittedAt":"2024-05-09T08:00:00Z"}`,
			})
			if sum, err := importer.ImportDir(ctx, db, dir, importer.Options{}); err != nil || sum.Imported != 4 {
				t.Fatalf("first import: %s %v, %v", sum, sum.Rejections, err)
			}
			writeFiles(t, dir, map[string]string{
				ndjson.PersonasFile:  `{"externalRef":"P-1","name":"New","criteria":{"genders":["FEMALE"]}}`,
				ndjson.CustomersFile: `{"externalRef":"C-1","kind":"INDIVIDUAL","lifecycleStage":"ACTIVE","name":"Aino V","email":"aino@example.fi"}`,
				ndjson.OrdersFile:    `{"externalRef":"O-1","customerRef":"C-1","status":"FULFILLED","channel":"STORE","currency":"EUR","placedAt":"2024-05-02T14:31:00Z","items":[{"sku":"X","name":"Y","quantity":1,"unitPrice":"1.00"}]}`,
				ndjson.FeedbackFile:  `{"externalRef":"F-1","customerRef":"C-1","kind":"NPS","channel":"EMAIL","score":3,"submittedAt":"2024-05-09T08:00:00Z"}`,
			})
			if sum, err := importer.ImportDir(ctx, db, dir, importer.Options{}); err != nil || sum.Imported != 4 {
				t.Fatalf("second import: %s %v, %v", sum, sum.Rejections, err)
			}
			p := client.Persona.Query().OnlyX(ctx)
			if p.Name != "New" || p.Description != nil || p.Criteria.MinAge != nil || len(p.Criteria.Genders) != 1 {
				t.Errorf("persona = %+v, want the new values", p)
			}
			c := client.Customer.Query().OnlyX(ctx)
			if c.Name != "Aino V" || *c.Email != "aino@example.fi" || c.Phone != nil || c.City != nil || c.LifecycleStage != customer.LifecycleStageACTIVE {
				t.Errorf("customer = %+v, want the new values", c)
			}
			o := client.Order.Query().WithItems().OnlyX(ctx)
			if o.Status != order.StatusFULFILLED || o.Channel != order.ChannelWEB || o.Total != 3980 ||
				len(o.Edges.Items) != 1 || o.Edges.Items[0].Sku != "S" || !o.PlacedAt.Equal(time.Date(2024, 5, 2, 14, 31, 0, 0, time.UTC)) {
				t.Errorf("order = %+v %+v, want the new status only", o, o.Edges.Items)
			}
			if f := client.Feedback.Query().OnlyX(ctx); *f.Score != 9 {
				t.Errorf("feedback score = %d, want the first import's 9", *f.Score)
			}
			// Each import appends the events of what it wrote, in its transaction.
			// The database words the summaries of the bulk ones (events.go).
			var events []string
			f := client.Feedback.Query().OnlyX(ctx)
			for _, e := range client.CustomerEvent.Query().Order(customerevent.ByID()).AllX(ctx) {
				if e.CustomerID == nil || *e.CustomerID != c.ID {
					t.Errorf("event %s of customer %v, want %d", e.Summary, e.CustomerID, c.ID)
				}
				subject := 0
				if e.SubjectID != nil {
					subject = *e.SubjectID
				}
				events = append(events, fmt.Sprintf("%s %d %s", e.Type, subject, e.Summary))
			}
			want := []string{"CUSTOMER_CREATED 0 Customer C-1 created (import)",
				fmt.Sprintf("ORDER_PLACED %d Order O-1 placed: 39.80 (import)", o.ID),
				fmt.Sprintf("FEEDBACK_RECEIVED %d NPS feedback F-1 received by EMAIL (import)", f.ID),
				"CUSTOMER_UPDATED 0 Customer C-1 updated (import)",
				fmt.Sprintf("ORDER_STATUS_CHANGED %d Order O-1: PAID → FULFILLED (import)", o.ID)}
			if !slices.Equal(events, want) {
				t.Errorf("events = %q,\nwant %q (the unchanged feedback none)", events, want)
			}
		})
	}
}

// data-format.md, feedback.ndjson: "SOCIAL: optional, 1-5 when given (the
// rating or sentiment of a post)". A scored SOCIAL record is imported and
// exported back with its score; one outside 1-5 is rejected naming the field.
func TestImportSocialFeedbackScore(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		ndjson.CustomersFile: `{"externalRef":"C-1","kind":"INDIVIDUAL","name":"Aino Virtanen"}`,
		ndjson.FeedbackFile: `{"externalRef":"F-1","customerRef":"C-1","kind":"SOCIAL","channel":"SOCIAL_MEDIA","score":4,"comment":"Ihana kahvila!","language":"fi","submittedAt":"2024-05-09T08:00:00Z"}
{"externalRef":"F-2","customerRef":"C-1","kind":"SOCIAL","channel":"SOCIAL_MEDIA","submittedAt":"2024-05-10T08:00:00Z"}
{"externalRef":"F-3","customerRef":"C-1","kind":"SOCIAL","channel":"SOCIAL_MEDIA","score":6,"submittedAt":"2024-05-11T08:00:00Z"}
`,
	})
	for _, be := range backends {
		t.Run(be.Name, func(t *testing.T) {
			ctx := context.Background()
			db := openDB(t, be.URL(t))
			client := db.Client
			sum, err := importer.ImportDir(ctx, db, dir, importer.Options{})
			if err != nil {
				t.Fatalf("ImportDir: %v", err)
			}
			if sum.Imported != 3 || sum.Rejected != 1 || len(sum.Rejections) != 1 {
				t.Fatalf("summary = %s %v, want imported 3 (customer, F-1, F-2), rejected 1 (F-3)", sum, sum.Rejections)
			}
			if r := sum.Rejections[0]; r.File != ndjson.FeedbackFile || r.Line != 3 ||
				!strings.HasPrefix(r.Reason, "score: must be between 1 and 5 for SOCIAL feedback, got 6") {
				t.Errorf("rejection = %s, want %s:3 naming score", r, ndjson.FeedbackFile)
			}
			out := t.TempDir()
			if _, err := exporter.ExportDir(ctx, client, out, exporter.Options{}); err != nil {
				t.Fatalf("ExportDir: %v", err)
			}
			got := readLines[ndjson.Feedback](t, out, ndjson.FeedbackFile)
			if len(got) != 2 || got[0].ExternalRef != "F-1" || got[0].Score == nil || *got[0].Score != 4 ||
				got[1].ExternalRef != "F-2" || got[1].Score != nil {
				t.Errorf("exported feedback = %+v, want F-1 scored 4 and F-2 without score", got)
			}
		})
	}
}

func writeFiles(t testing.TB, dir string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(strings.TrimLeft(content, "\n")), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// bad is an invalid record and what its rejection must say.
type bad struct {
	file, line, reason string // reason: the field named at the start, then any part of the message
}

func TestImportRejectsBadRecords(t *testing.T) {
	good := map[string][]string{
		ndjson.PersonasFile: {
			`{"externalRef":"P-1","name":"Nuoret","criteria":{"minAge":25,"genders":["FEMALE"],"countries":["FI"]}}`,
		},
		ndjson.CustomersFile: {
			`{"externalRef":"C-1","kind":"INDIVIDUAL","name":"Aino Virtanen","email":"Aino.Virtanen@example.fi","country":"FI","birthDate":"1991-04-12"}`,
			`{"externalRef":"C-2","kind":"BUSINESS","name":"Кафе Раковски ООД","email":"kafe@example.bg","country":"BG"}`,
			`{"externalRef":"C-3","kind":"PUBLIC_ORGANIZATION","name":"Comune di Firenze"}`,
		},
		ndjson.OrdersFile: {
			`{"externalRef":"O-1","customerRef":"C-1","status":"FULFILLED","channel":"WEB","currency":"EUR","placedAt":"2024-05-02T14:31:00Z","items":[{"sku":"SKU-1","name":"Espresso","quantity":2,"unitPrice":"19.90"},{"sku":"SKU-2","name":"Cup","quantity":1,"unitPrice":8.5}]}`,
			`{"externalRef":"O-2","customerRef":"C-2","status":"PAID","channel":"STORE","currency":"eur","placedAt":"2024-06-01T10:00:00Z","items":[{"sku":"SKU-3","name":"Чай","quantity":3,"unitPrice":"0.10"}]}`,
		},
		ndjson.FeedbackFile: {
			`{"externalRef":"F-1","customerRef":"C-1","orderRef":"O-1","kind":"NPS","channel":"EMAIL","score":10,"comment":"Nopea toimitus, kiitos!","language":"fi","submittedAt":"2024-05-09T08:00:00Z"}`,
			`{"externalRef":"F-2","customerRef":"C-2","kind":"SOCIAL","channel":"SOCIAL_MEDIA","comment":"Много добре","submittedAt":"2024-06-09T08:00:00Z"}`,
		},
	}
	bads := map[string][]bad{
		ndjson.PersonasFile: {
			{line: `{"externalRef":"P-2","name":"Robots","criteria":{"genders":["ROBOT"]}}`, reason: "criteria.genders[0]: "},
		},
		ndjson.CustomersFile: {
			{line: `{"externalRef":"C-10","kind":"INDIVIDUAL","name":"X","nickname":"x"}`, reason: `unknown field "nickname"`},
			{line: `{"externalRef":"C-11","kind":"INDIVIDUAL","name":"X","email":"not-an-email"}`, reason: `email: is not a valid email address`},
			{line: `{"externalRef":"C-12","kind":"INDIVIDUAL","name":"X","email":"AINO.virtanen@example.fi"}`, reason: `email: "aino.virtanen@example.fi" is already used by customer "C-1"`},
			{line: `{"externalRef":"C-13","kind":"ALIEN","name":"X"}`, reason: `kind: "ALIEN" is not one of`},
			{line: `{"externalRef":"C-14","kind":"INDIVIDUAL","name":"X","birthDate":"2999-01-01"}`, reason: `birthDate: `},
			{line: `{"externalRef":"C-15","kind":"INDIVIDUAL","name":"X","phone":"0401234567"}`, reason: `phone: `},
			{line: `{"externalRef":"C-16","kind":"INDIVIDUAL","name":"X",`, reason: `invalid JSON`},
		},
		ndjson.OrdersFile: {
			{line: `{"externalRef":"O-10","customerRef":"C-404","status":"PAID","channel":"WEB","currency":"EUR","placedAt":"2024-05-02T14:31:00Z","items":[{"sku":"S","name":"N","quantity":1,"unitPrice":"1.00"}]}`, reason: `customerRef: no customer with externalRef "C-404"`},
			{line: `{"externalRef":"O-11","customerRef":"C-1","status":"PAID","channel":"WEB","currency":"USD","placedAt":"2024-05-02T14:31:00Z","items":[{"sku":"S","name":"N","quantity":1,"unitPrice":"1.00"}]}`, reason: `currency: must be the base currency EUR, got "USD"`},
			{line: `{"externalRef":"O-12","customerRef":"C-1","status":"PAID","channel":"WEB","currency":"EUR","placedAt":"2024-05-02T14:31:00Z","items":[{"sku":"S","name":"N","quantity":1,"unitPrice":"1.234"}]}`, reason: `items[0].unitPrice: "1.234"`},
			{line: `{"externalRef":"O-13","customerRef":"C-1","status":"PAID","channel":"WEB","currency":"EUR","placedAt":"2024-05-02T14:31:00Z","items":[{"sku":"S","name":"N","quantity":1,"unitPrice":"1.00"},{"sku":"T","name":"M","quantity":0,"unitPrice":"2.00"}]}`, reason: `items[1].quantity: value out of range, got 0`},
			{line: `{"externalRef":"O-14","customerRef":"C-1","status":"SHIPPED","channel":"WEB","currency":"EUR","placedAt":"2024-05-02T14:31:00Z","items":[{"sku":"S","name":"N","quantity":1,"unitPrice":"1.00"}]}`, reason: `status: "SHIPPED" is not one of`},
			{line: `{"externalRef":"O-15","customerRef":"C-13","status":"PAID","channel":"WEB","currency":"EUR","placedAt":"2024-05-02T14:31:00Z","items":[{"sku":"S","name":"N","quantity":1,"unitPrice":"1.00"}]}`, reason: `customerRef: no customer with externalRef "C-13"`},
			{line: `{"externalRef":"O-16","customerRef":"C-1","status":"PAID","channel":"WEB","currency":"EUR","placedAt":"2024-05-02T14:31:00Z","items":[]}`, reason: `items: `},
		},
		ndjson.FeedbackFile: {
			{line: `{"externalRef":"F-10","customerRef":"C-2","orderRef":"O-1","kind":"CSAT","channel":"EMAIL","score":4,"submittedAt":"2024-05-09T08:00:00Z"}`, reason: `orderRef: order "O-1" belongs to another customer`},
			{line: `{"externalRef":"F-11","customerRef":"C-1","kind":"NPS","channel":"EMAIL","score":11,"submittedAt":"2024-05-09T08:00:00Z"}`, reason: `score: must be between 0 and 10`},
			{line: `{"externalRef":"F-12","customerRef":"C-1","orderRef":"O-12","kind":"NPS","channel":"EMAIL","score":1,"submittedAt":"2024-05-09T08:00:00Z"}`, reason: `orderRef: no order with externalRef "O-12"`},
			{line: `{"externalRef":"F-13","customerRef":"C-1","kind":"REVIEW","channel":"CARRIER_PIGEON","score":1,"submittedAt":"2024-05-09T08:00:00Z"}`, reason: `channel: "CARRIER_PIGEON" is not one of`},
			{line: `{"externalRef":"F-14","customerRef":"C-1","kind":"NPS","channel":"EMAIL","score":5,"language":"not a tag","submittedAt":"2024-05-09T08:00:00Z"}`, reason: `language: `},
		},
	}
	// Interleave good and bad lines; remember each bad line's number.
	dir := t.TempDir()
	var want []bad
	var wantGood int64
	for _, name := range ndjson.LoadOrder {
		var lines []string
		g, b := good[name], bads[name]
		for i := 0; i < max(len(g), len(b)); i++ {
			if i < len(g) {
				lines = append(lines, g[i])
				wantGood++
			}
			if i < len(b) {
				lines = append(lines, b[i].line)
				want = append(want, bad{file: name, line: fmt.Sprint(len(lines)), reason: b[i].reason})
			}
		}
		writeFiles(t, dir, map[string]string{name: strings.Join(lines, "\n") + "\n"})
	}

	for _, be := range backends {
		for _, batchSize := range []int{1000, 2} {
			t.Run(fmt.Sprintf("%s/batch%d", be.Name, batchSize), func(t *testing.T) {
				ctx := context.Background()
				db := openDB(t, be.URL(t))
				client := db.Client
				sum, err := importer.ImportDir(ctx, db, dir, importer.Options{BaseCurrency: "EUR", BatchSize: batchSize})
				if err != nil {
					t.Fatalf("ImportDir: %v", err)
				}
				if sum.Imported != wantGood || sum.Rejected != int64(len(want)) || len(sum.Rejections) != len(want) {
					t.Errorf("summary = %s, want imported %d, rejected %d", sum, wantGood, len(want))
				}
				for _, r := range sum.Rejections {
					t.Log(r)
				}
				for i, w := range want {
					if i >= len(sum.Rejections) {
						t.Errorf("missing rejection of %s:%s (%s)", w.file, w.line, w.reason)
						continue
					}
					r := sum.Rejections[i]
					if r.File != w.file || fmt.Sprint(r.Line) != w.line || !strings.Contains(r.Reason, w.reason) {
						t.Errorf("rejection %d = %s, want %s:%s containing %q", i, r, w.file, w.line, w.reason)
					}
				}
				if got, want := countRows(t, client), (tableCounts{Personas: 1, Customers: 3, Orders: 2, Items: 3, Feedback: 2}); got != want {
					t.Errorf("row counts = %+v, want %+v", got, want)
				}
				refs := client.Order.Query().Order(order.ByExternalRef()).Select(order.FieldExternalRef).StringsX(ctx)
				if strings.Join(refs, ",") != "O-1,O-2" {
					t.Errorf("orders = %v, want only the good ones", refs)
				}
				o1 := client.Order.Query().Where(order.ExternalRef("O-1")).OnlyX(ctx)
				o2 := client.Order.Query().Where(order.ExternalRef("O-2")).OnlyX(ctx)
				if o1.Total != 4830 || o2.Total != 30 || o2.Currency != "EUR" {
					t.Errorf("totals = %s, %s (%s), want 48.30, 0.30 EUR", o1.Total, o2.Total, o2.Currency)
				}
				c1 := client.Customer.Query().Where(customer.ExternalRef("C-1")).OnlyX(ctx)
				if *c1.Email != "aino.virtanen@example.fi" {
					t.Errorf("email stored as %q, want it lower-cased", *c1.Email)
				}
			})
		}
	}
}

// TestImportRetriesFailingRecord makes the database refuse one order that
// passed every check (a partial unique index the importer knows nothing of):
// only that order is rejected, the rest of its batch is imported.
func TestImportRetriesFailingRecord(t *testing.T) {
	for _, be := range backends {
		t.Run(be.Name, func(t *testing.T) {
			ctx := context.Background()
			url := be.URL(t)
			db := openDB(t, url)
			client := db.Client
			driver, dsn := "pgx", url
			if !database.IsPostgres(url) {
				driver, dsn = "sqlite3", database.SQLitePath(url)
			}
			raw, err := sql.Open(driver, dsn)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := raw.Exec(`CREATE UNIQUE INDEX one_gift ON order_items (sku) WHERE sku = 'GIFT'`); err != nil {
				t.Fatal(err)
			}
			raw.Close()

			dir := t.TempDir()
			mkOrder := func(ref, sku string) string {
				return `{"externalRef":"` + ref + `","customerRef":"C-1","status":"PAID","channel":"WEB","currency":"EUR","placedAt":"2024-05-02T14:31:00Z","items":[{"sku":"A","name":"N","quantity":1,"unitPrice":"1.00"},{"sku":"` + sku + `","name":"N","quantity":1,"unitPrice":"0"}]}`
			}
			writeFiles(t, dir, map[string]string{
				ndjson.CustomersFile: `{"externalRef":"C-1","kind":"INDIVIDUAL","name":"Aino"}`,
				ndjson.OrdersFile:    strings.Join([]string{mkOrder("O-1", "B"), mkOrder("O-2", "GIFT"), mkOrder("O-3", "GIFT"), mkOrder("O-4", "C")}, "\n"),
				ndjson.FeedbackFile: `{"externalRef":"F-1","customerRef":"C-1","orderRef":"O-3","kind":"NPS","channel":"EMAIL","score":1,"submittedAt":"2024-05-09T08:00:00Z"}
{"externalRef":"F-2","customerRef":"C-1","orderRef":"O-4","kind":"NPS","channel":"EMAIL","score":9,"submittedAt":"2024-05-09T08:00:00Z"}`,
			})
			sum, err := importer.ImportDir(ctx, db, dir, importer.Options{})
			if err != nil {
				t.Fatalf("ImportDir: %v", err)
			}
			if sum.Imported != 5 || sum.Rejected != 2 || len(sum.Rejections) != 2 {
				t.Fatalf("summary = %s %v, want imported 5, rejected 2", sum, sum.Rejections)
			}
			t.Log(sum.Rejections)
			if r := sum.Rejections[0]; r.File != ndjson.OrdersFile || r.Line != 3 {
				t.Errorf("rejection = %s, want orders.ndjson:3", r)
			}
			if r := sum.Rejections[1]; r.File != ndjson.FeedbackFile || r.Line != 1 || !strings.HasPrefix(r.Reason, "orderRef: ") {
				t.Errorf("rejection = %s, want feedback.ndjson:1 orderRef", r)
			}
			if got, want := countRows(t, client), (tableCounts{Customers: 1, Orders: 3, Items: 6, Feedback: 1}); got != want {
				t.Errorf("row counts = %+v, want %+v", got, want)
			}
		})
	}
}

// TestLoaderAsSink loads the generator's output straight into the database.
func TestLoaderAsSink(t *testing.T) {
	cfg := seed.Config{Customers: 120, Seed: 7, Now: fixedNow}
	dir := t.TempDir()
	counts, err := seed.WriteDir(dir, cfg)
	if err != nil {
		t.Fatal(err)
	}
	for _, be := range backends {
		t.Run(be.Name, func(t *testing.T) {
			ctx := context.Background()
			db := openDB(t, be.URL(t))
			client := db.Client
			l := importer.NewLoader(ctx, db, importer.Options{BatchSize: 100})
			if err := seed.Generate(cfg, l); err != nil {
				t.Fatal(err)
			}
			if err := l.Flush(); err != nil {
				t.Fatal(err)
			}
			sum := l.Summary()
			total := int64(counts.Personas + counts.Customers + counts.Orders + counts.Feedback)
			if sum.Imported != total || sum.Rejected != 0 {
				t.Fatalf("summary = %s %v, want %d imported", sum, sum.Rejections, total)
			}
			got := countRows(t, client)
			if got.Personas != counts.Personas || got.Customers != counts.Customers || got.Orders != counts.Orders || got.Feedback != counts.Feedback {
				t.Errorf("row counts = %+v, want %+v", got, counts)
			}
			// The same data set from the files changes nothing.
			before := fingerprint(t, client)
			sum2, err := importer.ImportDir(ctx, db, dir, importer.Options{})
			if err != nil || sum2.Imported != total {
				t.Fatalf("ImportDir after the Loader: %s, %v", sum2, err)
			}
			if fingerprint(t, client) != before {
				t.Error("importing the files after loading the same data changed stored values")
			}

			// A rejected sink record is reported by its running number.
			l2 := importer.NewLoader(ctx, db, importer.Options{})
			_ = l2.Customer(ndjson.Customer{ExternalRef: "C-x", Kind: "INDIVIDUAL", Name: "X"})
			_ = l2.Order(ndjson.Order{ExternalRef: "O-x", CustomerRef: "C-x", Status: ptr("PAID"), Channel: "WEB", Currency: "USD", PlacedAt: &fixedNow,
				Items: []ndjson.OrderItem{{Sku: "S", Name: "N", Quantity: 1, UnitPrice: "1"}}})
			if err := l2.Flush(); err != nil {
				t.Fatal(err)
			}
			if s := l2.Summary(); s.Imported != 1 || s.Rejected != 1 || s.Rejections[0].File != "" || s.Rejections[0].Line != 2 {
				t.Errorf("summary = %s %v, want record 2 rejected", s, s.Rejections)
			}
		})
	}
}

func TestImportCancelled(t *testing.T) {
	dir := t.TempDir()
	if _, err := seed.WriteDir(dir, seed.Config{Customers: 20, Seed: 1, Now: fixedNow}); err != nil {
		t.Fatal(err)
	}
	db := openDB(t, backends[0].URL(t))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := importer.ImportDir(ctx, db, dir, importer.Options{}); !errors.Is(err, context.Canceled) {
		t.Errorf("ImportDir with a cancelled context: err = %v, want context.Canceled", err)
	}
	if _, err := importer.ImportDir(context.Background(), db, filepath.Join(dir, "missing"), importer.Options{}); err == nil {
		t.Error("ImportDir of a missing directory: no error")
	}
}

// BenchmarkImport imports a generated data set (2,000 customers, or the data
// set in directory BENCH_IMPORT_DIR) into a new database of each backend.
func BenchmarkImport(b *testing.B) {
	dir := os.Getenv("BENCH_IMPORT_DIR")
	if dir == "" {
		dir = b.TempDir()
		if _, err := seed.WriteDir(dir, seed.Config{Customers: 2000, Seed: 1, Now: fixedNow}); err != nil {
			b.Fatal(err)
		}
	}
	var records int64
	for _, name := range ndjson.LoadOrder {
		data, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			b.Fatal(err)
		}
		records += int64(bytes.Count(data, []byte("\n")))
	}
	ctx := context.Background()
	for _, be := range backends {
		b.Run(be.Name, func(b *testing.B) {
			var summaries time.Duration
			for b.Loop() {
				b.StopTimer()
				db := openDB(b, be.URL(b))
				b.StartTimer()
				sum, err := importer.ImportDir(ctx, db, dir, importer.Options{BatchSize: 10000})
				if err != nil || sum.Imported != records {
					b.Fatalf("ImportDir: %s, %v", sum, err)
				}
				summaries += sum.Summaries
			}
			b.ReportMetric(float64(records)*float64(b.N)/b.Elapsed().Seconds(), "records/s")
			b.ReportMetric(100*summaries.Seconds()/b.Elapsed().Seconds(), "summaries-%")
		})
	}
}

// TestImportRestoresSQLiteSettings: the page cache and temp_store settings an
// import uses on the SQLite writer connection are put back at the end.
func TestImportRestoresSQLiteSettings(t *testing.T) {
	ctx := context.Background()
	db := openDB(t, backends[0].URL(t))
	client := db.Client
	pragmas := func() (cache, temp int) {
		tx, err := client.Tx(ctx) // the writer connection
		if err != nil {
			t.Fatal(err)
		}
		defer tx.Rollback()
		for name, dst := range map[string]*int{"cache_size": &cache, "temp_store": &temp} {
			rows, err := tx.QueryContext(ctx, "PRAGMA "+name)
			if err != nil {
				t.Fatal(err)
			}
			for rows.Next() {
				if err := rows.Scan(dst); err != nil {
					t.Fatal(err)
				}
			}
			rows.Close()
		}
		return cache, temp
	}
	cache, temp := pragmas()
	dir := t.TempDir()
	if _, err := seed.WriteDir(dir, seed.Config{Customers: 30, Seed: 1, Now: fixedNow}); err != nil {
		t.Fatal(err)
	}
	if sum, err := importer.ImportDir(ctx, db, dir, importer.Options{BatchSize: 100}); err != nil || sum.Rejected != 0 {
		t.Fatalf("ImportDir: %s, %v", sum, err)
	}
	if c, tm := pragmas(); c != cache || tm != temp {
		t.Errorf("after the import cache_size = %d, temp_store = %d; before %d, %d", c, tm, cache, temp)
	}
}

// queryInt runs a query of one integer.
func queryInt(t testing.TB, db *database.DB, q string) (n int) {
	t.Helper()
	rows, err := db.Client.QueryContext(context.Background(), q)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		if err := rows.Scan(&n); err != nil {
			t.Fatal(err)
		}
	}
	return n
}

// TestImportBuildsTheIndexesItDeferred: a load into empty tables defers
// their secondary indexes (and PostgreSQL's foreign keys); when it ends,
// every index and key of the schema is there again.
func TestImportBuildsTheIndexesItDeferred(t *testing.T) {
	dir := t.TempDir()
	if _, err := seed.WriteDir(dir, seed.Config{Customers: 30, Seed: 1, Now: fixedNow}); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for _, be := range backends {
		t.Run(be.Name, func(t *testing.T) {
			db := openDB(t, be.URL(t))
			q := "SELECT count(*) FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL"
			if db.Dialect == dialect.Postgres {
				q = "SELECT (SELECT count(*) FROM pg_indexes WHERE schemaname = current_schema()) + " +
					"(SELECT count(*) FROM pg_constraint WHERE contype = 'f')"
			}
			count := func() int { return queryInt(t, db, q) }
			before := count()
			var during int
			l := importer.NewLoader(ctx, db, importer.Options{BatchSize: 50, Progress: func(int64) {
				if during == 0 {
					during = count()
				}
			}})
			if err := seed.Generate(seed.Config{Customers: 30, Seed: 1, Now: fixedNow}, l); err != nil {
				t.Fatal(err)
			}
			if err := l.Flush(); err != nil {
				t.Fatal(err)
			}
			if during >= before {
				t.Errorf("%d indexes and keys during the load, %d before: nothing deferred", during, before)
			}
			if after := count(); after != before {
				t.Errorf("%d indexes and keys after the load, want the %d of before", after, before)
			}
		})
	}
}

// TestImportCarriesIdentities: identities on customer records are stored in
// their kind's normal form; a record claiming another customer's identity
// is rejected and writes nothing; re-importing changes nothing; the export
// writes them back, and importing the export into a new database gives the
// same export.
func TestImportCarriesIdentities(t *testing.T) {
	ctx := context.Background()
	for _, be := range backends {
		t.Run(be.Name, func(t *testing.T) {
			dir := t.TempDir()
			writeFiles(t, dir, map[string]string{ndjson.CustomersFile: `
{"externalRef":"C-1","kind":"INDIVIDUAL","name":"Aino Jääskeläinen","identities":[{"kind":"PHONE","value":"+358 40 123 4567","source":"support"},{"kind":"LOYALTY_CARD","value":"fi-7781 2231","verified":true}]}
{"externalRef":"C-2","kind":"INDIVIDUAL","name":"Giulia Rossi","identities":[{"kind":"SOCIAL_HANDLE","value":"@GiuliaR"}]}
{"externalRef":"C-3","kind":"INDIVIDUAL","name":"Виктор Петров","identities":[{"kind":"PHONE","value":"00358401234567"}]}
{"externalRef":"C-4","kind":"INDIVIDUAL","name":"Bad","identities":[{"kind":"PHONE","value":"040 123"}]}
`})
			db := openDB(t, be.URL(t))
			sum, err := importer.ImportDir(ctx, db, dir, importer.Options{})
			if err != nil {
				t.Fatal(err)
			}
			if sum.Imported != 2 || sum.Rejected != 2 ||
				!strings.HasPrefix(sum.Rejections[0].Reason, `identities[0]: PHONE "+358401234567" is claimed by customer "C-1"`) ||
				!strings.HasPrefix(sum.Rejections[1].Reason, "identities[0].value: must be in E.164 form") {
				t.Fatalf("ImportDir = %s %v, want C-3 (C-1's phone) and C-4 (a bad phone) rejected", sum, sum.Rejections)
			}
			ids, err := db.Client.Identity.Query().Order(ent.Asc("id")).All(ctx)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, id := range ids {
				got = append(got, fmt.Sprintf("%s %s %v %v", id.Kind, id.Value, id.Source != nil, id.Verified))
			}
			// The customers' own externalRefs are their identities too.
			if want := []string{"PHONE +358401234567 true false", "LOYALTY_CARD FI-77812231 false true", "SOCIAL_HANDLE giuliar false false",
				"EXTERNAL_REF C-1 true false", "EXTERNAL_REF C-2 true false"}; strings.Join(got, "|") != strings.Join(want, "|") {
				t.Errorf("identities = %v, want %v", got, want)
			}
			// Claiming C-1's phone in a later import is refused too.
			later := t.TempDir()
			writeFiles(t, later, map[string]string{ndjson.CustomersFile: `
{"externalRef":"C-5","kind":"INDIVIDUAL","name":"Someone","identities":[{"kind":"PHONE","value":"+358401234567"}]}
`})
			if sum, err := importer.ImportDir(ctx, db, later, importer.Options{}); err != nil || sum.Rejected != 1 ||
				!strings.HasPrefix(sum.Rejections[0].Reason, `identities[0]: PHONE "+358401234567" belongs to another customer`) {
				t.Fatalf("claiming a stored identity: %s %v, %v", sum, sum.Rejections, err)
			}
			if n, _ := db.Client.Customer.Query().Count(ctx); n != 2 {
				t.Errorf("%d customers after the refused claim, want 2: the record was half-written", n)
			}

			exp1, exp2 := t.TempDir(), t.TempDir()
			if _, err := exporter.ExportDir(ctx, db.Client, exp1, exporter.Options{}); err != nil {
				t.Fatal(err)
			}
			if sum, err := importer.ImportDir(ctx, db, exp1, importer.Options{}); err != nil || sum.Rejected != 0 {
				t.Fatalf("re-importing the export: %s %v, %v", sum, sum.Rejections, err)
			}
			if n, _ := db.Client.Identity.Query().Count(ctx); n != 5 {
				t.Errorf("%d identities after re-importing, want 5", n)
			}
			db2 := openDB(t, be.URL(t))
			if sum, err := importer.ImportDir(ctx, db2, exp1, importer.Options{}); err != nil || sum.Rejected != 0 {
				t.Fatalf("importing the export into a new database: %s %v, %v", sum, sum.Rejections, err)
			}
			if _, err := exporter.ExportDir(ctx, db2.Client, exp2, exporter.Options{}); err != nil {
				t.Fatal(err)
			}
			a, _ := os.ReadFile(filepath.Join(exp1, ndjson.CustomersFile))
			b, _ := os.ReadFile(filepath.Join(exp2, ndjson.CustomersFile))
			if !bytes.Equal(a, b) || !bytes.Contains(a, []byte(`"identities":[{"kind":"PHONE","value":"+358401234567","source":"support","verified":false}`)) {
				t.Errorf("exports differ or lack the identities:\n%s\n%s", a, b)
			}
		})
	}
}

// TestImportSignalsANewDetractor: issue 12, "SIGNAL_NEW_DETRACTOR (an NPS
// answer of 0-6 that becomes the latest)". An import writes the signal for
// each NPS answer of 0-6 it inserts that is then its customer's latest by
// scores.md's rule (submittedAt, then externalRef byte by byte), and for no
// other.
func TestImportSignalsANewDetractor(t *testing.T) {
	for _, be := range backends {
		t.Run(be.Name, func(t *testing.T) {
			ctx := context.Background()
			db := openDB(t, be.URL(t))
			dir := t.TempDir()
			nps := func(ref, customer string, score int, at string) string {
				return fmt.Sprintf(`{"externalRef":%q,"customerRef":%q,"kind":"NPS","channel":"EMAIL","score":%d,"submittedAt":%q}`, ref, customer, score, at)
			}
			writeFiles(t, dir, map[string]string{
				ndjson.CustomersFile: `{"externalRef":"C-1","kind":"INDIVIDUAL","name":"Aino"}
{"externalRef":"C-2","kind":"INDIVIDUAL","name":"Boris"}
{"externalRef":"C-3","kind":"INDIVIDUAL","name":"Carla"}`,
				ndjson.FeedbackFile: strings.Join([]string{
					nps("F-1", "C-1", 9, "2024-05-01T08:00:00Z"),
					nps("F-2", "C-1", 3, "2024-05-02T08:00:00Z"), // the latest: a signal
					nps("F-3", "C-1", 2, "2024-04-01T08:00:00Z"), // older: none
					nps("F-b", "C-2", 5, "2024-05-01T08:00:00Z"), // tie lost to F-c: none
					nps("F-c", "C-2", 10, "2024-05-01T08:00:00Z"),
					nps("F-z", "C-3", 4, "2024-05-01T08:00:00Z"), // tie won over F-a: a signal
					nps("F-a", "C-3", 8, "2024-05-01T08:00:00Z"),
				}, "\n"),
			})
			if sum, err := importer.ImportDir(ctx, db, dir, importer.Options{BatchSize: 3}); err != nil || sum.Rejected != 0 {
				t.Fatalf("import: %s %v, %v", sum, sum.Rejections, err)
			}
			var got []string
			for _, e := range db.Client.CustomerEvent.Query().Where(customerevent.TypeEQ(customerevent.TypeSIGNAL_NEW_DETRACTOR)).
				Order(customerevent.ByID()).AllX(ctx) {
				f := db.Client.Feedback.GetX(ctx, *e.SubjectID)
				got = append(got, *f.ExternalRef+" "+e.Summary)
			}
			want := []string{"F-2 New detractor: latest NPS answer 3 (import)", "F-z New detractor: latest NPS answer 4 (import)"}
			if !slices.Equal(got, want) {
				t.Errorf("signals %q, want %q", got, want)
			}
		})
	}
}

// Issue 12, event log: "PERSONA_JOINED/LEFT on writes that change
// membership", the import's too: customers it creates or changes, and
// personas it creates or edits. Replaying each customer's events gives its
// membership as the personas' criteria say.
func TestImportWritesPersonaMembershipEvents(t *testing.T) {
	for _, be := range backends {
		t.Run(be.Name, func(t *testing.T) {
			ctx := context.Background()
			db := openDB(t, be.URL(t))
			client := db.Client
			dir := t.TempDir()
			young := `{"externalRef":"P-young","name":"Young","criteria":{"maxAge":30}}`
			fi := `{"externalRef":"P-fi","name":"Finns","criteria":{"countries":["FI"]}}`
			writeFiles(t, dir, map[string]string{
				ndjson.PersonasFile: young + "\n" + fi,
				ndjson.CustomersFile: `{"externalRef":"C-1","kind":"INDIVIDUAL","name":"Aino","birthDate":"2000-01-01","country":"FI"}
{"externalRef":"C-2","kind":"INDIVIDUAL","name":"Boris","birthDate":"1960-01-01","country":"SE"}
{"externalRef":"C-3","kind":"INDIVIDUAL","name":"Carla","country":"FI"}`,
			})
			if sum, err := importer.ImportDir(ctx, db, dir, importer.Options{BatchSize: 2}); err != nil || sum.Rejected != 0 {
				t.Fatalf("first import: %s %v, %v", sum, sum.Rejections, err)
			}
			writeFiles(t, dir, map[string]string{
				ndjson.PersonasFile: `{"externalRef":"P-young","name":"Young","criteria":{"countries":["SE"]}}` + "\n" + fi +
					"\n" + `{"externalRef":"P-old","name":"Old","criteria":{"minAge":50}}`,
				ndjson.CustomersFile: `{"externalRef":"C-1","kind":"INDIVIDUAL","name":"Aino","birthDate":"2000-01-01","country":"SE"}
{"externalRef":"C-2","kind":"INDIVIDUAL","name":"Boris","birthDate":"1960-01-01","country":"FI"}`,
			})
			if sum, err := importer.ImportDir(ctx, db, dir, importer.Options{}); err != nil || sum.Rejected != 0 {
				t.Fatalf("second import: %s %v, %v", sum, sum.Rejections, err)
			}
			refs := map[int]string{}
			for _, c := range client.Customer.Query().AllX(ctx) {
				refs[c.ID] = *c.ExternalRef
			}
			names := map[int]string{}
			for _, p := range client.Persona.Query().AllX(ctx) {
				names[p.ID] = p.Name
			}
			var got []string
			replayed := map[string]map[string]bool{}
			for _, e := range client.CustomerEvent.Query().
				Where(customerevent.TypeIn(customerevent.TypePERSONA_JOINED, customerevent.TypePERSONA_LEFT)).
				Order(customerevent.ByID()).AllX(ctx) {
				ref, name := refs[*e.CustomerID], names[*e.SubjectID]
				got = append(got, ref+" "+e.Summary)
				if replayed[ref] == nil {
					replayed[ref] = map[string]bool{}
				}
				if joined := e.Type == customerevent.TypePERSONA_JOINED; replayed[ref][name] == joined {
					t.Errorf("%s %s while a member: %v", ref, e.Type, replayed[ref][name])
				} else {
					replayed[ref][name] = joined
				}
			}
			want := []string{
				// first import: new customers join
				"C-1 Joined persona Young", "C-1 Joined persona Finns", "C-3 Joined persona Finns",
				// second: P-young's new criteria, then the new P-old, on the stored customers
				"C-2 Joined persona Young", "C-1 Left persona Young", "C-2 Joined persona Old",
				// then the changed customers under the new criteria
				"C-1 Joined persona Young", "C-1 Left persona Finns", "C-2 Left persona Young", "C-2 Joined persona Finns",
			}
			if !slices.Equal(got, want) {
				t.Errorf("membership events\n%q,\nwant %q", got, want)
			}
			today := personas.Today()
			for _, p := range client.Persona.Query().AllX(ctx) {
				for _, c := range client.Customer.Query().Where(personas.Predicate(p.Criteria, today)).AllX(ctx) {
					if !replayed[*c.ExternalRef][p.Name] {
						t.Errorf("%s is in persona %s, its events say not", *c.ExternalRef, p.Name)
					}
					delete(replayed[*c.ExternalRef], p.Name)
				}
			}
			for ref, in := range replayed {
				for name, member := range in {
					if member {
						t.Errorf("events say %s is in persona %s; it is not", ref, name)
					}
				}
			}
		})
	}
}

// Issue 12, event log: "SIGNAL_CHURN_RISK_HIGH (churnRisk crossing a
// documented threshold)" after an import's writes too, judged on the batch
// as the API judges a write: from below 70 before it to 70 or above after.
// An order status change is an ORDER_STATUS_CHANGED with its field change.
func TestImportSignalsChurnRiskHigh(t *testing.T) {
	for _, be := range backends {
		t.Run(be.Name, func(t *testing.T) {
			ctx := context.Background()
			db := openDB(t, be.URL(t))
			dir := t.TempDir()
			ago := func(days int) string {
				return time.Now().UTC().AddDate(0, 0, -days).Format(time.RFC3339)
			}
			ord := func(ref, customer, status string, days int) string {
				return fmt.Sprintf(`{"externalRef":%q,"customerRef":%q,"status":%q,"channel":"WEB","currency":"EUR","placedAt":%q,"items":[{"sku":"S","name":"N","quantity":1,"unitPrice":"10.00"}]}`,
					ref, customer, status, ago(days))
			}
			customers := `{"externalRef":"C-1","kind":"INDIVIDUAL","name":"Aino"}
{"externalRef":"C-2","kind":"INDIVIDUAL","name":"Boris"}`
			writeFiles(t, dir, map[string]string{
				ndjson.CustomersFile: customers,
				// C-1 buys every 195 days, last 10 days ago: churnRisk 10.
				ndjson.OrdersFile: strings.Join([]string{ord("O-1", "C-1", "PAID", 400), ord("O-2", "C-1", "PAID", 20),
					ord("O-3", "C-1", "PAID", 10), ord("O-4", "C-2", "PAID", 30), ord("O-5", "C-2", "PAID", 5)}, "\n"),
			})
			if sum, err := importer.ImportDir(ctx, db, dir, importer.Options{}); err != nil || sum.Rejected != 0 {
				t.Fatalf("first import: %s %v, %v", sum, sum.Rejections, err)
			}
			writeFiles(t, dir, map[string]string{
				ndjson.CustomersFile: customers + "\n" + `{"externalRef":"C-3","kind":"INDIVIDUAL","name":"Carla"}`,
				// C-1's recent orders are cancelled: one order 400 days ago,
				// churnRisk 90. C-2 stays a regular buyer; C-3, new, has
				// only an old order (90, but a prospect's 90 before it).
				ndjson.OrdersFile: strings.Join([]string{ord("O-1", "C-1", "PAID", 400), ord("O-2", "C-1", "CANCELLED", 20),
					ord("O-3", "C-1", "CANCELLED", 10), ord("O-6", "C-2", "PAID", 1), ord("O-7", "C-3", "PAID", 500)}, "\n"),
				ndjson.FeedbackFile: `{"externalRef":"F-1","customerRef":"C-2","kind":"NPS","channel":"EMAIL","score":10,"submittedAt":"` + ago(1) + `"}`,
			})
			if sum, err := importer.ImportDir(ctx, db, dir, importer.Options{BatchSize: 4}); err != nil || sum.Rejected != 0 {
				t.Fatalf("second import: %s %v, %v", sum, sum.Rejections, err)
			}
			c1 := db.Client.Customer.Query().Where(customer.ExternalRef("C-1")).OnlyX(ctx)
			var got []string
			for _, e := range db.Client.CustomerEvent.Query().Where(customerevent.TypeIn(
				customerevent.TypeSIGNAL_CHURN_RISK_HIGH, customerevent.TypeORDER_STATUS_CHANGED)).Order(customerevent.ByID()).AllX(ctx) {
				if *e.CustomerID != c1.ID {
					t.Errorf("%s of customer %d, want C-1's (%d)", e.Summary, *e.CustomerID, c1.ID)
				}
				got = append(got, fmt.Sprintf("%s %s %s→%s", e.Type, e.Summary, *e.Changes[0].From, *e.Changes[0].To))
			}
			want := []string{
				"ORDER_STATUS_CHANGED Order O-2: PAID → CANCELLED (import) PAID→CANCELLED",
				"ORDER_STATUS_CHANGED Order O-3: PAID → CANCELLED (import) PAID→CANCELLED",
				"SIGNAL_CHURN_RISK_HIGH Churn risk high: 10 → 90 (import) 10→90",
			}
			if !slices.Equal(got, want) {
				t.Errorf("events\n%q,\nwant %q", got, want)
			}
		})
	}
}

// An import into stored customers judges their churnRisk on each batch by
// customer (SIGNAL_CHURN_RISK_HIGH), so orders and feedback keep their
// customer indexes during it even when they are empty: deferred, each batch
// would scan the orders written so far.
func TestImportForStoredCustomersKeepsTheirOrderIndexes(t *testing.T) {
	ctx := context.Background()
	for _, be := range backends {
		t.Run(be.Name, func(t *testing.T) {
			db := openDB(t, be.URL(t))
			dir := t.TempDir()
			writeFiles(t, dir, map[string]string{ndjson.CustomersFile: `{"externalRef":"C-1","kind":"INDIVIDUAL","name":"Aino"}`})
			if sum, err := importer.ImportDir(ctx, db, dir, importer.Options{}); err != nil || sum.Imported != 1 {
				t.Fatalf("customers: %s, %v", sum, err)
			}
			q := "SELECT count(*) FROM sqlite_master WHERE type = 'index' AND name IN ('order_customer_id_placed_at', 'feedback_customer_id_submitted_at')"
			if db.Dialect == dialect.Postgres {
				q = "SELECT count(*) FROM pg_indexes WHERE schemaname = current_schema() AND indexname IN ('order_customer_id_placed_at', 'feedback_customer_id_submitted_at')"
			}
			indexes := func() int { return queryInt(t, db, q) }
			var orders []string
			for i := range 30 {
				orders = append(orders, fmt.Sprintf(`{"externalRef":"O-%d","customerRef":"C-1","status":"PAID","channel":"WEB","currency":"EUR","placedAt":"2024-05-02T16:31:00Z","items":[{"sku":"S","name":"N","quantity":1,"unitPrice":"1.00"}]}`, i))
			}
			dir = t.TempDir()
			writeFiles(t, dir, map[string]string{ndjson.OrdersFile: strings.Join(orders, "\n"),
				ndjson.FeedbackFile: `{"externalRef":"F-1","customerRef":"C-1","kind":"NPS","channel":"EMAIL","score":9,"submittedAt":"2024-05-09T08:00:00Z"}`})
			during := -1
			sum, err := importer.ImportDir(ctx, db, dir, importer.Options{BatchSize: 10, Progress: func(int64) {
				if during < 0 {
					during = indexes()
				}
			}})
			if err != nil || sum.Imported != 31 {
				t.Fatalf("orders: %s, %v", sum, err)
			}
			if during != 2 {
				t.Errorf("%d of the 2 customer indexes of orders and feedback during the import, want both", during)
			}
		})
	}
}

package exporter_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/c360/c360/ent"
	"github.com/c360/c360/ent/customer"
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

func openDB(t testing.TB, url string) *database.DB {
	t.Helper()
	return testservices.Open(t, url, database.Options{})
}

func importDir(t *testing.T, db *database.DB, dir string) {
	t.Helper()
	sum, err := importer.ImportDir(context.Background(), db, dir, importer.Options{})
	if err != nil || sum.Rejected != 0 {
		t.Fatalf("ImportDir: %s %v, %v", sum, sum.Rejections, err)
	}
}

func exportDir(t *testing.T, client *ent.Client, dir string, pageSize int) exporter.Counts {
	t.Helper()
	n, err := exporter.ExportDir(context.Background(), client, dir, exporter.Options{PageSize: pageSize})
	if err != nil {
		t.Fatalf("ExportDir: %v", err)
	}
	return n
}

func readFile(t *testing.T, dir, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestRoundTrip: seed -> import -> export -> import into a fresh database ->
// export again gives byte-identical files and equal rows; the export of
// generated data is the generated files themselves (personas aside, whose
// criteria are stored normalized).
func TestRoundTrip(t *testing.T) {
	src := t.TempDir()
	counts, err := seed.WriteDir(src, seed.Config{Customers: 250, Seed: 3, Now: fixedNow})
	if err != nil {
		t.Fatal(err)
	}
	for _, be := range backends {
		t.Run(be.Name, func(t *testing.T) {
			ctx := context.Background()
			db1 := openDB(t, be.URL(t))
			importDir(t, db1, src)
			addRecordsWithoutRefs(t, db1.Client)

			e1, e2 := t.TempDir(), t.TempDir()
			n1 := exportDir(t, db1.Client, e1, 37) // a page size that does not divide the counts
			if n1.Customers != int64(counts.Customers)+1 || n1.Orders != int64(counts.Orders)+1 ||
				n1.Feedback != int64(counts.Feedback)+1 || n1.Personas != int64(counts.Personas) {
				t.Errorf("counts = %+v, want the generated %+v plus one customer, order and feedback", n1, counts)
			}
			for _, name := range []string{ndjson.CustomersFile, ndjson.OrdersFile, ndjson.FeedbackFile} {
				gen, exp := readFile(t, src, name), readFile(t, e1, name)
				if !bytes.HasPrefix(exp, gen) {
					t.Errorf("%s: the export does not start with the generated file", name)
				}
			}
			for _, name := range []string{ndjson.CustomersFile, ndjson.OrdersFile, ndjson.FeedbackFile} {
				if !bytes.Contains(readFile(t, e1, name), []byte(`"externalRef":"c360:`)) {
					t.Errorf("%s: no derived externalRef for the record created without one", name)
				}
			}

			db2 := openDB(t, be.URL(t))
			importDir(t, db2, e1)
			exportDir(t, db2.Client, e2, 1000)
			for _, name := range ndjson.LoadOrder {
				if a, b := readFile(t, e1, name), readFile(t, e2, name); !bytes.Equal(a, b) {
					t.Errorf("%s differs between the first and the second export (%d vs %d bytes)", name, len(a), len(b))
				}
			}
			if a, b := rows(t, ctx, db1.Client), rows(t, ctx, db2.Client); !reflect.DeepEqual(a, b) {
				for table := range a {
					if !reflect.DeepEqual(a[table], b[table]) {
						t.Errorf("table %s differs after the round trip:\n%s", table, firstDiff(a[table], b[table]))
					}
				}
			}
			// No temporary files are left behind.
			if tmp, _ := filepath.Glob(filepath.Join(e1, "*.tmp")); len(tmp) > 0 {
				t.Errorf("temporary files left: %v", tmp)
			}
		})
	}
}

// addRecordsWithoutRefs creates a customer with an order (with items) and
// feedback, none with an externalRef, as the GraphQL API may.
func addRecordsWithoutRefs(t *testing.T, c *ent.Client) {
	t.Helper()
	ctx := context.Background()
	cu := c.Customer.Create().SetKind(personas.KindIndividual).SetName("Päivi Häkkinen ✓").
		SetEmail("paivi@example.fi").SetCountry("FI").SaveX(ctx)
	o := c.Order.Create().SetCustomer(cu).SetChannel(order.ChannelWEB).SetStatus(order.StatusPAID).
		SetCurrency("EUR").SetPlacedAt(time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)).SetTotal(4180).SaveX(ctx)
	c.OrderItem.Create().SetOrder(o).SetSku("SKU-104").SetName("Espresso \"beans\"").SetQuantity(2).
		SetUnitPrice(1990).SetLineTotal(3980).ExecX(ctx)
	c.OrderItem.Create().SetOrder(o).SetSku("SKU-1").SetName("Näyte").SetCategory("samples").SetQuantity(1).
		SetUnitPrice(200).SetLineTotal(200).ExecX(ctx)
	c.Feedback.Create().SetCustomer(cu).SetOrder(o).SetKind(feedback.KindNPS).SetChannel(feedback.ChannelEMAIL).
		SetScore(10).SetComment("Kiitos!\nRivinvaihto ja \"lainaus\"").SetLanguage("fi").
		SetSubmittedAt(time.Date(2025, 1, 5, 0, 0, 0, 0, time.UTC)).ExecX(ctx)
}

// rows dumps every table in a form that does not depend on ids or on the
// time of the import: references as exported externalRefs, only the
// columns the format carries (and the derived totals).
func rows(t *testing.T, ctx context.Context, c *ent.Client) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	add := func(table string, format string, args ...any) {
		out[table] = append(out[table], fmt.Sprintf(format, args...))
	}
	deref := func(p *string) string {
		if p == nil {
			return "<nil>"
		}
		return *p
	}
	for _, p := range c.Persona.Query().Order(persona.ByID()).AllX(ctx) {
		crit, _ := json.Marshal(p.Criteria)
		add("personas", "%s|%s|%s|%s", ndjson.Ref(p.ExternalRef, p.ID), p.Name, deref(p.Description), crit)
	}
	customers := map[int]string{}
	for _, cu := range c.Customer.Query().Order(customer.ByID()).AllX(ctx) {
		ref := ndjson.Ref(cu.ExternalRef, cu.ID)
		customers[cu.ID] = ref
		add("customers", "%s|%s|%s|%s|%s|%s|%s|%v|%v|%v|%s|%s|%s|%s", ref, cu.Kind, cu.Relationship,
			cu.LifecycleStage, cu.Name, deref(cu.Email), deref(cu.Phone), show(cu.BirthDate), show(cu.Gender), show(cu.IncomeBand),
			deref(cu.Country), deref(cu.Region), deref(cu.City), cu.CreatedAt.UTC().Format(time.RFC3339Nano))
	}
	orders := map[int]string{}
	for _, o := range c.Order.Query().Order(order.ByID()).WithItems(func(q *ent.OrderItemQuery) { q.Order(orderitem.ByID()) }).AllX(ctx) {
		ref := ndjson.Ref(o.ExternalRef, o.ID)
		orders[o.ID] = ref
		var items []string
		var sum money.Cents
		for _, it := range o.Edges.Items {
			items = append(items, fmt.Sprintf("%s/%s/%s/%d/%s/%s", it.Sku, it.Name, deref(it.Category), it.Quantity, it.UnitPrice, it.LineTotal))
			sum += it.LineTotal
		}
		if sum != o.Total {
			t.Errorf("order %s: total %s, items sum to %s", ref, o.Total, sum)
		}
		add("orders", "%s|%s|%s|%s|%s|%s|%s|%s", ref, customers[o.CustomerID], o.Status, o.Channel, o.Currency,
			o.PlacedAt.UTC().Format(time.RFC3339Nano), o.Total, strings.Join(items, ";"))
	}
	for _, f := range c.Feedback.Query().Order(feedback.ByID()).AllX(ctx) {
		orderRef := "<nil>"
		if f.OrderID != nil {
			orderRef = orders[*f.OrderID]
		}
		score := "<nil>"
		if f.Score != nil {
			score = fmt.Sprint(*f.Score)
		}
		add("feedback", "%s|%s|%s|%s|%s|%s|%s|%s|%s", ndjson.Ref(f.ExternalRef, f.ID), customers[f.CustomerID], orderRef,
			f.Kind, f.Channel, score, deref(f.Comment), deref(f.Language), f.SubmittedAt.UTC().Format(time.RFC3339Nano))
	}
	return out
}

func show[T any](p *T) string {
	if p == nil {
		return "<nil>"
	}
	return fmt.Sprint(*p)
}

func firstDiff(a, b []string) string {
	for i := range max(len(a), len(b)) {
		var x, y string
		if i < len(a) {
			x = a[i]
		}
		if i < len(b) {
			y = b[i]
		}
		if x != y {
			return fmt.Sprintf("row %d:\n  %q\n  %q", i, x, y)
		}
	}
	return ""
}

func TestExportEmptyDatabase(t *testing.T) {
	db := openDB(t, backends[0].URL(t))
	client := db.Client
	dir := filepath.Join(t.TempDir(), "new", "dir")
	n := exportDir(t, client, dir, 0)
	if n.Total() != 0 {
		t.Errorf("counts = %+v, want none", n)
	}
	for _, name := range ndjson.LoadOrder {
		if b := readFile(t, dir, name); len(b) != 0 {
			t.Errorf("%s = %q, want an empty file", name, b)
		}
	}
}

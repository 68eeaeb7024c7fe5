package casefold_test

import (
	"context"
	"fmt"
	"testing"

	"entgo.io/ent/dialect"
	entsql "entgo.io/ent/dialect/sql"

	"github.com/c360/c360/ent"
	"github.com/c360/c360/ent/customer"
	"github.com/c360/c360/ent/predicate"
	"github.com/c360/c360/internal/database"
	"github.com/c360/c360/internal/personas"
	"github.com/c360/c360/internal/testservices"
)

const benchCustomers = 10_000

// BenchmarkContainsFold scans 10,000 customers with nameContainsFold (no
// match, so every row is folded), with ent's own predicate (LOWER/ILIKE) and
// with the casefold one; divide ns/op by 10,000 for the cost per row.
func BenchmarkContainsFold(b *testing.B) {
	first := []string{"Aino", "Väinö", "Виктор", "Ödön", "Hans", "Οδυσσέας", "Işık", "Maria", "Jürgen", "Liisa"}
	last := []string{"Virtanen", "Jääskeläinen", "Петров", "Großmann", "Smith", "Σταμάτης", "Yılmaz", "Rossi", "Öberg", "Korhonen"}
	data := map[string]func(i int) string{
		"ascii": func(i int) string { return fmt.Sprintf("Customer Number %d", i) },
		"mixed": func(i int) string {
			return fmt.Sprintf("%s %s %d", first[i%len(first)], last[(i/len(first))%len(last)], i)
		},
	}
	for _, d := range []string{dialect.SQLite, dialect.Postgres} {
		for _, kind := range []string{"ascii", "mixed"} {
			db := testservices.OpenDatabase(b, d, database.Options{})
			ctx := context.Background()
			for lo := 0; lo < benchCustomers; lo += 1000 {
				bulk := make([]*ent.CustomerCreate, 0, 1000)
				for i := lo; i < lo+1000; i++ {
					bulk = append(bulk, db.Client.Customer.Create().SetKind(personas.KindIndividual).SetName(data[kind](i)))
				}
				db.Client.Customer.CreateBulk(bulk...).ExecX(ctx)
			}
			for name, p := range map[string]predicate.Customer{
				"ent":      predicate.Customer(entsql.FieldContainsFold(customer.FieldName, "ZZ")),
				"casefold": customer.NameContainsFold("ZZ"),
			} {
				b.Run(fmt.Sprintf("%s/%s/%s", d, kind, name), func(b *testing.B) {
					for b.Loop() {
						if n := db.Client.Customer.Query().Where(p).CountX(ctx); n != 0 {
							b.Fatal(n)
						}
					}
					b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/benchCustomers, "ns/row")
				})
			}
		}
	}
}

package casefold_test

import (
	"context"
	"database/sql"
	"regexp"
	"slices"
	"strings"
	"testing"

	"entgo.io/ent/dialect"
	entsql "entgo.io/ent/dialect/sql"

	"github.com/c360/c360/ent/customer"
	"github.com/c360/c360/ent/predicate"
	"github.com/c360/c360/internal/database"
	"github.com/c360/c360/internal/testservices"
)

// recorder keeps the last query the client sent.
type recorder struct {
	dialect.Driver
	query string
	args  []any
}

func (r *recorder) Query(ctx context.Context, q string, args, v any) error {
	r.query, r.args = q, args.([]any)
	return r.Driver.Query(ctx, q, args, v)
}

var indexName = regexp.MustCompile(`(?i)(?:using index|index scan using|index only scan using|bitmap index scan on) (\w+)`)

// TestFoldPredicatesKeepTheIndexPaths compares the plans of queries with the
// casefold predicates and with ent's own (LOWER/ILIKE): the same indexes must
// be used. No fold filter could use an index before (a function of the column
// or ILIKE with a letter first); the other terms of a filter, the order and
// exact email lookups keep theirs.
func TestFoldPredicatesKeepTheIndexPaths(t *testing.T) {
	type q struct {
		name     string
		old, new []predicate.Customer
	}
	entFold := func(f func(string, string) func(*entsql.Selector), field, v string) predicate.Customer {
		return predicate.Customer(f(field, v))
	}
	queries := []q{
		{"emailEqualFold",
			[]predicate.Customer{entFold(entsql.FieldEqualFold, customer.FieldEmail, "A@B.FI")},
			[]predicate.Customer{customer.EmailEqualFold("A@B.FI")}},
		{"email and emailContainsFold",
			[]predicate.Customer{customer.Email("a@b.fi"), entFold(entsql.FieldContainsFold, customer.FieldEmail, "B.FI")},
			[]predicate.Customer{customer.Email("a@b.fi"), customer.EmailContainsFold("B.FI")}},
		{"countryIn and nameContainsFold",
			[]predicate.Customer{customer.CountryIn("FI"), entFold(entsql.FieldContainsFold, customer.FieldName, "ВИКТОР")},
			[]predicate.Customer{customer.CountryIn("FI"), customer.NameContainsFold("ВИКТОР")}},
		{"nameEqualFold",
			[]predicate.Customer{entFold(entsql.FieldEqualFold, customer.FieldName, "X")},
			[]predicate.Customer{customer.NameEqualFold("X")}},
	}
	for _, d := range []string{dialect.SQLite, dialect.Postgres} {
		t.Run(d, func(t *testing.T) {
			u := testservices.DatabaseURL(t, d)
			rec := &recorder{}
			db := testservices.Open(t, u, database.Options{Wrap: func(drv dialect.Driver) dialect.Driver { rec.Driver = drv; return rec }})
			driver, explain := database.SQLiteDriver, "EXPLAIN QUERY PLAN "
			if d == dialect.Postgres {
				driver, explain = "pgx", "EXPLAIN "
			}
			raw, err := sql.Open(driver, u)
			if err != nil {
				t.Fatal(err)
			}
			defer raw.Close()
			raw.SetMaxOpenConns(1)
			ctx := context.Background()
			if d == dialect.Postgres { // an empty table: make every possible index path show
				if _, err := raw.ExecContext(ctx, "SET enable_seqscan = off"); err != nil {
					t.Fatal(err)
				}
			}
			indexes := func(ps []predicate.Customer) (string, []string) {
				db.Client.Customer.Query().Where(ps...).Order(customer.ByName()).AllX(ctx)
				rows, err := raw.QueryContext(ctx, explain+rec.query, rec.args...)
				if err != nil {
					t.Fatal(err)
				}
				defer rows.Close()
				cols, _ := rows.Columns()
				var plan []string
				var used []string
				for rows.Next() {
					vals := make([]any, len(cols))
					ptrs := make([]any, len(cols))
					for i := range vals {
						ptrs[i] = &vals[i]
					}
					if err := rows.Scan(ptrs...); err != nil {
						t.Fatal(err)
					}
					line, _ := vals[len(vals)-1].(string)
					plan = append(plan, line)
					for _, m := range indexName.FindAllStringSubmatch(line, -1) {
						used = append(used, m[1])
					}
				}
				slices.Sort(used)
				return strings.Join(plan, " | "), used
			}
			for _, c := range queries {
				oldPlan, oldIdx := indexes(c.old)
				newPlan, newIdx := indexes(c.new)
				if !slices.Equal(oldIdx, newIdx) {
					t.Errorf("%s: indexes %v before, %v now\nbefore: %s\nnow:    %s", c.name, oldIdx, newIdx, oldPlan, newPlan)
				}
				t.Logf("%s: %v: %s", c.name, newIdx, newPlan)
			}
		})
	}
}

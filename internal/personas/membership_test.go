package personas_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"entgo.io/ent/dialect"
	"entgo.io/ent/dialect/sql"

	"github.com/c360/c360/ent"
	"github.com/c360/c360/ent/customer"
	"github.com/c360/c360/ent/persona"
	"github.com/c360/c360/internal/database"
	"github.com/c360/c360/internal/date"
	"github.com/c360/c360/internal/personas"
	"github.com/c360/c360/internal/testservices"
)

func TestMain(m *testing.M) {
	testservices.Main(m)
}

// The SQL predicate (Persona.customers), the read planner's SQL on the stored
// criteria (WriteMatch) and the Go rule (Customer.personas) select exactly the
// same customers, for random criteria and customers, on ordinary days and on
// the awkward ones (leap days, birthdays, year ends).
func TestPredicateAgreesWithMatches(t *testing.T) {
	for _, d := range []string{dialect.SQLite, dialect.Postgres} {
		t.Run(d, func(t *testing.T) {
			db, err := database.Open(context.Background(), testservices.DatabaseURL(t, d), database.Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			ctx := context.Background()
			rng := rand.New(rand.NewPCG(7, 11))
			genders := personas.Gender("").Values()
			bands := personas.IncomeBand("").Values()
			kinds := personas.Kind("").Values()
			countries := []string{"FI", "BG", "IT", "GB"}
			var builders []*ent.CustomerCreate
			for i := range 400 {
				c := db.Client.Customer.Create().SetName(fmt.Sprint("c", i)).SetKind(personas.Kind(kinds[rng.IntN(3)]))
				if rng.IntN(10) > 0 {
					// Births around Feb 29 and year ends, plus anything else.
					b := []string{"2000-02-29", "1996-02-28", "1996-03-01", "1990-12-31", "1991-01-01"}[rng.IntN(5)]
					if rng.IntN(2) == 0 {
						b = fmt.Sprintf("%04d-%02d-%02d", 1930+rng.IntN(80), 1+rng.IntN(12), 1+rng.IntN(28))
					}
					c.SetBirthDate(date.Date(b))
				}
				if rng.IntN(5) > 0 {
					c.SetGender(personas.Gender(genders[rng.IntN(len(genders))]))
				}
				if rng.IntN(5) > 0 {
					c.SetIncomeBand(personas.IncomeBand(bands[rng.IntN(len(bands))]))
				}
				if rng.IntN(5) > 0 {
					c.SetCountry(countries[rng.IntN(len(countries))])
				}
				builders = append(builders, c)
			}
			customers, err := db.Client.Customer.CreateBulk(builders...).Save(ctx)
			if err != nil {
				t.Fatal(err)
			}
			days := []date.Date{"2024-02-29", "2025-02-28", "2025-03-01", "2024-12-31", "2026-01-01", "2026-11-22"}
			for trial := range 300 {
				var c personas.Criteria
				if rng.IntN(2) == 0 {
					n := 10 + rng.IntN(60)
					c.MinAge = &n
				}
				if rng.IntN(2) == 0 {
					n := 20 + rng.IntN(70)
					c.MaxAge = &n
				}
				if rng.IntN(3) == 0 {
					c.Genders = []personas.Gender{personas.Gender(genders[rng.IntN(len(genders))])}
				}
				if rng.IntN(3) == 0 {
					c.IncomeBands = []personas.IncomeBand{personas.IncomeBand(bands[rng.IntN(len(bands))]), personas.IncomeBand(bands[rng.IntN(len(bands))])}
				}
				if rng.IntN(3) == 0 {
					c.Countries = []string{countries[rng.IntN(len(countries))]}
				}
				if rng.IntN(3) == 0 {
					c.Kinds = []personas.Kind{personas.Kind(kinds[rng.IntN(3)])}
				}
				today := days[trial%len(days)]
				ids, err := db.Client.Customer.Query().Where(personas.Predicate(c, today)).IDs(ctx)
				if err != nil {
					t.Fatal(err)
				}
				var want []int
				for _, cu := range customers {
					if c.Matches(profileOf(cu), today) {
						want = append(want, cu.ID)
					}
				}
				slices.Sort(ids)
				if !slices.Equal(ids, want) {
					t.Fatalf("criteria %+v on %s: SQL selects %d customers, Go %d", c, today, len(ids), len(want))
				}
				// Stored raw: the hook would refuse minAge > maxAge, which
				// selects no one in both rules.
				p := db.Client.Persona.Create().SetName(fmt.Sprint("p", trial)).SaveX(ctx)
				storeCriteria(ctx, t, db, p.ID, c, trial%2 == 1)
				if ids := writeMatchIDs(ctx, t, db, p.ID, today); !slices.Equal(ids, want) {
					t.Fatalf("criteria %+v on %s: WriteMatch selects %d customers, Go %d", c, today, len(ids), len(want))
				}
			}
		})
	}
}

// writeMatchIDs selects the members of a stored persona with WriteMatch.
func writeMatchIDs(ctx context.Context, t *testing.T, db *database.DB, personaID int, today date.Date) []int {
	t.Helper()
	b := &sql.Builder{}
	b.SetDialect(db.Dialect)
	b.WriteString(`SELECT "c"."id" FROM "` + customer.Table + `" AS "c" JOIN "` + persona.Table + `" AS "p" ON "p"."id" = `).
		Arg(personaID).WriteString(" WHERE ")
	personas.WriteMatch(b, db.Dialect == dialect.Postgres, `"p"`, `"c"`, today)
	b.WriteString(` ORDER BY "c"."id"`)
	query, args := b.Query()
	rows, err := db.Client.QueryContext(ctx, query, args...)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var ids []int
	for rows.Next() {
		var id int
		if err := rows.Scan(&id); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return ids
}

// storeCriteria writes a persona's criteria as Criteria's JSON does, or with
// every list present, as rows stored before it left empty lists out.
func storeCriteria(ctx context.Context, t *testing.T, db *database.DB, personaID int, c personas.Criteria, emptyLists bool) {
	t.Helper()
	var v any = c
	if emptyLists {
		c = c.Normalized()
		v = struct {
			MinAge      *int                  `json:"minAge,omitempty"`
			MaxAge      *int                  `json:"maxAge,omitempty"`
			Genders     []personas.Gender     `json:"genders"`
			IncomeBands []personas.IncomeBand `json:"incomeBands"`
			Countries   []string              `json:"countries"`
			Kinds       []personas.Kind       `json:"kinds"`
		}{c.MinAge, c.MaxAge, c.Genders, c.IncomeBands, c.Countries, c.Kinds}
	}
	raw, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	b := &sql.Builder{}
	b.SetDialect(db.Dialect)
	b.WriteString(`UPDATE "` + persona.Table + `" SET "` + persona.FieldCriteria + `" = `).Arg(string(raw)).
		WriteString(` WHERE "id" = `).Arg(personaID)
	query, args := b.Query()
	if _, err := db.Client.ExecContext(ctx, query, args...); err != nil {
		t.Fatal(err)
	}
}

// profileOf is what Customer.personas's resolver extracts (graph.profileOf).
func profileOf(c *ent.Customer) personas.Profile {
	return personas.Profile{BirthDate: c.BirthDate, Gender: c.Gender, IncomeBand: c.IncomeBand, Country: c.Country, Kind: c.Kind}
}

func TestAgeOnBirthdaysAndLeapDays(t *testing.T) {
	cases := []struct {
		born, on date.Date
		age      int
	}{
		{"2000-02-29", "2001-02-28", 0},
		{"2000-02-29", "2001-03-01", 1},
		{"2000-02-29", "2004-02-29", 4},
		{"1990-12-31", "2025-12-30", 34},
		{"1990-12-31", "2025-12-31", 35},
		{"1990-01-01", "1990-01-01", 0},
	}
	for _, c := range cases {
		if got := c.born.AgeOn(c.on); got != c.age {
			t.Errorf("born %s on %s: age %d, want %d", c.born, c.on, got, c.age)
		}
		if got := c.born <= c.on.YearsBefore(c.age); !got {
			t.Errorf("born %s on %s: cut-off for %d says no", c.born, c.on, c.age)
		}
		if got := c.born <= c.on.YearsBefore(c.age+1); got {
			t.Errorf("born %s on %s: cut-off for %d says yes", c.born, c.on, c.age+1)
		}
	}
}

package duplicates_test

import (
	"fmt"
	"runtime"
	"testing"
	"time"

	"github.com/c360/c360/internal/duplicates"
	"github.com/c360/c360/internal/ndjson"
	"github.com/c360/c360/internal/seed"
)

func person(id int, name, born, city string, ids ...string) duplicates.Customer {
	return duplicates.Customer{ID: id, Individual: true, Name: name, BirthDate: born, City: city, Country: "FI", Identities: ids}
}

func business(id int, name, country string) duplicates.Customer {
	return duplicates.Customer{ID: id, Name: name, Country: country}
}

func TestNameKeyIgnoresCaseAccentsSpacesAndWordOrder(t *testing.T) {
	for _, tc := range []struct{ a, b string }{
		{"Jääskeläinen  Aino", "aino JAASKELAINEN"},
		{"Niccolò Bianchi", "bianchi niccolo"},
		{"Виктор Петров", "ПЕТРОВ  виктор"},
		{"Kahvila Åberg Oy", "oy aberg kahvila"},
	} {
		if ka, kb := duplicates.NameKey(tc.a), duplicates.NameKey(tc.b); ka != kb {
			t.Errorf("NameKey(%q) = %q, NameKey(%q) = %q: want one key", tc.a, ka, tc.b, kb)
		}
	}
	if duplicates.NameKey("Виктор Петров") == duplicates.NameKey("Victor Petrov") {
		t.Error("names in two scripts got one key")
	}
}

// TestEachRuleWithFinnishBulgarianAndItalianNames: each rule holds for the
// pair it describes and not for the pair that differs in what it needs.
func TestEachRuleWithFinnishBulgarianAndItalianNames(t *testing.T) {
	for _, tc := range []struct {
		name string
		a, b duplicates.Customer
		rule string // "" when no rule may hold
	}{
		{"shared phone", person(1, "Aino Virtanen", "", "Helsinki", "PHONE:+358401234567"),
			person(2, "A. Virtanen", "", "Espoo", "PHONE:+358401234567"), duplicates.SharedIdentity},
		{"different phones", person(1, "Aino Virtanen", "", "Helsinki", "PHONE:+358401234567"),
			person(2, "Mikko Korhonen", "", "Espoo", "PHONE:+358401234568"), ""},
		{"same name without accents, same birth date", person(1, "Aino Jääskeläinen", "1990-04-12", "Tampere"),
			person(2, "Jaaskelainen Aino", "1990-04-12", "Oulu"), duplicates.SameNameBirthDate},
		{"same name, another birth date, other cities", person(1, "Aino Jääskeläinen", "1990-04-12", "Tampere"),
			person(2, "Aino Jaaskelainen", "1991-04-12", "Oulu"), ""},
		{"Bulgarian name in another case, same birth date", person(1, "Виктор Петров", "1985-01-30", "София"),
			person(2, "ВИКТОР ПЕТРОВ", "1985-01-30", "Пловдив"), duplicates.SameNameBirthDate},
		{"across scripts", person(1, "Виктор Петров", "1985-01-30", "София"),
			person(2, "Victor Petrov", "1985-01-30", "Sofia"), ""},
		{"typo in an Italian name, same city", person(1, "Giulia Rossi", "", "Roma"),
			person(2, "Guilia Rossi", "", "Roma"), duplicates.SimilarNameAndCity},
		{"typo in an Italian name, another city", person(1, "Giulia Rossi", "", "Roma"),
			person(2, "Guilia Rossi", "", "Milano"), ""},
		{"similar names in one city, born apart", person(1, "Ciara Gallagher", "1980-01-01", "Roma"),
			person(2, "Ciaran Gallagher", "1990-05-05", "Roma"), ""},
		{"namesakes in one city", person(1, "Marco Bianchi", "", "Roma"),
			person(2, "Bianchi Marco", "", "Roma"), ""},
		{"Bulgarian typo, same city", person(1, "Георги Иванов", "", "Варна"),
			person(2, "Георги Иваноф", "", "Варна"), duplicates.SimilarNameAndCity},
		{"different Finnish names, same city", person(1, "Aino Virtanen", "", "Helsinki"),
			person(2, "Mikko Korhonen", "", "Helsinki"), ""},
		{"same business, same country", business(1, "Kahvila Åberg Oy", "FI"),
			business(2, "KAHVILA ABERG  OY", "FI"), duplicates.SameBusinessName},
		{"same business name, another country", business(1, "Caffè Roma Srl", "IT"),
			business(2, "Caffè Roma Srl", "BG"), ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := duplicates.Match(tc.a, tc.b)
			if tc.rule == "" {
				if c != nil {
					t.Fatalf("Match = %+v, want no candidate", c)
				}
				return
			}
			if c == nil || c.A != 1 || c.B != 2 || c.Reasons[0].Rule != tc.rule || c.Score < 0.7 {
				t.Fatalf("Match = %+v, want a candidate by %s scoring at least 0.7", c, tc.rule)
			}
		})
	}
}

// TestAllAndForAgreeAndAreDeterministic: the whole list holds each pair
// once, best first; one customer's list is its part of the whole.
func TestAllAndForAgreeAndAreDeterministic(t *testing.T) {
	cs := []duplicates.Customer{
		person(5, "Guilia Rossi", "", "Roma"),
		person(1, "Giulia Rossi", "1970-02-02", "Roma", "EMAIL:giulia@example.it"),
		person(3, "Rossi Giulia", "1970-02-02", "Napoli", "EMAIL:giulia@example.it"),
		person(2, "Marco Bianchi", "", "Roma"),
	}
	x := duplicates.NewIndex(cs)
	all := x.All(0.7)
	want := []string{"1-3 1", "1-5 0.78"} // 3 and 5 live in two cities
	if len(all) != len(want) {
		t.Fatalf("All = %+v, want the pairs %v", all, want)
	}
	for i, c := range all {
		if got := fmt.Sprintf("%d-%d %.2g", c.A, c.B, c.Score); got != want[i] {
			t.Errorf("candidate %d = %s, want %s", i, got, want[i])
		}
	}
	if r := all[0].Reasons; len(r) != 2 || r[0].Rule != duplicates.SharedIdentity || r[1].Rule != duplicates.SameNameBirthDate {
		t.Errorf("reasons of 1-3 = %+v, want the shared email and the same name and birth date", r)
	}
	if one := x.For(5, 0.7); len(one) != 1 || one[0].A != 1 || one[0].Score != all[1].Score {
		t.Errorf("For(5) = %+v, want 1-5 as All has it", one)
	}
	if none := x.For(2, 0.7); len(none) != 0 {
		t.Errorf("For(2) = %+v, want none", none)
	}
}

// customersOf collects the generated customers in the rules' terms.
type customersOf struct{ out []duplicates.Customer }

func (c *customersOf) Persona(ndjson.Persona) error   { return nil }
func (c *customersOf) Order(ndjson.Order) error       { return nil }
func (c *customersOf) Feedback(ndjson.Feedback) error { return nil }
func (c *customersOf) Customer(r ndjson.Customer) error {
	d := duplicates.Customer{ID: len(c.out) + 1, Individual: r.Kind == "INDIVIDUAL", Name: r.Name}
	for _, p := range []struct {
		v    *string
		kind string
	}{{r.Email, "EMAIL"}, {r.Phone, "PHONE"}} {
		if p.v != nil {
			d.Identities = append(d.Identities, p.kind+":"+*p.v)
		}
	}
	if r.BirthDate != nil {
		d.BirthDate = *r.BirthDate
	}
	if r.City != nil {
		d.City = *r.City
	}
	if r.Country != nil {
		d.Country = *r.Country
	}
	c.out = append(c.out, d)
	return nil
}

// BenchmarkAllAt100000 finds every candidate among 100,000 generated
// customers, and one customer's.
func BenchmarkAllAt100000(b *testing.B) {
	var cs customersOf
	if err := seed.Generate(seed.Config{Customers: 100000, Seed: 1, Now: time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)}, &cs); err != nil {
		b.Fatal(err)
	}
	var before, after runtime.MemStats
	for b.Loop() {
		runtime.GC()
		runtime.ReadMemStats(&before)
		start := time.Now()
		x := duplicates.NewIndex(cs.out)
		all := x.All(0.7)
		b.ReportMetric(time.Since(start).Seconds(), "s/all")
		runtime.ReadMemStats(&after)
		b.ReportMetric(float64(after.HeapAlloc)/(1<<20), "heap-MiB")
		b.ReportMetric(float64(len(all)), "candidates")
		start = time.Now()
		for id := 1; id <= 1000; id++ {
			x.For(id*97, 0.7)
		}
		b.ReportMetric(float64(time.Since(start).Microseconds())/1000, "µs/one")
	}
}

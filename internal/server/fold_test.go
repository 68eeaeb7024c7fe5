package server_test

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/c360/c360/internal/config"
	"github.com/c360/c360/internal/testservices"
)

// foldCustomers are stored as written; "(NFD)" names are stored decomposed.
var foldCustomers = []string{
	"Виктор Петров",
	"Väinö Jääskeläinen",
	"Åsa Öberg",
	"Οδυσσέας Σταμάτης",
	"Hans Großmann",
	"Grete Grossmann",
	"Işık Yılmaz",
	"İpek Kaya",
	"𐐀𐐯𐑅𐐨𐑉𐐯𐐻 Deseret",
	"Kahvi ☕ 🙂",
	"100% Kahvi_Oy",
	nfd("Jyväskylän Ääni"),
	"Plain Ascii",
}

// nfd decomposes the few precomposed letters the cases use.
func nfd(s string) string {
	return strings.NewReplacer("ä", "a\u0308", "Ä", "A\u0308", "ö", "o\u0308").Replace(s)
}

// foldCases are the filters and the names each must find, on every database.
var foldCases = []struct {
	field, value string
	want         []string
}{
	// The three examples.
	{"nameContainsFold", "иктор петров", []string{"Виктор Петров"}},
	{"nameContainsFold", "ВИКТОР", []string{"Виктор Петров"}},
	{"nameContainsFold", "JÄÄSKELÄINEN", []string{"Väinö Jääskeläinen"}},
	// Swedish/Finnish å, ä, ö; accents are not folded away.
	{"nameContainsFold", "åsa öBERG", []string{"Åsa Öberg"}},
	{"nameContainsFold", "vaino", nil},
	// Greek: Σ, σ and final ς fold alike wherever they stand.
	{"nameContainsFold", "ΣΤΑΜΆΤΗΣ", []string{"Οδυσσέας Σταμάτης"}},
	{"nameContainsFold", "σταμάτησ", []string{"Οδυσσέας Σταμάτης"}},
	{"nameContainsFold", "ΟΔΥΣΣΈΑΣ", []string{"Οδυσσέας Σταμάτης"}},
	{"nameContainsFold", "ςταμ", []string{"Οδυσσέας Σταμάτης"}},
	// German ß folds like ss (full case folding), so both spellings find both.
	{"nameContainsFold", "GROSSMANN", []string{"Grete Grossmann", "Hans Großmann"}},
	{"nameContainsFold", "großmann", []string{"Grete Grossmann", "Hans Großmann"}},
	{"nameContainsFold", "GROẞMANN", []string{"Grete Grossmann", "Hans Großmann"}},
	// Turkish: ı's upper case is I, so ı, I and i fold alike; İ folds to i + U+0307.
	{"nameContainsFold", "IŞIK", []string{"Işık Yılmaz"}},
	{"nameContainsFold", "işik yilmaz", []string{"Işık Yılmaz"}},
	{"nameContainsFold", "İPEK", []string{"İpek Kaya"}},
	{"nameContainsFold", "i̇pek", []string{"İpek Kaya"}},
	// Astral characters: Deseret has case, emoji have none.
	{"nameContainsFold", "𐐨𐐯𐑅𐐨𐑉𐐯𐐻", []string{"𐐀𐐯𐑅𐐨𐑉𐐯𐐻 Deseret"}},
	{"nameContainsFold", "𐐀𐐇𐐝𐐀𐐡𐐇𐐓", []string{"𐐀𐐯𐑅𐐨𐑉𐐯𐐻 Deseret"}},
	{"nameContainsFold", "☕ 🙂", []string{"Kahvi ☕ 🙂"}},
	// Normalisation: NFC and NFD spellings find each other.
	{"nameContainsFold", "JYVÄSKYLÄN ÄÄNI", []string{nfd("Jyväskylän Ääni")}},
	{"nameContainsFold", nfd("jääskeläinen"), []string{"Väinö Jääskeläinen"}},
	// LIKE's wildcards are literal.
	{"nameContainsFold", "100%", []string{"100% Kahvi_Oy"}},
	{"nameContainsFold", "i_o", []string{"100% Kahvi_Oy"}},
	{"nameContainsFold", "%", []string{"100% Kahvi_Oy"}},
	{"nameContainsFold", `\`, nil},
	// EqualFold folds the same way and matches whole values only.
	{"nameEqualFold", "виктор петров", []string{"Виктор Петров"}},
	{"nameEqualFold", "HANS GROSSMANN", []string{"Hans Großmann"}},
	{"nameEqualFold", "ΟΔΥΣΣΈΑΣ ΣΤΑΜΆΤΗΣ", []string{"Οδυσσέας Σταμάτης"}},
	{"nameEqualFold", "виктор", nil},
	{"nameEqualFold", "100% kahvi_oy", []string{"100% Kahvi_Oy"}},
	{"nameEqualFold", "100% kahvi%", nil},
	{"cityContainsFold", "HELSINGFORS", []string{"Väinö Jääskeläinen"}},
	{"cityEqualFold", "ΑΘΉΝΑ", []string{"Οδυσσέας Σταμάτης"}},
}

// foldTargets are the databases the fold must agree on: SQLite, the test
// PostgreSQL (C locale: ILIKE and lower() fold ASCII only), a database in the
// libc C.UTF-8 locale when the system has it, and one whose default collation
// is ICU Turkish, where lower() and ILIKE fold I to ı.
func foldTargets(t *testing.T) map[string]string {
	pg := testservices.PostgreSQL(t)
	u, err := url.Parse(pg)
	if err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("pgx", pg)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	targets := map[string]string{"sqlite": testservices.DatabaseURL(t, "sqlite3"), "postgres-C": pg}
	for target, locale := range map[string]string{
		"postgres-C.utf8": `LOCALE 'C.utf8'`,
		"postgres-tr-icu": `LOCALE 'C' LOCALE_PROVIDER icu ICU_LOCALE 'tr-TR'`,
	} {
		name := strings.ReplaceAll(target, ".", "_") + "_" + strings.TrimPrefix(u.Path, "/")
		_, err := db.ExecContext(context.Background(), fmt.Sprintf(`CREATE DATABASE %q TEMPLATE template0 ENCODING 'UTF8' %s`, name, locale))
		if err != nil {
			if target == "postgres-C.utf8" { // a system locale, not always installed
				t.Logf("no %s database: %v", target, err)
				continue
			}
			t.Fatal(err)
		}
		tu := *u
		tu.Path = "/" + name
		targets[target] = tu.String()
	}
	return targets
}

func TestContainsFoldFindsUnicodeCaseInsensitivelyOnBothDatabases(t *testing.T) {
	got := map[string][]string{} // target → one line per case
	for target, dbURL := range foldTargets(t) {
		t.Run(target, func(t *testing.T) {
			a := newAPIAt(t, dbURL, func(c *config.Config) {})
			cities := map[string]string{"Väinö Jääskeläinen": "Helsingfors", "Οδυσσέας Σταμάτης": "Αθήνα"}
			for _, n := range foldCustomers {
				in := map[string]any{"kind": "INDIVIDUAL", "name": n}
				if c, ok := cities[n]; ok {
					in["city"] = c
				}
				a.customer(in)
			}
			for _, c := range foldCases {
				var p page
				a.ok(`query($w: CustomerWhereInput) { customers(first: 100, where: $w, orderBy: {field: NAME}) { totalCount edges { node { name } } } }`,
					map[string]any{"w": map[string]any{c.field: c.value}}, &p)
				names := p.names()
				slices.Sort(names)
				want := slices.Clone(c.want)
				slices.Sort(want)
				if !slices.Equal(names, want) {
					t.Errorf("%s: %q found %q, want %q", c.field, c.value, names, want)
				}
				got[target] = append(got[target], fmt.Sprintf("%s %q: %q", c.field, c.value, names))
			}
		})
	}
	// The same rows on every database, whatever each one's expectation.
	for target, lines := range got {
		if target != "sqlite" && got["sqlite"] != nil && !slices.Equal(lines, got["sqlite"]) {
			for i := range lines {
				if i < len(got["sqlite"]) && lines[i] != got["sqlite"][i] {
					t.Errorf("%s differs from sqlite: %s, sqlite %s", target, lines[i], got["sqlite"][i])
				}
			}
		}
	}
}

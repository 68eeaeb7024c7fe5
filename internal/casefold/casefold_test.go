package casefold_test

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"unicode"

	entsql "entgo.io/ent/dialect/sql"

	"github.com/c360/c360/internal/casefold"
	"github.com/c360/c360/internal/database"
	"github.com/c360/c360/internal/testservices"
)

func TestMain(m *testing.M) { testservices.Main(m) }

func TestString(t *testing.T) {
	for in, want := range map[string]string{
		"":                   "",
		"plain ascii":        "plain ascii",
		"MiXeD 123 %_\\":     "mixed 123 %_\\",
		"Виктор Петров":      "виктор петров",
		"Väinö JÄÄSKELÄINEN": "väinö jääskeläinen",
		"Straße STRAẞE":      "strasse strasse",
		"ΟΔΥΣΣΈΑΣ Σταμάτης":  "οδυσσέασ σταμάτησ",
		"Işık İpek":          "işik i\u0307pek",
		"ﬁnn":                "finn",
		"a\u0308":            "ä", // NFD becomes NFC
		"𐐀𐐯𐑅":                "𐐨𐐯𐑅",
		"Kahvi ☕ 🙂":          "kahvi ☕ 🙂",
		"\u212a\u00b5\u017f": "kμs", // Kelvin sign, micro sign, long s
	} {
		if got := casefold.String(in); got != want {
			t.Errorf("String(%q) = %q, want %q", in, got, want)
		}
	}
}

// pgFold is the PostgreSQL expression the predicates use, on the column x.
func pgFold(t *testing.T) string {
	t.Helper()
	s, args := entsql.Dialect("postgres").Select().From(entsql.Table("t")).
		Where(casefold.EqualFold("x", "")).Query()
	if len(args) != 1 {
		t.Fatalf("args %v", args)
	}
	expr := s[strings.Index(s, "WHERE ")+len("WHERE "):]
	return strings.TrimSuffix(expr, " = $1")
}

// TestPostgreSQLFoldsLikeGo compares the fold of every code point, and of
// strings where context matters, on PostgreSQL (in the C locale) and in Go.
func TestPostgreSQLFoldsLikeGo(t *testing.T) {
	db, err := sql.Open("pgx", testservices.PostgreSQL(t))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	expr := strings.ReplaceAll(pgFold(t), `"x"`, "chr(i)")
	ctx := context.Background()
	var version, icu string
	if err := db.QueryRowContext(ctx, `SELECT current_setting('server_version'), coalesce(collversion, '') FROM pg_collation WHERE collname = 'und-x-icu'`).Scan(&version, &icu); err != nil {
		t.Fatal(err)
	}
	t.Logf("PostgreSQL %s, ICU collation version %s", version, icu)
	rows, err := db.QueryContext(ctx, fmt.Sprintf(
		`SELECT i, f FROM (SELECT i, %s AS f FROM generate_series(1, 1114111) i WHERE i < 55296 OR i > 57343) s WHERE f <> chr(i)`, expr))
	if err != nil {
		t.Fatal(err)
	}
	pg := map[rune]string{}
	for rows.Next() {
		var i rune
		var f string
		if err := rows.Scan(&i, &f); err != nil {
			t.Fatal(err)
		}
		pg[i] = f
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	var differ, newer int
	for r := rune(1); r <= unicode.MaxRune; r++ {
		if r >= 0xD800 && r <= 0xDFFF {
			continue
		}
		g := casefold.String(string(r))
		p, ok := pg[r]
		if !ok {
			p = string(r)
		}
		if g != p {
			if !unicode.In(r, unicode.L, unicode.M, unicode.N, unicode.P, unicode.S, unicode.Z, unicode.Cc, unicode.Cf, unicode.Co) {
				newer++ // unassigned in Go's Unicode tables: the server's ICU knows a newer Unicode
				continue
			}
			differ++
			if differ <= 20 {
				t.Errorf("U+%04X %q: Go folds to %q, PostgreSQL to %q", r, string(r), g, p)
			}
		}
	}
	if differ > 0 {
		t.Errorf("%d code points fold differently", differ)
	}
	t.Logf("%d code points fold to something else; %d differ only because Go's Unicode is older", len(pg), newer)

	// Context: final sigma, NFD input, ligatures, mixed scripts.
	for _, s := range []string{"ΟΔΟΣ ΟΔΟΣ.", "Σ", "ΑΣ", "σΣς", "Jyva\u0308skyla\u0308", "ﬃ ǅ ᾈ ΐ ŉ", "İstanbul ISPARTA ıi", "Ω\u212b"} {
		var p string
		q := strings.ReplaceAll(pgFold(t), `"x"`, "$1::text")
		if err := db.QueryRowContext(ctx, "SELECT "+q, s).Scan(&p); err != nil {
			t.Fatal(err)
		}
		if g := casefold.String(s); g != p {
			t.Errorf("%q: Go folds to %q, PostgreSQL to %q", s, g, p)
		}
	}
}

// TestSQLiteFunction checks the function registered on SQLite connections,
// NULL included.
func TestSQLiteFunction(t *testing.T) {
	db, err := sql.Open(database.SQLiteDriver, "file:"+t.TempDir()+"/f.db")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var got sql.NullString
	if err := db.QueryRow("SELECT "+casefold.SQLiteFunc+"(?)", "ΟΔΟΣ Straße").Scan(&got); err != nil {
		t.Fatal(err)
	}
	if got.String != "οδοσ strasse" {
		t.Fatalf("got %q", got.String)
	}
	if err := db.QueryRow("SELECT " + casefold.SQLiteFunc + "(NULL)").Scan(&got); err != nil || got.Valid {
		t.Fatalf("NULL: %v %v", got, err)
	}
}

// TestStringIsTheReference compares the fast fold with x/text's full case
// mappings on every code point and on strings where context could matter.
func TestStringIsTheReference(t *testing.T) {
	bad := 0
	for r := rune(1); r <= unicode.MaxRune; r++ {
		if r >= 0xD800 && r <= 0xDFFF {
			continue
		}
		if g, w := casefold.String(string(r)), casefold.Reference(string(r)); g != w {
			if bad++; bad <= 20 {
				t.Errorf("U+%04X %q: %q, reference %q", r, string(r), g, w)
			}
		}
	}
	for _, s := range []string{"ΟΔΟΣ ΟΔΟΣ. σΣς", "Jyva\u0308skyla\u0308 A\u030a", "ﬃ ǅ ᾈ ΐ ŉ ᾳ\u0301 ι\u0345", "İstanbul ISPARTA ıi i\u0307", "Ω\u212b \u1e9e ß", "𐐀𐐯𐑅 ☕ 🙂"} {
		if g, w := casefold.String(s), casefold.Reference(s); g != w {
			t.Errorf("%q: %q, reference %q", s, g, w)
		}
	}
}

// TestCheckPostgres accepts the test server's UTF8 database and refuses one
// where the fold cannot be computed (SQL_ASCII: no ICU, no normalize()).
func TestCheckPostgres(t *testing.T) {
	pg := testservices.PostgreSQL(t)
	db, err := sql.Open("pgx", pg)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	if err := casefold.CheckPostgres(ctx, db); err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(pg)
	if err != nil {
		t.Fatal(err)
	}
	name := "ascii_" + strings.TrimPrefix(u.Path, "/")
	if _, err := db.ExecContext(ctx, fmt.Sprintf(`CREATE DATABASE %q TEMPLATE template0 ENCODING 'SQL_ASCII' LOCALE 'C'`, name)); err != nil {
		t.Fatal(err)
	}
	u.Path = "/" + name
	ascii, err := sql.Open("pgx", u.String())
	if err != nil {
		t.Fatal(err)
	}
	defer ascii.Close()
	if err := casefold.CheckPostgres(ctx, ascii); err == nil || !strings.Contains(err.Error(), "UTF8") {
		t.Fatalf("SQL_ASCII database: %v", err)
	} else {
		t.Log(err)
	}
}

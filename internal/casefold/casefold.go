// Package casefold is the case-insensitive matching behind every generated
// …EqualFold and …ContainsFold predicate (see ent/template/casefold.tmpl): one
// fold, computed the same way by SQLite (a Go function registered on every
// connection) and by PostgreSQL (ICU case mapping, whatever the server's
// locale), so both databases return the same rows.
//
// The fold of a string is: Unicode NFC normalisation, then full upper-casing,
// then full lower-casing (both in the root locale: no Turkish or Lithuanian
// rules), then every ς (final sigma) becomes σ and every ß (left only by ẞ)
// becomes ss. In effect this is Unicode full case folding with one addition,
// dotless ı (below):
//
//   - ß, ẞ, "SS" and "ss" fold alike ("STRASSE" finds "Straße"), as do the
//     ligatures ﬁ/"fi" and the other characters whose upper case is longer.
//   - Σ, σ and ς fold alike wherever they are in a word.
//   - Turkish dotless ı folds like i and I (its upper case is I), so "IŞIK"
//     finds "Işık"; İ folds to i followed by U+0307 COMBINING DOT ABOVE, so it
//     matches itself and "i̇" but not plain "i".
//   - Canonically equivalent strings (NFC and NFD) fold alike.
//   - Accents are kept: "vaino" does not find "Väinö".
//
// PostgreSQL computes it as
//
//	replace(replace(lower(upper(normalize(x, NFC) COLLATE "und-x-icu")), 'ς', 'σ'), 'ß', 'ss')
//
// (normalising only values that are not NFC already), which needs a UTF8
// database on a server built with ICU (Debian's and the official packages
// are); the explicit ICU root collation makes it independent of the server's
// and the database's locale. On both databases a value that is all ASCII is
// folded by the database's own lower() instead, which is the same fold and far
// cheaper. The two sides could differ only on characters one side's Unicode
// tables do not know yet (Go's are Unicode 15.0); a test compares every code
// point.
package casefold

import (
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"github.com/mattn/go-sqlite3"
	"golang.org/x/text/cases"
	"golang.org/x/text/language"
	"golang.org/x/text/unicode/norm"
)

// SQLiteFunc is the name of the SQL function registered on SQLite
// connections; it computes String.
const SQLiteFunc = "c360_casefold"

// special maps the runes whose fold is not simply unicode.ToLower of
// unicode.ToUpper (ß, ẞ, İ, ligatures, Greek letters with ypogegrammeni, ...)
// to their fold, computed with golang.org/x/text/cases on the first non-ASCII
// fold (about 2 ms): only lower- and title-case letters (and İ) have such
// special full case mappings.
var special = sync.OnceValue(func() map[rune]string {
	up, low := cases.Upper(language.Und), cases.Lower(language.Und)
	m := map[rune]string{}
	check := func(r rune) {
		if f := reference(up, low, string(r)); f != simple(r) {
			m[r] = f
		}
	}
	for _, t := range []*unicode.RangeTable{unicode.Ll, unicode.Lt} {
		for _, rg := range t.R16 {
			for r := rune(rg.Lo); r <= rune(rg.Hi); r += rune(rg.Stride) {
				check(r)
			}
		}
		for _, rg := range t.R32 {
			for r := rune(rg.Lo); r <= rune(rg.Hi); r += rune(rg.Stride) {
				check(r)
			}
		}
	}
	check('İ')
	check('ẞ')
	for r := range m {
		if r < 1<<16 {
			specialBMP[r/64] |= 1 << (r % 64)
		}
	}
	return m
})

// specialBMP has a bit set for every rune below U+10000 in special: most runes
// are then folded without a map lookup.
var specialBMP [1 << 16 / 64]uint64

// simple is the fold of a rune without special case mappings.
func simple(r rune) string {
	return string(unicode.ToLower(unicode.ToUpper(r)))
}

// reference is the definition of the fold of an NFC string, with x/text's
// full case mappings: String computes the same faster.
func reference(up, low cases.Caser, s string) string {
	return sigmaAndSharpS.Replace(low.String(up.String(s)))
}

// sigmaAndSharpS finishes the fold: final sigma as σ, and ß, which survives
// upper- then lower-casing only when it was ẞ (U+1E9E), as ss.
var sigmaAndSharpS = strings.NewReplacer("ς", "σ", "ß", "ss")

// String returns the fold of s (see the package comment).
func String(s string) string {
	ascii, upper := true, false
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= utf8.RuneSelf {
			ascii = false
			break
		}
		if 'A' <= c && c <= 'Z' {
			upper = true
		}
	}
	if ascii {
		if !upper {
			return s
		}
		b := []byte(s)
		for i, c := range b {
			if 'A' <= c && c <= 'Z' {
				b[i] = c + 'a' - 'A'
			}
		}
		return string(b)
	}
	s = norm.NFC.String(s)
	special := special()
	var b strings.Builder
	b.Grow(len(s) + 8)
	for _, r := range s {
		if r >= 1<<16 || specialBMP[r/64]&(1<<(r%64)) != 0 {
			if f, ok := special[r]; ok {
				b.WriteString(f)
				continue
			}
		}
		b.WriteRune(unicode.ToLower(unicode.ToUpper(r)))
	}
	return b.String()
}

// Reference is the fold computed by x/text's casers, for tests.
func Reference(s string) string {
	return reference(cases.Upper(language.Und), cases.Lower(language.Und), norm.NFC.String(s))
}

// RegisterSQLite registers SQLiteFunc on a SQLite connection, as a
// deterministic function so that SQLite may use it in indexes and constant
// folding.
func RegisterSQLite(conn *sqlite3.SQLiteConn) error {
	return conn.RegisterFunc(SQLiteFunc, sqliteFold, true)
}

// sqliteFold folds TEXT and passes NULL (which go-sqlite3 hands over as a nil
// []byte) and other values through unchanged.
func sqliteFold(v any) any {
	switch v := v.(type) {
	case string:
		return String(v)
	case []byte:
		if v == nil {
			return nil
		}
		return String(string(v))
	default:
		return v
	}
}

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
// which needs a UTF8 database on a server built with ICU (Debian's and the
// official packages are). The two can differ only on characters that one
// side's Unicode tables do not know yet (Go's are Unicode 15.0).
package casefold

import (
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/mattn/go-sqlite3"
	"golang.org/x/text/cases"
	"golang.org/x/text/language"
	"golang.org/x/text/unicode/norm"
)

// SQLiteFunc is the name of the SQL function registered on SQLite
// connections; it computes String.
const SQLiteFunc = "c360_casefold"

// casers holds upper- and lower-casers: a cases.Caser is stateful.
var casers = sync.Pool{New: func() any {
	return &caser{upper: cases.Upper(language.Und), lower: cases.Lower(language.Und)}
}}

type caser struct{ upper, lower cases.Caser }

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
	c := casers.Get().(*caser)
	defer casers.Put(c)
	f := c.lower.String(c.upper.String(norm.NFC.String(s)))
	return sigmaAndSharpS.Replace(f)
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

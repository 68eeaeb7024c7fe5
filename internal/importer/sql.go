package importer

import (
	"context"
	stdsql "database/sql"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

	"entgo.io/ent/dialect"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
)

// Customers, orders, items and feedback are written with multi-row
// INSERT ... VALUES statements sent through the transaction's
// ExecContext/QueryContext (ent's sql/execquery feature) instead of ent's
// CreateBulk, which builds a mutation, runs hooks and allocates a node per
// row, and made the import CPU-bound in Go.
//
// On SQLite the statements go through QueryContext: go-sqlite3 then binds all
// arguments and runs the first step in one cgo crossing, where ExecContext
// makes one crossing per argument. An INSERT (with or without RETURNING) does
// all its work in that first step. (Sending the rows as one JSON argument
// unpacked by json_each was measured too: fewer Go allocations, but SQLite's
// JSON extraction cost more than the parse and binds it saves.)
//
// The checks of check.go are the rules the ent schema's validators and hooks
// apply (email lower-cased, feedback score per kind, text lengths), so the
// rows are those ent would write. The database assigns the ids; RETURNING
// tells those the import needs (customers', new orders').

// maxRowsPerStatement bounds the rows of one INSERT (and maxParams its
// parameters). SQLite connections keep their prepared statements by text
// (database.SQLiteStatementCache), and a statement's compiled program and
// the argument buffer go-sqlite3 keeps with it grow with its rows: with
// 1,000 rows a statement, importing 1,000,000 orders peaked at 208-212 MB
// of RSS, with 250 at 194-196 MB, at the same speed.
const maxRowsPerStatement = 250

// perStatement is the number of rows of one INSERT into t.
func (t *table) perStatement() int { return min(maxRowsPerStatement, maxParams/len(t.cols)) }

// maxLookup bounds the externalRefs looked up by one query (they travel as
// one JSON array argument).
const maxLookup = 20000

// table is an INSERT into one table: multi-row VALUES on SQLite, from the
// staging table on PostgreSQL.
type table struct {
	name   string
	cols   []string
	suffix string // ON CONFLICT ... / RETURNING ...

	once sync.Once
	full string // the SQLite statement for perStatement rows
}

// sql returns the SQLite statement for n rows.
func (t *table) sql(n int) string {
	if n != t.perStatement() {
		return t.build(n)
	}
	t.once.Do(func() { t.full = t.build(n) })
	return t.full
}

func (t *table) build(rows int) string {
	var b strings.Builder
	b.Grow(64 + rows*len(t.cols)*7 + len(t.suffix))
	b.WriteString("INSERT INTO ")
	b.WriteString(t.name)
	b.WriteString(" (")
	b.WriteString(strings.Join(t.cols, ", "))
	b.WriteString(") VALUES ")
	for r := range rows {
		if r > 0 {
			b.WriteString(", ")
		}
		b.WriteByte('(')
		for c := range t.cols {
			if c > 0 {
				b.WriteString(", ")
			}
			b.WriteByte('?')
		}
		b.WriteByte(')')
	}
	b.WriteString(t.suffix)
	return b.String()
}

// setExcluded returns "c1 = excluded.c1, c2 = excluded.c2, ..." for cols.
func setExcluded(cols []string) string {
	parts := make([]string, len(cols))
	for i, c := range cols {
		parts[i] = c + " = excluded." + c
	}
	return strings.Join(parts, ", ")
}

// rows collects the arguments of the rows of an INSERT, row after row.
type rows struct {
	args []any
	n    int
}

// newRows returns an empty rows for n rows of cols columns, reusing the
// argument slices of earlier transactions (the writing goroutine's garbage
// was a large part of an import's CPU time).
func (w *txWriter) newRows(n, cols int) *rows {
	l := w.l
	var args []any
	for i, a := range l.freeArgs {
		if cap(a) >= n*cols {
			args = a
			l.freeArgs = append(l.freeArgs[:i], l.freeArgs[i+1:]...)
			break
		}
	}
	if args == nil {
		args = make([]any, 0, n*cols)
	}
	r := &rows{args: args}
	w.used = append(w.used, r)
	return r
}

// release gives the argument slices back for reuse, without their values.
func (w *txWriter) release() {
	for _, r := range w.used {
		clear(r.args)
		if len(w.l.freeArgs) < 4 {
			w.l.freeArgs = append(w.l.freeArgs, r.args[:0])
		}
	}
	w.used = nil
}

func (r *rows) row()      { r.n++ }
func (r *rows) arg(v any) { r.args = append(r.args, v) }

// exec inserts the rows of r into t; scan, when set, is called for each row
// the statement returns (RETURNING).
func (w *txWriter) exec(t *table, r *rows, scan func(*stdsql.Rows) error) error {
	if r.n == 0 {
		return nil
	}
	f := scan
	if f == nil {
		f = func(*stdsql.Rows) error { return nil }
	}
	if w.l.db.Dialect == dialect.Postgres {
		if err := w.copyToStage(t, r); err != nil {
			return err
		}
		cols := strings.Join(t.cols, ", ")
		return w.query("INSERT INTO "+t.name+" ("+cols+") SELECT "+cols+" FROM "+stage(t)+" ORDER BY ord"+t.suffix, nil, f)
	}
	n := len(t.cols)
	per := t.perStatement()
	for lo := 0; lo < r.n; lo += per {
		hi := min(lo+per, r.n)
		if err := w.query(t.sql(hi-lo), r.args[lo*n:hi*n], f); err != nil {
			return err
		}
	}
	return nil
}

// stage names the PostgreSQL staging table of t: a temporary table (one per
// session, emptied at every commit) with t's columns, no constraints, and
// the rows' ordinal: ids that the table assigns (items) follow the rows'
// order, as with INSERT ... VALUES, only when the upsert reads them in it.
func stage(t *table) string { return "c360_stage_" + t.name }

// copyToStage sends the rows of r to t's staging table with COPY (binary),
// in the batch's transaction. COPY costs a fraction of a multi-row INSERT
// per row (no statement to parse, no parameters to bind); the upsert from
// the staging table is then one statement per table.
func (w *txWriter) copyToStage(t *table, r *rows) error {
	_, err := w.tx.ExecContext(w.ctx, "CREATE TEMPORARY TABLE IF NOT EXISTS "+stage(t)+
		" ON COMMIT DELETE ROWS AS SELECT "+strings.Join(t.cols, ", ")+", 0 AS ord FROM "+t.name+" WITH NO DATA")
	if err != nil { // a batch writes each table once: the stage is empty
		return err
	}
	n := len(t.cols)
	return w.conn.Raw(func(dc any) error {
		c, ok := dc.(*stdlib.Conn)
		if !ok {
			return fmt.Errorf("import: PostgreSQL connection is a %T, not pgx's", dc)
		}
		row := make([]any, n+1)
		_, err := c.Conn().CopyFrom(w.ctx, pgx.Identifier{stage(t)}, append(t.cols[:n:n], "ord"),
			pgx.CopyFromSlice(r.n, func(i int) ([]any, error) {
				copy(row, r.args[i*n:(i+1)*n])
				row[n] = i
				return row, nil
			}))
		return err
	})
}

const hexDigits = "0123456789abcdef"

// appendJSONString appends s as a JSON string. Invalid UTF-8 (which the
// checks and the decoder rule out) would become U+FFFD, as encoding/json does.
func appendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' && c < utf8.RuneSelf {
			i++
			continue
		}
		if c >= utf8.RuneSelf {
			r, size := utf8.DecodeRuneInString(s[i:])
			if r == utf8.RuneError && size == 1 {
				b = append(b, s[start:i]...)
				b = append(b, `\ufffd`...)
				i += size
				start = i
				continue
			}
			i += size
			continue
		}
		b = append(b, s[start:i]...)
		switch c {
		case '"', '\\':
			b = append(b, '\\', c)
		case '\n':
			b = append(b, '\\', 'n')
		case '\r':
			b = append(b, '\\', 'r')
		case '\t':
			b = append(b, '\\', 't')
		default:
			b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
		}
		i++
		start = i
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// query runs q and calls scan for each row.
func (w *txWriter) query(q string, args []any, scan func(*stdsql.Rows) error) error {
	rows, err := w.tx.QueryContext(w.ctx, q, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := scan(rows); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return err
	}
	return rows.Close()
}

// jsonStrings returns refs as a JSON array.
func jsonStrings(refs []string) string {
	n := 2
	for _, r := range refs {
		n += len(r) + 3
	}
	b := make([]byte, 0, n)
	b = append(b, '[')
	for i, r := range refs {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendJSONString(b, r)
	}
	return string(append(b, ']'))
}

// inJSON returns the SQL of "column IN <the strings of a JSON array argument>".
func (w *txWriter) inJSON(column string) string {
	if w.l.db.Dialect == dialect.Postgres {
		return column + " IN (SELECT json_array_elements_text($1::json))"
	}
	return column + " IN (SELECT value FROM json_each(?))"
}

// SQLite connection settings during an import (writer connection), both
// about memory only, never durability, and both restored by Flush:
//
//   - PRAGMA cache_size: the default 2 MiB is far smaller than the indexes a
//     batch touches at random places (orders.placed_at, customers.name and
//     email, feedback.submitted_at), so every statement would evict and
//     re-read pages. 32 MiB: more bought little, and it counts in the
//     import's peak memory.
//   - PRAGMA temp_store = MEMORY: a multi-row INSERT into a table with a
//     foreign key (or an explicit id) keeps a statement journal, the
//     original of every page it changes, so that a failing statement can be
//     undone alone. By default the journal spills to a temporary file beyond
//     64 KiB; measured with strace, those writes outnumbered the WAL's.
const importCacheKiB = 32 << 10

// sqliteSettings are the settings tuneSQLite changed, to restore.
type sqliteSettings struct {
	changed              bool
	cacheSize, tempStore int
}

// pragmaInt reads an integer PRAGMA.
func pragmaInt(ctx context.Context, conn *stdsql.Conn, name string) (int, error) {
	var v int
	err := conn.QueryRowContext(ctx, "PRAGMA "+name).Scan(&v)
	return v, err
}

// tuneSQLite applies the import's SQLite settings (once per Loader) on the
// writer connection.
func (l *Loader) tuneSQLite(tx *stdsql.Conn) error {
	if l.db.Dialect != dialect.SQLite || l.sqlite.changed {
		return nil
	}
	cache, err := pragmaInt(l.ctx, tx, "cache_size")
	if err != nil {
		return err
	}
	temp, err := pragmaInt(l.ctx, tx, "temp_store")
	if err != nil {
		return err
	}
	l.sqlite = sqliteSettings{changed: true, cacheSize: cache, tempStore: temp}
	// cache_size: negative is KiB, positive pages (of 4 KiB by default).
	if cache >= 0 && cache*4 < importCacheKiB || cache < 0 && -cache < importCacheKiB {
		if _, err := tx.ExecContext(l.ctx, "PRAGMA cache_size = "+strconv.Itoa(-importCacheKiB)); err != nil {
			return err
		}
	}
	_, err = tx.ExecContext(l.ctx, "PRAGMA temp_store = MEMORY")
	return err
}

// restoreSQLite puts the settings back (Flush).
func (l *Loader) restoreSQLite() error {
	if !l.sqlite.changed {
		return nil
	}
	l.sqlite.changed = false
	conn, err := l.db.WriterConn(l.ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	_, err = conn.ExecContext(l.ctx, "PRAGMA cache_size = "+strconv.Itoa(l.sqlite.cacheSize))
	if err == nil {
		_, err = conn.ExecContext(l.ctx, "PRAGMA temp_store = "+strconv.Itoa(l.sqlite.tempStore))
	}
	return err
}

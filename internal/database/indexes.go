package database

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"entgo.io/ent/dialect"
	"entgo.io/ent/dialect/sql/schema"

	"github.com/c360/c360/ent/migrate"
)

// Bulk loads defer the secondary indexes. Keeping an index up to date row by
// row costs a B-tree descent per row and index (at random places for keys
// like placed_at); building it after the rows are in is one sort. Measured on
// SQLite with 100,000 customers (1.26 million records): 27.9 s with the
// indexes in place, 12.1 s without plus 3.0 s to build them. Only the
// non-unique indexes are deferred (the unique ones are the upsert keys), and
// only on tables that are empty when the load starts: there is nothing to
// serve from them yet, and a later import into a filled table keeps its
// indexes. EnsureIndexes, which Open runs, builds whatever an interrupted
// load left missing, so no index stays missing across a crash.

// secondaryIndexes returns the non-unique indexes the ent schema declares on
// table.
func secondaryIndexes(table string) []*schema.Index {
	var out []*schema.Index
	for _, t := range migrate.Tables {
		if t.Name != table {
			continue
		}
		for _, idx := range t.Indexes {
			if !idx.Unique {
				out = append(out, idx)
			}
		}
	}
	return out
}

// DeferIndexes drops the secondary indexes of those tables that are empty,
// through conn (outside a transaction), and returns the tables whose indexes
// it dropped. EnsureIndexes builds them again.
func DeferIndexes(ctx context.Context, conn *sql.Conn, tables ...string) ([]string, error) {
	var deferred []string
	for _, table := range tables {
		idx := secondaryIndexes(table)
		if len(idx) == 0 {
			continue
		}
		var filled bool
		if err := conn.QueryRowContext(ctx, "SELECT EXISTS (SELECT 1 FROM "+quote(table)+")").Scan(&filled); err != nil {
			return deferred, fmt.Errorf("deferring the indexes of %s: %w", table, err)
		}
		if filled {
			continue
		}
		for _, i := range idx {
			if _, err := conn.ExecContext(ctx, "DROP INDEX IF EXISTS "+quote(i.Name)); err != nil {
				return deferred, fmt.Errorf("deferring index %s: %w", i.Name, err)
			}
		}
		deferred = append(deferred, table)
	}
	return deferred, nil
}

// EnsureIndexes creates every index of the ent schema that the database
// lacks (after a bulk load, or one that was interrupted), through conn.
func EnsureIndexes(ctx context.Context, conn *sql.Conn, d string) error {
	existing := make(map[string]bool)
	q := "SELECT name FROM sqlite_master WHERE type = 'index'"
	if d == dialect.Postgres {
		q = "SELECT indexname FROM pg_indexes WHERE schemaname = current_schema()"
	}
	rows, err := conn.QueryContext(ctx, q)
	if err != nil {
		return fmt.Errorf("listing indexes: %w", err)
	}
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			rows.Close()
			return fmt.Errorf("listing indexes: %w", err)
		}
		existing[name] = true
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("listing indexes: %w", err)
	}
	for _, t := range migrate.Tables {
		for _, idx := range t.Indexes {
			if existing[idx.Name] {
				continue
			}
			cols := make([]string, len(idx.Columns))
			for i, c := range idx.Columns {
				cols[i] = quote(c.Name)
			}
			unique := ""
			if idx.Unique {
				unique = "UNIQUE "
			}
			stmt := "CREATE " + unique + "INDEX IF NOT EXISTS " + quote(idx.Name) + " ON " + quote(t.Name) +
				" (" + strings.Join(cols, ", ") + ")"
			if _, err := conn.ExecContext(ctx, stmt); err != nil {
				return fmt.Errorf("creating index %s: %w", idx.Name, err)
			}
		}
	}
	return nil
}

func (db *DB) ensureIndexes(ctx context.Context) error {
	conn, err := db.WriterConn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	return EnsureIndexes(ctx, conn, db.Dialect)
}

func quote(name string) string { return `"` + strings.ReplaceAll(name, `"`, `""`) + `"` }

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

// A bulk load into empty tables defers what costs per row and can be
// built in one pass at the end, as pg_restore does:
//
//   - the secondary (non-unique) indexes: keeping one up to date costs a
//     B-tree descent per row (at random places for keys like placed_at);
//     building it is one sort. SQLite, 100,000 customers (1.26 million
//     records): 27.9 s with the indexes in place, 12.1 s without plus 3.0 s
//     to build them.
//   - on PostgreSQL, the foreign keys: each inserted row fires a trigger
//     that looks up and locks its parent. 221,884 order items: 1.54 s with
//     the key, 0.38 s without plus 0.07 s to add it back (one join).
//     (SQLite's checks are a primary-key lookup in the same process, and
//     it cannot drop a key without rebuilding the table.)
//
// Only tables empty when the load starts are touched: there is nothing to
// serve from them yet, and a load into a filled table keeps everything. The
// unique indexes stay (they are the upserts' keys). FinishBulkLoad, which
// Open runs too, builds whatever is missing, so a load that is interrupted
// leaves nothing missing after the next start. A parent deleted while its
// table's key was away takes its children at the end, as ON DELETE says.

// BeginBulkLoad drops the secondary indexes and (PostgreSQL) foreign keys of
// those tables that are empty, through conn (outside a transaction), and
// returns the tables it changed. FinishBulkLoad restores them.
func BeginBulkLoad(ctx context.Context, conn *sql.Conn, d string, tables ...string) ([]string, error) {
	var deferred []string
	for _, name := range tables {
		t := table(name)
		if t == nil {
			return deferred, fmt.Errorf("bulk load: no table %s in the schema", name)
		}
		var filled bool
		if err := conn.QueryRowContext(ctx, "SELECT EXISTS (SELECT 1 FROM "+quote(name)+")").Scan(&filled); err != nil {
			return deferred, fmt.Errorf("bulk load into %s: %w", name, err)
		}
		if filled {
			continue
		}
		var stmts []string
		for _, i := range t.Indexes {
			if !i.Unique {
				stmts = append(stmts, "DROP INDEX IF EXISTS "+quote(i.Name))
			}
		}
		if d == dialect.Postgres {
			for _, fk := range t.ForeignKeys {
				stmts = append(stmts, "ALTER TABLE "+quote(name)+" DROP CONSTRAINT IF EXISTS "+quote(fk.Symbol))
			}
		}
		for _, s := range stmts {
			if _, err := conn.ExecContext(ctx, s); err != nil {
				return deferred, fmt.Errorf("bulk load into %s: %w", name, err)
			}
		}
		if len(stmts) > 0 {
			deferred = append(deferred, name)
		}
	}
	return deferred, nil
}

// FinishBulkLoad creates every index and (PostgreSQL) foreign key of the ent
// schema that the database lacks, through conn.
func FinishBulkLoad(ctx context.Context, conn *sql.Conn, d string) error {
	q := "SELECT name FROM sqlite_master WHERE type = 'index'"
	if d == dialect.Postgres {
		q = "SELECT indexname FROM pg_indexes WHERE schemaname = current_schema() " +
			"UNION ALL SELECT conname FROM pg_constraint WHERE contype = 'f' AND connamespace = current_schema()::regnamespace"
	}
	existing, err := names(ctx, conn, q)
	if err != nil {
		return fmt.Errorf("listing indexes and keys: %w", err)
	}
	for _, t := range migrate.Tables {
		for _, idx := range t.Indexes {
			if !existing[idx.Name] {
				if err := createIndex(ctx, conn, t, idx); err != nil {
					return err
				}
			}
		}
		if d != dialect.Postgres {
			continue
		}
		for _, fk := range t.ForeignKeys {
			if !existing[fk.Symbol] {
				if err := addForeignKey(ctx, conn, t, fk); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

func createIndex(ctx context.Context, conn *sql.Conn, t *schema.Table, idx *schema.Index) error {
	unique := ""
	if idx.Unique {
		unique = "UNIQUE "
	}
	stmt := "CREATE " + unique + "INDEX IF NOT EXISTS " + quote(idx.Name) + " ON " + quote(t.Name) +
		" (" + columnList(idx.Columns) + ")"
	if _, err := conn.ExecContext(ctx, stmt); err != nil {
		return fmt.Errorf("creating index %s: %w", idx.Name, err)
	}
	return nil
}

// addForeignKey applies the key's ON DELETE to rows whose parent went away
// while the key was dropped, then adds the key (which checks every row).
func addForeignKey(ctx context.Context, conn *sql.Conn, t *schema.Table, fk *schema.ForeignKey) error {
	var match []string
	for i, c := range fk.Columns {
		match = append(match, "p."+quote(fk.RefColumns[i].Name)+" = c."+quote(c.Name))
	}
	orphan := "NOT EXISTS (SELECT 1 FROM " + quote(fk.RefTable.Name) + " p WHERE " + strings.Join(match, " AND ") + ")"
	var fix string
	switch fk.OnDelete {
	case schema.Cascade:
		fix = "DELETE FROM " + quote(t.Name) + " c WHERE " + orphan
	case schema.SetNull:
		var set []string
		for _, c := range fk.Columns {
			set = append(set, quote(c.Name)+" = NULL")
		}
		fix = "UPDATE " + quote(t.Name) + " c SET " + strings.Join(set, ", ") + " WHERE " + orphan
	}
	stmts := []string{"ALTER TABLE " + quote(t.Name) + " ADD CONSTRAINT " + quote(fk.Symbol) +
		" FOREIGN KEY (" + columnList(fk.Columns) + ") REFERENCES " + quote(fk.RefTable.Name) +
		" (" + columnList(fk.RefColumns) + ") ON DELETE " + string(fk.OnDelete)}
	if fix != "" {
		stmts = append([]string{fix}, stmts...)
	}
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	for _, s := range stmts {
		if _, err := tx.ExecContext(ctx, s); err != nil {
			_ = tx.Rollback()
			return fmt.Errorf("adding foreign key %s: %w", fk.Symbol, err)
		}
	}
	return tx.Commit()
}

func table(name string) *schema.Table {
	for _, t := range migrate.Tables {
		if t.Name == name {
			return t
		}
	}
	return nil
}

func names(ctx context.Context, conn *sql.Conn, q string) (map[string]bool, error) {
	rows, err := conn.QueryContext(ctx, q)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := make(map[string]bool)
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return nil, err
		}
		out[n] = true
	}
	return out, rows.Err()
}

func columnList(cols []*schema.Column) string {
	q := make([]string, len(cols))
	for i, c := range cols {
		q[i] = quote(c.Name)
	}
	return strings.Join(q, ", ")
}

func (db *DB) finishBulkLoad(ctx context.Context) error {
	conn, err := db.WriterConn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	return FinishBulkLoad(ctx, conn, db.Dialect)
}

func quote(name string) string { return `"` + strings.ReplaceAll(name, `"`, `""`) + `"` }

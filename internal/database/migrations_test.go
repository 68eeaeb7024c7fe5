package database_test

import (
	"context"
	"database/sql"
	"flag"
	"path/filepath"
	"testing"

	"ariga.io/atlas/sql/migrate"
	"ariga.io/atlas/sql/sqltool"
	"entgo.io/ent/dialect"
	entsql "entgo.io/ent/dialect/sql"
	"entgo.io/ent/dialect/sql/schema"

	entmigrate "github.com/c360/c360/ent/migrate"
	"github.com/c360/c360/internal/database"
	"github.com/c360/c360/internal/testservices"
)

// go test ./internal/database -run TestMigrations -update-migrations -migration-name NAME
// writes the migration that brings the folders up to the ent schema.
var (
	update = flag.Bool("update-migrations", false, "write a new versioned migration for schema changes")
	name   = flag.String("migration-name", "changes", "name of the new migration")
	rehash = flag.Bool("rehash-migrations", false, "rewrite atlas.sum after a migration was edited by hand")
)

func TestMain(m *testing.M) {
	testservices.Main(m)
}

// TestMigrationsMatchSchema applies the committed migrations to an empty
// database and asks ent for the difference to the schema: there must be none.
func TestMigrationsMatchSchema(t *testing.T) {
	for _, d := range []string{dialect.SQLite, dialect.Postgres} {
		t.Run(d, func(t *testing.T) {
			url := testservices.DatabaseURL(t, d)
			if *rehash {
				dir, err := sqltool.NewGolangMigrateDir(database.MigrationsDir(d))
				if err != nil {
					t.Fatal(err)
				}
				sum, err := dir.Checksum()
				if err != nil {
					t.Fatal(err)
				}
				if err := migrate.WriteSumFile(dir, sum); err != nil {
					t.Fatal(err)
				}
				t.Skip("rewrote atlas.sum; run the tests again to verify the migrations")
			}
			if *update {
				// The binary embeds the folders as they were when it was built:
				// verify in a second run.
				writeMigration(t, d, url)
				t.Skip("wrote the migration (if the schema changed); run the tests again to verify it")
			}
			if err := database.Migrate(url); err != nil {
				t.Fatalf("applying migrations: %v", err)
			}
			// Applying twice is a no-op.
			if err := database.Migrate(url); err != nil {
				t.Fatalf("applying migrations again: %v", err)
			}
			dir := &migrate.MemDir{}
			diff(t, d, url, dir, schema.ModeInspect)
			files, err := dir.Files()
			if err != nil {
				t.Fatal(err)
			}
			for _, f := range files {
				t.Errorf("schema differs from the migrations; run with -update-migrations. Missing:\n%s", f.Bytes())
			}
		})
	}
}

func writeMigration(t *testing.T, d, url string) {
	dir, err := sqltool.NewGolangMigrateDir(filepath.Join(database.MigrationsDir(d)))
	if err != nil {
		t.Fatal(err)
	}
	// Replay the existing files on the empty database, then diff against the schema.
	diff(t, d, url, dir, schema.ModeReplay)
}

// openRaw opens the database at url with database/sql alone, foreign keys
// enforced.
func openRaw(t *testing.T, d, url string) *sql.DB {
	t.Helper()
	driverName, dsn := "pgx", url
	if d == dialect.SQLite {
		driverName, dsn = "sqlite3", url+"?_fk=1"
	}
	db, err := sql.Open(driverName, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func diff(t *testing.T, d, url string, dir migrate.Dir, mode schema.Mode) {
	t.Helper()
	db := openRaw(t, d, url)
	m, err := schema.NewMigrate(entsql.OpenDB(d, db),
		schema.WithDir(dir),
		schema.WithMigrationMode(mode),
		schema.WithDialect(d),
		schema.WithFormatter(sqltool.GolangMigrateFormatter),
		schema.WithDropIndex(true),
		schema.WithDropColumn(true),
	)
	if err != nil {
		t.Fatal(err)
	}
	if err := m.NamedDiff(context.Background(), *name, entmigrate.Tables...); err != nil {
		t.Fatalf("diffing schema: %v", err)
	}
}

// TestTheNewestMigrationKeepsStoredRows: a database with customers, orders,
// items, feedback and identities, as the previous release left it, keeps
// every row through the newest migration (a SQLite table rebuild inside
// golang-migrate's transaction cascaded to all of them).
func TestTheNewestMigrationKeepsStoredRows(t *testing.T) {
	for _, d := range []string{dialect.SQLite, dialect.Postgres} {
		t.Run(d, func(t *testing.T) {
			url := testservices.DatabaseURL(t, d)
			if err := database.MigrateAllButLast(url); err != nil {
				t.Fatal(err)
			}
			db := openRaw(t, d, url)
			now := "2026-01-02 03:04:05"
			for _, stmt := range []string{
				"INSERT INTO customers (id, external_ref, created_at, updated_at, kind, name) VALUES (1, 'C-1', '" + now + "', '" + now + "', 'INDIVIDUAL', 'Aino')",
				"INSERT INTO orders (id, external_ref, created_at, updated_at, status, channel, currency, placed_at, total, customer_id) VALUES (10, 'O-1', '" + now + "', '" + now + "', 'PAID', 'WEB', 'EUR', '" + now + "', 100, 1)",
				"INSERT INTO order_items (id, sku, name, quantity, unit_price, line_total, order_id) VALUES (20, 'S', 'Kahvi', 1, 100, 100, 10)",
				"INSERT INTO feedbacks (id, created_at, updated_at, kind, channel, score, submitted_at, customer_id) VALUES (30, '" + now + "', '" + now + "', 'NPS', 'EMAIL', 9, '" + now + "', 1)",
				"INSERT INTO identities (id, kind, value, verified, created_at, customer_id) VALUES (40, 'PHONE', '+358401234567', false, '" + now + "', 1)",
			} {
				if _, err := db.Exec(stmt); err != nil {
					t.Fatalf("%s: %v", stmt, err)
				}
			}
			if err := database.Migrate(url); err != nil {
				t.Fatal(err)
			}
			for _, table := range []string{"customers", "orders", "order_items", "feedbacks", "identities"} {
				var n int
				if err := db.QueryRow("SELECT count(*) FROM " + table).Scan(&n); err != nil || n != 1 {
					t.Errorf("%s: %d rows after the newest migration (%v), want 1", table, n, err)
				}
			}
		})
	}
}

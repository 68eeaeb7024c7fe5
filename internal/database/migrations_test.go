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

func diff(t *testing.T, d, url string, dir migrate.Dir, mode schema.Mode) {
	t.Helper()
	driverName, dsn := "pgx", url
	if d == dialect.SQLite {
		driverName, dsn = "sqlite3", url+"?_fk=1"
	}
	db, err := sql.Open(driverName, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
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

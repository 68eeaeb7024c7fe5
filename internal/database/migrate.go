package database

import (
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"

	"entgo.io/ent/dialect"
	"github.com/golang-migrate/migrate/v4"
	"github.com/golang-migrate/migrate/v4/database"
	"github.com/golang-migrate/migrate/v4/database/pgx/v5"
	"github.com/golang-migrate/migrate/v4/database/sqlite3"
	"github.com/golang-migrate/migrate/v4/source/iofs"
)

// Migrations holds one folder of versioned migrations per dialect, written by
// ent's versioned-migration feature (see migrations_test.go, -update flag).
//
//go:embed migrations
var Migrations embed.FS

// MigrationsDir returns the folder of a dialect.
func MigrationsDir(d string) string {
	if d == dialect.Postgres {
		return "migrations/postgres"
	}
	return "migrations/sqlite"
}

// Migrate applies pending migrations over a connection of its own (golang-migrate
// closes the pool it is given). It holds a lock (an advisory lock on
// PostgreSQL) so several processes starting at once apply them once.
func Migrate(rawURL string) error {
	m, err := newMigrator(rawURL)
	if err != nil {
		return err
	}
	defer m.Close()
	if err := m.Up(); err != nil && !errors.Is(err, migrate.ErrNoChange) {
		return fmt.Errorf("applying migrations: %w", err)
	}
	return nil
}

// newMigrator opens golang-migrate on the database at rawURL with the
// embedded migrations of its dialect; Close closes its connections.
func newMigrator(rawURL string) (*migrate.Migrate, error) {
	d, db, err := openForMigration(rawURL)
	if err != nil {
		return nil, err
	}
	sub, err := fs.Sub(Migrations, MigrationsDir(d))
	if err != nil {
		db.Close()
		return nil, err
	}
	src, err := iofs.New(sub, ".")
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("reading migrations: %w", err)
	}
	var target database.Driver
	if d == dialect.Postgres {
		target, err = pgx.WithInstance(db, &pgx.Config{})
	} else {
		target, err = sqlite3.WithInstance(db, &sqlite3.Config{})
	}
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("preparing migrations: %w", err)
	}
	m, err := migrate.NewWithInstance("iofs", src, d, target)
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("preparing migrations: %w", err)
	}
	return m, nil
}

func openForMigration(rawURL string) (string, *sql.DB, error) {
	if IsPostgres(rawURL) {
		db, err := sql.Open("pgx", rawURL)
		return dialect.Postgres, db, err
	}
	db, err := sql.Open(SQLiteDriver, sqliteDSN(SQLitePath(rawURL), "", "_txlock=immediate"))
	return dialect.SQLite, db, err
}

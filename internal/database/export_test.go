package database

import (
	"io/fs"
)

// MigrateAllButLast applies every migration of the database's dialect but
// the newest: a database as the previous release left it.
func MigrateAllButLast(rawURL string) error {
	m, err := newMigrator(rawURL)
	if err != nil {
		return err
	}
	defer m.Close()
	d := "sqlite3"
	if IsPostgres(rawURL) {
		d = "postgres"
	}
	ups, err := fs.Glob(Migrations, MigrationsDir(d)+"/*.up.sql")
	if err != nil {
		return err
	}
	return m.Steps(len(ups) - 1)
}

package database_test

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"

	"github.com/c360/c360/internal/database"
)

// SQLITE_SYNCHRONOUS=FULL reaches the writer and every reader connection:
// synchronous is a per-connection pragma, so one that missed a pool would
// silently keep NORMAL there.
func TestSQLiteSynchronousSettingReachesEveryConnection(t *testing.T) {
	for setting, want := range map[string]int{"": 1, "NORMAL": 1, "FULL": 2} {
		url := "file:" + filepath.Join(t.TempDir(), "sync.db")
		db, err := database.Open(context.Background(), url, database.Options{Synchronous: setting, ReadConns: 3})
		if err != nil {
			t.Fatal(err)
		}
		ctx := context.Background()
		// PRAGMA goes to the one writer connection, SELECT to the read pool
		// (split driver); hold three readers at once so each reader
		// connection answers.
		for q, conns := range map[string]int{"PRAGMA synchronous": 1, "SELECT synchronous FROM pragma_synchronous": 3} {
			var held []*sql.Rows
			for range conns {
				rows, err := db.Client.QueryContext(ctx, q)
				if err != nil {
					t.Fatal(err)
				}
				held = append(held, rows)
			}
			for _, rows := range held {
				var got int
				if !rows.Next() {
					t.Fatalf("%s: no row", q)
				}
				if err := rows.Scan(&got); err != nil {
					t.Fatal(err)
				}
				if got != want {
					t.Errorf("SQLITE_SYNCHRONOUS=%q: %s = %d, want %d", setting, q, got, want)
				}
				rows.Close()
			}
		}
		db.Close()
	}
}

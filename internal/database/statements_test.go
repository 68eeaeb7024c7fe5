package database

import (
	"database/sql"
	"path/filepath"
	"sync/atomic"
	"testing"

	"github.com/mattn/go-sqlite3"
)

// compiles counts the SELECT statements SQLite compiles on the connections of
// the sqlite3_counting driver: SQLite asks the authorizer while it prepares a
// statement, never when it runs a prepared one again.
var compiles atomic.Int64

func init() {
	sql.Register("sqlite3_counting", &sqlite3.SQLiteDriver{ConnectHook: func(c *sqlite3.SQLiteConn) error {
		c.RegisterAuthorizer(func(op int, _, _, _ string) int {
			if op == sqlite3.SQLITE_SELECT {
				compiles.Add(1)
			}
			return sqlite3.SQLITE_OK
		})
		return nil
	}})
}

// compilesOf runs each query n times on one connection opened with dsn and
// returns how many times SQLite compiled them.
func compilesOf(t *testing.T, dsn string, n int, queries ...string) int64 {
	t.Helper()
	db, err := sql.Open("sqlite3_counting", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	if err := db.Ping(); err != nil {
		t.Fatal(err)
	}
	compiles.Store(0)
	for i := range n {
		for _, q := range queries {
			var got int
			if err := db.QueryRow(q, i).Scan(&got); err != nil || got != i+1 {
				t.Fatalf("%s: %d %v", q, got, err)
			}
		}
	}
	return compiles.Load()
}

// The product's SQLite connections compile a statement once and run it
// again from their statement cache; without the cache every run compiles.
func TestSQLiteStatementsAreCompiledOncePerConnection(t *testing.T) {
	path := filepath.Join(t.TempDir(), "stmts.db")
	queries := []string{"SELECT ? + 1", "SELECT 1 + ?"}
	if got := compilesOf(t, sqliteDSN(path, "", "_query_only=1"), 50, queries...); got != 2 {
		t.Errorf("with the product's settings: %d compilations of 2 statements run 50 times each, want 2", got)
	}
	if got := compilesOf(t, "file:"+path+"?_stmt_cache_size=0", 50, queries...); got != 100 {
		t.Errorf("without a statement cache: %d compilations, want 100 (the count is broken)", got)
	}
}

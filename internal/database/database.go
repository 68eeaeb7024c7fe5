// Package database opens the store behind the graph: an embedded SQLite file by
// default, PostgreSQL when the URL says so. It applies the versioned schema
// migrations and hands out an ent client.
package database

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"runtime"
	"strconv"
	"strings"
	"time"

	"entgo.io/ent/dialect"
	entsql "entgo.io/ent/dialect/sql"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/mattn/go-sqlite3"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/c360/c360/ent"
	_ "github.com/c360/c360/ent/runtime" // schema defaults, validators and hooks
	"github.com/c360/c360/internal/casefold"
)

// SQLiteDriver is the database/sql driver every SQLite connection of the
// product is opened with: go-sqlite3 with the functions the generated
// predicates call (casefold.SQLiteFunc) registered on each connection.
const SQLiteDriver = "sqlite3_c360"

func init() {
	sql.Register(SQLiteDriver, &sqlite3.SQLiteDriver{ConnectHook: casefold.RegisterSQLite})
}

// DB is an open store.
type DB struct {
	Client  *ent.Client
	Dialect string
	// ReadConns is how many reads run at once (the read pool's size).
	ReadConns int
	pools     []*sql.DB
	// listen is the PostgreSQL connection configuration Listen dials.
	listen *pgx.ConnConfig
}

// Options tune Open.
type Options struct {
	// Wrap, when set, wraps the driver the client uses (tests count statements with it).
	Wrap func(dialect.Driver) dialect.Driver
	// ReadConns is the SQLite read pool size; 0 picks one from the CPU count.
	ReadConns int
	// MaxConns is the PostgreSQL pool size; 0 means 20.
	MaxConns int
	// Synchronous is SQLite's synchronous pragma (NORMAL or FULL) on the
	// writer and every reader; "" means NORMAL, which in WAL mode may lose
	// the last commits on power loss but never corrupts the file.
	Synchronous string
}

// IsPostgres reports whether a database URL names a PostgreSQL server.
func IsPostgres(u string) bool {
	return strings.HasPrefix(u, "postgres://") || strings.HasPrefix(u, "postgresql://")
}

// Open connects, applies pending migrations and returns the store.
func Open(ctx context.Context, rawURL string, opts Options) (*DB, error) {
	if err := Migrate(rawURL); err != nil {
		return nil, err
	}
	var db *DB
	var err error
	if IsPostgres(rawURL) {
		db, err = openPostgres(rawURL, opts)
	} else {
		db, err = openSQLite(rawURL, opts)
	}
	if err != nil {
		return nil, err
	}
	if err := db.Ping(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("connecting to the %s database: %w", db.Dialect, err)
	}
	if db.Dialect == dialect.Postgres {
		if err := casefold.CheckPostgres(ctx, db.pools[0]); err != nil {
			db.Close()
			return nil, err
		}
	}
	if err := db.finishBulkLoad(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

func openPostgres(rawURL string, opts Options) (*DB, error) {
	cfg, err := pgx.ParseConfig(rawURL)
	if err != nil {
		return nil, fmt.Errorf("opening PostgreSQL: %w", err)
	}
	// The API's statements are short, but compiled reads nest subqueries
	// whose estimated cost passes jit_above_cost: compiling them took 30 ms
	// for a 10 ms statement. The URL may still turn JIT on (?jit=on).
	if _, set := cfg.RuntimeParams["jit"]; !set {
		cfg.RuntimeParams["jit"] = "off"
	}
	// A cancelled request drops its connection (pgx); PostgreSQL notices a
	// dropped client only when it next writes to it, so an abandoned
	// aggregate ran to its end. Checking the socket while a statement runs
	// stops it within the interval.
	if _, set := cfg.RuntimeParams["client_connection_check_interval"]; !set {
		cfg.RuntimeParams["client_connection_check_interval"] = "100ms"
	}
	pool := stdlib.OpenDB(*cfg)
	n := opts.MaxConns
	if n <= 0 {
		n = 20
	}
	pool.SetMaxOpenConns(n)
	pool.SetMaxIdleConns(n)
	pool.SetConnMaxIdleTime(5 * time.Minute)
	db := newDB(dialect.Postgres, entsql.OpenDB(dialect.Postgres, pool), opts, pool)
	db.ReadConns = n
	db.listen = cfg
	return db, nil
}

// SQLitePath extracts the file path from "file:PATH", "sqlite://PATH", "sqlite:PATH" or a bare path.
func SQLitePath(rawURL string) string {
	p := rawURL
	for _, prefix := range []string{"sqlite3://", "sqlite://", "sqlite:", "file:"} {
		if strings.HasPrefix(p, prefix) {
			p = strings.TrimPrefix(p, prefix)
			break
		}
	}
	p, _, _ = strings.Cut(p, "?")
	return p
}

// openSQLite opens one writer connection and a read pool on the same file.
// SQLite allows one writer at a time; with a single writer connection whose
// transactions start with BEGIN IMMEDIATE, writers queue in Go instead of
// failing with SQLITE_BUSY (a deferred read-then-write transaction fails with
// SQLITE_BUSY_SNAPSHOT whatever the busy timeout). WAL lets readers run beside
// the writer. The busy timeout covers other processes on the same file.
func openSQLite(rawURL string, opts Options) (*DB, error) {
	path := SQLitePath(rawURL)
	if path == "" {
		return nil, fmt.Errorf("DATABASE_URL names no SQLite file")
	}
	writer, err := sql.Open(SQLiteDriver, sqliteDSN(path, opts.Synchronous, "_txlock=immediate"))
	if err != nil {
		return nil, fmt.Errorf("opening SQLite: %w", err)
	}
	writer.SetMaxOpenConns(1)
	writer.SetMaxIdleConns(1)
	writer.SetConnMaxIdleTime(0)
	writer.SetConnMaxLifetime(0)
	// Create the file and switch it to WAL before readers open it.
	if err := writer.Ping(); err != nil {
		writer.Close()
		return nil, fmt.Errorf("opening SQLite file %s: %w", path, err)
	}
	reader, err := sql.Open(SQLiteDriver, sqliteDSN(path, opts.Synchronous, "_query_only=1"))
	if err != nil {
		writer.Close()
		return nil, fmt.Errorf("opening SQLite: %w", err)
	}
	n := opts.ReadConns
	if n <= 0 {
		n = max(4, 2*runtime.NumCPU())
	}
	reader.SetMaxOpenConns(n)
	reader.SetMaxIdleConns(n)
	drv := &splitDriver{
		Driver: entsql.OpenDB(dialect.SQLite, writer),
		reader: entsql.OpenDB(dialect.SQLite, reader),
	}
	db := newDB(dialect.SQLite, drv, opts, writer, reader)
	db.ReadConns = n
	return db, nil
}

// SQLiteStatementCache is how many prepared statements each SQLite
// connection keeps, by SQL text, for reuse. Without it go-sqlite3 compiles
// every statement anew (measured: a tenth of the CPU time of a customer 360
// read); ent sends a few dozen distinct texts, more where IN lists of
// varying length are bound, and the least recently used are finalized.
const SQLiteStatementCache = 64

func sqliteDSN(path, synchronous, extra string) string {
	if synchronous == "" {
		synchronous = "NORMAL"
	}
	return "file:" + url.PathEscape(path) + "?_fk=1&_journal_mode=WAL&_busy_timeout=10000&_synchronous=" + synchronous +
		"&_loc=UTC&_stmt_cache_size=" + strconv.Itoa(SQLiteStatementCache) + "&" + extra
}

func newDB(d string, drv dialect.Driver, opts Options, pools ...*sql.DB) *DB {
	if opts.Wrap != nil {
		drv = opts.Wrap(drv)
	}
	return &DB{Client: ent.NewClient(ent.Driver(drv)), Dialect: d, pools: pools}
}

// WriterConn returns a connection of the pool that writes (SQLite's single
// writer; PostgreSQL's pool), for a writer that needs the driver's own
// connection: the import's COPY. The caller closes it.
func (db *DB) WriterConn(ctx context.Context) (*sql.Conn, error) { return db.pools[0].Conn(ctx) }

// Ping checks that every pool answers (readiness).
func (db *DB) Ping(ctx context.Context) error {
	for _, p := range db.pools {
		if err := p.PingContext(ctx); err != nil {
			return err
		}
	}
	return nil
}

// Close closes the pools.
func (db *DB) Close() error {
	var first error
	for _, p := range db.pools {
		if err := p.Close(); err != nil && first == nil {
			first = err
		}
	}
	return first
}

// Collectors returns Prometheus collectors of the connection pools
// (open, in use, idle, waits), labelled by pool.
func (db *DB) Collectors() []prometheus.Collector {
	names := []string{"main"}
	if db.Dialect == dialect.SQLite {
		names = []string{"sqlite_writer", "sqlite_reader"}
	}
	out := make([]prometheus.Collector, 0, len(db.pools))
	for i, p := range db.pools {
		out = append(out, collectors.NewDBStatsCollector(p, names[min(i, len(names)-1)]))
	}
	return out
}

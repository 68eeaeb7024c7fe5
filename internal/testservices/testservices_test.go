package testservices

import (
	"bufio"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

func TestMain(m *testing.M) {
	code := m.Run()
	Shutdown()
	os.Exit(code)
}

// psqlQuery runs query in the database of dsn (psql connects with the DSN
// itself, so this also checks that libpq accepts it) and returns the
// unaligned, tuples-only output.
func psqlQuery(t *testing.T, dsn, query string) string {
	t.Helper()
	_, _, psql, err := findPostgresBinaries()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(psql, "-X", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-d", dsn, "-c", query)
	cmd.Env = childEnv()
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("psql %q: %v\n%s", query, err, out)
	}
	return strings.TrimSpace(string(out))
}

// parseDSN checks the documented DSN shape and returns the port and database.
func parseDSN(t *testing.T, dsn string) (port, db string) {
	t.Helper()
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatalf("DSN %q does not parse: %v", dsn, err)
	}
	if u.Scheme != "postgres" || u.User.Username() != "postgres" || u.Hostname() != "127.0.0.1" {
		t.Fatalf("DSN %q: want postgres://postgres@127.0.0.1:PORT/DB", dsn)
	}
	if got := u.Query().Get("sslmode"); got != "disable" {
		t.Fatalf("DSN %q: sslmode = %q, want disable", dsn, got)
	}
	if p, err := strconv.Atoi(u.Port()); err != nil || p <= 0 || p > 65535 {
		t.Fatalf("DSN %q: bad port %q", dsn, u.Port())
	}
	db = strings.TrimPrefix(u.Path, "/")
	if db == "" || strings.Contains(db, "/") {
		t.Fatalf("DSN %q: bad database name %q", dsn, db)
	}
	return u.Port(), db
}

func TestPostgreSQLDatabasesAreSeparate(t *testing.T) {
	dsn1 := PostgreSQL(t)
	dsn2 := PostgreSQL(t)
	if dsn1 == dsn2 {
		t.Fatalf("two calls returned the same DSN %q", dsn1)
	}
	port1, db1 := parseDSN(t, dsn1)
	port2, db2 := parseDSN(t, dsn2)
	if db1 == db2 {
		t.Fatalf("two calls returned the same database %q", db1)
	}
	if port1 != port2 {
		t.Fatalf("the server should be shared, got ports %s and %s", port1, port2)
	}

	c, err := net.DialTimeout("tcp", net.JoinHostPort("127.0.0.1", port1), 2*time.Second)
	if err != nil {
		t.Fatalf("TCP connection to the PostgreSQL port: %v", err)
	}
	c.Close()

	if got := psqlQuery(t, dsn1, "SELECT 1"); got != "1" {
		t.Fatalf("SELECT 1 returned %q", got)
	}
	if got := psqlQuery(t, dsn1, "SELECT current_database()"); got != db1 {
		t.Fatalf("connected to database %q, want %q", got, db1)
	}
	// A new database is empty, and what one test creates is invisible to another.
	const countProbe = "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'"
	if got := psqlQuery(t, dsn1, countProbe); got != "0" {
		t.Fatalf("new database has %s tables, want 0", got)
	}
	psqlQuery(t, dsn1, "CREATE TABLE probe (id int PRIMARY KEY); INSERT INTO probe VALUES (42)")
	if got := psqlQuery(t, dsn1, "SELECT id FROM probe"); got != "42" {
		t.Fatalf("SELECT id FROM probe = %q, want 42", got)
	}
	if got := psqlQuery(t, dsn2, countProbe); got != "0" {
		t.Fatalf("table created in %s is visible in %s (%s tables)", db1, db2, got)
	}
	if got := psqlQuery(t, dsn2, "SHOW server_encoding"); got != "UTF8" {
		t.Fatalf("server_encoding = %q, want UTF8", got)
	}
	if got := psqlQuery(t, dsn2, "SHOW fsync"); got != "off" {
		t.Fatalf("fsync = %q, want off", got)
	}
	if got := psqlQuery(t, dsn2, "SHOW max_connections"); got != "200" {
		t.Fatalf("max_connections = %q, want 200", got)
	}
}

func TestPostgreSQLParallel(t *testing.T) {
	var mu sync.Mutex
	seen := map[string]bool{}
	t.Run("group", func(t *testing.T) {
		for i := 0; i < 8; i++ {
			t.Run(fmt.Sprintf("db%d", i), func(t *testing.T) {
				t.Parallel()
				dsn := PostgreSQL(t)
				_, db := parseDSN(t, dsn)
				if got := psqlQuery(t, dsn, "SELECT current_database()"); got != db {
					t.Errorf("connected to %q, want %q", got, db)
				}
				mu.Lock()
				defer mu.Unlock()
				if seen[db] {
					t.Errorf("database %q handed out twice", db)
				}
				seen[db] = true
			})
		}
	})
	if len(seen) != 8 {
		t.Fatalf("got %d distinct databases, want 8", len(seen))
	}
}

func TestPostgreSQLServerLayout(t *testing.T) {
	dsn := PostgreSQL(t)
	pg.mu.Lock()
	srv := pg.srv
	pg.mu.Unlock()
	if srv == nil {
		t.Fatal("no shared server after PostgreSQL returned")
	}
	if got := psqlQuery(t, dsn, "SHOW data_directory"); got != srv.data {
		t.Fatalf("data_directory = %q, want %q", got, srv.data)
	}
	if got := psqlQuery(t, dsn, "SHOW listen_addresses"); got != "127.0.0.1" {
		t.Fatalf("listen_addresses = %q, want 127.0.0.1", got)
	}
	if got := psqlQuery(t, dsn, "SHOW unix_socket_directories"); got != srv.root {
		t.Fatalf("unix_socket_directories = %q, want %q", got, srv.root)
	}
	st, err := os.Stat(srv.data)
	if err != nil {
		t.Fatal(err)
	}
	owner := st.Sys().(*syscall.Stat_t).Uid
	if os.Geteuid() == 0 {
		if owner == 0 {
			t.Fatalf("running as root but the data directory belongs to root")
		}
		u, err := user.Lookup("postgres")
		if err == nil && u.Uid != strconv.Itoa(int(owner)) {
			t.Fatalf("data directory owner uid %d, want the postgres user (%s)", owner, u.Uid)
		}
	} else if int(owner) != os.Geteuid() {
		t.Fatalf("data directory owner uid %d, want %d", owner, os.Geteuid())
	}
}

// TestShutdown runs last among the PostgreSQL tests: it stops the shared server.
func TestShutdown(t *testing.T) {
	dsn := PostgreSQL(t)
	port, _ := parseDSN(t, dsn)
	pg.mu.Lock()
	root := pg.srv.root
	pg.mu.Unlock()

	Shutdown()
	if _, err := os.Stat(root); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("server directory %s still exists after Shutdown (err=%v)", root, err)
	}
	if c, err := net.DialTimeout("tcp", net.JoinHostPort("127.0.0.1", port), time.Second); err == nil {
		c.Close()
		t.Fatalf("port %s still accepts connections after Shutdown", port)
	}
	Shutdown() // a second call, with nothing running, must be harmless

	// The next call starts a new server.
	dsn2 := PostgreSQL(t)
	if got := psqlQuery(t, dsn2, "SELECT 1"); got != "1" {
		t.Fatalf("SELECT 1 on the restarted server returned %q", got)
	}
	pg.mu.Lock()
	root2 := pg.srv.root
	pg.mu.Unlock()
	if root2 == root {
		t.Fatalf("restarted server reuses the removed directory %s", root)
	}
}

// redisDo sends one command as a raw RESP array and returns the first reply line
// (plus the bulk string for "$n" replies).
func redisDo(addr string, args ...string) (string, error) {
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return "", err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(2 * time.Second))
	req := fmt.Sprintf("*%d\r\n", len(args))
	for _, a := range args {
		req += fmt.Sprintf("$%d\r\n%s\r\n", len(a), a)
	}
	if _, err := c.Write([]byte(req)); err != nil {
		return "", err
	}
	br := bufio.NewReader(c)
	line, err := br.ReadString('\n')
	if err != nil {
		return "", err
	}
	line = strings.TrimSuffix(line, "\r\n")
	if strings.HasPrefix(line, "$") && line != "$-1" {
		body, err := br.ReadString('\n')
		if err != nil {
			return "", err
		}
		line += " " + strings.TrimSuffix(body, "\r\n")
	}
	return line, nil
}

func TestRedisStopStart(t *testing.T) {
	r := Redis(t)
	addr := r.Addr()
	host, port, err := net.SplitHostPort(addr)
	if err != nil || host != "127.0.0.1" {
		t.Fatalf("Addr() = %q, want 127.0.0.1:PORT", addr)
	}
	if want := "redis://127.0.0.1:" + port + "/0"; r.URL() != want {
		t.Fatalf("URL() = %q, want %q", r.URL(), want)
	}
	if _, err := url.Parse(r.URL()); err != nil {
		t.Fatalf("URL() does not parse: %v", err)
	}

	if got, err := redisDo(addr, "PING"); err != nil || got != "+PONG" {
		t.Fatalf("PING = %q, %v; want +PONG", got, err)
	}
	if got, err := redisDo(addr, "SET", "k", "v"); err != nil || got != "+OK" {
		t.Fatalf("SET = %q, %v", got, err)
	}
	// No persistence configured.
	if got, err := redisDo(addr, "CONFIG", "GET", "appendonly"); err != nil || !strings.HasPrefix(got, "*2") {
		t.Fatalf("CONFIG GET appendonly = %q, %v", got, err)
	}

	r.Stop(t)
	if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
		c.Close()
		t.Fatalf("%s still accepts connections after Stop", addr)
	}
	r.Stop(t) // stopping a stopped server is a no-op

	r.Start(t)
	if r.Addr() != addr {
		t.Fatalf("restarted on %s, want the same address %s", r.Addr(), addr)
	}
	if got, err := redisDo(addr, "PING"); err != nil || got != "+PONG" {
		t.Fatalf("PING after restart = %q, %v; want +PONG", got, err)
	}
	// The crash lost the data: nothing was persisted.
	if got, err := redisDo(addr, "GET", "k"); err != nil || got != "$-1" {
		t.Fatalf("GET k after crash+restart = %q, %v; want nil ($-1)", got, err)
	}

	// A second crash/restart cycle works too.
	r.Stop(t)
	r.Start(t)
	if got, err := redisDo(addr, "PING"); err != nil || got != "+PONG" {
		t.Fatalf("PING after second restart = %q, %v; want +PONG", got, err)
	}
}

func TestRedisServersAreIndependent(t *testing.T) {
	a, b := Redis(t), Redis(t)
	if a.Addr() == b.Addr() {
		t.Fatalf("two servers on the same address %s", a.Addr())
	}
	if got, err := redisDo(a.Addr(), "SET", "key", "from-a"); err != nil || got != "+OK" {
		t.Fatalf("SET on a = %q, %v", got, err)
	}
	if got, err := redisDo(b.Addr(), "GET", "key"); err != nil || got != "$-1" {
		t.Fatalf("GET on b = %q, %v; want nil", got, err)
	}
	if got, err := redisDo(a.Addr(), "GET", "key"); err != nil || got != "$6 from-a" {
		t.Fatalf("GET on a = %q, %v; want from-a", got, err)
	}
}

func TestRedisStoppedAtCleanup(t *testing.T) {
	var addr string
	t.Run("inner", func(t *testing.T) {
		addr = Redis(t).Addr()
		if got, err := redisDo(addr, "PING"); err != nil || got != "+PONG" {
			t.Fatalf("PING = %q, %v", got, err)
		}
	})
	if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
		c.Close()
		t.Fatalf("redis on %s still running after its test finished", addr)
	}
}

// fakeTB records Skip and Fatal calls instead of stopping the goroutine.
type fakeTB struct {
	testing.TB
	skipped, fatal bool
	msg            string
}

func (f *fakeTB) Helper() {}
func (f *fakeTB) Skipf(format string, args ...any) {
	f.skipped, f.msg = true, fmt.Sprintf(format, args...)
}
func (f *fakeTB) Fatalf(format string, args ...any) {
	f.fatal, f.msg = true, fmt.Sprintf(format, args...)
}

func TestMissingBinarySkipsOrFails(t *testing.T) {
	t.Setenv("PATH", t.TempDir()) // no redis-server here

	t.Setenv(requireEnv, "")
	f := &fakeTB{}
	if r := Redis(f); r != nil || !f.skipped || f.fatal || !strings.Contains(f.msg, "redis-server") {
		t.Fatalf("without %s: skipped=%v fatal=%v msg=%q; want a skip naming redis-server", requireEnv, f.skipped, f.fatal, f.msg)
	}

	t.Setenv(requireEnv, "1")
	f = &fakeTB{}
	if r := Redis(f); r != nil || f.skipped || !f.fatal || !strings.Contains(f.msg, "redis-server") {
		t.Fatalf("with %s=1: skipped=%v fatal=%v msg=%q; want a fatal error naming redis-server", requireEnv, f.skipped, f.fatal, f.msg)
	}

	f = &fakeTB{}
	fail(f, "x", &missingError{"PostgreSQL binaries not found: psql"})
	if !f.fatal || !strings.Contains(f.msg, "psql") {
		t.Fatalf("missing psql with %s=1: fatal=%v msg=%q", requireEnv, f.fatal, f.msg)
	}
}

const crashHelperEnv = "TESTSERVICES_CRASH_HELPER"

// TestCrashHelper is run as a child process by TestNoLeakAfterCrash.
func TestCrashHelper(t *testing.T) {
	if os.Getenv(crashHelperEnv) != "1" {
		t.Skip("helper process for TestNoLeakAfterCrash")
	}
	dsn := PostgreSQL(t)
	r := Redis(t)
	pg.mu.Lock()
	root := pg.srv.root
	pg.mu.Unlock()
	fmt.Printf("DSN=%s\nROOT=%s\nREDIS=%s\n", dsn, root, r.Addr())
	os.Exit(3) // no t.Cleanup, no Shutdown: like a panic or a test timeout
}

func TestNoLeakAfterCrash(t *testing.T) {
	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashHelper$", "-test.count=1", "-test.v") // -test.v: a skip says so
	cmd.Env = append(os.Environ(), crashHelperEnv+"=1")
	cmd.WaitDelay = 10 * time.Second // fails the test below if a server held our stdout open
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 3 {
		if strings.Contains(string(out), "--- SKIP") {
			unavailable(t, "helper process skipped: "+string(out))
		}
		t.Fatalf("helper process: err=%v, want exit status 3\nstdout:\n%s\nstderr:\n%s", err, out, stderr.String())
	}
	vals := map[string]string{}
	for _, line := range strings.Split(string(out), "\n") {
		if k, v, ok := strings.Cut(line, "="); ok {
			vals[k] = v
		}
	}
	port, _ := parseDSN(t, vals["DSN"])
	root, redisAddr := vals["ROOT"], vals["REDIS"]
	if root == "" || redisAddr == "" || !filepath.IsAbs(root) {
		t.Fatalf("unexpected helper output:\n%s", out)
	}

	deadline := time.Now().Add(30 * time.Second)
	for {
		var alive []string
		if _, err := os.Stat(root); err == nil {
			alive = append(alive, "directory "+root)
		}
		for _, addr := range []string{net.JoinHostPort("127.0.0.1", port), redisAddr} {
			if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
				c.Close()
				alive = append(alive, "server on "+addr)
			}
		}
		if len(alive) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("leaked after the test process died: %s", strings.Join(alive, ", "))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// Package testservices starts real, throwaway database servers on the loopback
// interface for integration tests: a PostgreSQL server shared by all tests of
// one test binary (every PostgreSQL call gets its own, new, empty database) and
// one redis-server per Redis call.
//
// The servers are started from the locally installed binaries (initdb, pg_ctl,
// postgres and psql for PostgreSQL; redis-server for Redis). When a binary is
// missing the test is skipped with a message naming it, unless the environment
// variable REQUIRE_SERVICES=1 is set, in which case the test fails instead (use
// that in CI so integration tests cannot silently disappear).
//
// Every package whose tests use PostgreSQL must stop the shared server from
// TestMain after m.Run:
//
//	func TestMain(m *testing.M) {
//		code := m.Run()
//		testservices.Shutdown()
//		os.Exit(code)
//	}
//
// (Do not use defer there: os.Exit does not run deferred calls.) As a safety
// net, a small watchdog process (sh) kills the servers and removes their files
// when the test binary dies without calling Shutdown (panic, test timeout,
// os.Exit, SIGKILL). Redis servers are always stopped at t.Cleanup.
//
// When the tests run as root, PostgreSQL is run as the "postgres" system user
// (or "nobody" when that user does not exist), because it refuses to run as
// root.
package testservices

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/c360/c360/internal/database"
	"time"
)

// requireEnv is the environment variable that turns "binary missing" skips
// into failures.
const requireEnv = "REQUIRE_SERVICES"

// missingError reports a missing prerequisite (binary, user): the test is
// skipped unless REQUIRE_SERVICES=1.
type missingError struct{ msg string }

func (e *missingError) Error() string { return e.msg }

// unavailable skips the test because msg names a missing prerequisite, or
// fails it when REQUIRE_SERVICES=1.
func unavailable(t testing.TB, msg string) {
	t.Helper()
	if os.Getenv(requireEnv) == "1" {
		t.Fatalf("testservices: %s (%s=1 is set, so this is fatal)", msg, requireEnv)
		return
	}
	t.Skipf("testservices: %s; skipping (set %s=1 to make this fatal)", msg, requireEnv)
}

// fail reports err on t: a skip (or fatal) for a missing prerequisite, a fatal
// error otherwise.
func fail(t testing.TB, what string, err error) {
	t.Helper()
	var me *missingError
	if errors.As(err, &me) {
		unavailable(t, me.msg)
		return
	}
	t.Fatalf("testservices: %s: %v", what, err)
}

// ports handed out by freePort in this process, so that two servers started
// close together never get the same port.
var ports struct {
	mu   sync.Mutex
	used map[int]bool
}

// freePort returns a currently free TCP port on 127.0.0.1.
func freePort() (int, error) {
	ports.mu.Lock()
	defer ports.mu.Unlock()
	if ports.used == nil {
		ports.used = map[int]bool{}
	}
	var lastErr error
	for i := 0; i < 50; i++ {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			lastErr = err
			continue
		}
		port := l.Addr().(*net.TCPAddr).Port
		l.Close()
		if ports.used[port] {
			continue
		}
		ports.used[port] = true
		return port, nil
	}
	if lastErr == nil {
		lastErr = errors.New("no unused port found")
	}
	return 0, fmt.Errorf("picking a free port on 127.0.0.1: %w", lastErr)
}

// addrInUse tells whether a server log says that the port was taken.
func addrInUse(log string) bool {
	return strings.Contains(log, "Address already in use") ||
		strings.Contains(log, "could not bind") ||
		strings.Contains(log, "could not create any TCP/IP sockets")
}

// tailFile returns at most the last n bytes of the file at path, starting at
// offset from or later.
func tailFile(path string, from int64, n int64) string {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Sprintf("(cannot read %s: %v)", path, err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return fmt.Sprintf("(cannot read %s: %v)", path, err)
	}
	start := max(from, st.Size()-n, 0)
	if _, err := f.Seek(start, io.SeekStart); err != nil {
		return fmt.Sprintf("(cannot read %s: %v)", path, err)
	}
	b, _ := io.ReadAll(f)
	s := strings.TrimSpace(string(b))
	if start > from && start > 0 {
		s = "..." + s
	}
	if s == "" {
		return "(empty)"
	}
	return s
}

// waitTCP waits until something accepts TCP connections on addr.
func waitTCP(addr string, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.Close()
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("nothing accepts connections on %s after %v: %w", addr, timeout, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// childEnv is the environment for the PostgreSQL tools: the current one
// without PG* variables (PGHOST, PGDATA, ... would override the explicit
// arguments) and with the C locale, so messages are predictable.
func childEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "PG") || strings.HasPrefix(kv, "LC_") ||
			strings.HasPrefix(kv, "LANG=") || strings.HasPrefix(kv, "LANGUAGE=") ||
			strings.HasPrefix(kv, "PSQLRC=") {
			continue
		}
		env = append(env, kv)
	}
	return append(env, "LANG=C", "LC_ALL=C", "PGCONNECT_TIMEOUT=10")
}

// The watchdog is a shell process that reads commands from a pipe whose write
// end only this process holds. When this process exits for whatever reason the
// pipe is closed, the watchdog reads EOF and kills the registered processes and
// the PostgreSQL server and removes its directory. It runs in its own session
// so that a Ctrl-C on the terminal does not kill it before it has cleaned up.
//
// Commands, one per line:
//
//	pid N     kill -9 process N at exit
//	unpid N   forget process N
//	pg DIR    stop the PostgreSQL server with data directory DIR/data and remove DIR at exit
//	nopg      forget the PostgreSQL server
const watchdogScript = `
pids=""
pg=""
while read -r cmd arg; do
	case "$cmd" in
	pid) pids="$pids $arg" ;;
	unpid)
		n=""
		for p in $pids; do [ "$p" = "$arg" ] || n="$n $p"; done
		pids="$n" ;;
	pg) pg="$arg" ;;
	nopg) pg="" ;;
	esac
done
for p in $pids; do kill -9 "$p" 2>/dev/null; done
if [ -n "$pg" ]; then
	if [ -f "$pg/data/postmaster.pid" ]; then
		pm=$(head -n 1 "$pg/data/postmaster.pid")
		if [ -n "$pm" ]; then
			kill -QUIT "$pm" 2>/dev/null
			i=0
			while kill -0 "$pm" 2>/dev/null && [ $i -lt 100 ]; do sleep 0.1; i=$((i+1)); done
			kill -9 "$pm" 2>/dev/null
		fi
	fi
	rm -rf "$pg"
fi
`

var watchdog struct {
	mu   sync.Mutex
	w    *os.File      // write end of the command pipe; nil when not running
	done chan struct{} // closed when the watchdog process has exited
	err  error         // why it could not be started (it is best effort)
}

// watch sends a command to the watchdog, starting it if needed. It is best
// effort: without sh the servers are still stopped by t.Cleanup and Shutdown.
func watch(format string, args ...any) {
	line := fmt.Sprintf(format, args...)
	if strings.ContainsAny(line, "\n\r") {
		return
	}
	watchdog.mu.Lock()
	defer watchdog.mu.Unlock()
	if watchdog.w == nil {
		startWatchdogLocked()
	}
	if watchdog.w != nil {
		watchdog.w.WriteString(line + "\n")
	}
}

func startWatchdogLocked() {
	sh, err := exec.LookPath("sh")
	if err != nil {
		watchdog.err = err
		return
	}
	r, w, err := os.Pipe()
	if err != nil {
		watchdog.err = err
		return
	}
	cmd := exec.Command(sh, "-c", watchdogScript)
	cmd.Stdin = r // Stdout and Stderr stay /dev/null: never hold the test's output open.
	cmd.Dir = "/"
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		r.Close()
		w.Close()
		watchdog.err = err
		return
	}
	r.Close()
	done := make(chan struct{})
	go func() {
		cmd.Wait()
		close(done)
	}()
	watchdog.w, watchdog.done = w, done
}

// stopWatchdog closes the command pipe, which makes the watchdog clean up
// whatever is still registered, and waits for it to exit.
func stopWatchdog() {
	watchdog.mu.Lock()
	defer watchdog.mu.Unlock()
	if watchdog.w == nil {
		return
	}
	watchdog.w.Close()
	select {
	case <-watchdog.done:
	case <-time.After(30 * time.Second):
	}
	watchdog.w, watchdog.done = nil, nil
}

// runLogged runs cmd with its output appended to the file logPath and returns
// an error that includes the tail of that output when cmd fails.
func runLogged(cmd *exec.Cmd, logPath string) error {
	f, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	st, _ := f.Stat()
	var from int64
	if st != nil {
		from = st.Size()
	}
	cmd.Stdout, cmd.Stderr = f, f
	err = cmd.Run()
	f.Close()
	if err != nil {
		return fmt.Errorf("%s failed: %v\n--- output (%s) ---\n%s", commandString(cmd), err, logPath, tailFile(logPath, from, 4096))
	}
	return nil
}

func commandString(cmd *exec.Cmd) string {
	var b bytes.Buffer
	for i, a := range cmd.Args {
		if i > 0 {
			b.WriteByte(' ')
		}
		if a == "" || strings.ContainsAny(a, " \t'\"") {
			fmt.Fprintf(&b, "%q", a)
		} else {
			b.WriteString(a)
		}
	}
	return b.String()
}

// DatabaseURL returns the URL of a new, empty database for the dialect
// ("sqlite3": a file in the test's temporary directory; "postgres": a new
// database on the shared throwaway server).
func DatabaseURL(t testing.TB, dialect string) string {
	t.Helper()
	if dialect == "postgres" {
		return PostgreSQL(t)
	}
	return "file:" + filepath.Join(t.TempDir(), "c360.db")
}

// Backend is a database kind storage tests run on; URL returns a new, empty one.
type Backend struct {
	Name string
	URL  func(t testing.TB) string
}

// Backends are the databases every storage test runs on.
var Backends = []Backend{
	{"sqlite", func(t testing.TB) string { return DatabaseURL(t, "sqlite3") }},
	{"postgres", func(t testing.TB) string { return DatabaseURL(t, "postgres") }},
}

// OpenDatabase opens (and migrates) a new, empty database of the dialect,
// closed when the test ends.
func OpenDatabase(t testing.TB, dialect string, opts database.Options) *database.DB {
	t.Helper()
	return Open(t, DatabaseURL(t, dialect), opts)
}

// Open opens (and migrates) the database at url, closed when the test ends.
func Open(t testing.TB, url string, opts database.Options) *database.DB {
	t.Helper()
	db, err := database.Open(context.Background(), url, opts)
	if err != nil {
		t.Fatalf("opening %s: %v", url, err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// Main runs a package's tests, then the cleanups, then stops the shared
// servers; call it from TestMain: func TestMain(m *testing.M) { testservices.Main(m) }.
func Main(m *testing.M, cleanups ...func()) {
	code := m.Run()
	for _, c := range cleanups {
		c()
	}
	Shutdown()
	os.Exit(code)
}

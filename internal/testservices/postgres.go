package testservices

import (
	"context"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// pgServer is the shared PostgreSQL server of this process.
type pgServer struct {
	root   string // temp dir: data/, logs, unix socket
	data   string
	port   int
	initdb string
	pgCtl  string
	psql   string
	cred   *syscall.Credential // user the server runs as; nil: the current user
	user   string
}

var pg struct {
	mu      sync.Mutex
	started bool // a start was attempted (err or srv is set)
	srv     *pgServer
	err     error // sticky startup error, reported to every caller
}

var dbCounter atomic.Int64

// PostgreSQL starts (once per test binary, lazily, shared by all tests in the
// process) a throwaway PostgreSQL server and returns the DSN
// postgres://postgres@127.0.0.1:PORT/DBNAME?sslmode=disable of a new, empty
// database created for this call, so tests are isolated from each other.
// The user is the superuser "postgres"; authentication is "trust".
//
// When a binary (initdb, pg_ctl, postgres, psql) is missing it calls t.Skip
// naming it, or t.Fatal when REQUIRE_SERVICES=1. Startup failures are fatal
// and include the tail of the server log. Call Shutdown from TestMain.
func PostgreSQL(t testing.TB) string {
	t.Helper()
	srv, err := sharedPostgres()
	if err != nil {
		fail(t, "starting PostgreSQL", err)
		return ""
	}
	name := fmt.Sprintf("t_%s_%d", sanitize(t.Name(), 40), dbCounter.Add(1))
	if err := srv.createDatabase(name); err != nil {
		t.Fatalf("testservices: %v", err)
		return ""
	}
	u := url.URL{
		Scheme:   "postgres",
		User:     url.User("postgres"),
		Host:     net.JoinHostPort("127.0.0.1", strconv.Itoa(srv.port)),
		Path:     "/" + name,
		RawQuery: "sslmode=disable",
	}
	return u.String()
}

// Shutdown stops the shared PostgreSQL server (pg_ctl stop -m immediate) and
// removes its data directory, and stops the watchdog process (which kills any
// redis-server still running). Call it from TestMain after m.Run. It is safe to
// call when nothing was started, and more than once; a later PostgreSQL call
// starts a new server.
func Shutdown() {
	pg.mu.Lock()
	srv := pg.srv
	pg.srv, pg.err, pg.started = nil, nil, false
	pg.mu.Unlock()
	if srv != nil {
		srv.stop()
		watchdogForgetPG()
	}
	stopWatchdog()
}

// watchdogForgetPG tells a running watchdog that the server is gone, without
// starting a watchdog just for that.
func watchdogForgetPG() {
	watchdog.mu.Lock()
	running := watchdog.w != nil
	watchdog.mu.Unlock()
	if running {
		watch("nopg")
	}
}

func sharedPostgres() (*pgServer, error) {
	pg.mu.Lock()
	defer pg.mu.Unlock()
	if !pg.started {
		pg.started = true
		pg.srv, pg.err = startPostgres()
	}
	return pg.srv, pg.err
}

// sanitize turns s into a lower-case identifier fragment of at most n bytes.
func sanitize(s string, n int) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		if b.Len() >= n {
			break
		}
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			b.WriteRune(r)
		} else {
			b.WriteByte('_')
		}
	}
	return b.String()
}

// pgBinDirs returns the /usr/lib/postgresql/*/bin directories, newest first.
func pgBinDirs() []string {
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	version := func(dir string) []int {
		var v []int
		for _, p := range strings.Split(filepath.Base(filepath.Dir(dir)), ".") {
			n, _ := strconv.Atoi(p)
			v = append(v, n)
		}
		return v
	}
	sort.SliceStable(dirs, func(i, j int) bool {
		a, b := version(dirs[i]), version(dirs[j])
		for k := 0; k < len(a) && k < len(b); k++ {
			if a[k] != b[k] {
				return a[k] > b[k]
			}
		}
		return len(a) > len(b)
	})
	return dirs
}

func isExecutable(path string) bool {
	st, err := os.Stat(path)
	return err == nil && !st.IsDir() && st.Mode()&0o111 != 0
}

// findPostgresBinaries finds initdb, pg_ctl and postgres (all three on PATH,
// else all three in the newest /usr/lib/postgresql/*/bin that has them) and
// psql (PATH, else the same directory, else any PostgreSQL bin directory).
func findPostgresBinaries() (initdb, pgCtl, psql string, err error) {
	server := []string{"initdb", "pg_ctl", "postgres"}
	found := map[string]string{}
	for _, name := range server {
		if p, err := exec.LookPath(name); err == nil {
			found[name] = p
		}
	}
	var dir string
	if len(found) < len(server) {
		for _, d := range pgBinDirs() {
			ok := true
			for _, name := range server {
				ok = ok && isExecutable(filepath.Join(d, name))
			}
			if ok {
				dir = d
				for _, name := range server {
					found[name] = filepath.Join(d, name)
				}
				break
			}
		}
	}
	if p, err := exec.LookPath("psql"); err == nil {
		found["psql"] = p
	} else {
		for _, d := range append([]string{dir}, pgBinDirs()...) {
			if d != "" && isExecutable(filepath.Join(d, "psql")) {
				found["psql"] = filepath.Join(d, "psql")
				break
			}
		}
	}
	var missing []string
	for _, name := range append(server, "psql") {
		if found[name] == "" {
			missing = append(missing, name)
		}
	}
	if len(missing) > 0 {
		return "", "", "", &missingError{fmt.Sprintf("PostgreSQL binaries not found: %s (looked on PATH and in /usr/lib/postgresql/*/bin)", strings.Join(missing, ", "))}
	}
	return found["initdb"], found["pg_ctl"], found["psql"], nil
}

// serverUser returns the credential to run PostgreSQL with: nil when not root,
// else the "postgres" user, else "nobody".
func serverUser() (*syscall.Credential, string, error) {
	if os.Geteuid() != 0 {
		return nil, "", nil
	}
	for _, name := range []string{"postgres", "nobody"} {
		u, err := user.Lookup(name)
		if err != nil {
			continue
		}
		uid, err1 := strconv.ParseUint(u.Uid, 10, 32)
		gid, err2 := strconv.ParseUint(u.Gid, 10, 32)
		if err1 != nil || err2 != nil || uid == 0 {
			continue
		}
		return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid), Groups: []uint32{}}, name, nil
	}
	return nil, "", &missingError{"running as root and neither a \"postgres\" nor a \"nobody\" user exists to run PostgreSQL as"}
}

// traversable tells whether uid/gid (without supplementary groups) can reach
// dir, i.e. has search permission on it and on all its ancestors.
func traversable(dir string, uid, gid uint32) bool {
	for d := filepath.Clean(dir); ; d = filepath.Dir(d) {
		st, err := os.Stat(d)
		if err != nil {
			return false
		}
		sys, ok := st.Sys().(*syscall.Stat_t)
		if !ok {
			return false
		}
		perm := st.Mode().Perm()
		switch {
		case sys.Uid == uid:
			if perm&0o100 == 0 {
				return false
			}
		case sys.Gid == gid:
			if perm&0o010 == 0 {
				return false
			}
		default:
			if perm&0o001 == 0 {
				return false
			}
		}
		if d == filepath.Dir(d) {
			return true
		}
	}
}

// tempBase returns where to create the server directory: os.TempDir(), unless
// the server user cannot reach it or it is too long for a unix socket path.
func tempBase(cred *syscall.Credential) string {
	base := os.TempDir()
	if len(base) > 60 || (cred != nil && !traversable(base, cred.Uid, cred.Gid)) {
		return "/tmp"
	}
	return base
}

// command returns a command that runs as the server user in the server dir.
func (s *pgServer) command(ctx context.Context, path string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, path, args...)
	cmd.Dir = s.root
	cmd.Env = childEnv()
	if s.cred != nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: s.cred}
	}
	return cmd
}

func (s *pgServer) chown(path string) error {
	if s.cred == nil {
		return nil
	}
	return os.Chown(path, int(s.cred.Uid), int(s.cred.Gid))
}

// shellQuote quotes s for sh (pg_ctl passes -o through the shell).
func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

func startPostgres() (*pgServer, error) {
	initdb, pgCtl, psql, err := findPostgresBinaries()
	if err != nil {
		return nil, err
	}
	cred, userName, err := serverUser()
	if err != nil {
		return nil, err
	}
	root, err := os.MkdirTemp(tempBase(cred), "testservices-pg-")
	if err != nil {
		return nil, err
	}
	s := &pgServer{
		root: root, data: filepath.Join(root, "data"),
		initdb: initdb, pgCtl: pgCtl, psql: psql,
		cred: cred, user: userName,
	}
	// From here on a crash of this process still removes root and stops the server.
	watch("pg %s", root)
	ok := false
	defer func() {
		if !ok {
			s.stop()
			watchdogForgetPG()
		}
	}()
	if err := s.chown(root); err != nil {
		return nil, fmt.Errorf("giving %s to user %s: %w", root, userName, err)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	initLog := filepath.Join(root, "initdb.log")
	err = runLogged(s.command(ctx, initdb, "-D", s.data, "-U", "postgres", "--auth=trust",
		"-E", "UTF8", "--locale=C", "--no-sync"), initLog)
	if err != nil {
		return nil, s.describe(err)
	}

	serverLog := filepath.Join(root, "postgres.log")
	for attempt := 1; ; attempt++ {
		s.port, err = freePort()
		if err != nil {
			return nil, err
		}
		opts := strings.Join([]string{
			"-c listen_addresses=127.0.0.1",
			"-p " + strconv.Itoa(s.port),
			"-k " + shellQuote(root),
			"-c fsync=off -c synchronous_commit=off -c full_page_writes=off",
			"-c max_connections=200",
		}, " ")
		err = runLogged(s.command(ctx, pgCtl, "start", "-w", "-t", "60", "-s",
			"-D", s.data, "-l", serverLog, "-o", opts), filepath.Join(root, "pg_ctl.log"))
		if err == nil {
			break
		}
		logText := tailFile(serverLog, 0, 4096)
		if attempt >= 3 || !addrInUse(logText) {
			return nil, fmt.Errorf("%w\n--- server log (%s) ---\n%s", err, serverLog, logText)
		}
		// Port taken in the meantime: keep this log for reference, retry on another port.
		os.Rename(serverLog, fmt.Sprintf("%s.%d", serverLog, attempt))
	}
	if err := waitTCP(s.addr(), 30*time.Second); err != nil {
		return nil, fmt.Errorf("%w\n--- server log (%s) ---\n%s", err, serverLog, tailFile(serverLog, 0, 4096))
	}
	ok = true
	return s, nil
}

// describe adds which user ran the failed command.
func (s *pgServer) describe(err error) error {
	if s.cred != nil {
		return fmt.Errorf("(running as user %s) %w", s.user, err)
	}
	return err
}

func (s *pgServer) addr() string {
	return net.JoinHostPort("127.0.0.1", strconv.Itoa(s.port))
}

// createDatabase creates database name with psql.
func (s *pgServer) createDatabase(name string) error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, s.psql, "-X", "-q", "-h", "127.0.0.1", "-p", strconv.Itoa(s.port),
		"-U", "postgres", "-d", "postgres", "-v", "ON_ERROR_STOP=1",
		"-c", `CREATE DATABASE "`+name+`"`)
	cmd.Env = childEnv()
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("creating database %s: %s failed: %v\n%s\n--- server log ---\n%s",
			name, commandString(cmd), err, strings.TrimSpace(string(out)),
			tailFile(filepath.Join(s.root, "postgres.log"), 0, 2048))
	}
	return nil
}

// stop stops the server (immediate mode: the data is thrown away anyway) and
// removes its directory.
func (s *pgServer) stop() {
	if _, err := os.Stat(filepath.Join(s.data, "postmaster.pid")); err == nil {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		err := runLogged(s.command(ctx, s.pgCtl, "stop", "-m", "immediate", "-w", "-t", "30", "-s", "-D", s.data),
			filepath.Join(s.root, "pg_ctl.log"))
		cancel()
		if err != nil {
			s.kill()
		}
	}
	os.RemoveAll(s.root)
}

// kill is the fallback when pg_ctl stop fails: SIGQUIT (immediate shutdown)
// to the postmaster, then SIGKILL.
func (s *pgServer) kill() {
	b, err := os.ReadFile(filepath.Join(s.data, "postmaster.pid"))
	if err != nil {
		return
	}
	pid, err := strconv.Atoi(strings.TrimSpace(strings.SplitN(string(b), "\n", 2)[0]))
	if err != nil || pid <= 1 {
		return
	}
	syscall.Kill(pid, syscall.SIGQUIT)
	for i := 0; i < 100 && syscall.Kill(pid, 0) == nil; i++ {
		time.Sleep(100 * time.Millisecond)
	}
	syscall.Kill(pid, syscall.SIGKILL)
}

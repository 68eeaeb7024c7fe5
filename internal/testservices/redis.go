package testservices

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"
)

// RedisServer is a throwaway redis-server owned by one test. Its methods are
// safe for concurrent use.
type RedisServer struct {
	bin     string
	dir     string // working directory and log
	logPath string
	port    int

	mu   sync.Mutex
	cmd  *exec.Cmd     // nil while stopped
	done chan struct{} // closed when cmd has exited
}

// Redis starts a new throwaway redis-server for this test on a free loopback
// port, without automatic persistence (--save "" --appendonly no; an explicit
// SAVE still writes the dump that Start loads), and stops it at
// t.Cleanup. When redis-server is not on PATH it calls t.Skip, or t.Fatal when
// REQUIRE_SERVICES=1.
func Redis(t testing.TB) *RedisServer {
	t.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		unavailable(t, "redis-server not found on PATH")
		return nil
	}
	dir := t.TempDir()
	r := &RedisServer{bin: bin, dir: dir, logPath: filepath.Join(dir, "redis.log")}
	for attempt := 1; ; attempt++ {
		if r.port, err = freePort(); err != nil {
			t.Fatalf("testservices: %v", err)
			return nil
		}
		r.mu.Lock()
		err = r.startLocked()
		r.mu.Unlock()
		if err == nil {
			break
		}
		if attempt >= 3 || !addrInUse(err.Error()) {
			t.Fatalf("testservices: starting redis-server: %v", err)
			return nil
		}
	}
	t.Cleanup(func() {
		if err := r.stop(); err != nil {
			t.Errorf("testservices: stopping redis-server: %v", err)
		}
	})
	return r
}

// Addr returns the server address, "127.0.0.1:PORT".
func (r *RedisServer) Addr() string {
	return net.JoinHostPort("127.0.0.1", strconv.Itoa(r.port))
}

// URL returns the server URL for database 0, "redis://127.0.0.1:PORT/0".
func (r *RedisServer) URL() string {
	return "redis://" + r.Addr() + "/0"
}

// Stop kills the server with SIGKILL (simulating a crash) and waits for the
// process to exit; afterwards connections to Addr are refused. All data is
// lost. Stopping a stopped server does nothing.
func (r *RedisServer) Stop(t testing.TB) {
	t.Helper()
	if err := r.stop(); err != nil {
		t.Fatalf("testservices: stopping redis-server: %v", err)
	}
}

// Start starts the server again on the same port and waits until it answers
// PING. Its data set is empty, or what the last SAVE wrote (the same
// directory and dump file are used; nothing is saved automatically), so
// Stop+Start after a SAVE is a restart from an older snapshot. Starting a
// running server does nothing.
func (r *RedisServer) Start(t testing.TB) {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.cmd != nil {
		return
	}
	if err := r.startLocked(); err != nil {
		t.Fatalf("testservices: restarting redis-server on %s: %v", r.Addr(), err)
	}
}

func (r *RedisServer) stop() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.cmd == nil {
		return nil
	}
	pid := r.cmd.Process.Pid
	r.cmd.Process.Kill()
	select {
	case <-r.done:
	case <-time.After(30 * time.Second):
		return fmt.Errorf("redis-server (pid %d) did not exit within 30s of SIGKILL", pid)
	}
	watch("unpid %d", pid)
	r.cmd, r.done = nil, nil
	return nil
}

// startLocked starts redis-server and waits until it answers PING. r.mu is held.
func (r *RedisServer) startLocked() error {
	f, err := os.OpenFile(r.logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return err
	}
	from := st.Size()
	cmd := exec.Command(r.bin,
		"--port", strconv.Itoa(r.port),
		"--bind", "127.0.0.1",
		"--save", "",
		"--appendonly", "no",
		"--daemonize", "no",
		"--dir", r.dir,
		"--logfile", "", // log to stdout, i.e. the log file
	)
	cmd.Dir = r.dir
	cmd.Stdout, cmd.Stderr = f, f // a file, not a pipe: nothing holds the test's output open
	if err := cmd.Start(); err != nil {
		return err
	}
	done := make(chan struct{})
	go func() {
		cmd.Wait()
		close(done)
	}()
	watch("pid %d", cmd.Process.Pid)

	deadline := time.Now().Add(30 * time.Second)
	for {
		select {
		case <-done:
			watch("unpid %d", cmd.Process.Pid)
			return fmt.Errorf("redis-server exited during startup (%v)\n--- log (%s) ---\n%s",
				cmd.ProcessState, r.logPath, tailFile(r.logPath, from, 4096))
		default:
		}
		if err := redisPing(r.Addr()); err == nil {
			r.cmd, r.done = cmd, done
			return nil
		} else if time.Now().After(deadline) {
			cmd.Process.Kill()
			<-done
			watch("unpid %d", cmd.Process.Pid)
			return fmt.Errorf("redis-server did not answer PING on %s within 30s: %v\n--- log (%s) ---\n%s",
				r.Addr(), err, r.logPath, tailFile(r.logPath, from, 4096))
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// redisPing sends PING as a raw RESP array and expects +PONG.
func redisPing(addr string) error {
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(2 * time.Second))
	if _, err := c.Write([]byte("*1\r\n$4\r\nPING\r\n")); err != nil {
		return err
	}
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		return err
	}
	if line != "+PONG\r\n" {
		return fmt.Errorf("PING answered %q", line)
	}
	return nil
}

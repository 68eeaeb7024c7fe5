package server_test

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/signal"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/c360/c360/internal/app"
	"github.com/c360/c360/internal/config"
	"github.com/c360/c360/internal/database"
	"github.com/c360/c360/internal/server"
)

// serveEnv makes the test binary a c360 server process (serveProcess):
// tests start several on one database, and kill them.
const serveEnv = "C360_TEST_SERVE"

// serveProcess serves the configuration of the environment on a loopback
// port it prints ("listening ADDR"), until SIGTERM.
func serveProcess() int {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	cfg, err := config.Load()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	c360, err := app.Open(ctx, cfg, database.Options{})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer c360.Close()
	s, err := server.New(c360)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer s.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	fmt.Println("listening", ln.Addr().String())
	if err := s.Run(ctx, ln); err != nil && ctx.Err() == nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return 0
}

// process is a c360 server process started by a test.
type process struct {
	cmd *exec.Cmd
	api *api
}

// startProcess starts a server process on the database at url, with the
// environment's settings and env on top, and waits until it listens.
func startProcess(t testing.TB, url string, env ...string) *process {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), serveEnv+"=1", "DATABASE_URL="+url, "DEMO_DATA=false", "BASE_CURRENCY=EUR",
		"RATE_LIMIT_RPS=0", "LOG_LEVEL=warn")
	cmd.Env = append(cmd.Env, env...)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &process{cmd: cmd}
	t.Cleanup(func() { p.kill() })
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if a, ok := strings.CutPrefix(sc.Text(), "listening "); ok {
				addr <- a
			}
		}
	}()
	select {
	case a := <-addr:
		p.api = &api{t: t, url: "http://" + a}
	case <-time.After(60 * time.Second):
		t.Fatal("the server process did not listen within 60 s")
	}
	return p
}

// kill ends the process at once (SIGKILL): what it had not done is left
// undone, as in a crash.
func (p *process) kill() {
	if p.cmd.ProcessState == nil {
		_ = p.cmd.Process.Kill()
		_ = p.cmd.Wait()
	}
}

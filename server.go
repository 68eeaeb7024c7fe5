// Command c360 serves the customer 360 GraphQL API.
//
//	c360 [serve]   serve the API (default)
//	c360 migrate   apply pending schema migrations and exit
//	c360 import [--batch N] DIR
//	               import an NDJSON data set (shared/spec/data-format.md)
//	c360 export DIR
//	               write the database as an NDJSON data set
//	c360 seed --customers N --seed S --out DIR [--now RFC3339]
//	               generate a deterministic synthetic data set
//
// Settings come from environment variables; see internal/config and README.md.
package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"strconv"
	"syscall"

	"github.com/c360/c360/internal/app"
	"github.com/c360/c360/internal/config"
	"github.com/c360/c360/internal/database"
	"github.com/c360/c360/internal/server"
)

func main() {
	cfg, err := config.Load()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	slog.SetDefault(slog.New(server.LogHandler(slog.NewJSONHandler(os.Stderr, &slog.HandlerOptions{Level: level(cfg.LogLevel)}))))
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	// After the first signal the default action returns, so a second one
	// stops at once instead of waiting for the drain.
	context.AfterFunc(ctx, stop)

	cmd := "serve"
	if len(os.Args) > 1 {
		cmd = os.Args[1]
	}
	switch cmd {
	case "serve":
		err = serve(ctx, cfg)
	case "migrate":
		err = database.Migrate(cfg.DatabaseURL)
		if err == nil {
			slog.Info("migrations applied")
		}
	case "import":
		os.Exit(runImport(ctx, cfg, os.Args[2:]))
	case "export":
		os.Exit(runExport(ctx, cfg, os.Args[2:]))
	case "seed":
		os.Exit(runSeed(os.Args[2:]))
	case "help", "-h", "--help":
		fmt.Print(usage)
	default:
		fmt.Fprintf(os.Stderr, "c360: unknown command %q\n\n%s", cmd, usage)
		os.Exit(exitUsageErr)
	}
	if err != nil {
		slog.Error(cmd+" failed", "err", err)
		os.Exit(1)
	}
}

func serve(ctx context.Context, cfg config.Config) error {
	c360, err := app.Open(ctx, cfg, database.Options{})
	if err != nil {
		return err
	}
	defer c360.Close()
	if cfg.DemoData {
		if _, err := c360.LoadDemo(ctx, cfg.DemoCustomers); err != nil {
			return err
		}
	}
	ln, err := net.Listen("tcp", net.JoinHostPort(cfg.ListenHost, strconv.Itoa(cfg.Port)))
	if err != nil {
		return err
	}
	attrs := []any{"addr", ln.Addr().String(), "database", c360.DB.Dialect, "cache", c360.Scores.CacheBackend()}
	if cfg.GraphiQL {
		attrs = append(attrs, "graphiql", "http://localhost:"+strconv.Itoa(cfg.Port)+"/")
	}
	slog.Info("serving", attrs...)
	srv, err := server.New(c360)
	if err != nil {
		return err
	}
	defer srv.Close()
	if err := srv.Run(ctx, ln); err != nil && !errors.Is(err, context.Canceled) {
		return err
	}
	slog.Info("stopped")
	return nil
}

func level(s string) slog.Level {
	var l slog.Level
	if err := l.UnmarshalText([]byte(s)); err != nil {
		return slog.LevelInfo
	}
	return l
}

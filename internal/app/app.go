// Package app assembles c360 from its configuration, in the one place the
// server, the commands, the tests and the load test open it: the database
// (migrated), and the score service with its cache, which installs the ent
// hook that invalidates figures on every mutation. The writes that bypass
// ent's hooks for speed, the import and the demo data, are opened here too
// and invalidate the cache themselves, so no caller has to remember it.
package app

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/c360/c360/internal/cache"
	"github.com/c360/c360/internal/config"
	"github.com/c360/c360/internal/database"
	"github.com/c360/c360/internal/eventstream"
	"github.com/c360/c360/internal/importer"
	"github.com/c360/c360/internal/scores"
	"github.com/c360/c360/internal/seed"
	"github.com/c360/c360/internal/store"
	"github.com/c360/c360/internal/webhooks"
)

// App is an assembled c360.
type App struct {
	Config config.Config
	DB     *database.DB
	Scores *scores.Service
	// Events delivers committed events to subscribers once its Run is
	// started (the server does; the import command has none to serve).
	Events *eventstream.Stream
	// Webhooks records and sends webhook deliveries once its Run is started
	// (the server does).
	Webhooks *webhooks.Dispatcher
	// committed wakes this process's readers of the event log after a
	// commit, and (PostgreSQL) has the others notified.
	committed    func()
	stopNotifier context.CancelFunc
}

// Open connects to cfg.DatabaseURL (applying pending migrations) and opens
// the score cache. opts tune the database (tests wrap its driver);
// SQLITE_SYNCHRONOUS applies unless opts sets it.
func Open(ctx context.Context, cfg config.Config, opts database.Options) (*App, error) {
	if opts.Synchronous == "" {
		opts.Synchronous = cfg.SQLiteSynchronous
	}
	db, err := database.Open(ctx, cfg.DatabaseURL, opts)
	if err != nil {
		return nil, err
	}
	sc, err := scores.Open(db.Client, db.Dialect, cfg.RedisURL, cfg.CacheTTL, cache.MemoryBytes(cfg.CacheMemoryBytes))
	if err != nil {
		db.Close()
		return nil, err
	}
	a := &App{Config: cfg, DB: db, Scores: sc, Events: eventstream.New(db.Client, cfg.EventPollInterval, cfg.EventGapWait),
		Webhooks: webhooks.New(db.Client, cfg.Webhooks)}
	var notifying context.Context
	notifying, a.stopNotifier = context.WithCancel(context.WithoutCancel(ctx))
	notify := db.Notifier(notifying)
	a.committed = func() { a.Events.Wake(); a.Webhooks.Wake(); notify() }
	db.Client.Customer.Use(store.ProfileHook)
	db.Client.Use(store.EventHook(a.committed))
	if err := store.Backfill(ctx, db.Client); err != nil {
		a.Close()
		return nil, err
	}
	if err := scores.Backfill(ctx, db.Client, db.Dialect); err != nil {
		a.Close()
		return nil, err
	}
	return a, nil
}

// Close closes the cache and the database.
func (a *App) Close() error {
	a.stopNotifier()
	err := a.Scores.Close()
	if dbErr := a.DB.Close(); err == nil {
		err = dbErr
	}
	return err
}

// importOptions fills in the deployment's base currency and the cache
// invalidation after each commit.
func (a *App) importOptions(opts importer.Options) importer.Options {
	if opts.BaseCurrency == "" {
		opts.BaseCurrency = a.Config.BaseCurrency
	}
	after := opts.AfterCommit
	opts.AfterCommit = func(ctx context.Context) {
		a.Scores.InvalidateAll(ctx)
		a.committed()
		if after != nil {
			after(ctx)
		}
	}
	return opts
}

// Import imports the data set in dir (importer.ImportDir).
func (a *App) Import(ctx context.Context, dir string, opts importer.Options) (importer.Summary, error) {
	return importer.ImportDir(ctx, a.DB, dir, a.importOptions(opts))
}

// Loader returns a Loader writing to the database (importer.NewLoader).
func (a *App) Loader(ctx context.Context, opts importer.Options) *importer.Loader {
	return importer.NewLoader(ctx, a.DB, a.importOptions(opts))
}

// DemoSeed is the demo data set's generator seed: the same data on every
// machine.
const DemoSeed = 360

// LoadDemo fills an empty database (no customer, no persona) with n
// generated customers with their orders and feedback, so a newcomer can
// explore in GraphiQL at once. It reports whether it did.
func (a *App) LoadDemo(ctx context.Context, n int) (bool, error) {
	client := a.DB.Client
	customers, err := client.Customer.Query().Exist(ctx)
	if err != nil {
		return false, fmt.Errorf("checking for existing data: %w", err)
	}
	personas, err := client.Persona.Query().Exist(ctx)
	if err != nil {
		return false, fmt.Errorf("checking for existing data: %w", err)
	}
	if customers || personas {
		return false, nil
	}
	start := time.Now()
	l := a.Loader(ctx, importer.Options{})
	if err := seed.Generate(seed.Config{Customers: n, Seed: DemoSeed, Now: time.Now().UTC().Truncate(time.Second)}, l); err != nil {
		return false, fmt.Errorf("generating demo data: %w", err)
	}
	if err := l.Flush(); err != nil {
		return false, fmt.Errorf("loading demo data: %w", err)
	}
	sum := l.Summary()
	if sum.Rejected > 0 {
		return true, fmt.Errorf("demo data: %s; first: %+v", sum, sum.Rejections[0])
	}
	slog.InfoContext(ctx, "loaded demo data", "records", sum.Imported, "took", time.Since(start).Round(time.Millisecond).String())
	return true, nil
}

package database

import (
	"context"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"
)

// EventsChannel is the PostgreSQL notification channel of committed
// customer events: a process that committed events notifies it after the
// commit (Notifier), and every process listening (Listen) reads the log at
// once instead of at its next poll. Not in the writing transaction: a
// transaction that notifies takes a lock at its commit that serializes the
// commits of all of them, and its events' ids became gaps others waited for.
const EventsChannel = "c360_events"

// Notifier returns a function that has EventsChannel notified soon, from
// a goroutine that runs until ctx ends; calls while one notification is
// pending make no more. On SQLite it does nothing.
func (db *DB) Notifier(ctx context.Context) func() {
	if db.listen == nil {
		return func() {}
	}
	pending := make(chan struct{}, 1)
	go func() {
		for {
			select {
			case <-ctx.Done():
				return
			case <-pending:
			}
			if _, err := db.pools[0].ExecContext(ctx, "SELECT pg_notify($1, '')", EventsChannel); err != nil && ctx.Err() == nil {
				slog.WarnContext(ctx, "database: notifying committed events", "err", err)
			}
		}
	}()
	return func() {
		select {
		case pending <- struct{}{}:
		default:
		}
	}
}

// Listen calls notify for each notification on channel until ctx ends, on
// a connection of its own (redialled after a failure, with notify called
// then too, as notifications may have been missed). On SQLite it returns at
// once: there, other processes are seen by polling.
func (db *DB) Listen(ctx context.Context, channel string, notify func()) {
	if db.listen == nil {
		return
	}
	for ctx.Err() == nil {
		err := db.listenOnce(ctx, channel, notify)
		if ctx.Err() != nil {
			return
		}
		slog.WarnContext(ctx, "database: listening for notifications", "channel", channel, "err", err)
		notify()
		select {
		case <-ctx.Done():
		case <-time.After(time.Second):
		}
	}
}

func (db *DB) listenOnce(ctx context.Context, channel string, notify func()) error {
	conn, err := pgx.ConnectConfig(ctx, db.listen)
	if err != nil {
		return err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	if _, err := conn.Exec(ctx, "LISTEN "+pgx.Identifier{channel}.Sanitize()); err != nil {
		return err
	}
	for {
		if _, err := conn.WaitForNotification(ctx); err != nil {
			return err
		}
		notify()
	}
}

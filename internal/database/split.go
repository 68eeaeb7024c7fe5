package database

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"entgo.io/ent/dialect"
)

// splitDriver sends plain SELECTs outside transactions to the SQLite read pool
// and everything else (INSERT ... RETURNING arrives as a Query too) to the
// single writer connection. The read pool is query_only, so a misrouted write
// fails loudly instead of taking a second write lock.
type splitDriver struct {
	dialect.Driver // the writer
	reader         dialect.Driver
}

func (d *splitDriver) Query(ctx context.Context, query string, args, v any) error {
	if isRead(query) {
		return d.reader.Query(ctx, query, args, v)
	}
	return d.Driver.Query(ctx, query, args, v)
}

func (d *splitDriver) Close() error {
	err := d.reader.Close()
	if werr := d.Driver.Close(); werr != nil {
		err = werr
	}
	return err
}

func isRead(query string) bool {
	q := strings.TrimLeft(query, " \t\r\n(")
	return len(q) >= 6 && strings.EqualFold(q[:6], "SELECT")
}

// BeginTx opens a transaction on the writer with options (ent's client.BeginTx).
func (d *splitDriver) BeginTx(ctx context.Context, opts *sql.TxOptions) (dialect.Tx, error) {
	return d.Driver.(interface {
		BeginTx(context.Context, *sql.TxOptions) (dialect.Tx, error)
	}).BeginTx(ctx, opts)
}

// ExecContext runs raw SQL on the writer.
func (d *splitDriver) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	return execContext(d.Driver, ctx, query, args...)
}

// QueryContext routes raw SQL like Query.
func (d *splitDriver) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if isRead(query) {
		return queryContext(d.reader, ctx, query, args...)
	}
	return queryContext(d.Driver, ctx, query, args...)
}

type execer interface {
	ExecContext(context.Context, string, ...any) (sql.Result, error)
}

type querier interface {
	QueryContext(context.Context, string, ...any) (*sql.Rows, error)
}

func execContext(d any, ctx context.Context, query string, args ...any) (sql.Result, error) {
	e, ok := d.(execer)
	if !ok {
		return nil, fmt.Errorf("driver %T does not support ExecContext", d)
	}
	return e.ExecContext(ctx, query, args...)
}

func queryContext(d any, ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	q, ok := d.(querier)
	if !ok {
		return nil, fmt.Errorf("driver %T does not support QueryContext", d)
	}
	return q.QueryContext(ctx, query, args...)
}

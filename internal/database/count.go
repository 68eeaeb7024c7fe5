package database

import (
	"context"
	"database/sql"
	"fmt"
	"sync/atomic"

	"entgo.io/ent/dialect"
)

// Counter wraps a driver and counts the SQL statements sent through it,
// inside transactions too. Tests and benchmarks use it to prove that the
// number of statements of a query does not grow with the rows it returns.
type Counter struct {
	dialect.Driver
	n atomic.Int64
}

// NewCounter wraps drv.
func NewCounter(drv dialect.Driver) *Counter { return &Counter{Driver: drv} }

// Count returns the statements so far.
func (c *Counter) Count() int64 { return c.n.Load() }

// Reset sets the count to zero.
func (c *Counter) Reset() { c.n.Store(0) }

func (c *Counter) Exec(ctx context.Context, query string, args, v any) error {
	c.n.Add(1)
	return c.Driver.Exec(ctx, query, args, v)
}

func (c *Counter) Query(ctx context.Context, query string, args, v any) error {
	c.n.Add(1)
	return c.Driver.Query(ctx, query, args, v)
}

func (c *Counter) Tx(ctx context.Context) (dialect.Tx, error) {
	tx, err := c.Driver.Tx(ctx)
	if err != nil {
		return nil, err
	}
	return &countingTx{Tx: tx, n: &c.n}, nil
}

// BeginTx keeps ent's transaction options working through the wrapper.
func (c *Counter) BeginTx(ctx context.Context, opts *sql.TxOptions) (dialect.Tx, error) {
	b, ok := c.Driver.(interface {
		BeginTx(context.Context, *sql.TxOptions) (dialect.Tx, error)
	})
	if !ok {
		return c.Tx(ctx)
	}
	tx, err := b.BeginTx(ctx, opts)
	if err != nil {
		return nil, err
	}
	return &countingTx{Tx: tx, n: &c.n}, nil
}

type countingTx struct {
	dialect.Tx
	n *atomic.Int64
}

func (t *countingTx) Exec(ctx context.Context, query string, args, v any) error {
	t.n.Add(1)
	return t.Tx.Exec(ctx, query, args, v)
}

func (t *countingTx) Query(ctx context.Context, query string, args, v any) error {
	t.n.Add(1)
	return t.Tx.Query(ctx, query, args, v)
}

// ExecContext and QueryContext pass ent's sql/execquery calls (raw SQL, used
// by the bulk import) through the wrapper, counted like the others.
func (c *Counter) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	c.n.Add(1)
	return execContext(c.Driver, ctx, query, args...)
}

func (c *Counter) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	c.n.Add(1)
	return queryContext(c.Driver, ctx, query, args...)
}

func (t *countingTx) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	t.n.Add(1)
	return execContext(t.Tx, ctx, query, args...)
}

func (t *countingTx) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	t.n.Add(1)
	return queryContext(t.Tx, ctx, query, args...)
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

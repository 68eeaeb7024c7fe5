package database

import (
	"context"
	"strings"
	"sync/atomic"

	"entgo.io/ent/dialect"
)

// Counter counts the SQL statements sent through the drivers it wraps,
// inside transactions too, raw SQL (ExecContext, QueryContext) included,
// but not those of background work (Background). Tests and benchmarks use
// it to prove that the number of statements of a query does not grow with
// the rows it returns.
type Counter struct{ n atomic.Int64 }

type backgroundKey struct{}

// Background marks ctx as the context of work no request waits for (the
// event stream, webhook delivery), which Counter leaves out.
func Background(ctx context.Context) context.Context {
	return context.WithValue(ctx, backgroundKey{}, true)
}

// Wrap returns drv under ent's debug driver, which reports each statement,
// each transaction's start and its end to a log function; the counter
// counts the statements, whose reports alone carry "query=".
func (c *Counter) Wrap(drv dialect.Driver) dialect.Driver {
	return dialect.DebugWithContext(drv, func(ctx context.Context, v ...any) {
		if ctx.Value(backgroundKey{}) != nil {
			return
		}
		if len(v) == 1 {
			if s, ok := v[0].(string); ok && strings.Contains(s, ": query=") {
				c.n.Add(1)
			}
		}
	})
}

// Count returns the statements so far.
func (c *Counter) Count() int64 { return c.n.Load() }

// Reset sets the count to zero.
func (c *Counter) Reset() { c.n.Store(0) }

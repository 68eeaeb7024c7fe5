package database

import (
	"context"
	"strings"
	"sync/atomic"

	"entgo.io/ent/dialect"
)

// Counter counts the SQL statements sent through the drivers it wraps,
// inside transactions too, raw SQL (ExecContext, QueryContext) included.
// Tests and benchmarks use it to prove that the number of statements of a
// query does not grow with the rows it returns.
type Counter struct{ n atomic.Int64 }

// Wrap returns drv under ent's debug driver, which reports each statement,
// each transaction's start and its end to a log function; the counter
// counts the statements, whose reports alone carry "query=".
func (c *Counter) Wrap(drv dialect.Driver) dialect.Driver {
	return dialect.DebugWithContext(drv, func(_ context.Context, v ...any) {
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

package eventstream

import (
	"sync"
	"time"
)

// Gaps times the event ids found missing below a committed one, for the
// readers of the log (this stream, the webhook dispatcher): on PostgreSQL a
// transaction may commit its events after a later one did, so a missing id
// is waited for, and taken for rolled back once it has been missing for the
// wait. Safe for concurrent use.
type Gaps struct {
	wait  time.Duration
	mu    sync.Mutex
	since map[int]time.Time // missing ids, and when first seen missing
}

// NewGaps returns the clocks of missing ids with the given wait.
func NewGaps(wait time.Duration) *Gaps {
	return &Gaps{wait: wait, since: make(map[int]time.Time)}
}

// Waited reports whether the missing id has been waited for long enough;
// the first call starts its clock.
func (g *Gaps) Waited(id int) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	since, ok := g.since[id]
	if !ok {
		g.since[id] = time.Now()
		return false
	}
	if time.Since(since) < g.wait {
		return false
	}
	delete(g.since, id)
	return true
}

// Forget drops the clocks of the ids up to last: filled, or given up.
func (g *Gaps) Forget(last int) {
	g.mu.Lock()
	defer g.mu.Unlock()
	for id := range g.since {
		if id <= last {
			delete(g.since, id)
		}
	}
}

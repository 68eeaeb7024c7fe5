// Package ratelimit limits requests per credential: in Redis (GCRA through
// go-redis/redis_rate, shared by every process) when Redis is configured,
// in-process (golang.org/x/time/rate) otherwise.
package ratelimit

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-redis/redis_rate/v10"
	"github.com/redis/go-redis/v9"
	"golang.org/x/time/rate"
)

// Limiter decides whether a request of a key may go on.
type Limiter interface {
	// Allow reports whether one more request of key is allowed now, and if
	// not, when to retry.
	Allow(ctx context.Context, key string) (bool, time.Duration)
}

// NewRedis limits to rps per second with a burst, in Redis. A Redis failure
// lets the request through (logged once per outage): the limit protects the
// service, and an unreachable Redis must not take it down.
func NewRedis(c redis.UniversalClient, rps, burst int) Limiter {
	return &redisLimiter{l: redis_rate.NewLimiter(c), limit: redis_rate.Limit{Rate: rps, Burst: burst, Period: time.Second}}
}

type redisLimiter struct {
	l      *redis_rate.Limiter
	limit  redis_rate.Limit
	failed atomic.Bool
}

func (r *redisLimiter) Allow(ctx context.Context, key string) (bool, time.Duration) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 200*time.Millisecond)
	defer cancel()
	res, err := r.l.Allow(ctx, "c360:rate:"+key, r.limit)
	if err != nil {
		if !r.failed.Swap(true) {
			slog.WarnContext(ctx, "rate limiter: Redis unavailable, not limiting", "err", err)
		}
		return true, 0
	}
	if r.failed.Swap(false) {
		slog.InfoContext(ctx, "rate limiter: Redis is back")
	}
	return res.Allowed > 0, res.RetryAfter
}

// NewMemory limits in this process only.
func NewMemory(rps, burst int) Limiter {
	return &memoryLimiter{rps: rate.Limit(rps), burst: burst, keys: map[string]*entry{}}
}

type entry struct {
	l    *rate.Limiter
	seen time.Time
}

type memoryLimiter struct {
	mu    sync.Mutex
	rps   rate.Limit
	burst int
	keys  map[string]*entry
	swept time.Time
}

func (m *memoryLimiter) Allow(_ context.Context, key string) (bool, time.Duration) {
	now := time.Now()
	m.mu.Lock()
	e := m.keys[key]
	if e == nil {
		e = &entry{l: rate.NewLimiter(m.rps, m.burst)}
		m.keys[key] = e
	}
	e.seen = now
	// Forget keys idle for a minute (a full bucket again), so the map stays small.
	if now.Sub(m.swept) > time.Minute {
		for k, v := range m.keys {
			if now.Sub(v.seen) > time.Minute {
				delete(m.keys, k)
			}
		}
		m.swept = now
	}
	m.mu.Unlock()
	r := e.l.ReserveN(now, 1)
	if d := r.DelayFrom(now); d > 0 {
		r.CancelAt(now)
		return false, d
	}
	return true, 0
}

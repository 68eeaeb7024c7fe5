// Package cache is the cache behind the aggregate scores: Redis (a single
// server, Cluster or Sentinel, through redis.UniversalClient) when REDIS_URL is
// set, an in-process LRU otherwise (the embedded default, one process only).
//
// Entries are keyed by version tags so that invalidation is one INCR and no
// slow reader can re-fill the cache with an old value: a reader that computed
// from old data stores it under the old tag, which nobody reads any more.
// Redis failures never fail a request: calls time out quickly, a breaker skips
// Redis for a moment after an error, and callers fall back to the database.
package cache

import (
	"context"
	"errors"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"
)

// Backend is the raw key-value store.
type Backend interface {
	// Get returns the values of the keys that exist.
	Get(ctx context.Context, keys []string) (map[string][]byte, error)
	// Set stores values with a TTL.
	Set(ctx context.Context, items map[string][]byte, ttl time.Duration) error
	// Incr increments counters that never expire.
	Incr(ctx context.Context, keys []string) error
	// Name says which backend it is, for logs.
	Name() string
	Close() error
}

// ErrUnavailable is returned while the breaker skips the backend.
var ErrUnavailable = errors.New("cache unavailable")

var (
	lookups = promauto.NewCounterVec(prometheus.CounterOpts{
		Name: "c360_cache_lookups_total", Help: "Cache lookups by result (hit, miss).",
	}, []string{"result"})
	failures = promauto.NewCounterVec(prometheus.CounterOpts{
		Name: "c360_cache_errors_total", Help: "Cache backend errors by operation; the request fell back to the database.",
	}, []string{"op"})
	degraded = promauto.NewGauge(prometheus.GaugeOpts{
		Name: "c360_cache_degraded", Help: "1 while the cache backend is being skipped after an error.",
	})
)

// epochKey is bumped to drop every entry at once (imports, lost invalidations).
const epochKey = "v:epoch"

// Store is a versioned cache over a Backend.
type Store struct {
	b      Backend
	prefix string
	ttl    time.Duration
	// Breaker: after an error the backend is skipped until retryAt.
	retryAt  atomic.Int64
	cooldown time.Duration
	// dirty is set when an invalidation may have been lost (the backend failed
	// while a write needed it); the epoch is bumped before the cache is used
	// again, so no entry that should have been invalidated is served.
	dirty    atomic.Bool
	mu       sync.Mutex // serialises recovery
	stop     chan struct{}
	stopOnce sync.Once
}

// Options tune a Store.
type Options struct {
	Prefix   string        // key prefix, default "c360:"
	TTL      time.Duration // entry lifetime, the safety net; default 10m
	Cooldown time.Duration // how long to skip the backend after an error; default 500ms
}

// New wraps a backend.
func New(b Backend, o Options) *Store {
	if o.Prefix == "" {
		o.Prefix = "c360:"
	}
	if o.TTL <= 0 {
		o.TTL = 10 * time.Minute
	}
	if o.Cooldown <= 0 {
		o.Cooldown = 500 * time.Millisecond
	}
	s := &Store{b: b, prefix: o.Prefix, ttl: o.TTL, cooldown: o.Cooldown, stop: make(chan struct{})}
	go s.recoverLoop()
	return s
}

// Close stops the store and its backend.
func (s *Store) Close() error {
	s.stopOnce.Do(func() { close(s.stop) })
	return s.b.Close()
}

// Backend returns the backend's name.
func (s *Store) Backend() string { return s.b.Name() }

// Tags returns the current version tag of each scope ("customer:42",
// "segments"): entries stored under a tag are valid until the scope is
// invalidated. An error means the cache cannot be trusted now.
func (s *Store) Tags(ctx context.Context, scopes []string) (map[string]string, error) {
	if err := s.usable(ctx); err != nil {
		return nil, err
	}
	keys := make([]string, 0, len(scopes)+1)
	keys = append(keys, s.prefix+epochKey)
	for _, sc := range scopes {
		keys = append(keys, s.prefix+"v:"+sc)
	}
	vals, err := s.b.Get(ctx, keys)
	if err != nil {
		s.fail(ctx, "tags", err)
		return nil, err
	}
	epoch := string(vals[keys[0]])
	tags := make(map[string]string, len(scopes))
	for i, sc := range scopes {
		tags[sc] = epoch + "." + string(vals[keys[i+1]])
	}
	return tags, nil
}

// Get returns the entries that exist.
func (s *Store) Get(ctx context.Context, keys []string) (map[string][]byte, error) {
	if err := s.usable(ctx); err != nil {
		return nil, err
	}
	full := make([]string, len(keys))
	for i, k := range keys {
		full[i] = s.prefix + "e:" + k
	}
	vals, err := s.b.Get(ctx, full)
	if err != nil {
		s.fail(ctx, "get", err)
		return nil, err
	}
	out := make(map[string][]byte, len(vals))
	for i, k := range keys {
		if v, ok := vals[full[i]]; ok {
			out[k] = v
		}
	}
	lookups.WithLabelValues("hit").Add(float64(len(out)))
	lookups.WithLabelValues("miss").Add(float64(len(keys) - len(out)))
	return out, nil
}

// Set stores entries; failures are logged and otherwise ignored.
func (s *Store) Set(ctx context.Context, items map[string][]byte) {
	if len(items) == 0 || s.usable(ctx) != nil {
		return
	}
	full := make(map[string][]byte, len(items))
	for k, v := range items {
		full[s.prefix+"e:"+k] = v
	}
	if err := s.b.Set(ctx, full, s.ttl); err != nil {
		s.fail(ctx, "set", err)
	}
}

// Invalidate moves scopes to new tags. It must run after the write is
// committed and before the write is acknowledged. When the backend fails the
// store remembers it and drops every entry (new epoch) before trusting the
// cache again.
func (s *Store) Invalidate(ctx context.Context, scopes ...string) {
	if len(scopes) == 0 {
		return
	}
	if err := s.usable(ctx); err != nil {
		s.dirty.Store(true)
		return
	}
	keys := make([]string, len(scopes))
	for i, sc := range scopes {
		keys[i] = s.prefix + "v:" + sc
	}
	if err := s.b.Incr(ctx, keys); err != nil {
		s.fail(ctx, "invalidate", err)
	}
}

// InvalidateAll drops every entry (after bulk changes such as an import).
func (s *Store) InvalidateAll(ctx context.Context) {
	if err := s.usable(ctx); err != nil {
		s.dirty.Store(true)
		return
	}
	if err := s.b.Incr(ctx, []string{s.prefix + epochKey}); err != nil {
		s.fail(ctx, "invalidate", err)
	}
}

// usable reports whether the backend may be used now, first recovering from
// a possibly lost invalidation.
func (s *Store) usable(ctx context.Context) error {
	if time.Now().UnixNano() < s.retryAt.Load() {
		return ErrUnavailable
	}
	if s.dirty.Load() {
		return s.recover(ctx)
	}
	return nil
}

func (s *Store) recover(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.dirty.Load() {
		return nil
	}
	if err := s.b.Incr(ctx, []string{s.prefix + epochKey}); err != nil {
		s.fail(ctx, "recover", err)
		return err
	}
	s.dirty.Store(false)
	degraded.Set(0)
	slog.InfoContext(ctx, "cache backend is back; dropped entries that may have missed an invalidation", "backend", s.b.Name())
	return nil
}

// recoverLoop bumps the epoch soon after the backend returns, so that other
// processes do not serve entries this one could not invalidate.
func (s *Store) recoverLoop() {
	t := time.NewTicker(s.cooldown / 2)
	defer t.Stop()
	for {
		select {
		case <-s.stop:
			return
		case <-t.C:
			if s.dirty.Load() && time.Now().UnixNano() >= s.retryAt.Load() {
				ctx, cancel := context.WithTimeout(context.Background(), time.Second)
				_ = s.recover(ctx)
				cancel()
			}
		}
	}
}

// fail opens the breaker. Any backend error may have lost a write (a
// restarted Redis may even have rolled versions back), so the store is marked
// dirty and recovers with a new epoch.
func (s *Store) fail(ctx context.Context, op string, err error) {
	failures.WithLabelValues(op).Inc()
	s.dirty.Store(true)
	degraded.Set(1)
	first := s.retryAt.Swap(time.Now().Add(s.cooldown).UnixNano()) < time.Now().Add(-s.cooldown).UnixNano()
	if first {
		slog.WarnContext(ctx, "cache backend failed; serving from the database", "backend", s.b.Name(), "op", op, "err", err)
	}
}

// Key joins key parts with ':'.
func Key(parts ...string) string { return strings.Join(parts, ":") }

// ID formats an integer id for keys.
func ID(id int) string { return strconv.Itoa(id) }

// Open returns a Store over Redis when redisURL is set, in-process otherwise.
func Open(redisURL string, ttl time.Duration) (*Store, error) {
	if redisURL == "" {
		return New(NewMemory(100_000, ttl), Options{TTL: ttl}), nil
	}
	r, err := NewRedis(redisURL, false)
	if err != nil {
		return nil, err
	}
	return New(r, Options{TTL: ttl}), nil
}

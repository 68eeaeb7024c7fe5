// Package cache is the cache behind the aggregate scores: Redis (a single
// server, Cluster or Sentinel, through redis.UniversalClient) when REDIS_URL is
// set, an in-process LRU otherwise (the embedded default, one process only).
//
// Every value carries the version of its scope it was computed at, so that
// invalidation is one HINCRBY and no slow reader can re-fill the cache with an
// old value (see Fetch). The version includes the lineage of the versions
// (see Fetched), so that versions going back when Redis restarts from an older
// snapshot or fails over cannot make an old value current again.
// Redis failures never fail a request: calls time out quickly, a breaker skips
// Redis for a moment after an error, and callers fall back to the database.
package cache

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"
)

// Backend is the raw key-value store.
type Backend interface {
	// Fetch reads fields of the counter hash (missing ones read as "") and
	// the values of the keys that exist, in one round trip, with the hash's
	// lineage (see Fetched).
	Fetch(ctx context.Context, hash string, fields, keys []string) (Fetched, error)
	// Set stores values with a TTL.
	Set(ctx context.Context, items map[string][]byte, ttl time.Duration) error
	// Incr increments fields of the counter hash; they never expire.
	Incr(ctx context.Context, hash string, fields []string) error
	// Name says which backend it is, for logs.
	Name() string
	Close() error
}

// Fetched is what Backend.Fetch read.
//
// Lineage names one unbroken history of the counter hash: within a lineage
// counters only go up. A backend starts a new lineage whenever the counters
// may have gone back or vanished (for Redis: a restart, a restore from a
// snapshot or a failover, seen as a new replication id; or the hash gone),
// and every tag carries the lineage, so nothing cached before matches again.
type Fetched struct {
	Lineage  string
	Reset    Reset    // why this call started the lineage ("" when it did not)
	Counters []string // the fields asked for, "" when missing
	Values   map[string][]byte
}

// Reset says why a lineage was started.
type Reset string

const (
	// ResetServer: the versions were recorded in another data history of the
	// server (a restart, perhaps from an older snapshot, or a failover).
	ResetServer Reset = "server"
	// ResetMissing: no lineage was recorded (first use, or the versions were
	// flushed or evicted).
	ResetMissing Reset = "missing"
)

// ErrUnavailable is returned while the breaker skips the backend.
var ErrUnavailable = errors.New("cache unavailable")

// errLineageMoved: the lineage changed while a Fetch read (a benign race, not
// a backend failure); that read is not used.
var errLineageMoved = errors.New("cache lineage changed during the read")

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
	lineageResets = promauto.NewCounterVec(prometheus.CounterOpts{
		Name: "c360_cache_lineage_resets_total",
		Help: "New cache lineages started by this process, by reason: server (Redis restarted, was restored from a snapshot or failed over, so its versions may have gone back) or missing (first use, or the versions were flushed or evicted). Every entry cached before was dropped.",
	}, []string{"reason"})
)

// Versions live in one hash (one round trip for a whole page of customers);
// its "epoch" field is bumped to drop every entry at once (imports, lost
// invalidations).
const (
	versionsKey = "versions"
	epochField  = "epoch"
)

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
	mu       sync.Mutex             // serialises recovery
	lineage  atomic.Pointer[string] // the last lineage seen, to log a change once
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

// MemoryBytes is what the in-process backend holds; ok is false for other
// backends.
func (s *Store) MemoryBytes() (n int64, ok bool) {
	if m, ok := s.b.(*Memory); ok {
		return m.Bytes(), true
	}
	return 0, false
}

// Entry names a cached value and the scope whose version it depends on.
type Entry struct{ Key, Scope string }

// Fetch returns, in one round trip, each entry's cached value when it was
// stored at its scope's current version (nil otherwise), and the tags to
// Put recomputed values with. An error means the cache cannot be used now.
//
// A value carries the version tag it was computed at. A reader that computed
// from data older than a write and stores it after the write's invalidation
// stores it under the old tag, which no longer matches: no stale value is
// ever served, and nothing waits for it to expire.
func (s *Store) Fetch(ctx context.Context, entries []Entry) ([][]byte, []string, error) {
	if err := s.usable(ctx); err != nil {
		return nil, nil, err
	}
	fields := make([]string, 0, len(entries)+1)
	fields = append(fields, epochField)
	keys := make([]string, len(entries))
	for i, e := range entries {
		fields = append(fields, e.Scope)
		keys[i] = s.prefix + "e:" + e.Key
	}
	f, err := s.b.Fetch(ctx, s.prefix+versionsKey, fields, keys)
	if errors.Is(err, errLineageMoved) {
		return nil, nil, ErrUnavailable
	}
	if err != nil {
		s.fail(ctx, "fetch", err)
		return nil, nil, err
	}
	s.sawLineage(ctx, f)
	out := make([][]byte, len(entries))
	tags := make([]string, len(entries))
	hits := 0
	for i := range entries {
		tags[i] = f.Lineage + "." + f.Counters[0] + "." + f.Counters[i+1]
		if v, ok := f.Values[keys[i]]; ok {
			if tag, payload, ok := strings.Cut(string(v), "|"); ok && tag == tags[i] {
				out[i] = []byte(payload)
				hits++
			}
		}
	}
	lookups.WithLabelValues("hit").Add(float64(hits))
	lookups.WithLabelValues("miss").Add(float64(len(entries) - hits))
	return out, tags, nil
}

// sawLineage counts and logs a lineage this process started, and logs once
// a lineage another process started.
func (s *Store) sawLineage(ctx context.Context, f Fetched) {
	l := f.Lineage
	if f.Reset != "" {
		s.lineage.Store(&l)
		lineageResets.WithLabelValues(string(f.Reset)).Inc()
		if f.Reset == ResetServer {
			slog.WarnContext(ctx, "cache backend's data is not the history its versions were recorded in (restarted, restored from a snapshot, or failed over), so versions may have gone back; started a new lineage, dropping every cached entry",
				"backend", s.b.Name(), "lineage", l)
		} else {
			slog.InfoContext(ctx, "cache versions had no lineage (first use, or flushed or evicted); started one, dropping every cached entry",
				"backend", s.b.Name(), "lineage", l)
		}
		return
	}
	prev := s.lineage.Load()
	if prev != nil && *prev == l {
		return
	}
	if s.lineage.CompareAndSwap(prev, &l) && prev != nil {
		slog.InfoContext(ctx, "cache lineage changed (started by another process); entries cached before are dropped",
			"backend", s.b.Name(), "lineage", l)
	}
}

// Item is a value to cache with the tag Fetch gave for it.
type Item struct {
	Key, Tag string
	Value    []byte
}

// Put stores values; failures are logged and otherwise ignored.
func (s *Store) Put(ctx context.Context, items []Item) {
	if len(items) == 0 || s.usable(ctx) != nil {
		return
	}
	full := make(map[string][]byte, len(items))
	for _, it := range items {
		v := make([]byte, 0, len(it.Tag)+1+len(it.Value))
		v = append(append(append(v, it.Tag...), '|'), it.Value...)
		full[s.prefix+"e:"+it.Key] = v
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
	if err := s.b.Incr(ctx, s.prefix+versionsKey, scopes); err != nil {
		s.fail(ctx, "invalidate", err)
	}
}

// InvalidateAll drops every entry (after bulk changes such as an import).
func (s *Store) InvalidateAll(ctx context.Context) {
	if err := s.usable(ctx); err != nil {
		s.dirty.Store(true)
		return
	}
	if err := s.b.Incr(ctx, s.prefix+versionsKey, []string{epochField}); err != nil {
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
	// One recovery at a time; requests arriving meanwhile skip the cache
	// rather than queue behind a backend that may still be slow.
	if !s.mu.TryLock() {
		return ErrUnavailable
	}
	defer s.mu.Unlock()
	if !s.dirty.Load() {
		return nil
	}
	if err := s.b.Incr(ctx, s.prefix+versionsKey, []string{epochField}); err != nil {
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

// fail opens the breaker. Any backend error may have lost a write, so the
// store is marked dirty and recovers with a new epoch. (Versions rolled back
// by a restart are the lineage's business: that needs no error to be seen.)
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

// DefaultMemoryBytes bounds the in-process backend unless MemoryBytes says
// otherwise (CACHE_MEMORY_BYTES's default).
const DefaultMemoryBytes = 64 << 20

// OpenOption tunes Open.
type OpenOption func(*openOptions)

type openOptions struct{ memoryBytes int64 }

// MemoryBytes bounds what the in-process backend holds (keys, values and
// their overhead); n <= 0 keeps the default.
func MemoryBytes(n int) OpenOption {
	return func(o *openOptions) {
		if n > 0 {
			o.memoryBytes = int64(n)
		}
	}
}

// Open returns a Store over Redis when redisURL is set, in-process otherwise.
func Open(redisURL string, ttl time.Duration, opts ...OpenOption) (*Store, error) {
	o := openOptions{memoryBytes: DefaultMemoryBytes}
	for _, f := range opts {
		f(&o)
	}
	if redisURL == "" {
		return New(NewMemory(o.memoryBytes, ttl), Options{TTL: ttl}), nil
	}
	r, err := NewRedis(redisURL, false)
	if err != nil {
		return nil, err
	}
	return New(r, Options{TTL: ttl}), nil
}

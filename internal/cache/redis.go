package cache

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// Redis is a Backend over a single server, a Cluster or Sentinel.
type Redis struct {
	c redis.UniversalClient
}

// Short timeouts: the cache sits in the request path and the database is the
// fallback, so waiting seconds for Redis (go-redis's defaults) is never right.
const (
	dialTimeout = 250 * time.Millisecond
	ioTimeout   = 150 * time.Millisecond
)

// NewRedis connects to the URL:
//   - redis[s]://[user:pass@]host:port/db                   a single server
//   - redis://host:port?addr=host2:port&addr=host3:port     a Cluster (or cluster=true)
//   - redis://host:port?master_name=NAME&addr=...           Sentinel
//
// Timeouts given in the URL win over the short defaults.
func NewRedis(rawURL string, cluster bool) (*Redis, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, fmt.Errorf("REDIS_URL: %w", err)
	}
	q := u.Query()
	if q.Get("cluster") == "true" {
		cluster = true
		q.Del("cluster")
		u.RawQuery = q.Encode()
	}
	var c redis.UniversalClient
	switch {
	case q.Has("master_name"):
		o, err := redis.ParseFailoverURL(u.String())
		if err != nil {
			return nil, fmt.Errorf("REDIS_URL (sentinel): %w", err)
		}
		o.DialTimeout, o.ReadTimeout, o.WriteTimeout, o.PoolTimeout = defaults(o.DialTimeout, o.ReadTimeout, o.WriteTimeout, o.PoolTimeout)
		o.MaxRetries, o.ContextTimeoutEnabled = 1, true
		c = redis.NewFailoverClient(o)
	case cluster || q.Has("addr"):
		o, err := redis.ParseClusterURL(u.String())
		if err != nil {
			return nil, fmt.Errorf("REDIS_URL (cluster): %w", err)
		}
		o.DialTimeout, o.ReadTimeout, o.WriteTimeout, o.PoolTimeout = defaults(o.DialTimeout, o.ReadTimeout, o.WriteTimeout, o.PoolTimeout)
		o.MaxRetries, o.ContextTimeoutEnabled = 1, true
		c = redis.NewClusterClient(o)
	default:
		o, err := redis.ParseURL(u.String())
		if err != nil {
			return nil, fmt.Errorf("REDIS_URL: %w", err)
		}
		o.DialTimeout, o.ReadTimeout, o.WriteTimeout, o.PoolTimeout = defaults(o.DialTimeout, o.ReadTimeout, o.WriteTimeout, o.PoolTimeout)
		o.MaxRetries, o.ContextTimeoutEnabled = 1, true
		c = redis.NewClient(o)
	}
	return &Redis{c: c}, nil
}

func defaults(dial, read, write, pool time.Duration) (time.Duration, time.Duration, time.Duration, time.Duration) {
	pick := func(v, d time.Duration) time.Duration {
		if v == 0 {
			return d
		}
		return v
	}
	return pick(dial, dialTimeout), pick(read, ioTimeout), pick(write, ioTimeout), pick(pool, ioTimeout)
}

// Client exposes the client (rate limiting shares it).
func (r *Redis) Client() redis.UniversalClient { return r.c }

func (r *Redis) Name() string { return "redis" }

func (r *Redis) Close() error { return r.c.Close() }

// Get pipelines one GET per key: unlike MGET it works across Cluster slots.
func (r *Redis) Get(ctx context.Context, keys []string) (map[string][]byte, error) {
	ctx, cancel := bound(ctx)
	defer cancel()
	cmds := make([]*redis.StringCmd, len(keys))
	_, err := r.c.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, k := range keys {
			cmds[i] = p.Get(ctx, k)
		}
		return nil
	})
	if err != nil && !errors.Is(err, redis.Nil) {
		return nil, err
	}
	out := make(map[string][]byte, len(keys))
	for i, c := range cmds {
		b, err := c.Bytes()
		if errors.Is(err, redis.Nil) {
			continue
		}
		if err != nil {
			return nil, err
		}
		out[keys[i]] = b
	}
	return out, nil
}

func (r *Redis) Set(ctx context.Context, items map[string][]byte, ttl time.Duration) error {
	ctx, cancel := bound(ctx)
	defer cancel()
	_, err := r.c.Pipelined(ctx, func(p redis.Pipeliner) error {
		for k, v := range items {
			p.Set(ctx, k, v, ttl)
		}
		return nil
	})
	return err
}

func (r *Redis) Incr(ctx context.Context, keys []string) error {
	ctx, cancel := bound(ctx)
	defer cancel()
	_, err := r.c.Pipelined(ctx, func(p redis.Pipeliner) error {
		for _, k := range keys {
			p.Incr(ctx, k)
		}
		return nil
	})
	return err
}

// bound gives a cache call at most a short deadline of its own, whatever the
// request's: a slow Redis must not eat the request's time.
func bound(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(ctx), 4*ioTimeout)
}

// IsRedisURL reports whether a URL names Redis.
func IsRedisURL(s string) bool {
	return strings.HasPrefix(s, "redis://") || strings.HasPrefix(s, "rediss://")
}

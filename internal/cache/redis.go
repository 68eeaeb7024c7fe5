package cache

import (
	"context"
	"errors"
	"fmt"
	"net/url"
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
		tune(&o.DialTimeout, &o.ReadTimeout, &o.WriteTimeout, &o.PoolTimeout, &o.MaxRetries, &o.ContextTimeoutEnabled)
		c = redis.NewFailoverClient(o)
	case cluster || q.Has("addr"):
		o, err := redis.ParseClusterURL(u.String())
		if err != nil {
			return nil, fmt.Errorf("REDIS_URL (cluster): %w", err)
		}
		tune(&o.DialTimeout, &o.ReadTimeout, &o.WriteTimeout, &o.PoolTimeout, &o.MaxRetries, &o.ContextTimeoutEnabled)
		c = redis.NewClusterClient(o)
	default:
		o, err := redis.ParseURL(u.String())
		if err != nil {
			return nil, fmt.Errorf("REDIS_URL: %w", err)
		}
		tune(&o.DialTimeout, &o.ReadTimeout, &o.WriteTimeout, &o.PoolTimeout, &o.MaxRetries, &o.ContextTimeoutEnabled)
		c = redis.NewClient(o)
	}
	return &Redis{c: c}, nil
}

// tune sets the short timeouts (where the URL left them unset), one retry and
// deadline-aware calls on any of go-redis's option structs.
func tune(dial, read, write, pool *time.Duration, retries *int, ctxTimeout *bool) {
	for _, d := range []struct {
		v   *time.Duration
		def time.Duration
	}{{dial, dialTimeout}, {read, ioTimeout}, {write, ioTimeout}, {pool, ioTimeout}} {
		if *d.v == 0 {
			*d.v = d.def
		}
	}
	*retries, *ctxTimeout = 1, true
}

// Client exposes the client (rate limiting shares it).
func (r *Redis) Client() redis.UniversalClient { return r.c }

func (r *Redis) Name() string { return "redis" }

func (r *Redis) Close() error { return r.c.Close() }

// Fetch pipelines one HMGET for the versions with the reads of the values:
// one MGET on a single server; on a Cluster, whose MGET cannot span slots,
// one GET per key (go-redis groups a pipeline by node).
func (r *Redis) Fetch(ctx context.Context, hash string, fields, keys []string) ([]string, map[string][]byte, error) {
	ctx, cancel := bound(ctx)
	defer cancel()
	_, cluster := r.c.(*redis.ClusterClient)
	var (
		versions *redis.SliceCmd
		mget     *redis.SliceCmd
		gets     []*redis.StringCmd
	)
	_, err := r.c.Pipelined(ctx, func(p redis.Pipeliner) error {
		versions = p.HMGet(ctx, hash, fields...)
		if len(keys) == 0 {
			return nil
		}
		if !cluster {
			mget = p.MGet(ctx, keys...)
			return nil
		}
		gets = make([]*redis.StringCmd, len(keys))
		for i, k := range keys {
			gets[i] = p.Get(ctx, k)
		}
		return nil
	})
	if err != nil && !errors.Is(err, redis.Nil) {
		return nil, nil, err
	}
	vs, err := versions.Result()
	if err != nil {
		return nil, nil, err
	}
	tags := make([]string, len(fields))
	for i, v := range vs {
		if s, ok := v.(string); ok {
			tags[i] = s
		}
	}
	out := make(map[string][]byte, len(keys))
	if mget != nil {
		vals, err := mget.Result()
		if err != nil {
			return nil, nil, err
		}
		for i, v := range vals {
			if s, ok := v.(string); ok {
				out[keys[i]] = []byte(s)
			}
		}
	}
	for i, c := range gets {
		b, err := c.Bytes()
		if errors.Is(err, redis.Nil) {
			continue
		}
		if err != nil {
			return nil, nil, err
		}
		out[keys[i]] = b
	}
	return tags, out, nil
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

// Incr bumps version fields in one pipeline.
func (r *Redis) Incr(ctx context.Context, hash string, fields []string) error {
	ctx, cancel := bound(ctx)
	defer cancel()
	_, err := r.c.Pipelined(ctx, func(p redis.Pipeliner) error {
		for _, f := range fields {
			p.HIncrBy(ctx, hash, f, 1)
		}
		return nil
	})
	return err
}

// bound gives a cache call at most a short deadline of its own, whatever the
// request's: a slow Redis must not eat the request's time.
func bound(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(ctx), 3*ioTimeout)
}

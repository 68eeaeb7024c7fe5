package cache

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"sync/atomic"
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

// lineageScript checks the lineage of the versions hash (KEYS[1]). The hash records the lineage and the replication id of the
// server's data history when the lineage started. Redis gives its data a new
// replication id whenever that history may break: a restart (perhaps from an
// older snapshot), a replica's promotion by a failover; a demoted master
// takes its new master's. So a server with another replication id may hold
// versions that went back, and a hash without a lineage (first use, flushed,
// evicted, recreated by HINCRBY) may too: the script then starts a new
// lineage (ARGV[1], a fresh id from the caller) before answering. A replica
// is refused: its data may be behind or mid-sync. Scripts run atomically:
// one caller starts a lineage, the others see it. Reply: lineage; 0, or why
// this call started it (1: the hash had no lineage, 2: another history).
// (INFO followed by a write needs Redis 5 or later.)
var lineageScript = redis.NewScript(`
local info = redis.call('INFO', 'replication')
if not string.find(info, 'role:master', 1, true) then
	return redis.error_reply('C360REPLICA the cache must be read from a master')
end
local rid = string.match(info, 'master_replid:(%x+)')
local m = redis.call('HMGET', KEYS[1], '_lineage', '_replid')
local reset = 0
if not m[1] then reset = 1 elseif m[2] ~= rid then reset = 2 end
if reset > 0 then
	m[1] = ARGV[1]
	redis.call('HSET', KEYS[1], '_lineage', m[1], '_replid', rid)
end
return {m[1], reset}
`)

// lineageIDs makes fresh lineage ids: a random per-process prefix and a
// counter, so that no two calls anywhere offer the same id.
var lineageIDs = struct {
	prefix string
	n      atomic.Uint64
}{prefix: randomID()}

func randomID() string {
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err) // crypto/rand does not fail on supported platforms
	}
	return hex.EncodeToString(b[:])
}

func newLineage() string {
	return lineageIDs.prefix + strconv.FormatUint(lineageIDs.n.Add(1), 36)
}

// Fetch pipelines the lineage script and an HMGET of the versions (on the
// node of the versions hash) with the reads of the values: one MGET on a
// single server; on a Cluster, whose MGET cannot span slots, one GET per key
// (go-redis groups a pipeline by node and sends to the nodes at once). One
// round trip either way. The HMGET reads the lineage again with the
// counters, atomically: counters are used only under the lineage the script
// vouched for.
//
// Only the node of the versions hash decides the lineage: values restored on
// another node from an older snapshot carry tags no newer than the versions
// they were computed at, which only go up within a lineage, so an older value
// can only match when no write to its scope happened since.
func (r *Redis) Fetch(ctx context.Context, hash string, fields, keys []string) (Fetched, error) {
	ctx, cancel := bound(ctx)
	defer cancel()
	_, cluster := r.c.(*redis.ClusterClient)
	var (
		lineage  *redis.Cmd
		versions *redis.SliceCmd
		mget     *redis.SliceCmd
		gets     []*redis.StringCmd
	)
	fresh := newLineage()
	run := func(load bool) error {
		_, err := r.c.Pipelined(ctx, func(p redis.Pipeliner) error {
			if load { // EVAL loads the script into a server that does not know it (new, restarted)
				lineage = lineageScript.Eval(ctx, p, []string{hash}, fresh)
			} else {
				lineage = lineageScript.EvalSha(ctx, p, []string{hash}, fresh)
			}
			versions = p.HMGet(ctx, hash, append([]string{lineageField}, fields...)...)
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
		return err
	}
	err := run(false)
	if lineage != nil && redis.HasErrorPrefix(lineage.Err(), "NOSCRIPT") {
		err = run(true)
	}
	if err != nil && !errors.Is(err, redis.Nil) {
		return Fetched{}, err
	}
	reply, err := lineage.Slice()
	if err != nil {
		return Fetched{}, err
	}
	vs, err := versions.Result()
	if err != nil {
		return Fetched{}, err
	}
	f := Fetched{Counters: make([]string, len(fields)), Values: make(map[string][]byte, len(keys))}
	if len(reply) != 2 || len(vs) != len(fields)+1 {
		return Fetched{}, fmt.Errorf("unexpected answer to the versions read (%d, %d values)", len(reply), len(vs))
	}
	f.Lineage, _ = reply[0].(string)
	if f.Lineage == "" {
		return Fetched{}, errors.New("the lineage script answered no lineage")
	}
	if read, _ := vs[0].(string); read != f.Lineage {
		// The hash changed lineage between the two (deleted, or reset by
		// another process after a change of server): nothing read is
		// trusted; the next read checks again.
		return Fetched{}, errLineageMoved
	}
	switch n, _ := reply[1].(int64); n {
	case 1:
		f.Reset = ResetMissing
	case 2:
		f.Reset = ResetServer
	}
	for i, v := range vs[1:] {
		if s, ok := v.(string); ok {
			f.Counters[i] = s
		}
	}
	if mget != nil {
		vals, err := mget.Result()
		if err != nil {
			return Fetched{}, err
		}
		for i, v := range vals {
			if s, ok := v.(string); ok {
				f.Values[keys[i]] = []byte(s)
			}
		}
	}
	for i, c := range gets {
		b, err := c.Bytes()
		if errors.Is(err, redis.Nil) {
			continue
		}
		if err != nil {
			return Fetched{}, err
		}
		f.Values[keys[i]] = b
	}
	return f, nil
}

// lineageField is the field of the versions hash that holds the lineage.
const lineageField = "_lineage"

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

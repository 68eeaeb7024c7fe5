package cache_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/c360/c360/internal/cache"
	"github.com/c360/c360/internal/testservices"
)

func TestMain(m *testing.M) { testservices.Main(m) }

func open(t *testing.T, url string) *cache.Store {
	t.Helper()
	r, err := cache.NewRedis(url, false)
	if err != nil {
		t.Fatal(err)
	}
	s := cache.New(r, cache.Options{})
	t.Cleanup(func() { s.Close() })
	return s
}

var entry = []cache.Entry{{Key: "k", Scope: "s"}}

// fetch reads the entry and returns its value ("" on a miss) and tag.
func fetch(t *testing.T, s *cache.Store) (string, string) {
	t.Helper()
	vals, tags, err := s.Fetch(context.Background(), entry)
	if err != nil {
		t.Fatal(err)
	}
	return string(vals[0]), tags[0]
}

// A failover promotes a replica that had not received the last invalidation:
// its versions are older than the ones the failed master gave out, and it
// holds the value cached before the write. A client of the promoted replica
// must not serve that value.
func TestFailoverToAReplicaThatMissedAnInvalidation(t *testing.T) {
	ctx := context.Background()
	master, replica := testservices.Redis(t), testservices.Redis(t)
	rc := redis.NewClient(&redis.Options{Addr: replica.Addr()})
	defer rc.Close()
	mc := redis.NewClient(&redis.Options{Addr: master.Addr()})
	defer mc.Close()
	if err := mc.ConfigSet(ctx, "repl-diskless-sync-delay", "0").Err(); err != nil { // sync at once, not after 5 s
		t.Fatal(err)
	}
	host, port, _ := strings.Cut(master.Addr(), ":")
	if err := rc.ReplicaOf(ctx, host, port).Err(); err != nil {
		t.Fatal(err)
	}

	// The master starts a new replication history when its first replica
	// syncs, which the cache rightly takes for a new lineage: let the sync
	// finish before caching anything.
	deadline := time.Now().Add(10 * time.Second)
	for {
		if info, _ := rc.Info(ctx, "replication").Result(); strings.Contains(info, "master_link_status:up") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the replica did not sync within 10 s")
		}
		time.Sleep(20 * time.Millisecond)
	}

	m := open(t, master.URL())
	if v, tag := fetch(t, m); v == "" {
		m.Put(ctx, []cache.Item{{Key: "k", Tag: tag, Value: []byte("before the write")}})
	}
	if v, _ := fetch(t, m); v != "before the write" {
		t.Fatalf("not cached on the master: %q", v)
	}
	// Wait until the replica has the value, then cut it off and promote it
	// before the invalidation reaches it.
	deadline = time.Now().Add(10 * time.Second)
	for {
		if v, _ := rc.Get(ctx, "c360:e:k").Result(); strings.HasSuffix(v, "before the write") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the replica did not sync within 10 s")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err := rc.ReplicaOf(ctx, "NO", "ONE").Err(); err != nil {
		t.Fatal(err)
	}
	m.Invalidate(ctx, "s") // the write's invalidation, lost with the old master
	if v, _ := fetch(t, m); v != "" {
		t.Fatalf("the master served %q after the invalidation", v)
	}

	promoted := open(t, replica.URL())
	if v, _ := fetch(t, promoted); v != "" {
		t.Fatalf("the promoted replica served %q, cached before the write", v)
	}
	// Caching works on the promoted replica afterwards.
	_, tag := fetch(t, promoted)
	promoted.Put(ctx, []cache.Item{{Key: "k", Tag: tag, Value: []byte("after")}})
	if v, _ := fetch(t, promoted); v != "after" {
		t.Fatalf("nothing cached after the failover: %q", v)
	}

	// The old master rejoins as a replica of the new one while a client is
	// still connected to it: it answers nothing from the cache (the client
	// falls back to the database) rather than data that may be behind.
	host, port, _ = strings.Cut(replica.Addr(), ":")
	if err := mc.ReplicaOf(ctx, host, port).Err(); err != nil {
		t.Fatal(err)
	}
	if vals, _, err := m.Fetch(ctx, entry); err == nil {
		t.Fatalf("a replica answered the cache: %q", vals[0])
	}
}

// A write's invalidation lands, then the versions hash vanishes (evicted
// under an allkeys policy, deleted) while the values remain: the counters
// would start again from nothing and match the value cached before the write.
func TestVersionsLostWhileValuesRemain(t *testing.T) {
	ctx := context.Background()
	rs := testservices.Redis(t)
	rc := redis.NewClient(&redis.Options{Addr: rs.Addr()})
	defer rc.Close()
	s := open(t, rs.URL())
	_, tag := fetch(t, s)
	s.Put(ctx, []cache.Item{{Key: "k", Tag: tag, Value: []byte("before the write")}})
	if v, _ := fetch(t, s); v != "before the write" {
		t.Fatalf("not cached: %q", v)
	}
	s.Invalidate(ctx, "s")
	if err := rc.Del(ctx, "c360:versions").Err(); err != nil {
		t.Fatal(err)
	}
	if v, _ := fetch(t, s); v != "" {
		t.Fatalf("served %q after the versions were lost", v)
	}
}

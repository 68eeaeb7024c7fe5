package server_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"entgo.io/ent/dialect"
	"github.com/redis/go-redis/v9"

	"github.com/c360/c360/internal/config"
	"github.com/c360/c360/internal/testservices"
)

func hashOf(q string) string {
	s := sha256.Sum256([]byte(q))
	return hex.EncodeToString(s[:])
}

func persistedQuery(hash string) map[string]any {
	return map[string]any{"persistedQuery": map[string]any{"version": 1, "sha256Hash": hash}}
}

func (a *api) doExt(query string, ext map[string]any) result {
	a.t.Helper()
	body := map[string]any{"extensions": ext}
	if query != "" {
		body["query"] = query
	}
	b, _ := json.Marshal(body)
	resp, r := send(a.t.(*testing.T), "POST", a.url+"/graphql", "application/json", "", string(b))
	var out result
	if err := json.Unmarshal([]byte(r), &out); err != nil {
		a.t.Fatalf("not JSON: %s", r)
	}
	out.status, out.raw = resp.StatusCode, r
	return out
}

func TestAutomaticPersistedQueries(t *testing.T) {
	a := newAPI(t, dialect.SQLite)
	const q = `{ customers(first: 1) { totalCount } }`
	r := a.doExt("", persistedQuery(hashOf(q)))
	if len(r.Errors) != 1 || r.Errors[0].Extensions["code"] != "PERSISTED_QUERY_NOT_FOUND" {
		t.Fatalf("unknown hash: %s", r.raw)
	}
	if r := a.doExt(q, persistedQuery(hashOf(q))); len(r.Errors) > 0 {
		t.Fatalf("registering: %s", r.raw)
	}
	if r := a.doExt("", persistedQuery(hashOf(q))); len(r.Errors) > 0 || !contains(r.raw, `"totalCount":0`) {
		t.Fatalf("by hash after registering: %s", r.raw)
	}
	if r := a.doExt(q, persistedQuery(hashOf("something else"))); len(r.Errors) == 0 {
		t.Fatalf("a wrong hash was accepted: %s", r.raw)
	}
}

func TestPersistedOnly(t *testing.T) {
	const allowed = `query Count { customers(first: 1) { totalCount } }`
	file := filepath.Join(t.TempDir(), "ops.json")
	b, _ := json.Marshal(map[string]string{hashOf(allowed): allowed})
	if err := os.WriteFile(file, b, 0o600); err != nil {
		t.Fatal(err)
	}
	a := newAPIWith(t, dialect.SQLite, func(c *config.Config) {
		c.PersistedOperationsFile, c.PersistedOnly = file, true
	})
	if r := a.doExt("", persistedQuery(hashOf(allowed))); len(r.Errors) > 0 {
		t.Fatalf("allowlisted hash refused: %s", r.raw)
	}
	if r := a.do(allowed, nil); len(r.Errors) > 0 {
		t.Fatalf("allowlisted text refused: %s", r.raw)
	}
	before := a.counts()
	for _, q := range []string{`{ customers(first: 2) { totalCount } }`, `mutation { createCustomer(input: {kind: BUSINESS, name: "X"}) { id } }`} {
		if r := a.do(q, nil); len(r.Errors) != 1 || r.Errors[0].Extensions["code"] != "FORBIDDEN" {
			t.Fatalf("operation outside the allowlist ran: %s", r.raw)
		}
		if r := a.doExt(q, persistedQuery(hashOf(q))); len(r.Errors) != 1 || r.Errors[0].Extensions["code"] != "FORBIDDEN" {
			t.Fatalf("APQ registration bypassed the allowlist: %s", r.raw)
		}
	}
	if a.counts() != before {
		t.Fatal("a refused operation wrote")
	}
}

// Issue 8 item 4 and the contract's Errors section: an automatic persisted
// query is stored only once its operation passed parsing, validation and the
// limits; a document over APQ_MAX_QUERY_BYTES is refused with BAD_USER_INPUT
// and not stored; the in-process store holds at most CACHE_MEMORY_BYTES.
// Both cache backends.
func TestPersistedQueryRegistrationsAreBounded(t *testing.T) {
	for _, backend := range []string{"memory", "redis"} {
		t.Run(backend, func(t *testing.T) {
			var rs *testservices.RedisServer
			redisURL := ""
			if backend == "redis" {
				rs = testservices.Redis(t)
				redisURL = rs.URL()
			}
			a := newAPIWith(t, dialect.SQLite, func(c *config.Config) {
				c.RedisURL, c.APQMaxQueryBytes = redisURL, 32<<10
			})
			stored := func(t *testing.T, q string) bool {
				t.Helper()
				r := a.doExt("", persistedQuery(hashOf(q)))
				if len(r.Errors) == 1 && r.Errors[0].Extensions["code"] == "PERSISTED_QUERY_NOT_FOUND" {
					return false
				}
				if rs != nil { // stored in Redis, for a bounded time
					rc := redis.NewClient(&redis.Options{Addr: rs.Addr()})
					defer rc.Close()
					ttl, err := rc.TTL(context.Background(), "c360:e:apq:"+hashOf(q)).Result()
					if err != nil || ttl <= 0 || ttl > 10*time.Minute {
						t.Errorf("persisted query kept in Redis for %v (%v), want at most 10 minutes", ttl, err)
					}
				}
				return true
			}

			t.Run("an operation that passed validation and limits is stored", func(t *testing.T) {
				const q = `query Stored { customers(first: 1) { totalCount } }`
				if r := a.doExt(q, persistedQuery(hashOf(q))); len(r.Errors) > 0 {
					t.Fatalf("registering: %s", r.raw)
				}
				if !stored(t, q) {
					t.Fatal("a valid registration was not stored")
				}
			})

			t.Run("refused operations are not stored", func(t *testing.T) {
				for _, c := range []struct{ name, query, code string }{
					{"over MAX_COST", `{ customers(first: 1000) { edges { node { orders(first: 1000) { edges { node { items { sku } } } } } } } }`, "QUERY_TOO_COMPLEX"},
					{"over MAX_DEPTH", nested(30), "QUERY_TOO_COMPLEX"},
					{"invalid", `{ customers(first: 1) { noSuchField } }`, "GRAPHQL_VALIDATION_FAILED"},
					{"does not parse", `{ customers(first: 1) { totalCount }`, "GRAPHQL_PARSE_FAILED"},
				} {
					r := a.doExt(c.query, persistedQuery(hashOf(c.query)))
					if len(r.Errors) == 0 || r.Errors[0].Extensions["code"] != c.code {
						t.Fatalf("%s: registration answered %s, want %s", c.name, r.raw, c.code)
					}
					if stored(t, c.query) {
						t.Errorf("%s: the refused operation was stored", c.name)
					}
				}
			})

			t.Run("a document over APQ_MAX_QUERY_BYTES is refused and not stored", func(t *testing.T) {
				q := padded(0, 40<<10)
				r := a.doExt(q, persistedQuery(hashOf(q)))
				if len(r.Errors) != 1 || r.Errors[0].Extensions["code"] != "BAD_USER_INPUT" ||
					!strings.Contains(r.Errors[0].Message, "extensions.persistedQuery") || !strings.Contains(r.Errors[0].Message, "32768") {
					t.Fatalf("oversized registration answered %s", r.raw)
				}
				if stored(t, q) {
					t.Error("the oversized document was stored")
				}
				// Sent as a plain operation, the same document still runs.
				if r := a.do(q, nil); len(r.Errors) > 0 {
					t.Fatalf("as a plain operation: %s", r.raw)
				}
			})
		})
	}

	t.Run("the in-process store holds at most CACHE_MEMORY_BYTES", func(t *testing.T) {
		const limit = 8 << 20
		a := newAPIWith(t, dialect.SQLite, func(c *config.Config) {
			// A cap on documents above the ones sent, so that only the
			// store's own bound is at work here.
			c.CacheMemoryBytes, c.APQMaxQueryBytes = limit, 2<<20
		})
		const n, size = 90, 1900 << 10
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		start, cpu := time.Now(), cpuTime()
		for i := range n {
			q := padded(i, size)
			if r := a.doExt(q, persistedQuery(hashOf(q))); len(r.Errors) > 0 {
				t.Fatalf("registration %d: %.300s", i, r.raw)
			}
		}
		took, used := time.Since(start), cpuTime()-cpu
		runtime.GC()
		runtime.ReadMemStats(&after)
		grown := int64(after.HeapAlloc) - int64(before.HeapAlloc)
		held := storeBytes(a)
		t.Logf("%d registrations of %d KB: store holds %d KB (limit %d KB), heap grew %d MB, %v CPU, %v wall",
			n, size>>10, held>>10, limit>>10, grown>>20, used.Round(time.Millisecond), took.Round(time.Millisecond))
		if held > limit {
			t.Errorf("the in-process store holds %d bytes, over CACHE_MEMORY_BYTES = %d", held, limit)
		}
		if grown > 64<<20 {
			t.Errorf("heap grew by %d MB", grown>>20)
		}
		// The newest registrations are still served by hash.
		if q := padded(n-1, size); !contains(a.doExt("", persistedQuery(hashOf(q))).raw, `"totalCount"`) {
			t.Error("the newest registration is not served by its hash")
		}
	})
}

// padded is a valid document of about size bytes, mostly a comment, distinct per i.
func padded(i, size int) string {
	q := fmt.Sprintf("query Padded%d { customers(first: 1) { totalCount } }\n# ", i)
	return q + strings.Repeat("x", max(size-len(q), 0)) + "\n"
}

// storeBytes is what the in-process cache holds.
func storeBytes(a *api) int64 {
	n, ok := a.scores.Cache().MemoryBytes()
	if !ok {
		a.t.Fatal("not the in-process cache")
	}
	return n
}

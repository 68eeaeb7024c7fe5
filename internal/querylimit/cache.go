package querylimit

import (
	"hash/maphash"
	"sync"
)

// cacheKey identifies a query by a keyed 64-bit hash and its length. The
// seed is random per process, so a client cannot craft a collision that
// would borrow another query's verdict.
type cacheKey struct {
	hash uint64
	n    int
}

// verdictCache remembers verdicts ("" = allowed, else the refusal message)
// in two generations: when the young one is full it becomes the old one and
// the previous old one is dropped; a hit in the old generation is promoted.
// That approximates an LRU of between entries/2 and entries at O(1) cost.
type verdictCache struct {
	seed     maphash.Seed
	mu       sync.Mutex
	young    map[cacheKey]string
	old      map[cacheKey]string
	capacity int // of each generation
}

func newVerdictCache(entries int) *verdictCache {
	c := &verdictCache{seed: maphash.MakeSeed(), capacity: max(entries/2, 1)}
	c.young = make(map[cacheKey]string)
	return c
}

func (c *verdictCache) key(query string) cacheKey {
	return cacheKey{hash: maphash.String(c.seed, query), n: len(query)}
}

func (c *verdictCache) get(k cacheKey) (string, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if v, ok := c.young[k]; ok {
		return v, true
	}
	v, ok := c.old[k]
	if ok {
		c.putLocked(k, v)
	}
	return v, ok
}

func (c *verdictCache) put(k cacheKey, v string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.putLocked(k, v)
}

func (c *verdictCache) putLocked(k cacheKey, v string) {
	if len(c.young) >= c.capacity {
		c.old, c.young = c.young, make(map[cacheKey]string, c.capacity)
	}
	c.young[k] = v
}

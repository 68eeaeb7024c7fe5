package cache

import (
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/golang-lru/v2/expirable"
)

// Sized is an LRU bounded by the total weight (bytes, as its weigh function
// estimates them) of its entries rather than by their number, each entry
// living at most ttl (0: no expiry). It wraps golang-lru's expirable LRU,
// whose eviction callback keeps the running total (it fires on eviction,
// expiry and removal alike). It is safe for concurrent use, and never holds
// more than its bound: Add makes room before it inserts, and only Add grows
// the total.
type Sized[V any] struct {
	lru   *expirable.LRU[string, V]
	weigh func(key string, v V) int64
	max   int64
	used  atomic.Int64
	add   sync.Mutex // serialises Add: make room, then insert
}

// NewSized returns an empty Sized holding at most maxBytes.
func NewSized[V any](maxBytes int64, ttl time.Duration, weigh func(key string, v V) int64) *Sized[V] {
	s := &Sized[V]{weigh: weigh, max: maxBytes}
	s.lru = expirable.NewLRU[string, V](0, func(k string, v V) { s.used.Add(-weigh(k, v)) }, ttl)
	return s
}

// Get returns the live value under key.
func (s *Sized[V]) Get(key string) (V, bool) { return s.lru.Get(key) }

// Add stores v under key, evicting the least recently used entries to make
// room. A value heavier than the whole bound is not stored (and an older
// value under key is dropped); Add then reports false.
func (s *Sized[V]) Add(key string, v V) bool {
	w := s.weigh(key, v)
	s.add.Lock()
	defer s.add.Unlock()
	s.lru.Remove(key) // a replaced value's weight leaves through the callback
	if w > s.max {
		return false
	}
	for s.used.Load()+w > s.max {
		if _, _, ok := s.lru.RemoveOldest(); !ok {
			break
		}
	}
	s.used.Add(w) // before the insert: the total may run ahead of the entries, never behind
	s.lru.Add(key, v)
	return true
}

// Bytes is the total weight held (expired entries count until they are
// swept).
func (s *Sized[V]) Bytes() int64 { return s.used.Load() }

// Len is the number of entries held.
func (s *Sized[V]) Len() int { return s.lru.Len() }

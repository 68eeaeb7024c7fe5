package cache

import (
	"context"
	"sync"
	"time"

	"github.com/hashicorp/golang-lru/v2/expirable"
)

// Memory is the in-process Backend of the embedded default. It is right only
// for one process: several processes must share Redis.
type Memory struct {
	entries  *expirable.LRU[string, []byte]
	mu       sync.Mutex
	counters map[string]int64
}

// NewMemory keeps at most size entries, each for ttl.
func NewMemory(size int, ttl time.Duration) *Memory {
	return &Memory{entries: expirable.NewLRU[string, []byte](size, nil, ttl), counters: map[string]int64{}}
}

func (m *Memory) Name() string { return "memory" }

func (m *Memory) Close() error { return nil }

func (m *Memory) Get(_ context.Context, keys []string) (map[string][]byte, error) {
	out := make(map[string][]byte, len(keys))
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, k := range keys {
		if n, ok := m.counters[k]; ok {
			out[k] = []byte(itoa64(n))
			continue
		}
		if v, ok := m.entries.Get(k); ok {
			out[k] = v
		}
	}
	return out, nil
}

func (m *Memory) Set(_ context.Context, items map[string][]byte, _ time.Duration) error {
	for k, v := range items {
		m.entries.Add(k, v)
	}
	return nil
}

func (m *Memory) Incr(_ context.Context, keys []string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, k := range keys {
		m.counters[k]++
	}
	return nil
}

func itoa64(n int64) string {
	var b [20]byte
	i := len(b)
	for {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
		if n == 0 {
			return string(b[i:])
		}
	}
}

package cache

import (
	"context"
	"sync"
	"time"
)

// Memory is the in-process Backend of the embedded default. It is right only
// for one process: several processes must share Redis.
type Memory struct {
	entries  *Sized[[]byte]
	mu       sync.Mutex
	counters map[string]int64
	lineage  string // counters live and die with the process: one lineage
}

// entryOverhead approximates what an entry costs beyond its key and value
// (the list element, the map and expiry-bucket slots), so that many small
// entries are counted honestly too.
const entryOverhead = 128

// NewMemory keeps entries for ttl, least recently used ones leaving first so
// that keys, values and their overhead never exceed maxBytes.
func NewMemory(maxBytes int64, ttl time.Duration) *Memory {
	weigh := func(k string, v []byte) int64 { return int64(len(k)+len(v)) + entryOverhead }
	return &Memory{entries: NewSized(maxBytes, ttl, weigh), counters: map[string]int64{}, lineage: randomID()}
}

// Bytes is what the entries hold (keys, values and overhead).
func (m *Memory) Bytes() int64 { return m.entries.Bytes() }

func (m *Memory) Name() string { return "memory" }

func (m *Memory) Close() error { return nil }

func (m *Memory) Fetch(_ context.Context, hash string, fields, keys []string) (Fetched, error) {
	tags := make([]string, len(fields))
	m.mu.Lock()
	for i, f := range fields {
		if n, ok := m.counters[hash+"\x00"+f]; ok {
			tags[i] = itoa64(n)
		}
	}
	m.mu.Unlock()
	out := make(map[string][]byte, len(keys))
	for _, k := range keys {
		if v, ok := m.entries.Get(k); ok {
			out[k] = v
		}
	}
	return Fetched{Lineage: m.lineage, Counters: tags, Values: out}, nil
}

func (m *Memory) Set(_ context.Context, items map[string][]byte, _ time.Duration) error {
	for k, v := range items {
		m.entries.Add(k, v)
	}
	return nil
}

func (m *Memory) Incr(_ context.Context, hash string, fields []string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, f := range fields {
		m.counters[hash+"\x00"+f]++
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

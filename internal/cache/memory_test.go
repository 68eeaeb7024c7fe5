package cache_test

import (
	"context"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/c360/c360/internal/cache"
)

// Issue 8 item 4: the in-process store holds at most CACHE_MEMORY_BYTES,
// whatever is put in it, least recently used entries leaving first.
func TestMemoryHoldsAtMostCacheMemoryBytes(t *testing.T) {
	const limit = 4 << 20
	s, err := cache.Open("", time.Minute, cache.MemoryBytes(limit))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	big := strings.Repeat("x", 1900<<10)
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 25 {
				key := fmt.Sprintf("big:%d:%d", w, i)
				_, tags, err := s.Fetch(ctx, []cache.Entry{{Key: key, Scope: "apq"}})
				if err != nil {
					t.Error(err)
					return
				}
				s.Put(ctx, []cache.Item{{Key: key, Tag: tags[0], Value: []byte(big)}})
				if n, _ := s.MemoryBytes(); n > limit {
					t.Errorf("holds %d bytes, over %d", n, limit)
				}
			}
		}()
	}
	wg.Wait()
	// Many small entries are counted with their overhead.
	for i := range 100_000 {
		s.Put(ctx, []cache.Item{{Key: fmt.Sprint("small:", i), Tag: "t", Value: []byte("v")}})
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	n, ok := s.MemoryBytes()
	grown := int64(after.HeapAlloc) - int64(before.HeapAlloc)
	t.Logf("100 values of 1.9 MB and 100,000 small ones: holds %d KB (limit %d KB), heap grew %d MB", n>>10, limit>>10, grown>>20)
	if !ok || n > limit || n <= 0 {
		t.Fatalf("holds %d bytes (%v), limit %d", n, ok, limit)
	}
	if grown > 32<<20 {
		t.Errorf("heap grew by %d MB", grown>>20)
	}
	// The most recent entry is there; the first ones left.
	vals, _, err := s.Fetch(ctx, []cache.Entry{{Key: "small:99999", Scope: "s"}, {Key: "big:0:0", Scope: "apq"}})
	if err != nil || vals[1] != nil {
		t.Fatalf("the oldest entry is still there (%v)", err)
	}
}

func TestSized(t *testing.T) {
	s := cache.NewSized(100, 0, func(k string, v string) int64 { return int64(len(k) + len(v)) })
	s.Add("a", strings.Repeat("1", 39)) // 40
	s.Add("b", strings.Repeat("2", 39)) // 80
	if _, ok := s.Get("a"); !ok {       // a is now the most recent
		t.Fatal("a missing")
	}
	s.Add("c", strings.Repeat("3", 39)) // 120 > 100: b, the least recently used, leaves
	if _, ok := s.Get("b"); ok || s.Bytes() != 80 || s.Len() != 2 {
		t.Fatalf("after eviction: b present=%v, %d bytes, %d entries", ok, s.Bytes(), s.Len())
	}
	s.Add("a", "short") // replacing counts the new weight only
	if s.Bytes() != 46 {
		t.Fatalf("after replacing: %d bytes, want 46", s.Bytes())
	}
	if s.Add("d", strings.Repeat("4", 100)) { // heavier than the bound: refused, nothing evicted
		t.Fatal("stored a value over the bound")
	}
	if s.Bytes() != 46 || s.Len() != 2 {
		t.Fatalf("after a refused add: %d bytes, %d entries", s.Bytes(), s.Len())
	}
	// Expiry gives the weight back.
	e := cache.NewSized(100, 50*time.Millisecond, func(k string, v string) int64 { return int64(len(k) + len(v)) })
	e.Add("x", "yy")
	deadline := time.Now().Add(5 * time.Second)
	for e.Bytes() != 0 {
		if time.Now().After(deadline) {
			t.Fatalf("expired entry still counted: %d bytes", e.Bytes())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

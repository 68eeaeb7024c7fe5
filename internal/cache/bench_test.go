package cache_test

import (
	"context"
	"strconv"
	"testing"

	"github.com/c360/c360/internal/cache"
	"github.com/c360/c360/internal/testservices"
)

// BenchmarkFetchWarm: one warm read of a page of 1 or 100 cached entries from
// a real redis-server (the versions with their lineage check, and the values,
// in one round trip).
func BenchmarkFetchWarm(b *testing.B) {
	for _, n := range []int{1, 100} {
		b.Run(strconv.Itoa(n), func(b *testing.B) {
			rs := testservices.Redis(b)
			r, err := cache.NewRedis(rs.URL(), false)
			if err != nil {
				b.Fatal(err)
			}
			s := cache.New(r, cache.Options{})
			defer s.Close()
			ctx := context.Background()
			entries := make([]cache.Entry, n)
			for i := range entries {
				entries[i] = cache.Entry{Key: "k" + strconv.Itoa(i), Scope: "customer:" + strconv.Itoa(i)}
			}
			_, tags, err := s.Fetch(ctx, entries)
			if err != nil {
				b.Fatal(err)
			}
			items := make([]cache.Item, n)
			for i := range items {
				items[i] = cache.Item{Key: entries[i].Key, Tag: tags[i], Value: make([]byte, 120)}
			}
			s.Put(ctx, items)
			for b.Loop() {
				vals, _, err := s.Fetch(ctx, entries)
				if err != nil || vals[n-1] == nil {
					b.Fatalf("miss or error: %v", err)
				}
			}
		})
	}
}

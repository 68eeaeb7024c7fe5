package ratelimit_test

import (
	"context"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/c360/c360/internal/ratelimit"
	"github.com/c360/c360/internal/testservices"
)

func TestMain(m *testing.M) {
	testservices.Main(m)
}

func burstThenRefuse(t *testing.T, l ratelimit.Limiter) {
	ctx := context.Background()
	for i := range 5 {
		if ok, _ := l.Allow(ctx, "key-a"); !ok {
			t.Fatalf("request %d of the burst refused", i)
		}
	}
	ok, retry := l.Allow(ctx, "key-a")
	if ok || retry <= 0 || retry > time.Second {
		t.Fatalf("6th request: allowed=%v retry=%v", ok, retry)
	}
	if ok, _ := l.Allow(ctx, "key-b"); !ok {
		t.Fatal("another key is limited by the first one's use")
	}
	time.Sleep(retry + 20*time.Millisecond)
	if ok, _ := l.Allow(ctx, "key-a"); !ok {
		t.Fatal("not allowed again after Retry-After")
	}
}

func TestMemory(t *testing.T) { burstThenRefuse(t, ratelimit.NewMemory(2, 5)) }

func TestRedis(t *testing.T) {
	rs := testservices.Redis(t)
	c := redis.NewClient(&redis.Options{Addr: rs.Addr()})
	defer c.Close()
	l := ratelimit.NewRedis(c, 2, 5)
	burstThenRefuse(t, l)
	rs.Stop(t)
	if ok, _ := l.Allow(context.Background(), "key-a"); !ok {
		t.Fatal("a Redis outage must not refuse requests")
	}
}

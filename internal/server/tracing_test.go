package server_test

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"entgo.io/ent/dialect"

	"github.com/c360/c360/internal/config"
)

// With an OTLP endpoint configured, operations are traced and exported.
func TestTracingExportsSpans(t *testing.T) {
	var mu sync.Mutex
	var bodies [][]byte
	collector := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		if r.URL.Path == "/v1/traces" && r.Header.Get("Content-Type") == "application/x-protobuf" {
			mu.Lock()
			bodies = append(bodies, b)
			mu.Unlock()
		}
		w.WriteHeader(http.StatusOK)
	}))
	defer collector.Close()
	a := newAPIWith(t, dialect.SQLite, func(c *config.Config) { c.OTLPEndpoint = collector.URL })
	a.ok(`query TracedCustomers { customers(first: 3) { totalCount } }`, nil, nil)
	deadline := time.Now().Add(10 * time.Second)
	for {
		mu.Lock()
		var all []byte
		for _, b := range bodies {
			all = append(all, b...)
		}
		mu.Unlock()
		if bytes.Contains(all, []byte("TracedCustomers")) && bytes.Contains(all, []byte("c360")) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("no span of the operation reached the collector (%d exports)", len(bodies))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

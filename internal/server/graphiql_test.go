package server_test

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"entgo.io/ent/dialect"

	"github.com/c360/c360/internal/config"
	"github.com/c360/c360/internal/graphiql"
)

func getStatus(t *testing.T, url string) (int, http.Header, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, string(b)
}

func TestGraphiQLIsServedUnlessTurnedOff(t *testing.T) {
	on := newAPI(t, dialect.SQLite)
	status, h, body := getStatus(t, on.url+"/")
	if status != http.StatusOK || h.Get("Content-Security-Policy") != graphiql.CSP || !strings.Contains(body, "/graphiql/assets/") {
		t.Fatalf("GraphiQL on: %d %v\n%s", status, h, body)
	}
	if status, _, _ := getStatus(t, on.url+"/graphiql/examples.json"); status != http.StatusOK {
		t.Fatalf("examples: %d", status)
	}

	off := newAPIWith(t, dialect.SQLite, func(c *config.Config) { c.GraphiQL = false })
	for _, p := range []string{"/", "/graphiql/examples.json"} {
		if status, _, body := getStatus(t, off.url+p); status != http.StatusNotFound {
			t.Errorf("GRAPHIQL=false: %s answers %d: %.200s", p, status, body)
		}
	}
	if status, _, _ := getStatus(t, off.url+"/healthz"); status != http.StatusOK {
		t.Errorf("GRAPHIQL=false: healthz %d", status)
	}
}

func TestGraphiQLIsOffInProductionByDefault(t *testing.T) {
	// Production may demand credentials: give them so the server starts.
	t.Setenv("C360_ENV", "production")
	t.Setenv("API_KEYS", "admin:"+strings.Repeat("ab", 32))
	t.Setenv("PII_PSEUDONYM_KEY", strings.Repeat("k", 32))
	t.Setenv("GRAPHIQL", "")
	a := newAPI(t, dialect.SQLite)
	if status, _, body := getStatus(t, a.url+"/"); status != http.StatusNotFound {
		t.Fatalf("production: / answers %d: %.200s", status, body)
	}
	t.Setenv("GRAPHIQL", "true")
	b := newAPI(t, dialect.SQLite)
	if status, _, _ := getStatus(t, b.url+"/"); status != http.StatusOK {
		t.Fatalf("production with GRAPHIQL=true: / answers %d", status)
	}
}

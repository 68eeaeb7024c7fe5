package config

import (
	"strings"
	"testing"
	"time"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestDefaults(t *testing.T) {
	c, err := load(env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if c.Port != 8080 || c.DatabaseURL != "file:c360.db" || c.BaseCurrency != "EUR" || !c.DemoData ||
		c.RequestTimeout != 10*time.Second || c.MaxBodyBytes != 2<<20 || c.Production || !c.Introspection ||
		c.MaxDepth != 15 || c.MaxCost != 500000 || c.RateLimit != 50 {
		t.Fatalf("defaults: %+v", c)
	}
}

func TestProductionTurnsOffIntrospection(t *testing.T) {
	c, err := load(env(map[string]string{"C360_ENV": "production"}))
	if err != nil || c.Introspection || c.FieldSuggestions || !c.Production {
		t.Fatalf("production: %+v %v", c, err)
	}
	c, err = load(env(map[string]string{"C360_ENV": "production", "INTROSPECTION": "true"}))
	if err != nil || !c.Introspection {
		t.Fatalf("explicit introspection in production: %+v %v", c, err)
	}
}

func TestBadValuesNameTheVariable(t *testing.T) {
	_, err := load(env(map[string]string{"PORT": "http", "REQUEST_TIMEOUT": "soon", "REDIS_URL": "localhost:6379",
		"BASE_CURRENCY": "EURO", "PERSISTED_ONLY": "true", "C360_ENV": "staging"}))
	if err == nil {
		t.Fatal("bad configuration accepted")
	}
	for _, name := range []string{"PORT", "REQUEST_TIMEOUT", "REDIS_URL", "BASE_CURRENCY", "PERSISTED_OPERATIONS_FILE", "C360_ENV"} {
		if !strings.Contains(err.Error(), name) {
			t.Errorf("error does not name %s: %v", name, err)
		}
	}
}

func TestGraphiQLOnInDevelopmentOffInProduction(t *testing.T) {
	for _, tc := range []struct {
		env  map[string]string
		want bool
	}{
		{nil, true},
		{map[string]string{"GRAPHIQL": "false"}, false},
		{map[string]string{"C360_ENV": "production"}, false},
		{map[string]string{"C360_ENV": "production", "GRAPHIQL": "true"}, true},
	} {
		c, err := load(env(tc.env))
		if err != nil || c.GraphiQL != tc.want {
			t.Errorf("%v: GraphiQL=%v, want %v (%v)", tc.env, c.GraphiQL, tc.want, err)
		}
	}
}

package config

import (
	"math"
	"runtime/debug"
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
		c.Limits.MaxDepth != 15 || c.Limits.MaxCost != 500000 || c.Limits.MaxPageSize != 1000 || c.Limits.DefaultPageSize != 100 || c.DrainDelay != 5*time.Second || c.SQLiteSynchronous != "NORMAL" {
		t.Fatalf("defaults: %+v", c)
	}
}

// production is a complete production environment: credentials and a
// pseudonym key of its own.
var production = map[string]string{"C360_ENV": "production", "API_KEYS": "admin:k1", "PII_PSEUDONYM_KEY": "p"}

func with(base map[string]string, kv ...string) map[string]string {
	m := map[string]string{}
	for k, v := range base {
		m[k] = v
	}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return m
}

func TestProductionTurnsOffIntrospection(t *testing.T) {
	c, err := load(env(production))
	if err != nil || c.Introspection || c.FieldSuggestions || !c.Production {
		t.Fatalf("production: %+v %v", c, err)
	}
	c, err = load(env(with(production, "INTROSPECTION", "true")))
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

// Contract (issue 8.1): production refuses to start open to anyone, or with
// pseudonyms keyed by a secret that API key holders can derive.
func TestProductionRefusesToStartWithoutCredentialsOrPseudonymKey(t *testing.T) {
	_, err := load(env(map[string]string{"C360_ENV": "production"}))
	if err == nil || !strings.Contains(err.Error(), "API_KEYS") || !strings.Contains(err.Error(), "PII_PSEUDONYM_KEY") {
		t.Fatalf("production without credentials: %v", err)
	}
	_, err = load(env(map[string]string{"C360_ENV": "production", "API_KEYS": "admin:k1"}))
	if err == nil || !strings.Contains(err.Error(), "PII_PSEUDONYM_KEY") || strings.Contains(err.Error(), "API_KEYS") {
		t.Fatalf("production without a pseudonym key: %v", err)
	}
	for _, cred := range []string{"API_KEYS", "JWT_HS256_SECRET"} {
		if _, err := load(env(map[string]string{"C360_ENV": "production", cred: "admin:k1", "PII_PSEUDONYM_KEY": "p"})); err != nil {
			t.Errorf("production with %s: %v", cred, err)
		}
	}
}

// Contract (issues 8.14, 8.15): development listens on loopback only and does
// not rate limit; production listens everywhere and does.
func TestDevelopmentListensOnLoopbackWithoutRateLimit(t *testing.T) {
	dev, err := load(env(nil))
	if err != nil || dev.ListenHost != "127.0.0.1" || dev.RateLimit != 0 {
		t.Fatalf("development: host %q rate %d %v", dev.ListenHost, dev.RateLimit, err)
	}
	prod, err := load(env(production))
	if err != nil || prod.ListenHost != "" || prod.RateLimit != 50 {
		t.Fatalf("production: host %q rate %d %v", prod.ListenHost, prod.RateLimit, err)
	}
	c, err := load(env(map[string]string{"LISTEN_HOST": "0.0.0.0", "RATE_LIMIT_RPS": "20"}))
	if err != nil || c.ListenHost != "0.0.0.0" || c.RateLimit != 20 {
		t.Fatalf("explicit settings: host %q rate %d %v", c.ListenHost, c.RateLimit, err)
	}
}

// Contract (issue 8.11, 8.9): SQLITE_SYNCHRONOUS takes NORMAL or FULL; DRAIN_DELAY may be 0.
func TestSynchronousAndDrainSettings(t *testing.T) {
	c, err := load(env(map[string]string{"SQLITE_SYNCHRONOUS": "full", "DRAIN_DELAY": "0"}))
	if err != nil || c.SQLiteSynchronous != "FULL" || c.DrainDelay != 0 {
		t.Fatalf("FULL, no drain: %+v %v", c, err)
	}
	if _, err := load(env(map[string]string{"SQLITE_SYNCHRONOUS": "OFF"})); err == nil || !strings.Contains(err.Error(), "SQLITE_SYNCHRONOUS") {
		t.Fatalf("synchronous OFF accepted: %v", err)
	}
}

func TestGraphiQLOnInDevelopmentOffInProduction(t *testing.T) {
	for _, tc := range []struct {
		env  map[string]string
		want bool
	}{
		{nil, true},
		{map[string]string{"GRAPHIQL": "false"}, false},
		{production, false},
		{with(production, "GRAPHIQL", "true"), true},
	} {
		c, err := load(env(tc.env))
		if err != nil || c.GraphiQL != tc.want {
			t.Errorf("%v: GraphiQL=%v, want %v (%v)", tc.env, c.GraphiQL, tc.want, err)
		}
	}
}

func TestMemorySettingsAreParsed(t *testing.T) {
	c, err := load(env(nil))
	if err != nil || c.Memory != (MemoryConfig{Limit: DefaultMemoryLimit, GCPercent: DefaultGCPercent}) {
		t.Fatalf("default memory settings: %+v %v", c.Memory, err)
	}
	for v, want := range map[string]int64{"256MiB": 256 << 20, "1GiB": 1 << 30, "1000": 1000, "64 KiB": 64 << 10, "0": 0} {
		c, err := load(env(map[string]string{"MEMORY_LIMIT": v}))
		if err != nil || c.Memory.Limit != want {
			t.Errorf("MEMORY_LIMIT=%s: %d %v, want %d", v, c.Memory.Limit, err, want)
		}
	}
	c, err = load(env(map[string]string{"GC_PERCENT": "off"}))
	if err != nil || c.Memory.GCPercent != -1 {
		t.Fatalf("GC_PERCENT=off: %+v %v", c.Memory, err)
	}
	c, err = load(env(map[string]string{"GOMEMLIMIT": "1GiB", "GOGC": "50"}))
	if err != nil || !c.Memory.LimitFromEnv || !c.Memory.GCPercentFromEnv {
		t.Fatalf("GOMEMLIMIT and GOGC not noticed: %+v %v", c.Memory, err)
	}
	for _, bad := range []map[string]string{{"MEMORY_LIMIT": "lots"}, {"MEMORY_LIMIT": "-1MiB"}, {"MEMORY_LIMIT": "9000000TiB"}, {"GC_PERCENT": "high"}} {
		if _, err := load(env(bad)); err == nil || !strings.Contains(err.Error(), strings.Join(keys(bad), "")) {
			t.Errorf("%v accepted or not named: %v", bad, err)
		}
	}
}

func keys(m map[string]string) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

// Apply sets the runtime's limit and target, and leaves what the operator
// set through GOMEMLIMIT or GOGC.
func TestMemorySettingsAreApplied(t *testing.T) {
	limit, gc := debug.SetMemoryLimit(-1), debug.SetGCPercent(100)
	t.Cleanup(func() { debug.SetMemoryLimit(limit); debug.SetGCPercent(gc) })

	MemoryConfig{Limit: 123 << 20, GCPercent: 250}.Apply()
	if got := debug.SetMemoryLimit(-1); got != 123<<20 {
		t.Errorf("memory limit %d, want %d", got, 123<<20)
	}
	if got := debug.SetGCPercent(250); got != 250 {
		t.Errorf("GC percent %d, want 250", got)
	}
	MemoryConfig{Limit: 0, GCPercent: -1}.Apply()
	if got := debug.SetMemoryLimit(-1); got != math.MaxInt64 {
		t.Errorf("no limit: %d", got)
	}
	if got := debug.SetGCPercent(-1); got != -1 {
		t.Errorf("GC off: %d", got)
	}
	debug.SetMemoryLimit(77 << 20)
	debug.SetGCPercent(60)
	MemoryConfig{Limit: 123 << 20, GCPercent: 250, LimitFromEnv: true, GCPercentFromEnv: true}.Apply()
	if got := debug.SetMemoryLimit(-1); got != 77<<20 {
		t.Errorf("GOMEMLIMIT overridden: %d", got)
	}
	if got := debug.SetGCPercent(60); got != 60 {
		t.Errorf("GOGC overridden: %d", got)
	}
}

// Every limit of an operation is read here, once: from its variable, 0
// taking the default; a default page above the maximum is refused.
func TestLimitsComeFromTheEnvironment(t *testing.T) {
	c, err := load(env(map[string]string{"MAX_PAGE_SIZE": "50", "DEFAULT_PAGE_SIZE": "20", "MAX_FILTER_TERMS": "7",
		"MAX_OPERATIONS": "3", "MAX_MERGE_PAIRS": "9", "MAX_COST": "0"}))
	if err != nil {
		t.Fatal(err)
	}
	if l := c.Limits; l.MaxPageSize != 50 || l.DefaultPageSize != 20 || l.MaxFilterTerms != 7 ||
		l.MaxOperations != 3 || l.MaxMergePairs != 9 || l.MaxCost != 500000 {
		t.Fatalf("limits: %+v", l)
	}
	if _, err := load(env(map[string]string{"MAX_PAGE_SIZE": "50"})); err == nil || !strings.Contains(err.Error(), "DEFAULT_PAGE_SIZE") {
		t.Fatalf("default page above the maximum: %v", err)
	}
}

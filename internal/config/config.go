// Package config reads the server's settings from environment variables, in
// this one place. Every setting has a default that runs the embedded product.
package config

import (
	"fmt"
	"math"
	"os"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"github.com/c360/c360/internal/querylimit"
	"github.com/c360/c360/internal/webhooks"
)

// Config is every setting of the server.
type Config struct {
	// Port to listen on (PORT, default 8080).
	Port int
	// ListenHost is the address to listen on (LISTEN_HOST, default 127.0.0.1
	// in development, where the API is open to anyone as admin; all
	// interfaces in production).
	ListenHost string
	// DatabaseURL is a postgres:// URL or a SQLite file (DATABASE_URL, default file:c360.db).
	DatabaseURL string
	// BaseCurrency of every order (BASE_CURRENCY, default EUR).
	BaseCurrency string
	// DemoData loads the demo data set into an empty database at start (DEMO_DATA, default true).
	DemoData bool
	// DemoCustomers is the demo data set's size (DEMO_CUSTOMERS, default 300).
	DemoCustomers int
	// DrainDelay is how long SIGTERM keeps serving with /readyz answering 503,
	// so a load balancer stops sending new requests before the listener
	// closes (DRAIN_DELAY, default 5s; 0 closes at once).
	DrainDelay time.Duration
	// SQLiteSynchronous is SQLite's synchronous pragma in WAL mode: NORMAL
	// may lose the last commits on power loss, FULL may not
	// (SQLITE_SYNCHRONOUS, default NORMAL).
	SQLiteSynchronous string
	// ShutdownTimeout bounds the wait for in-flight requests on SIGTERM (SHUTDOWN_TIMEOUT, default 20s).
	ShutdownTimeout time.Duration
	// RequestTimeout bounds one request (REQUEST_TIMEOUT, default 10s).
	RequestTimeout time.Duration
	// MaxBodyBytes caps a request body; larger ones get 413 (MAX_BODY_BYTES, default 2 MiB).
	MaxBodyBytes int64
	// EventPollInterval is how often a process reads the event log for the
	// events other processes committed (EVENT_POLL_INTERVAL, default 50ms;
	// its own commits wake it at once).
	EventPollInterval time.Duration
	// EventGapWait is how long delivery waits for an event id missing below
	// a committed one: a transaction still committing (EVENT_GAP_WAIT,
	// default 2s).
	EventGapWait time.Duration
	// MaxSubscriptions bounds the live subscriptions of one credential in
	// one process (MAX_SUBSCRIPTIONS_PER_CREDENTIAL, default 10).
	MaxSubscriptions int
	// Webhooks tunes webhook delivery: WEBHOOK_ALLOW_PRIVATE_NETWORKS
	// (default false), WEBHOOK_MAX_ATTEMPTS (12), WEBHOOK_RETRY_BASE (5s),
	// WEBHOOK_RETRY_MAX (1h), WEBHOOK_TIMEOUT (10s), WEBHOOK_CONCURRENCY (8),
	// WEBHOOK_POLL_INTERVAL (500ms); the gap wait is EVENT_GAP_WAIT's.
	Webhooks webhooks.Config
	// RedisURL selects Redis for the score cache (REDIS_URL, default none: in-process).
	RedisURL string
	// CacheTTL bounds how long a cached figure lives, the safety net behind
	// invalidation (CACHE_TTL, default 10m).
	CacheTTL time.Duration
	// LogLevel is debug, info, warn or error (LOG_LEVEL, default info).
	LogLevel string

	// Production (C360_ENV=production; default development) turns off
	// introspection, field suggestions and GraphiQL unless they are set explicitly.
	Production bool
	// Introspection allows __schema/__type (INTROSPECTION, default: on in development).
	Introspection bool
	// FieldSuggestions adds "did you mean" to validation errors (FIELD_SUGGESTIONS, default: on in development).
	FieldSuggestions bool
	// CompiledReads answers the root fields the read planner covers with one
	// SQL statement each (COMPILED_READS, default: on); off sends every field
	// through the resolvers.
	CompiledReads bool
	// GraphiQL serves the GraphiQL page at / (GRAPHIQL, default: on in development).
	GraphiQL bool
	// CORSOrigins lists the browser origins allowed to call the API (CORS_ALLOWED_ORIGINS, comma-separated; default none).
	CORSOrigins []string
	// RateLimit is the sustained requests per second per credential (or per
	// client address in development mode) (RATE_LIMIT_RPS, default 50 in
	// production and 0, off, in development; 0 turns it off).
	RateLimit int
	// RateBurst is the burst above it (RATE_LIMIT_BURST, default 100).
	RateBurst int
	// PersistedOperationsFile is a JSON object {"<sha256 hex>": "<query>"} of
	// operator-approved operations (PERSISTED_OPERATIONS_FILE, default none).
	PersistedOperationsFile string
	// PersistedOnly refuses any operation not in that file (PERSISTED_ONLY, default false).
	PersistedOnly bool
	// Auth holds the credentials (API_KEYS, JWT_HS256_SECRET, JWT_RS256_PUBLIC_KEY,
	// JWT_ISSUER, JWT_AUDIENCE, PII_PSEUDONYM_KEY); none configured = development mode, open.
	Auth AuthConfig
	// Limits of one operation, each with its variable and default (a value
	// of 0 takes the default): the document's tokens (MAX_TOKENS 15000,
	// Apollo Router's), field depth (MAX_DEPTH 15, GitLab's), aliased fields
	// (MAX_ALIASES 30), fields with fragments expanded (MAX_FIELDS 2000),
	// directives (MAX_DIRECTIVES 50), operations in one document
	// (MAX_OPERATIONS 20), pairs of repeated selections gqlgen's validation
	// would compare, quadratic in the repeats (MAX_MERGE_PAIRS 20000: 2,000
	// repeated fields are 2 million pairs and hundreds of milliseconds of
	// CPU), estimated cost (MAX_COST 500000, GitHub's node limit); input
	// values, literal or in variables, checked before they are coerced:
	// nesting depth (MAX_INPUT_DEPTH 32) and the length of one list
	// (MAX_INPUT_LIST 1000); first/last of a connection and the ids of
	// nodes(ids:) (MAX_PAGE_SIZE 1000), the first of a connection given
	// neither (DEFAULT_PAGE_SIZE 100), and the predicates of one where
	// filter (MAX_FILTER_TERMS 500: ent joins the terms of and/or into one
	// chain and SQLite refuses an expression deeper than 1,000, "Expression
	// tree is too large", so 500 leaves room for the nesting around them).
	Limits querylimit.Limits
	// APQMaxQueryBytes caps a document registered as an automatic persisted
	// query (APQ_MAX_QUERY_BYTES, default 32 KiB).
	APQMaxQueryBytes int
	// CacheMemoryBytes bounds what the in-process cache holds (figures and
	// persisted queries) (CACHE_MEMORY_BYTES, default 64 MiB).
	CacheMemoryBytes int
	// OTLPEndpoint enables OpenTelemetry tracing to an OTLP/HTTP collector
	// (OTEL_EXPORTER_OTLP_ENDPOINT, default none).
	OTLPEndpoint string
	// Memory is the Go runtime's memory limit and collector target
	// (MEMORY_LIMIT, GC_PERCENT; GOMEMLIMIT and GOGC, when set, win).
	Memory MemoryConfig
}

// MemoryConfig sets the garbage collector. A response is built from many
// short-lived objects, so with the runtime's default (collect when the heap
// doubles) a busy server spends about a third of its CPU collecting; a higher
// target under a memory limit collects rarely yet keeps the heap bounded.
type MemoryConfig struct {
	// Limit is the soft limit of the Go runtime's memory in bytes (0: none).
	Limit int64
	// GCPercent is the collector's target growth of the heap (-1: off, the
	// limit alone triggers collections).
	GCPercent int
	// LimitFromEnv and GCPercentFromEnv say the operator set GOMEMLIMIT or
	// GOGC, which the runtime has applied already; Apply leaves those alone.
	LimitFromEnv, GCPercentFromEnv bool
}

// Default memory settings. The limit keeps the benchmark process's peak RSS
// (server and load driver, Q2 at 16 clients) near 200-250 MB: at 192 MiB it
// reached 290 MB, since memory outside the Go heap (SQLite's page caches)
// and overshoot while a collection runs come on top; at 128 MiB a page of
// 100 customers at 16 clients collected without pause. The target of 400%
// collects a quarter as often as the runtime's default below the limit.
const (
	DefaultMemoryLimit = 160 << 20
	DefaultGCPercent   = 400
)

// Apply sets the runtime's memory limit and GC target, except those the
// operator set through GOMEMLIMIT or GOGC.
func (m MemoryConfig) Apply() {
	if !m.LimitFromEnv {
		limit := m.Limit
		if limit <= 0 {
			limit = math.MaxInt64
		}
		debug.SetMemoryLimit(limit)
	}
	if !m.GCPercentFromEnv {
		debug.SetGCPercent(m.GCPercent)
	}
}

// AuthConfig is the credentials part of the configuration.
type AuthConfig struct {
	APIKeys, JWTHS256Secret, JWTRS256PublicKeyPEM, JWTIssuer, JWTAudience, PseudonymKey string
}

// Load reads the environment.
func Load() (Config, error) { return load(os.Getenv) }

// Defaults returns the configuration of an empty environment (development),
// for tests that need the documented defaults whatever the environment.
func Defaults() Config {
	c, _ := load(func(string) string { return "" })
	return c
}

func load(get func(string) string) (Config, error) {
	c := Config{}
	var errs []string
	str := func(name, def string) string {
		if v := strings.TrimSpace(get(name)); v != "" {
			return v
		}
		return def
	}
	num := func(name string, def int) int {
		v := str(name, "")
		if v == "" {
			return def
		}
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			errs = append(errs, fmt.Sprintf("%s=%q is not a non-negative integer", name, v))
			return def
		}
		return n
	}
	dur := func(name string, def time.Duration) time.Duration {
		v := str(name, "")
		if v == "" {
			return def
		}
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			errs = append(errs, fmt.Sprintf("%s=%q is not a positive duration such as 10s", name, v))
			return def
		}
		return d
	}
	boolean := func(name string, def bool) bool {
		v := str(name, "")
		if v == "" {
			return def
		}
		b, err := strconv.ParseBool(v)
		if err != nil {
			errs = append(errs, fmt.Sprintf("%s=%q is not true or false", name, v))
			return def
		}
		return b
	}
	c.Port = num("PORT", 8080)
	c.Production = str("C360_ENV", "development") == "production"
	if env := str("C360_ENV", "development"); env != "production" && env != "development" {
		errs = append(errs, fmt.Sprintf("C360_ENV=%q must be development or production", env))
	}
	// Development mode is open to anyone as admin: loopback unless asked.
	listenHost, rateLimit := "127.0.0.1", 0
	if c.Production {
		listenHost, rateLimit = "", 50
	}
	c.ListenHost = str("LISTEN_HOST", listenHost)
	c.DatabaseURL = str("DATABASE_URL", "file:c360.db")
	c.BaseCurrency = strings.ToUpper(str("BASE_CURRENCY", "EUR"))
	c.DemoData = boolean("DEMO_DATA", true)
	c.DemoCustomers = num("DEMO_CUSTOMERS", 300)
	c.DrainDelay = 5 * time.Second
	if v := str("DRAIN_DELAY", ""); v == "0" {
		c.DrainDelay = 0
	} else {
		c.DrainDelay = dur("DRAIN_DELAY", c.DrainDelay)
	}
	c.SQLiteSynchronous = strings.ToUpper(str("SQLITE_SYNCHRONOUS", "NORMAL"))
	if c.SQLiteSynchronous != "NORMAL" && c.SQLiteSynchronous != "FULL" {
		errs = append(errs, fmt.Sprintf("SQLITE_SYNCHRONOUS=%q must be NORMAL or FULL", c.SQLiteSynchronous))
	}
	c.ShutdownTimeout = dur("SHUTDOWN_TIMEOUT", 20*time.Second)
	c.RequestTimeout = dur("REQUEST_TIMEOUT", 10*time.Second)
	c.MaxBodyBytes = int64(num("MAX_BODY_BYTES", 2<<20))
	c.EventPollInterval = dur("EVENT_POLL_INTERVAL", 50*time.Millisecond)
	c.EventGapWait = dur("EVENT_GAP_WAIT", 2*time.Second)
	c.MaxSubscriptions = num("MAX_SUBSCRIPTIONS_PER_CREDENTIAL", 10)
	c.Webhooks = webhooks.Config{
		AllowPrivateNetworks: boolean("WEBHOOK_ALLOW_PRIVATE_NETWORKS", false),
		MaxAttempts:          num("WEBHOOK_MAX_ATTEMPTS", 12),
		RetryBase:            dur("WEBHOOK_RETRY_BASE", 5*time.Second),
		RetryMax:             dur("WEBHOOK_RETRY_MAX", time.Hour),
		Timeout:              dur("WEBHOOK_TIMEOUT", 10*time.Second),
		Concurrency:          num("WEBHOOK_CONCURRENCY", 8),
		PollInterval:         dur("WEBHOOK_POLL_INTERVAL", 500*time.Millisecond),
		GapWait:              c.EventGapWait,
	}
	if c.Webhooks.MaxAttempts < 1 || c.Webhooks.Concurrency < 1 {
		errs = append(errs, "WEBHOOK_MAX_ATTEMPTS and WEBHOOK_CONCURRENCY must be at least 1")
	}
	c.LogLevel = strings.ToLower(str("LOG_LEVEL", "info"))
	c.RedisURL = str("REDIS_URL", "")
	c.CacheTTL = dur("CACHE_TTL", 10*time.Minute)
	if len(c.BaseCurrency) != 3 {
		errs = append(errs, fmt.Sprintf("BASE_CURRENCY=%q is not a 3-letter ISO 4217 code", c.BaseCurrency))
	}
	c.Introspection = boolean("INTROSPECTION", !c.Production)
	c.FieldSuggestions = boolean("FIELD_SUGGESTIONS", !c.Production)
	c.CompiledReads = boolean("COMPILED_READS", true)
	c.GraphiQL = boolean("GRAPHIQL", !c.Production)
	for _, o := range strings.Split(str("CORS_ALLOWED_ORIGINS", ""), ",") {
		if o = strings.TrimSpace(o); o != "" {
			c.CORSOrigins = append(c.CORSOrigins, o)
		}
	}
	// Off in development: a client's test suite run against `make run` must
	// not meet 429s.
	c.RateLimit = num("RATE_LIMIT_RPS", rateLimit)
	c.RateBurst = num("RATE_LIMIT_BURST", 100)
	c.PersistedOperationsFile = str("PERSISTED_OPERATIONS_FILE", "")
	c.PersistedOnly = boolean("PERSISTED_ONLY", false)
	if c.PersistedOnly && c.PersistedOperationsFile == "" {
		errs = append(errs, "PERSISTED_ONLY=true needs PERSISTED_OPERATIONS_FILE")
	}
	c.Auth = AuthConfig{
		APIKeys:              str("API_KEYS", ""),
		JWTHS256Secret:       str("JWT_HS256_SECRET", ""),
		JWTRS256PublicKeyPEM: str("JWT_RS256_PUBLIC_KEY", ""),
		JWTIssuer:            str("JWT_ISSUER", ""),
		JWTAudience:          str("JWT_AUDIENCE", ""),
		PseudonymKey:         str("PII_PSEUDONYM_KEY", ""),
	}
	// A limit of 0 would refuse every operation: it takes the default.
	limit := func(name string, def int) int {
		if n := num(name, def); n > 0 {
			return n
		}
		return def
	}
	c.Limits = querylimit.Limits{
		MaxTokens:       limit("MAX_TOKENS", 15000),
		MaxDepth:        limit("MAX_DEPTH", 15),
		MaxAliases:      limit("MAX_ALIASES", 30),
		MaxFields:       limit("MAX_FIELDS", 2000),
		MaxDirectives:   limit("MAX_DIRECTIVES", 50),
		MaxOperations:   limit("MAX_OPERATIONS", 20),
		MaxMergePairs:   limit("MAX_MERGE_PAIRS", 20000),
		MaxCost:         limit("MAX_COST", 500000),
		MaxInputDepth:   limit("MAX_INPUT_DEPTH", 32),
		MaxInputList:    limit("MAX_INPUT_LIST", 1000),
		MaxPageSize:     limit("MAX_PAGE_SIZE", 1000),
		DefaultPageSize: limit("DEFAULT_PAGE_SIZE", 100),
		MaxFilterTerms:  limit("MAX_FILTER_TERMS", 500),
	}
	if c.Limits.DefaultPageSize > c.Limits.MaxPageSize {
		errs = append(errs, fmt.Sprintf("DEFAULT_PAGE_SIZE=%d is above MAX_PAGE_SIZE=%d", c.Limits.DefaultPageSize, c.Limits.MaxPageSize))
	}
	c.APQMaxQueryBytes = num("APQ_MAX_QUERY_BYTES", 32<<10)
	c.CacheMemoryBytes = num("CACHE_MEMORY_BYTES", 64<<20)
	c.OTLPEndpoint = str("OTEL_EXPORTER_OTLP_ENDPOINT", "")
	c.Memory = MemoryConfig{
		Limit: DefaultMemoryLimit, GCPercent: DefaultGCPercent,
		LimitFromEnv: str("GOMEMLIMIT", "") != "", GCPercentFromEnv: str("GOGC", "") != "",
	}
	if v := str("MEMORY_LIMIT", ""); v != "" {
		n, err := parseBytes(v)
		if err != nil {
			errs = append(errs, fmt.Sprintf("MEMORY_LIMIT=%q is not a size such as 160MiB, or 0 for none", v))
		} else {
			c.Memory.Limit = n
		}
	}
	if v := str("GC_PERCENT", ""); strings.EqualFold(v, "off") {
		c.Memory.GCPercent = -1
	} else {
		c.Memory.GCPercent = num("GC_PERCENT", DefaultGCPercent)
	}
	if c.RedisURL != "" && !strings.HasPrefix(c.RedisURL, "redis://") && !strings.HasPrefix(c.RedisURL, "rediss://") {
		errs = append(errs, "REDIS_URL must start with redis:// or rediss://")
	}
	if c.Production {
		// An open production server serves personal data and writes to
		// anyone; pseudonyms derived from other secrets can be reversed by
		// whoever holds those (API key digests are in every deployment file).
		if c.Auth.APIKeys == "" && c.Auth.JWTHS256Secret == "" && c.Auth.JWTRS256PublicKeyPEM == "" {
			errs = append(errs, "C360_ENV=production needs credentials: set API_KEYS, JWT_HS256_SECRET or JWT_RS256_PUBLIC_KEY")
		}
		if c.Auth.PseudonymKey == "" {
			errs = append(errs, "C360_ENV=production needs PII_PSEUDONYM_KEY (32+ random bytes) to key analysts' pseudonyms")
		}
	}
	if c.Port > 65535 {
		errs = append(errs, fmt.Sprintf("PORT=%d is out of range", c.Port))
	}
	if len(errs) > 0 {
		return c, fmt.Errorf("configuration: %s", strings.Join(errs, "; "))
	}
	return c, nil
}

// parseBytes reads a size as GOMEMLIMIT writes it: a number of bytes with an
// optional unit B, KiB, MiB, GiB or TiB.
func parseBytes(v string) (int64, error) {
	units := []struct {
		suffix string
		shift  uint
	}{{"TiB", 40}, {"GiB", 30}, {"MiB", 20}, {"KiB", 10}, {"B", 0}}
	shift := uint(0)
	for _, u := range units {
		if n, ok := strings.CutSuffix(v, u.suffix); ok {
			v, shift = strings.TrimSpace(n), u.shift
			break
		}
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 0 || n > math.MaxInt64>>shift {
		return 0, fmt.Errorf("bad size %q", v)
	}
	return n << shift, nil
}

package server

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/c360/c360/internal/cache"
	"github.com/c360/c360/internal/errcode"
)

// apqCache keeps Automatic Persisted Queries in the score cache's store
// (Redis or in-process, each bounded: Redis entries live for CACHE_TTL, the
// in-process store holds at most CACHE_MEMORY_BYTES), in a scope that is
// never invalidated.
//
// gqlgen's APQ extension calls Add as soon as the hash matches the text,
// before the document is parsed, validated or priced. Storing then would keep
// whatever a client sends, refused operations too. So Add only notes the
// registration on the operation, and apqCommit, installed after every limit,
// stores it once the operation passed parsing, validation and all the limits
// (gqlgen runs operation context mutators in order and stops at the first
// refusal). Wrapping the cache rather than forking the extension keeps
// gqlgen's protocol handling (hash check, PersistedQueryNotFound, stats).
type apqCache struct{ store *cache.Store }

var _ graphql.Cache[string] = apqCache{}

func (c apqCache) Get(ctx context.Context, hash string) (string, bool) {
	vals, _, err := c.store.Fetch(ctx, []cache.Entry{{Key: "apq:" + hash, Scope: "apq"}})
	if err != nil || vals[0] == nil {
		return "", false
	}
	return string(vals[0]), true
}

// apqPendingStat names the registration noted on the operation's stats.
const apqPendingStat = "c360.apqPending"

type apqPending struct{ hash, query string }

// Add notes the registration for apqCommit; it stores nothing.
func (c apqCache) Add(ctx context.Context, hash, query string) {
	if graphql.HasOperationContext(ctx) {
		graphql.GetOperationContext(ctx).Stats.SetExtension(apqPendingStat, apqPending{hash: hash, query: query})
	}
}

func (c apqCache) put(ctx context.Context, hash, query string) {
	_, tags, err := c.store.Fetch(ctx, []cache.Entry{{Key: "apq:" + hash, Scope: "apq"}})
	if err != nil {
		return
	}
	c.store.Put(ctx, []cache.Item{{Key: "apq:" + hash, Tag: tags[0], Value: []byte(query)}})
}

// apqCommit stores the registration apqCache.Add noted, once the operation
// passed validation and every limit before it. Install it last.
type apqCommit struct{ cache apqCache }

var _ interface {
	graphql.HandlerExtension
	graphql.OperationContextMutator
} = apqCommit{}

func (apqCommit) ExtensionName() string                   { return "AutomaticPersistedQueryCommit" }
func (apqCommit) Validate(graphql.ExecutableSchema) error { return nil }

func (c apqCommit) MutateOperationContext(ctx context.Context, oc *graphql.OperationContext) *gqlerror.Error {
	if p, ok := oc.Stats.GetExtension(apqPendingStat).(apqPending); ok {
		c.cache.put(ctx, p.hash, p.query)
	}
	return nil
}

// apqSizeCap refuses to register a document longer than max bytes (the text
// sent with extensions.persistedQuery); the same document sent without it
// still runs, under the other limits. Operations of the operator's allowlist
// are not registrations.
type apqSizeCap struct {
	max     int
	allowed persisted
}

var _ interface {
	graphql.HandlerExtension
	graphql.OperationParameterMutator
} = apqSizeCap{}

func (apqSizeCap) ExtensionName() string                   { return "AutomaticPersistedQuerySizeCap" }
func (apqSizeCap) Validate(graphql.ExecutableSchema) error { return nil }

func (c apqSizeCap) MutateOperationParameters(_ context.Context, params *graphql.RawParams) *gqlerror.Error {
	if c.max <= 0 || len(params.Query) <= c.max || params.Extensions["persistedQuery"] == nil {
		return nil
	}
	if _, ok := c.allowed.ops[sha256Hex(params.Query)]; ok {
		return nil
	}
	return errcode.New(errcode.BadUserInput, "extensions.persistedQuery", fmt.Sprintf(
		"extensions.persistedQuery: a document registered as a persisted query may have at most %d bytes (APQ_MAX_QUERY_BYTES); this one has %d. Send it without extensions.persistedQuery to run it unregistered.",
		c.max, len(params.Query)))
}

// persisted is the operator-managed allowlist of operations: a client may
// send just the sha256 of one (the APQ extension shape), and in
// PERSISTED_ONLY mode nothing else runs.
type persisted struct {
	ops  map[string]string
	only bool
}

var _ interface {
	graphql.HandlerExtension
	graphql.OperationParameterMutator
} = persisted{}

// loadPersisted reads {"<sha256 hex>": "<query>", ...} and checks every hash.
func loadPersisted(path string, only bool) (persisted, error) {
	p := persisted{ops: map[string]string{}, only: only}
	if path == "" {
		return p, nil
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return p, fmt.Errorf("PERSISTED_OPERATIONS_FILE: %w", err)
	}
	if err := json.Unmarshal(b, &p.ops); err != nil {
		return p, fmt.Errorf("PERSISTED_OPERATIONS_FILE: not a JSON object of hash to query: %w", err)
	}
	for h, q := range p.ops {
		if sum := sha256Hex(q); sum != h {
			return p, fmt.Errorf("PERSISTED_OPERATIONS_FILE: the query under %s hashes to %s", h, sum)
		}
	}
	return p, nil
}

func sha256Hex(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

func (persisted) ExtensionName() string                   { return "PersistedOperations" }
func (persisted) Validate(graphql.ExecutableSchema) error { return nil }

func (p persisted) MutateOperationParameters(_ context.Context, params *graphql.RawParams) *gqlerror.Error {
	if params.Query == "" {
		if ext, ok := params.Extensions["persistedQuery"].(map[string]any); ok {
			if h, ok := ext["sha256Hash"].(string); ok {
				if q, ok := p.ops[h]; ok {
					params.Query = q
				}
			}
		}
	}
	if p.only && params.Query != "" {
		if _, ok := p.ops[sha256Hex(params.Query)]; !ok {
			return errcode.New(errcode.Forbidden, "", "only persisted operations are accepted here; this one is not in the allowlist")
		}
	}
	return nil
}

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
// (Redis or in-process), in a scope that is never invalidated.
type apqCache struct{ store *cache.Store }

var _ graphql.Cache[string] = apqCache{}

func (c apqCache) Get(ctx context.Context, hash string) (string, bool) {
	vals, _, err := c.store.Fetch(ctx, []cache.Entry{{Key: "apq:" + hash, Scope: "apq"}})
	if err != nil || vals[0] == nil {
		return "", false
	}
	return string(vals[0]), true
}

func (c apqCache) Add(ctx context.Context, hash, query string) {
	_, tags, err := c.store.Fetch(ctx, []cache.Entry{{Key: "apq:" + hash, Scope: "apq"}})
	if err != nil {
		return
	}
	c.store.Put(ctx, []cache.Item{{Key: "apq:" + hash, Tag: tags[0], Value: []byte(query)}})
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

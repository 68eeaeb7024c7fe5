package server

import (
	"context"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/c360/c360/internal/cache"
)

// documentCacheBytes bounds the cache of parsed and validated documents.
// gqlgen's own (lru.New, by count) keeps 1,000 documents of any size keyed by
// their full text: 90 valid documents of 1.9 MB (mostly a comment) kept
// 170 MB alive, and a dense document at MAX_FIELDS (11 KB) parses to about
// 450 KB, so 1,000 distinct ones would keep 450 MB.
const documentCacheBytes = 32 << 20

// documentWeight estimates what a cached document holds: its text as the
// key and its syntax tree, measured at 20-40 bytes per byte of dense text.
func documentWeight(query string, _ *ast.QueryDocument) int64 { return 41*int64(len(query)) + 256 }

// documentCache is the query cache of the GraphQL handler, bounded by bytes.
// A document heavier than the whole bound is parsed again each time.
type documentCache struct {
	docs *cache.Sized[*ast.QueryDocument]
}

var _ graphql.Cache[*ast.QueryDocument] = documentCache{}

func newDocumentCache() documentCache {
	return documentCache{docs: cache.NewSized(documentCacheBytes, 0, documentWeight)}
}

func (c documentCache) Get(_ context.Context, query string) (*ast.QueryDocument, bool) {
	return c.docs.Get(query)
}

func (c documentCache) Add(_ context.Context, query string, doc *ast.QueryDocument) {
	c.docs.Add(query, doc)
}

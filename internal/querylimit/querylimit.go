// Package querylimit refuses hostile GraphQL operations before they cost
// anything, in two checks:
//
//   - Precheck, a gqlgen handler extension, runs on the raw query, before
//     gqlgen parses and validates it (gqlgen's validation of repeated
//     identical fields is quadratic, and directive floods, alias bombs, depth
//     bombs and fragment cycles all cost CPU there). It parses the document
//     itself under a token limit and walks it once, in time linear in its
//     size, memoizing each fragment, to bound tokens, operations, depth,
//     aliases, fields (fragments expanded) and directives, and to refuse
//     fragment cycles; then, the expansion being bounded, it counts the pairs
//     of repeated selections that validation would compare, and bounds the
//     depth and list lengths of literal input values. Verdicts are cached by
//     a hash of the query. It bounds the variables' values the same way,
//     before gqlgen coerces them.
//   - Check runs after validation, in one walk over the operation to
//     execute: it refuses page sizes out of range (BAD_USER_INPUT), finds the
//     connections that take the default page size, and prices the operation:
//     every field costs 1, and a connection or list field multiplies the cost
//     of its children by its page size (first/last, else the default page
//     size) or by an estimate of the list's length; filters and aggregates
//     are priced by the work they cause. The server's field rules ride on the
//     same walk.
//
// Every refusal is a *fault.TooComplex whose message names the limit and the
// measured value, but for a variable over the input limits or a page size
// out of range: the client's bad input (*fault.BadInput naming it).
package querylimit

import (
	"math"
	"strconv"

	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/c360/c360/internal/fault"
)

// Limits bounds an operation. Their values, defaults and environment
// variables are internal/config's (the one place limits are defined); every
// field must be positive.
type Limits struct {
	// MaxTokens bounds the lexical tokens of the document, comments included.
	MaxTokens int
	// MaxDepth bounds the nesting of fields, through fragments and inline
	// fragments (which add no level themselves); a top-level leaf field has
	// depth 1.
	MaxDepth int
	// MaxAliases bounds the aliased fields of one operation, fragments
	// expanded.
	MaxAliases int
	// MaxFields bounds the field selections of the document's operations,
	// fragments expanded.
	MaxFields int
	// MaxDirectives bounds the directives written in the whole document
	// (CVE-2023-49559).
	MaxDirectives int
	// MaxOperations bounds the operations of one document (only one runs).
	MaxOperations int
	// MaxCost bounds the estimated cost of the executed operation.
	MaxCost int
	// MaxMergePairs bounds the pairs of repeated selections that gqlgen's
	// validation (OverlappingFieldsCanBeMerged) compares, which grow with the
	// square of the repeats: fields with the same response name at the same
	// place of the response (parents with the same response name merged), and
	// fragment spreads at the same place.
	MaxMergePairs int
	// MaxInputDepth bounds the nesting of an input value, literal or in a
	// variable: a list or an input object is one level more than its
	// deepest element.
	MaxInputDepth int
	// MaxInputList bounds the length of one list of an input value.
	MaxInputList int
	// MaxPageSize bounds first and last of a connection, and the ids of
	// nodes(ids:).
	MaxPageSize int
	// DefaultPageSize is the page of a connection given neither first nor
	// last.
	DefaultPageSize int
	// MaxFilterTerms bounds the predicates of one where filter.
	MaxFilterTerms int
}

// refusal builds the error of a refused operation.
func refusal(msg string) *gqlerror.Error {
	return gqlerror.Wrap(&fault.TooComplex{Message: msg})
}

// satCap is where counts saturate: far above any limit, far below overflow,
// so that the sum of two saturated counts cannot overflow.
const satCap = math.MaxInt / 4

func satAdd(a, b int) int {
	if s := a + b; s < satCap {
		return s
	}
	return satCap
}

func satMul(a, b int) int {
	if a == 0 || b == 0 {
		return 0
	}
	if a >= satCap/b {
		return satCap
	}
	return a * b
}

// count formats a possibly saturated count.
func count(n int) string {
	if n >= satCap {
		return "over " + strconv.Itoa(satCap)
	}
	return strconv.Itoa(n)
}

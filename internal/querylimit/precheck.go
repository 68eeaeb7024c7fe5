package querylimit

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
	"github.com/vektah/gqlparser/v2/parser"
)

// cacheEntries bounds the verdicts a Precheck remembers.
const cacheEntries = 4096

// Precheck refuses hostile documents before gqlgen parses and validates them.
// It must be installed after any extension that fills RawParams.Query (such
// as extension.AutomaticPersistedQuery), since it sees the query as those
// leave it. It is safe for concurrent use.
type Precheck struct {
	limits Limits
	cache  *verdictCache
}

var _ interface {
	graphql.HandlerExtension
	graphql.OperationParameterMutator
} = (*Precheck)(nil)

// NewPrecheck returns a Precheck enforcing l (the limits of the document and
// of input values; the others are Check's).
func NewPrecheck(l Limits) *Precheck {
	return &Precheck{limits: l, cache: newVerdictCache(cacheEntries)}
}

// ExtensionName implements graphql.HandlerExtension.
func (*Precheck) ExtensionName() string { return "QueryPrecheck" }

// Validate implements graphql.HandlerExtension.
func (*Precheck) Validate(graphql.ExecutableSchema) error { return nil }

// MutateOperationParameters implements graphql.OperationParameterMutator.
func (p *Precheck) MutateOperationParameters(_ context.Context, rp *graphql.RawParams) *gqlerror.Error {
	if rp == nil {
		return nil
	}
	if err := p.Check(rp.Query); err != nil {
		return err
	}
	return checkVariables(rp.Variables, p.limits)
}

// Check returns the refusal of query, or nil when it is within the limits or
// does not parse (gqlgen then reports the syntax error itself). A document
// over the token limit is refused without being parsed further.
func (p *Precheck) Check(query string) *gqlerror.Error {
	if query == "" {
		return nil
	}
	k := p.cache.key(query)
	msg, ok := p.cache.get(k)
	if !ok {
		msg = p.verdict(query)
		p.cache.put(k, msg)
	}
	if msg == "" {
		return nil
	}
	return refusal(msg)
}

// verdict returns the reason to refuse query, or "".
func (p *Precheck) verdict(query string) string {
	l := p.limits
	src := &ast.Source{Input: query}
	// Counting tokens with a byte scanner allocates nothing and is many
	// times faster than parsing them: token floods are refused cheaply.
	if tooManyTokens(src, l.MaxTokens) {
		return tokenMessage(l.MaxTokens)
	}
	doc, err := parser.ParseQueryWithTokenLimit(src, l.MaxTokens)
	if err != nil {
		if isTokenLimit(err) { // the scanner's count is a lower bound
			return tokenMessage(l.MaxTokens)
		}
		return ""
	}
	if doc == nil {
		return ""
	}
	if n := len(doc.Operations); n > l.MaxOperations {
		return fmt.Sprintf("document has %d operations, more than the limit of %d", n, l.MaxOperations)
	}
	w := newWalker(doc, l)
	var fields, nodes, depth, aliases int
	for _, op := range doc.Operations {
		w.directives += len(op.Directives)
		w.checkDirectives(op.Directives)
		for _, v := range op.VariableDefinitions {
			w.directives += len(v.Directives)
			w.checkDirectives(v.Directives)
			if v.DefaultValue != nil {
				w.checkLiterals("variable $"+shorten(v.Variable), ast.ArgumentList{{Name: "default value", Value: v.DefaultValue}})
			}
		}
		s, ok := w.selections(op.SelectionSet)
		if !ok {
			return w.cycle
		}
		fields = satAdd(fields, s.fields)
		nodes = satAdd(nodes, s.nodes)
		depth = max(depth, s.depth)
		aliases = max(aliases, s.aliases)
	}
	// gqlgen validates every fragment definition on its own as well, with
	// the fragments it spreads expanded: those count toward the selections,
	// and fragments no operation spreads must not hide a cycle or directives.
	for i := range w.frags {
		s, ok := w.fragment(&w.frags[i])
		if !ok {
			return w.cycle
		}
		nodes = satAdd(nodes, s.nodes)
	}
	maxNodes := satMul(l.MaxFields, nodesPerField)
	switch {
	case depth > l.MaxDepth:
		return fmt.Sprintf("query depth %d exceeds the limit of %d", depth, l.MaxDepth)
	case aliases > l.MaxAliases:
		return fmt.Sprintf("query has %s aliased fields, more than the limit of %d", count(aliases), l.MaxAliases)
	case fields > l.MaxFields:
		return fmt.Sprintf("query selects %s fields (fragments expanded), more than the limit of %d", count(fields), l.MaxFields)
	case nodes > maxNodes:
		return fmt.Sprintf("query expands to %s selections (fields, fragment spreads and inline fragments of every operation and fragment, fragments expanded), more than the limit of %d", count(nodes), maxNodes)
	case w.directives > l.MaxDirectives:
		return fmt.Sprintf("query has %d directives, more than the limit of %d", w.directives, l.MaxDirectives)
	case w.input != "":
		return w.input
	}
	// Only now is expanding the fragments bounded (by maxNodes).
	return w.merge(doc, l.MaxMergePairs)
}

// nodesPerField bounds the expanded selections (fields, spreads and inline
// fragments) per allowed field: a few fragments around each field is usual,
// dozens is a chain built to make validation slow (gqlgen walks each
// fragment definition with all it spreads: a chain of n fragments spreading
// the next costs n²/2).
const nodesPerField = 32

// tooManyTokens reports whether src has more than limit tokens, comments
// included as the parser counts them. It scans bytes, allocating nothing,
// several times faster than gqlparser's lexer (which builds every string's
// value), and counts a lower bound: it never counts more tokens than the
// lexer reads, and stops at what the lexer would fail on. The parser, with
// the same limit, has the last word.
func tooManyTokens(src *ast.Source, limit int) bool {
	return countTokens(src.Input, limit) > limit
}

// countTokens counts the tokens of q, stopping once past limit.
func countTokens(q string, limit int) int {
	n := 0
	for i := 0; i < len(q) && n <= limit; {
		c := q[i]
		switch {
		case c == ' ' || c == '\t' || c == ',' || c == '\n' || c == '\r':
			i++
			continue
		case c == 0xef && strings.HasPrefix(q[i:], "\ufeff"):
			i += 3
			continue
		case c == '#':
			i++
			for i < len(q) && (q[i] >= 0x20 || q[i] == '\t') {
				i++
			}
		case c == '"' && strings.HasPrefix(q[i:], `"""`):
			end := blockStringEnd(q, i+3)
			if end < 0 {
				return n // unterminated: a lexical error
			}
			i = end
		case c == '"':
			end := stringEnd(q, i+1)
			if end < 0 {
				return n
			}
			i = end
		case c == '.':
			if !strings.HasPrefix(q[i:], "...") {
				return n
			}
			i += 3
		case c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z':
			i++
			for i < len(q) && (q[i] == '_' || q[i] >= 'a' && q[i] <= 'z' || q[i] >= 'A' && q[i] <= 'Z' || isDigit(q[i])) {
				i++
			}
		case isDigit(c) || c == '-':
			i = numberEnd(q, i)
		case strings.IndexByte("!$&():=@[]{}|", c) >= 0:
			i++
		default:
			return n // a character the lexer rejects
		}
		n++
	}
	return n
}

// numberEnd returns the end of the number starting at i:
// -?[0-9]+(\.[0-9]+)?([eE][+-]?[0-9]+)?, loosely (the lexer checks it).
func numberEnd(q string, i int) int {
	digits := func() {
		for i < len(q) && isDigit(q[i]) {
			i++
		}
	}
	if q[i] == '-' {
		i++
	}
	digits()
	if i+1 < len(q) && q[i] == '.' && isDigit(q[i+1]) {
		i++
		digits()
	}
	if i < len(q) && (q[i] == 'e' || q[i] == 'E') {
		j := i + 1
		if j < len(q) && (q[j] == '+' || q[j] == '-') {
			j++
		}
		if j < len(q) && isDigit(q[j]) {
			i = j
			digits()
		}
	}
	return i
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// stringEnd returns the index after the closing quote of the string whose
// content starts at i, or -1 if it is unterminated.
func stringEnd(q string, i int) int {
	for i < len(q) {
		switch q[i] {
		case '"':
			return i + 1
		case '\\':
			i += 2
		case '\n', '\r':
			return -1
		default:
			i++
		}
	}
	return -1
}

// blockStringEnd returns the index after the closing quotes of the block
// string whose content starts at i, or -1 if it is unterminated. As in the
// lexer, \""" is an escaped quote, and the last three of a run of quotes
// close the string.
func blockStringEnd(q string, i int) int {
	for i < len(q) {
		switch {
		case q[i] == '\\' && strings.HasPrefix(q[i:], `\"""`):
			i += 4
		case q[i] == '"':
			j := i
			for j < len(q) && q[j] == '"' {
				j++
			}
			if j-i >= 3 {
				return j
			}
			i = j
		default:
			i++
		}
	}
	return -1
}

func tokenMessage(limit int) string {
	return fmt.Sprintf("query exceeds the limit of %d tokens", limit)
}

// isTokenLimit reports whether err is the parser's token limit error.
func isTokenLimit(err error) bool {
	var ge *gqlerror.Error
	return errors.As(err, &ge) && strings.HasPrefix(ge.Message, "exceeded token limit")
}

// summary measures a selection set, fragments expanded: its field
// selections, aliased fields, selections of any kind (all saturating) and
// depth.
type summary struct{ fields, aliases, nodes, depth int }

func (s *summary) add(o summary, extraDepth int) {
	s.fields = satAdd(s.fields, o.fields)
	s.nodes = satAdd(s.nodes, satAdd(o.nodes, 1))
	s.aliases = satAdd(s.aliases, o.aliases)
	s.depth = max(s.depth, o.depth+extraDepth)
}

const (
	unvisited = iota
	expanding
	done
)

type fragment struct {
	def   *ast.FragmentDefinition
	state int
	sum   summary
}

// walker measures a document once: each fragment's body is walked a single
// time and its summary reused at every spread, so the work is linear in the
// document's size however often fragments are spread.
type walker struct {
	limits     Limits
	frags      []fragment
	byName     map[string]*fragment
	directives int
	path       []string // fragments being expanded
	cycle      string   // the refusal, once a cycle is found
	input      string   // the refusal of the first literal input over the limits
}

func newWalker(doc *ast.QueryDocument, l Limits) *walker {
	w := &walker{limits: l, frags: make([]fragment, len(doc.Fragments)), byName: make(map[string]*fragment, len(doc.Fragments))}
	for i, d := range doc.Fragments {
		w.frags[i].def = d
		if _, dup := w.byName[d.Name]; !dup {
			w.byName[d.Name] = &w.frags[i]
		}
	}
	return w
}

// selections measures set; false means a fragment cycle (w.cycle says which).
func (w *walker) selections(set ast.SelectionSet) (summary, bool) {
	var s summary
	for _, sel := range set {
		switch x := sel.(type) {
		case *ast.Field:
			w.directives += len(x.Directives)
			w.checkDirectives(x.Directives)
			w.checkLiterals("field "+strconv.Quote(shorten(x.Name)), x.Arguments)
			sub, ok := w.selections(x.SelectionSet)
			if !ok {
				return s, false
			}
			sub.fields = satAdd(sub.fields, 1)
			if x.Alias != "" && x.Alias != x.Name {
				sub.aliases = satAdd(sub.aliases, 1)
			}
			s.add(sub, 1)
		case *ast.InlineFragment:
			w.directives += len(x.Directives)
			w.checkDirectives(x.Directives)
			sub, ok := w.selections(x.SelectionSet)
			if !ok {
				return s, false
			}
			s.add(sub, 0)
		case *ast.FragmentSpread:
			w.directives += len(x.Directives)
			w.checkDirectives(x.Directives)
			f := w.byName[x.Name]
			if f == nil {
				continue // unknown: gqlgen's validation reports it
			}
			sub, ok := w.fragment(f)
			if !ok {
				return s, false
			}
			s.add(sub, 0)
		}
	}
	return s, true
}

// fragment measures f's body, once.
func (w *walker) fragment(f *fragment) (summary, bool) {
	switch f.state {
	case done:
		return f.sum, true
	case expanding:
		w.cycle = w.cycleMessage(f.def.Name)
		return summary{}, false
	}
	f.state = expanding
	w.path = append(w.path, f.def.Name)
	w.directives += len(f.def.Directives)
	w.checkDirectives(f.def.Directives)
	s, ok := w.selections(f.def.SelectionSet)
	if !ok {
		return s, false
	}
	w.path = w.path[:len(w.path)-1]
	f.state, f.sum = done, s
	return s, true
}

// cycleMessage describes the cycle closing at name, shortened: names come
// from the client and may be long.
func (w *walker) cycleMessage(name string) string {
	start := len(w.path) - 1
	for start > 0 && w.path[start] != name {
		start--
	}
	cycle := append(w.path[start:len(w.path):len(w.path)], name)
	const maxNames = 8
	var b strings.Builder
	b.WriteString("query has a fragment cycle: ")
	for i, n := range cycle {
		if i == maxNames {
			b.WriteString(" -> ...")
			break
		}
		if i > 0 {
			b.WriteString(" -> ")
		}
		b.WriteString(shorten(n))
	}
	return b.String()
}

func shorten(s string) string {
	const maxLen = 40
	if len(s) <= maxLen {
		return s
	}
	return s[:maxLen] + "..."
}

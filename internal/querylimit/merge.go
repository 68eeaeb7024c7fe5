package querylimit

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/vektah/gqlparser/v2/ast"
)

// gqlgen's validation rule OverlappingFieldsCanBeMerged compares every pair
// of fields that share a response name in a selection set, recursing into
// the selections of both, and every pair of fragment spreads of a selection
// set; it checks the selections of every inline fragment on their own again,
// collecting those of the inline fragments nested in it. Its work is
// therefore about the sum, over each place of the response (each node of the
// tree of response names, where fields of the same response name merge), of
// the squares of the fields merged there and of the spreads collected there,
// times the number of times a comparison is repeated (once more per
// enclosing inline fragment), plus the depth of every selection in nested
// inline fragments. merge measures that on the expanded document, each
// fragment expanded once per place, as validation memoizes it, and on each
// fragment definition, which validation checks on its own as well. Its
// visits are bounded by the expanded selections, which the caller bounds.

// spreadWeight is the cost of comparing two fragments relative to that of
// two fields (measured on gqlparser v2.5.64).
const spreadWeight = 4

type mergeKey struct {
	parent int32
	name   string
}

type fragmentAt struct {
	node int32
	frag *fragment
}

type mergeNode struct {
	parent  int32
	name    string
	fields  int // fields merged into this node
	spreads int // fragment spreads collected in its selection set
}

type merger struct {
	w        *walker
	nodes    []mergeNode
	children map[mergeKey]int32
	expanded map[fragmentAt]bool
	repeats  int // weighted pairs of repeated fields and spreads
	nesting  int // collections of selections in nested inline fragments
	// For the message: the node with the most repeats, the deepest nesting.
	worst        int32
	worstCount   int
	worstSpreads bool
	deepest      int
}

// merge returns the refusal when the pairs exceed limit, or "".
func (w *walker) merge(doc *ast.QueryDocument, limit int) string {
	m := &merger{w: w, children: map[mergeKey]int32{}, expanded: map[fragmentAt]bool{}}
	for _, op := range doc.Operations {
		m.selections(op.SelectionSet, m.node(-1, ""), 1, 0)
	}
	// Validation compares within each fragment definition too.
	for i := range w.frags {
		m.selections(w.frags[i].def.SelectionSet, m.node(-1, ""), 1, 0)
	}
	total := satAdd(m.repeats, m.nesting)
	if total <= limit {
		return ""
	}
	var why string
	switch n := m.nodes[m.worst]; {
	case m.nesting > m.repeats:
		why = fmt.Sprintf("inline fragments nested %d deep", m.deepest)
	case m.worstSpreads:
		why = fmt.Sprintf("fragments spread %d times at %s", n.spreads, m.path(m.worst))
	default:
		why = fmt.Sprintf("field %q selected %d times at %s", shorten(n.name), n.fields, m.path(n.parent))
	}
	return fmt.Sprintf("validating the query would compare %s pairs of repeated selections, more than the limit of %d (%s)",
		count(total), limit, why)
}

func (m *merger) node(parent int32, name string) int32 {
	m.nodes = append(m.nodes, mergeNode{parent: parent, name: name})
	return int32(len(m.nodes) - 1)
}

// repeat records one more selection at node, which pairs with the n before
// it, each pair compared weight times.
func (m *merger) repeat(node int32, n *int, spreads bool, weight int) {
	m.repeats = satAdd(m.repeats, satMul(*n, weight))
	*n++
	if *n > m.worstCount {
		m.worst, m.worstCount, m.worstSpreads = node, *n, spreads
	}
}

// selections merges set into the node at. Validation compares the fields of
// a selection set within it and again within each enclosing inline fragment
// (inline levels below at), and their sub-selections each time: weight, the
// number of times the pairs made here are compared, is mult (from the
// parents) times 1+inline.
func (m *merger) selections(set ast.SelectionSet, at int32, mult, inline int) {
	weight := satMul(mult, 1+inline)
	if inline > 0 {
		m.nesting = satAdd(m.nesting, satMul(len(set), inline))
		m.deepest = max(m.deepest, inline)
	}
	for _, sel := range set {
		switch x := sel.(type) {
		case *ast.Field:
			name := x.Alias
			if name == "" {
				name = x.Name
			}
			k := mergeKey{at, name}
			id, ok := m.children[k]
			if !ok {
				id = m.node(at, name)
				m.children[k] = id
			}
			m.repeat(id, &m.nodes[id].fields, false, weight)
			m.selections(x.SelectionSet, id, weight, 0)
		case *ast.InlineFragment:
			m.selections(x.SelectionSet, at, mult, inline+1)
		case *ast.FragmentSpread:
			m.repeat(at, &m.nodes[at].spreads, true, satMul(weight, spreadWeight))
			f := m.w.byName[x.Name]
			if f == nil || m.expanded[fragmentAt{at, f}] {
				continue
			}
			m.expanded[fragmentAt{at, f}] = true
			m.selections(f.def.SelectionSet, at, mult, inline)
		}
	}
}

// path names node by the response names leading to it, shortened.
func (m *merger) path(node int32) string {
	var names []string
	for ; node >= 0 && m.nodes[node].parent >= 0; node = m.nodes[node].parent {
		names = append(names, shorten(m.nodes[node].name))
	}
	if len(names) == 0 {
		return "the top level"
	}
	const maxNames = 10
	var b strings.Builder
	if len(names) > maxNames {
		b.WriteString("(")
		b.WriteString(strconv.Itoa(len(names) - maxNames))
		b.WriteString(" more).")
		names = names[:maxNames]
	}
	for i := len(names) - 1; i >= 0; i-- {
		b.WriteString(names[i])
		if i > 0 {
			b.WriteByte('.')
		}
	}
	return b.String()
}

package server_test

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/vektah/gqlparser/v2/ast"
)

// The operation generator of the differential test. Everything it knows about
// the API comes from the schema (types, fields, arguments, enums, input
// objects) and from the data (pools): a new entity, field, ordering or filter
// is covered without an edit here.

// operation is one generated document with its variables, and the shape of
// its selections, so the cursors of its answers can be collected.
type operation struct {
	text  string
	vars  map[string]any
	roots []rootField
	tree  *selSet
}

type rootField struct{ name, key string }

type selSet struct{ items []selItem }

// selItem is a field (key is its response key; cursorOf the connection type
// when it is a cursor) or, with key "", a fragment merged into its parent.
type selItem struct {
	key, cursorOf string
	sub           *selSet
}

// collectCursors adds every cursor of an answer to the pools, so later
// operations page from where either path left off.
func (op *operation) collectCursors(p *pools, data any) { op.tree.walk(p, data) }

func (s *selSet) walk(p *pools, data any) {
	if s == nil {
		return
	}
	switch d := data.(type) {
	case []any:
		for _, e := range d {
			s.walk(p, e)
		}
	case map[string]any:
		for _, it := range s.items {
			if it.key == "" {
				it.sub.walk(p, d)
				continue
			}
			v, ok := d[it.key]
			if !ok {
				continue
			}
			if c, ok := v.(string); ok && it.cursorOf != "" {
				p.addCursor(it.cursorOf, c)
			}
			it.sub.walk(p, v)
		}
	}
}

type opGen struct {
	s         *ast.Schema
	p         *pools
	r         *rand.Rand
	vars      map[string]any
	decls     []string
	fragments map[string]string // type -> fragment name
	fragText  []string
	n         int             // aliases, variables and fragments made so far
	fields    int             // fields selected so far: keeps operations small
	selected  map[string]bool // "Type.field" coordinates selected
}

func newOpGen(s *ast.Schema, p *pools, r *rand.Rand) *opGen {
	return &opGen{s: s, p: p, r: r, vars: map[string]any{}, fragments: map[string]string{}, selected: map[string]bool{}}
}

func (g *opGen) chance(percent int) bool { return g.r.IntN(100) < percent }

func (g *opGen) next() int { g.n++; return g.n }

// rootWeights favour the root fields the planner compiles; any other root
// field of the schema still comes up now and then.
var rootWeights = map[string]int{"customer": 20, "customers": 20, "orders": 12, "feedbacks": 12, "personas": 8, "node": 10, "nodes": 8}

func (g *opGen) operation() *operation {
	var roots []*ast.FieldDefinition
	total := 0
	for _, f := range g.s.Query.Fields {
		if strings.HasPrefix(f.Name, "__") {
			continue
		}
		roots = append(roots, f)
		total += max(rootWeights[f.Name], 1)
	}
	n := 1
	if g.chance(25) {
		n += 1 + g.r.IntN(2)
	}
	tree := &selSet{}
	op := &operation{tree: tree}
	used := map[string]bool{}
	var parts []string
	for range n {
		if g.chance(3) {
			parts = append(parts, "__typename")
			op.roots = append(op.roots, rootField{"__typename", "__typename"})
			continue
		}
		pick := g.r.IntN(total)
		var f *ast.FieldDefinition
		for _, c := range roots {
			if pick -= max(rootWeights[c.Name], 1); pick < 0 {
				f = c
				break
			}
		}
		text, item := g.field(g.s.Query, f, 0, 0, "", used)
		parts = append(parts, text)
		tree.items = append(tree.items, item)
		op.roots = append(op.roots, rootField{f.Name, item.key})
	}
	var sb strings.Builder
	if len(g.decls) > 0 || g.chance(30) {
		fmt.Fprintf(&sb, "query Op%d", g.r.IntN(1000))
		if len(g.decls) > 0 {
			sb.WriteString("(" + strings.Join(g.decls, ", ") + ")")
		}
		sb.WriteString(" ")
	}
	sb.WriteString("{ " + strings.Join(parts, " ") + " }")
	for _, f := range g.fragText {
		sb.WriteString("\n" + f)
	}
	op.text, op.vars = sb.String(), g.vars
	return op
}

// field renders one field with its arguments, directives and selections.
// depth counts selection levels, entities the entity types entered (a bound
// on nesting both ways: customer -> orders -> customer), conn the
// connection the field belongs to (for its cursors), used the response keys
// taken in the enclosing selection set.
func (g *opGen) field(parent *ast.Definition, f *ast.FieldDefinition, depth, entities int, conn string, used map[string]bool) (string, selItem) {
	g.fields++
	g.selected[parent.Name+"."+f.Name] = true
	key := f.Name
	alias := ""
	if used[key] || g.chance(12) {
		key = fmt.Sprintf("a%d", g.next())
		alias = key + ": "
	}
	used[key] = true
	item := selItem{key: key}
	if (f.Name == "cursor" || f.Name == "startCursor" || f.Name == "endCursor") && conn != "" {
		item.cursorOf = conn
	}
	text := alias + f.Name + g.arguments(parent, f) + g.directives()
	def := g.s.Types[f.Type.Name()]
	if def.Kind == ast.Scalar || def.Kind == ast.Enum {
		return text, item
	}
	switch {
	case isConn(def):
		conn = def.Name
	case def.Name == "PageInfo" || strings.HasSuffix(def.Name, "Edge"):
	default:
		conn = ""
	}
	if implementsNode(def) || def.Kind == ast.Interface {
		entities++
	}
	sub, set := g.selectionSet(def, depth+1, entities, conn, map[string]bool{})
	item.sub = set
	return text + " { " + sub + " }", item
}

// selectionSet picks fields of an object type, or fragments of an interface.
func (g *opGen) selectionSet(def *ast.Definition, depth, entities int, conn string, used map[string]bool) (string, *selSet) {
	set := &selSet{}
	var parts []string
	add := func(text string, item selItem) {
		parts = append(parts, text)
		set.items = append(set.items, item)
	}
	if def.Kind == ast.Interface || def.Kind == ast.Union {
		for _, name := range []string{"__typename", "id"} {
			if g.chance(50) && (name == "__typename" || def.Fields.ForName(name) != nil) {
				if name == "__typename" {
					add(name, selItem{key: name})
				} else {
					add(g.field(def, def.Fields.ForName(name), depth, entities, conn, used))
				}
			}
		}
		for _, impl := range g.s.GetPossibleTypes(def) {
			switch {
			case g.chance(15):
				parts = append(parts, "..."+g.fragment(impl))
			case g.chance(55):
				// The scope of keys is the interface's: two types' fields
				// under one key would have to merge.
				text, sub := g.selectionSet(impl, depth, entities, conn, used)
				parts = append(parts, "... on "+impl.Name+g.directives()+" { "+text+" }")
				set.items = append(set.items, selItem{sub: sub})
			}
		}
		if len(parts) == 0 {
			add("__typename", selItem{key: "__typename"})
		}
		return strings.Join(parts, " "), set
	}
	for _, f := range def.Fields {
		if strings.HasPrefix(f.Name, "__") || !g.chance(g.fieldChance(def, f, depth, entities)) {
			continue
		}
		add(g.field(def, f, depth, entities, conn, used))
	}
	if g.chance(8) {
		add("__typename", selItem{key: "__typename"})
	}
	if implementsNode(def) && g.chance(12) {
		parts = append(parts, "..."+g.fragment(def))
	}
	if g.chance(6) && depth < 10 {
		// An inline fragment on the same type (or without a type
		// condition) shares the enclosing keys.
		cond := ""
		if g.chance(60) {
			cond = " on " + def.Name
		}
		text, sub := g.selectionSet(def, depth, entities, conn, used)
		parts = append(parts, "..."+cond+g.directives()+" { "+text+" }")
		set.items = append(set.items, selItem{sub: sub})
	}
	if len(parts) == 0 {
		// Something to select: a leaf, the first one most often (id).
		var leaves []*ast.FieldDefinition
		for _, f := range def.Fields {
			if !strings.HasPrefix(f.Name, "__") && len(f.Arguments) == 0 && isLeaf(g.s, f.Type) {
				leaves = append(leaves, f)
			}
		}
		f := leaves[0]
		if g.chance(50) {
			f = leaves[g.r.IntN(len(leaves))]
		}
		add(g.field(def, f, depth, entities, conn, used))
	}
	return strings.Join(parts, " "), set
}

// fieldChance is the percent chance of selecting f: leaves often, the path
// through a connection to its nodes nearly always, nested entities less the
// deeper they are, aggregates (scores) rarely.
func (g *opGen) fieldChance(parent *ast.Definition, f *ast.FieldDefinition, depth, entities int) int {
	def := g.s.Types[f.Type.Name()]
	leaf := def.Kind == ast.Scalar || def.Kind == ast.Enum
	switch {
	case leaf && isConn(parent) && f.Name == "totalCount":
		return 40
	case leaf:
		return 45
	case depth > 11 || g.fields > 120:
		return 0
	case isConn(parent) && f.Name == "edges":
		return 90
	case strings.HasSuffix(parent.Name, "Edge") && f.Name == "node":
		return 90
	case def.Name == "PageInfo":
		return 45
	case strings.HasSuffix(def.Name, "Scores"):
		if len(f.Arguments) > 0 {
			return 2 // a segment-wide aggregate: slow and priced high
		}
		return 10
	case implementsNode(def) || isConn(def):
		if entities >= 3 {
			return 0
		}
		return 35 - 10*entities
	}
	return 30 // value objects (criteria)
}

// fragment returns the name of the operation's fragment on typ, defining it
// on first use. Its fields carry aliases of their own, so fragments of two
// types spread into one interface selection never claim a key twice.
func (g *opGen) fragment(typ *ast.Definition) string {
	if name, ok := g.fragments[typ.Name]; ok {
		return name
	}
	name := fmt.Sprintf("F%d%s", g.next(), typ.Name)
	g.fragments[typ.Name] = name
	var parts []string
	for _, f := range typ.Fields {
		if len(f.Arguments) == 0 && isLeaf(g.s, f.Type) && !strings.HasPrefix(f.Name, "__") && g.chance(50) {
			g.selected[typ.Name+"."+f.Name] = true
			if g.clashes(typ, f) {
				parts = append(parts, strings.ToLower(typ.Name)+"_"+f.Name+": "+f.Name)
			} else {
				parts = append(parts, f.Name)
			}
		}
	}
	if len(parts) == 0 || g.chance(30) {
		parts = append(parts, "__typename")
	}
	g.fragText = append(g.fragText, "fragment "+name+" on "+typ.Name+" { "+strings.Join(parts, " ")+" }")
	return name
}

// clashes tells whether another type of the same interface has a field of
// that name of another type (Customer.kind and Feedback.kind): under one key
// in an interface selection they would not merge, so fragments alias them.
func (g *opGen) clashes(typ *ast.Definition, f *ast.FieldDefinition) bool {
	for _, i := range typ.Interfaces {
		for _, other := range g.s.GetPossibleTypes(g.s.Types[i]) {
			if o := other.Fields.ForName(f.Name); o != nil && other != typ && o.Type.String() != f.Type.String() {
				return true
			}
		}
	}
	return false
}

// directives sometimes puts @include or @skip on a selection, with a literal
// or a variable condition.
func (g *opGen) directives() string {
	if !g.chance(8) {
		return ""
	}
	d := "include"
	if g.chance(50) {
		d = "skip"
	}
	var cond any = g.chance(50)
	if g.chance(50) {
		cond = g.variable(ast.NonNullNamedType("Boolean", nil), cond)
	}
	return " @" + d + "(if: " + g.render(cond) + ")"
}

// hint says what a value is for: the entity and field it filters or looks
// up (whose pool it draws from), the predicate's suffix, the connection of a
// cursor.
type hint struct{ entity, field, suffix, conn string }

// arguments renders the arguments of f, drawn from their definitions.
func (g *opGen) arguments(parent *ast.Definition, f *ast.FieldDefinition) string {
	if len(f.Arguments) == 0 {
		return ""
	}
	def := g.s.Types[f.Type.Name()]
	nested := parent != g.s.Query
	var chosen []*ast.ArgumentDefinition
	if parent == g.s.Query && f.Name == "customer" && g.chance(92) {
		// Exactly one of id, externalRef, email; otherwise a refusal.
		chosen = append(chosen, f.Arguments[g.r.IntN(len(f.Arguments))])
	} else {
		for _, a := range f.Arguments {
			p := 50
			if a.Type.NonNull {
				p = 100
			} else if isConn(def) {
				p = map[string]int{"first": 60, "last": 15, "after": 15, "before": 10, "orderBy": 45, "where": 40}[a.Name]
				if nested && a.Name == "first" {
					p = 85 // unbounded nested pages are priced out
				}
			}
			if g.chance(p) {
				chosen = append(chosen, a)
			}
		}
	}
	if len(chosen) == 0 {
		return ""
	}
	var parts []string
	for _, a := range chosen {
		h := hint{entity: def.Name, field: a.Name}
		switch {
		case isConn(def):
			h = hint{entity: nodeType(g.s, def).Name, field: a.Name, conn: def.Name}
		case f.Name == "node" || f.Name == "nodes":
			h.entity = "" // any type
		case a.Name == "personaID":
			h = hint{entity: "Persona", field: "id"}
		}
		inVar := g.chance(30)
		var v any
		if !a.Type.NonNull && g.chance(6) {
			v = nil // an explicit null
		} else {
			v = g.value(a.Type, h, 0, inVar)
		}
		if inVar {
			v = g.variable(a.Type, v)
		}
		parts = append(parts, a.Name+": "+g.render(v))
	}
	return "(" + strings.Join(parts, ", ") + ")"
}

// Values are Go values rendered either as GraphQL literals or as JSON
// variables: enum and varRef mark what renders differently.
type (
	enum   string
	varRef string
	object []objField
)

type objField struct {
	name string
	v    any
}

// variable declares a variable of type t holding v (a value of t, or a bool
// for a condition) and returns the reference to it; now and then the value
// is the declaration's default instead.
func (g *opGen) variable(t *ast.Type, v any) any {
	if v == nil && t.NonNull {
		return v
	}
	name := fmt.Sprintf("v%d", g.next())
	decl := "$" + name + ": " + t.String()
	if g.chance(8) {
		decl += " = " + g.render(v)
	} else {
		g.vars[name] = toJSON(v)
	}
	g.decls = append(g.decls, decl)
	return varRef(name)
}

func toJSON(v any) any {
	switch t := v.(type) {
	case enum:
		return string(t)
	case []any:
		out := make([]any, len(t))
		for i, e := range t {
			out[i] = toJSON(e)
		}
		return out
	case object:
		out := map[string]any{}
		for _, f := range t {
			out[f.name] = toJSON(f.v)
		}
		return out
	}
	return v
}

func (g *opGen) render(v any) string {
	switch t := v.(type) {
	case nil:
		return "null"
	case enum:
		return string(t)
	case varRef:
		return "$" + string(t)
	case string:
		var b strings.Builder
		e := json.NewEncoder(&b)
		e.SetEscapeHTML(false)
		_ = e.Encode(t)
		return strings.TrimSuffix(b.String(), "\n")
	case int:
		return strconv.Itoa(t)
	case float64:
		return strconv.FormatFloat(t, 'g', -1, 64)
	case bool:
		return strconv.FormatBool(t)
	case []any:
		parts := make([]string, len(t))
		for i, e := range t {
			parts[i] = g.render(e)
		}
		return "[" + strings.Join(parts, ", ") + "]"
	case object:
		parts := make([]string, len(t))
		for i, f := range t {
			parts[i] = f.name + ": " + g.render(f.v)
		}
		return "{" + strings.Join(parts, ", ") + "}"
	}
	panic(fmt.Sprintf("cannot render %T", v))
}

// value generates a value of type t; inVar says it will be a variable's
// value (no variables inside it).
func (g *opGen) value(t *ast.Type, h hint, depth int, inVar bool) any {
	if t.Elem != nil {
		n := g.r.IntN(4)
		if h.field == "ids" {
			n = g.r.IntN(7)
		}
		out := make([]any, 0, n)
		for range n {
			out = append(out, g.value(t.Elem, h, depth, inVar))
		}
		if len(out) == 1 && g.chance(20) {
			return out[0] // input coercion: one value for a list
		}
		return out
	}
	def := g.s.Types[t.Name()]
	switch def.Kind {
	case ast.Enum:
		return enum(def.EnumValues[g.r.IntN(len(def.EnumValues))].Name)
	case ast.InputObject:
		return g.inputObject(def, depth, inVar)
	}
	return g.scalar(def.Name, h)
}

// inputObject fills an input object: a where filter with a few predicates
// (and not/and/or/has…With, shallow), anything else with its required
// fields and some optional ones.
func (g *opGen) inputObject(def *ast.Definition, depth int, inVar bool) object {
	where := strings.HasSuffix(def.Name, "WhereInput")
	entity := strings.TrimSuffix(def.Name, "WhereInput")
	var out object
	var fields []*ast.FieldDefinition
	if where {
		n := 1 + g.r.IntN(3)
		if g.chance(8) {
			n = 0 // {} matches everything
		}
		for range n {
			f := def.Fields[g.r.IntN(len(def.Fields))]
			// Nested filters (not, and, or, has…With) two levels deep at
			// most: each has…With level multiplies the price by 30.
			if !containsField(fields, f.Name) && (depth < 2 || g.s.Types[f.Type.Name()].Kind != ast.InputObject) {
				fields = append(fields, f)
			}
		}
	} else {
		for _, f := range def.Fields {
			if f.Type.NonNull || g.chance(70) {
				fields = append(fields, f)
			}
		}
	}
	for _, f := range fields {
		h := hint{entity: entity, field: f.Name}
		if where {
			h.field, h.suffix = predicateField(def, f.Name)
			if strings.HasSuffix(h.field, "ID") && h.field != "id" {
				h = hint{entity: strings.ToUpper(h.field[:1]) + strings.TrimSuffix(h.field[1:], "ID"), field: "id"}
			}
		}
		asVar := !inVar && g.chance(12)
		var v any
		if !f.Type.NonNull && g.chance(4) {
			v = nil
		} else {
			v = g.value(f.Type, h, depth+1, inVar || asVar)
		}
		if asVar {
			v = g.variable(f.Type, v)
		}
		out = append(out, objField{f.Name, v})
	}
	return out
}

func containsField(fs []*ast.FieldDefinition, name string) bool {
	for _, f := range fs {
		if f.Name == name {
			return true
		}
	}
	return false
}

var predicateSuffixes = []string{"ContainsFold", "EqualFold", "HasPrefix", "HasSuffix", "Contains", "NotNil", "IsNil", "NotIn", "NEQ", "GTE", "LTE", "GT", "LT", "In"}

// predicateField splits a where input's field ("nameContainsFold") into the
// entity field it tests and the predicate, when the input has that field.
func predicateField(def *ast.Definition, name string) (string, string) {
	for _, s := range predicateSuffixes {
		base := strings.TrimSuffix(name, s)
		if base != name && base != "" && def.Fields.ForName(base) != nil {
			return base, s
		}
	}
	return name, ""
}

// awkward strings for random filters: LIKE wildcards, escapes, case folding
// beyond ASCII, other scripts.
var awkward = []string{"ä", "Ä", "%", "_", "\\", "'", "\"", "😀", "Виктор", "x", "", "ß", "İ", "a%b", "100%", "\n", "Jääskeläinen", "ẞ"}

func (g *opGen) scalar(name string, h hint) any {
	switch name {
	case "Boolean":
		return g.chance(50)
	case "Float":
		return float64(g.r.IntN(1000)) / 8
	case "Cursor":
		return g.p.cursor(g.r, h.conn)
	case "Int":
		if h.field == "first" || h.field == "last" {
			if g.chance(3) {
				return []int{-1, 1001, 1000}[g.r.IntN(3)]
			}
			return []int{0, 1, 1, 2, 2, 3, 3, 5, 10, 25}[g.r.IntN(10)]
		}
		if v, ok := g.pooled(h); ok && g.chance(80) {
			if f, ok := v.(float64); ok {
				return int(f)
			}
		}
		return g.r.IntN(12) - 1
	case "ID":
		if v, ok := g.pooled(hint{entity: h.entity, field: "id"}); ok && g.chance(90) {
			return v
		}
		return []string{"0", "1", "999999999", "not-an-id", "", "Q3VzdG9tZXI6MQ=="}[g.r.IntN(6)]
	}
	// String, Time, Date, Decimal and any later scalar: values from the data.
	v, ok := g.pooled(h)
	s, isString := v.(string)
	if !ok || !isString || g.chance(15) {
		if name == "String" {
			return awkward[g.r.IntN(len(awkward))]
		}
		// Somewhere between the data's values, or not one at all.
		return []string{"2026-01-01T00:00:00Z", "2025-06-01", "0.00", "12.5", "1999-12-31T23:59:59.999999Z", "not a value"}[g.r.IntN(6)]
	}
	switch h.suffix {
	case "Contains", "ContainsFold", "HasPrefix", "HasSuffix":
		rs := []rune(s)
		i := g.r.IntN(len(rs) + 1)
		j := i + g.r.IntN(len(rs)-i+1)
		switch h.suffix {
		case "HasPrefix":
			i = 0
		case "HasSuffix":
			j = len(rs)
		}
		s = string(rs[i:j])
	}
	if strings.HasSuffix(h.suffix, "Fold") && utf8.ValidString(s) {
		if g.chance(50) {
			s = strings.ToUpper(s)
		} else {
			s = strings.ToLower(s)
		}
	}
	return s
}

// pooled draws a value of the data for the hinted field; with no entity, a
// field of any entity (node ids).
func (g *opGen) pooled(h hint) (any, bool) {
	g.p.mu.Lock()
	defer g.p.mu.Unlock()
	m := g.p.values[h.entity]
	if h.entity == "" {
		types := make([]string, 0, len(g.p.values))
		for t := range g.p.values {
			types = append(types, t)
		}
		slices.Sort(types)
		m = g.p.values[types[g.r.IntN(len(types))]]
	}
	vs := m[h.field]
	if len(vs) == 0 {
		return nil, false
	}
	return vs[g.r.IntN(len(vs))], true
}

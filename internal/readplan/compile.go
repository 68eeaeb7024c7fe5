package readplan

import (
	"context"
	"fmt"
	"reflect"
	"strconv"

	"entgo.io/contrib/entgql"
	"entgo.io/ent/dialect/sql"
	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/c360/c360/ent"
	"github.com/c360/c360/internal/validate"
)

// decline is why the planner leaves a root field to the resolvers.
type decline string

func (d decline) Error() string { return string(d) }

func declinef(format string, args ...any) error { return decline(fmt.Sprintf(format, args...)) }

// compiler turns one root field into one statement. It writes the statement
// into b as it walks the selections, so arguments are numbered in order.
type compiler struct {
	ctx     context.Context
	p       *Planner
	oc      *graphql.OperationContext
	b       *sql.Builder
	pg      bool
	masked  bool // the role may not see personal data: decline anything touching it
	aliases int
}

func (c *compiler) alias() string {
	c.aliases++
	return `"t` + strconv.Itoa(c.aliases) + `"`
}

// fields collects the selections of an object of type typ, as the executor
// would (fragments merged, @skip/@include applied).
func (c *compiler) fields(typ string, set ast.SelectionSet) []graphql.CollectedField {
	satisfies := []string{typ}
	if def := c.p.schema.Types[typ]; def != nil {
		satisfies = append(satisfies, def.Interfaces...)
	}
	return graphql.CollectFields(c.oc, set, satisfies)
}

// object writes the JSON object of the row at alias t of node n with the
// selections of fc.
func (c *compiler) object(n *ent.ReadPlanNode, t string, fc *graphql.FieldContext) error {
	return c.jsonObject(c.fields(n.Type, fc.Field.Selections), func(f graphql.CollectedField) error {
		if f.Name == "__typename" {
			c.literal(n.Type)
			return nil
		}
		def := f.Definition
		if def == nil {
			return declinef("%s.%s has no definition", n.Type, f.Name)
		}
		if c.masked && def.Directives.ForName("personalData") != nil {
			return declinef("%s.%s is personal data", n.Type, f.Name)
		}
		if col, ok := n.Columns[f.Name]; ok && len(def.Arguments) == 0 {
			if err := c.scalar(t+`."`+col.Column+`"`, def.Type); err != nil {
				return fmt.Errorf("%s.%s: %w", n.Type, f.Name, err)
			}
			return nil
		}
		child, err := fc.Child(c.ctx, f)
		if err != nil {
			return declinef("%s.%s: %v", n.Type, f.Name, err)
		}
		if err := c.arguments(child); err != nil {
			return err
		}
		if comp, ok := computed[n.Type+"."+f.Name]; ok {
			return c.nested(func() error { return comp(c, n, t, child) })
		}
		e, ok := n.Edges[f.Name]
		if !ok {
			return declinef("%s.%s is not a column or an edge", n.Type, f.Name)
		}
		target := ent.ReadPlanNodes[e.Target]
		return c.nested(func() error { return c.edge(n, t, e, target, child) })
	})
}

// jsonObject writes a JSON object with one member per field, under its
// alias, whose value value writes.
func (c *compiler) jsonObject(fields []graphql.CollectedField, value func(f graphql.CollectedField) error) error {
	c.b.WriteString(c.fn("jsonb_object", "json_build_object") + "(")
	for i, f := range fields {
		if i > 0 {
			c.b.WriteString(", ")
		}
		c.key(f.Alias)
		if err := value(f); err != nil {
			return err
		}
	}
	c.b.WriteString(")")
	return nil
}

// arguments declines a field with an argument the role may not pass.
func (c *compiler) arguments(fc *graphql.FieldContext) error {
	if !c.masked || c.p.RefusedInput == nil || len(fc.Field.Arguments) == 0 {
		return nil
	}
	for name, v := range fc.Field.ArgumentMap(c.oc.Variables) {
		if path := c.p.RefusedInput(name, v); path != "" {
			return declinef("%s is refused to the role", path)
		}
	}
	return nil
}

// lookup writes the object of the one row of n that pred selects.
func (c *compiler) lookup(n *ent.ReadPlanNode, fc *graphql.FieldContext, pred func(*sql.Selector)) error {
	a := c.alias()
	s := sql.Dialect(c.dialect()).Select().From(sql.Table(n.Table).As(trimQuotes(a)))
	pred(s)
	c.b.WriteString("SELECT ")
	if err := c.object(n, a, fc); err != nil {
		return err
	}
	c.b.WriteString(` FROM "` + n.Table + `" AS ` + a)
	if w := s.P(); w != nil {
		c.b.WriteString(" WHERE ").Join(w)
	}
	return nil
}

// node writes the object of the node with a global id (Query.node).
func (c *compiler) node(id int, fc *graphql.FieldContext) error {
	table, ok := ent.ReadPlanTable(id)
	if !ok {
		return decline("an id of no type")
	}
	for _, n := range ent.ReadPlanNodes {
		if n.Table == table {
			return c.lookup(n, fc, func(s *sql.Selector) { s.Where(sql.EQ(s.C(n.ID), id)) })
		}
	}
	return declinef("node of table %s", table)
}

// nested writes a subquery's JSON as a value. (SQLite's subqueries return
// JSONB blobs, which its JSON functions take as JSON values.)
func (c *compiler) nested(f func() error) error {
	c.b.WriteString("(")
	if err := f(); err != nil {
		return err
	}
	c.b.WriteString(")")
	return nil
}

func (c *compiler) fn(sqlite, pg string) string {
	if c.pg {
		return pg
	}
	return sqlite
}

// named is the type of a field without its list and non-null wrappers.
func named(t *ast.Type) string {
	for t.Elem != nil {
		t = t.Elem
	}
	return t.NamedType
}

// literal writes a string the planner made (type names, placeholders: no
// quotes in them) as an SQL literal, so PostgreSQL knows its type.
func (c *compiler) literal(s string) { c.b.WriteString("'" + s + "'") }

func (c *compiler) key(k string) {
	c.b.WriteString("'" + k + "', ") // GraphQL names are [_A-Za-z0-9]: no quoting needed
}

// scalar writes the column's value as the GraphQL scalar marshals it.
func (c *compiler) scalar(col string, typ *ast.Type) error {
	if typ.Elem != nil {
		return decline("list of scalars")
	}
	switch typ.NamedType {
	case "ID":
		c.b.WriteString(c.fn("CAST("+col+" AS TEXT)", col+"::text"))
	case "String", "Int", "Date":
		c.b.WriteString(col)
	case "Time":
		c.b.WriteString(c.timeExpr(col))
	case "Decimal":
		c.b.WriteString(c.decimalExpr(col))
	default:
		def := c.p.schema.Types[typ.NamedType]
		if def == nil || def.Kind != ast.Enum {
			return declinef("scalar %s", typ.NamedType)
		}
		c.b.WriteString(col) // enums are stored as their GraphQL names
	}
	return nil
}

// timeExpr is date.MarshalTime: RFC 3339 in UTC with the fraction's trailing
// zeros trimmed. go-sqlite3 stores UTC times as "2006-01-02 15:04:05.999999999+00:00";
// PostgreSQL's JSON form of a timestamp trims the fraction the same way.
func (c *compiler) timeExpr(col string) string {
	if c.pg {
		return "((to_json(" + col + " AT TIME ZONE 'UTC')#>>'{}') || 'Z')"
	}
	return "replace(replace(" + col + ", ' ', 'T'), '+00:00', 'Z')"
}

// decimalExpr is money.Cents' Decimal: "1234.50".
func (c *compiler) decimalExpr(col string) string {
	sign := "(CASE WHEN " + col + " < 0 THEN '-' ELSE '' END)"
	if c.pg {
		return "(" + sign + " || (abs(" + col + ") / 100)::text || '.' || lpad((abs(" + col + ") % 100)::text, 2, '0'))"
	}
	return "printf('%s%d.%02d', " + sign + ", abs(" + col + ") / 100, abs(" + col + ") % 100)"
}

// boolean writes the condition cond writes as a JSON boolean.
func (c *compiler) boolean(cond func()) {
	if c.pg {
		c.b.WriteString("(")
		cond()
		c.b.WriteString(")")
		return
	}
	c.b.WriteString("jsonb(CASE WHEN ")
	cond()
	c.b.WriteString(" THEN 'true' ELSE 'false' END)")
}

func (c *compiler) emptyList() string { return c.fn("jsonb('[]')", "'[]'::json") }

// edge writes the JSON of an edge of the row at alias t: an object (unique
// edges), a list, or a connection.
func (c *compiler) edge(n *ent.ReadPlanNode, t string, e ent.ReadPlanEdge, target *ent.ReadPlanNode, fc *graphql.FieldContext) error {
	if target == nil || len(e.Columns) != 1 || (e.Rel != "O2M" && e.Rel != "M2O") {
		return declinef("edge %s.%s (%s)", n.Type, fc.Field.Name, e.Rel)
	}
	// join restricts the target rows at alias a to the neighbours of t.
	join := func(a string) {
		if e.Rel == "M2O" { // the foreign key is in the row at t
			c.b.WriteString(a + `."` + target.ID + `" = ` + t + `."` + e.Columns[0] + `"`)
		} else {
			c.b.WriteString(a + `."` + e.Columns[0] + `" = ` + t + `."` + n.ID + `"`)
		}
	}
	typ := fc.Field.Definition.Type
	switch {
	case e.Unique:
		a := c.alias()
		c.b.WriteString("SELECT ")
		if err := c.object(target, a, fc); err != nil {
			return err
		}
		c.b.WriteString(` FROM "` + target.Table + `" AS ` + a + " WHERE ")
		join(a)
		return nil
	case typ.Elem != nil:
		// A plain list: every neighbour, in id order as ent loads them.
		return c.list(target, fc, join)
	}
	return c.connection(target, fc, join)
}

// list writes the JSON array of the rows of n that where selects, by id.
func (c *compiler) list(n *ent.ReadPlanNode, fc *graphql.FieldContext, where func(a string)) error {
	a, rows := c.alias(), c.alias()
	c.b.WriteString("SELECT coalesce(" + c.fn("jsonb_group_array", "json_agg") + "(")
	if err := c.object(n, rows, fc); err != nil {
		return err
	}
	c.b.WriteString("), " + c.emptyList() + `) FROM (SELECT ` + a + `.* FROM "` + n.Table + `" AS ` + a + " WHERE ")
	where(a)
	c.b.WriteString(" ORDER BY " + a + `."` + n.ID + `") AS ` + rows)
	return nil
}

// page is a connection's arguments as entgql's Paginate reads them.
type page struct {
	after, before *entgql.Cursor[int]
	first, last   *int
	column        ent.ReadPlanColumn // the order field's column; Column "" for the id order
	orderField    string
	direction     entgql.OrderDirection
	where         func(*sql.Selector)
}

func (c *compiler) pageOf(n *ent.ReadPlanNode, fc *graphql.FieldContext) (*page, error) {
	p := &page{direction: entgql.OrderDirectionAsc}
	p.after, _ = fc.Args["after"].(*entgql.Cursor[int])
	p.before, _ = fc.Args["before"].(*entgql.Cursor[int])
	p.first, _ = fc.Args["first"].(*int)
	p.last, _ = fc.Args["last"].(*int)
	if (p.first != nil && *p.first < 0) || (p.last != nil && *p.last < 0) || (p.first != nil && p.last != nil) {
		return nil, decline("first/last the resolvers refuse")
	}
	if p.first == nil && p.last == nil {
		d := c.p.DefaultPage
		p.first = &d
	}
	if o := reflect.ValueOf(fc.Args["orderBy"]); o.IsValid() && !o.IsNil() {
		if o.Kind() != reflect.Pointer || o.Elem().Kind() != reflect.Struct {
			return nil, decline("orderBy is not one term")
		}
		o = o.Elem()
		p.direction = o.FieldByName("Direction").Interface().(entgql.OrderDirection)
		if err := p.direction.Validate(); err != nil {
			return nil, decline("order direction")
		}
		if f := o.FieldByName("Field"); !f.IsNil() {
			name := f.Interface().(fmt.Stringer).String()
			for _, col := range n.Columns {
				if col.OrderField == name {
					p.column, p.orderField = col, name
				}
			}
			if p.orderField == "" {
				return nil, declinef("order field %s", name)
			}
		}
	}
	var zero any
	if p.column.CursorValue != nil {
		zero, _ = p.column.CursorValue([]byte("null"))
	}
	if err := validate.Cursors(p.after, p.before, p.column.Column == "", zero); err != nil {
		return nil, declinef("%v", err) // the resolvers refuse it
	}
	if w := reflect.ValueOf(fc.Args["where"]); w.IsValid() && !w.IsNil() {
		out := w.MethodByName("P").Call(nil)
		if err, _ := out[1].Interface().(error); err != nil {
			return nil, declinef("where: %v", err)
		}
		pred := out[0]
		if !pred.IsNil() {
			p.where = pred.Convert(reflect.TypeFor[func(*sql.Selector)]()).Interface().(func(*sql.Selector))
		}
	}
	return p, nil
}

// connection writes a Relay connection over the rows of n that restrict
// selects (nil at the root), the way entgql's Paginate builds it.
func (c *compiler) connection(n *ent.ReadPlanNode, fc *graphql.FieldContext, restrict func(a string)) error {
	pg, err := c.pageOf(n, fc)
	if err != nil {
		return err
	}
	sels := c.fields(fc.Field.Definition.Type.NamedType, fc.Field.Selections)
	edges, pageInfo := false, false
	for _, f := range sels {
		if f.Name == "edges" && edges {
			// entgql loads the nodes once, keyed by the aliases below them:
			// fields that two selections of edges give one alias with other
			// arguments share what was loaded. The resolvers answer it so.
			return decline("edges selected twice")
		}
		edges = edges || f.Name == "edges"
		pageInfo = pageInfo || f.Name == "pageInfo"
	}
	orderCol := n.ID
	if pg.orderField != "" {
		orderCol = pg.column.Column
	}
	dir := pg.direction
	if pg.last != nil {
		dir = dir.Reverse()
	}
	limit := 0
	if pg.first != nil {
		limit = *pg.first
	} else {
		limit = *pg.last
	}
	// order is the ORDER BY of the rows at alias a in direction d.
	order := func(a string, d entgql.OrderDirection) string {
		o := a + `."` + orderCol + `" ` + string(d)
		if orderCol != n.ID {
			o += ", " + a + `."` + n.ID + `" ` + string(d)
		}
		return o
	}

	// filtered writes FROM/WHERE of the rows the connection pages over
	// (restriction and where; cursors when withCursors).
	filtered := func(a string, withCursors bool) {
		s := sql.Dialect(c.dialect()).Select().From(sql.Table(n.Table).As(trimQuotes(a)))
		if pg.where != nil {
			pg.where(s)
		}
		if withCursors {
			for _, p := range entgql.CursorsPredicate(pg.after, pg.before, n.ID, orderCol, dir) {
				p(s)
			}
		}
		c.b.WriteString(` FROM "` + n.Table + `" AS ` + a)
		where := " WHERE "
		if restrict != nil {
			c.b.WriteString(where)
			restrict(a)
			where = " AND "
		}
		if p := s.P(); p != nil {
			c.b.WriteString(where + "(").Join(p).WriteString(")")
		}
	}
	count := func() {
		a := c.alias()
		c.b.WriteString("(SELECT count(*)")
		filtered(a, false)
		c.b.WriteString(")")
	}
	// Paginate returns before loading any node without edges or with a
	// page of 0; it then reports a next (first) or previous (last) page
	// when any row matches.
	empty := !edges || limit == 0
	rows := c.alias()
	c.b.WriteString("SELECT ")
	err = c.jsonObject(sels, func(f graphql.CollectedField) error {
		switch f.Name {
		case "__typename":
			c.literal(fc.Field.Definition.Type.NamedType)
		case "totalCount":
			// Paginate counts whenever first or last is set, and the
			// default page size sets first.
			count()
		case "edges":
			if empty {
				c.b.WriteString(c.emptyList())
				return nil
			}
			return c.edges(n, rows, pg, limit, pageInfo, fc, f)
		case "pageInfo":
			return c.jsonObject(c.fields("PageInfo", f.Selections), func(pf graphql.CollectedField) error {
				switch {
				case pf.Name == "__typename":
					c.literal("PageInfo")
				case empty && (pf.Name == "startCursor" || pf.Name == "endCursor"):
					c.b.WriteString("NULL")
				case empty && (pf.Name == "hasNextPage") == (pg.first != nil):
					c.boolean(func() { count(); c.b.WriteString(" > 0") })
				case empty:
					c.boolean(func() { c.b.WriteString("1 = 0") })
				case pf.Name == "hasNextPage" && pg.before != nil, pf.Name == "hasPreviousPage" && pg.after != nil:
					c.boolean(func() { c.b.WriteString("1 = 1") })
				case pf.Name == "hasNextPage" && pg.first != nil, pf.Name == "hasPreviousPage" && pg.last != nil:
					c.boolean(func() { c.b.WriteString("count(*) > " + strconv.Itoa(limit)) })
				case pf.Name == "hasNextPage", pf.Name == "hasPreviousPage":
					c.boolean(func() { c.b.WriteString("1 = 0") })
				default: // the first and the last edge in the response's order
					rn := "1"
					if (pf.Name == "startCursor") != (pg.last == nil) {
						rn = c.fn("min", "least") + "(" + rows + `."cnt__", ` + strconv.Itoa(limit) + ")"
					}
					c.b.WriteString("max(CASE WHEN " + rows + `."rn__" = ` + rn + " THEN ")
					c.cursor(n, rows, pg)
					c.b.WriteString(" END)")
				}
				return nil
			})
		}
		return nil
	})
	if err != nil || empty {
		return err
	}
	// The page in the response's order. With pageInfo it holds one row more
	// than the page, to tell whether there is a next one, and numbers its
	// rows (rn__, in reading order) and counts them (cnt__) for the cursors.
	inner := c.alias()
	out := dir
	if pg.last != nil {
		out = dir.Reverse()
	}
	if pageInfo {
		c.b.WriteString(" FROM (SELECT " + rows + ".*, row_number() OVER (ORDER BY " + order(rows, dir) + `) AS "rn__", count(*) OVER () AS "cnt__" FROM (SELECT ` + inner + ".*")
		filtered(inner, true)
		c.b.WriteString(" ORDER BY " + order(inner, dir) + " LIMIT ").Arg(limit + 1)
		c.b.WriteString(") AS " + rows + " ORDER BY " + order(rows, out) + ") AS " + rows)
		return nil
	}
	if pg.last == nil {
		c.b.WriteString(" FROM (SELECT " + inner + ".*")
		filtered(inner, true)
		c.b.WriteString(" ORDER BY " + order(inner, dir) + " LIMIT ").Arg(limit)
		c.b.WriteString(") AS " + rows)
		return nil
	}
	c.b.WriteString(" FROM (SELECT " + rows + ".* FROM (SELECT " + inner + ".*")
	filtered(inner, true)
	c.b.WriteString(" ORDER BY " + order(inner, dir) + " LIMIT ").Arg(limit)
	c.b.WriteString(") AS " + rows + " ORDER BY " + order(rows, out) + ") AS " + rows)
	return nil
}

// edges writes the edges of the page at alias rows, in the order of its rows
// (aggregates keep the order of a sorted subquery). With pageInfo the page
// has one row more, which is left out.
func (c *compiler) edges(n *ent.ReadPlanNode, rows string, pg *page, limit int, pageInfo bool, conn *graphql.FieldContext, f graphql.CollectedField) error {
	fc, err := conn.Child(c.ctx, f)
	if err != nil {
		return declinef("edges: %v", err)
	}
	c.b.WriteString("coalesce(" + c.fn("jsonb_group_array", "json_agg") + "(")
	edgeType := named(f.Definition.Type)
	efs := c.fields(edgeType, f.Selections)
	nodes := 0
	for _, ef := range efs {
		if ef.Name == "node" {
			nodes++
		}
	}
	if nodes > 1 {
		return decline("node selected twice") // as edges twice, in connection
	}
	err = c.jsonObject(efs, func(ef graphql.CollectedField) error {
		switch ef.Name {
		case "__typename":
			c.literal(edgeType)
		case "cursor":
			c.cursor(n, rows, pg)
		case "node":
			nfc, err := fc.Child(c.ctx, ef)
			if err != nil {
				return declinef("node: %v", err)
			}
			return c.object(n, rows, nfc)
		}
		return nil
	})
	if err != nil {
		return err
	}
	c.b.WriteString(")")
	if pageInfo {
		c.b.WriteString(" FILTER (WHERE " + rows + `."rn__" <= ` + strconv.Itoa(limit) + ")")
	}
	c.b.WriteString(", " + c.emptyList() + ")")
	return nil
}

// cursor writes the placeholder of the row's cursor: the planner's token, the
// order field, the id and the order value as JSON; Answer replaces it by the
// cursor entgql would give the row.
func (c *compiler) cursor(n *ent.ReadPlanNode, rows string, pg *page) {
	c.b.WriteString("(")
	c.literal(c.p.token + n.Type + "|" + pg.orderField + "|")
	c.b.WriteString(" || " + c.fn("CAST("+rows+`."`+n.ID+`" AS TEXT)`, rows+`."`+n.ID+`"::text`) + " || '|'")
	if pg.orderField != "" {
		col := rows + `."` + pg.column.Column + `"`
		var def *ast.FieldDefinition
		for name, cc := range n.Columns {
			if cc.Column == pg.column.Column {
				def = c.p.schema.Types[n.Type].Fields.ForName(name)
			}
		}
		v := col
		if def != nil {
			switch def.Type.NamedType {
			case "Time":
				v = c.timeExpr(col)
			case "Decimal":
				v = c.decimalExpr(col)
			}
		}
		c.b.WriteString(" || " + c.fn("json_quote("+v+")", "coalesce(to_json("+v+")::text, 'null')"))
	}
	c.b.WriteString(")")
}

func (c *compiler) dialect() string {
	if c.pg {
		return "postgres"
	}
	return "sqlite3"
}

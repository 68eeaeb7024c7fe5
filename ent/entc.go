//go:build ignore

// entc generates the ent client and the entgql GraphQL schema (schema/ent.graphql).
package main

import (
	"bytes"
	"fmt"
	"log"
	"os"
	"regexp"

	"entgo.io/contrib/entgql"
	"entgo.io/ent/entc"
	"entgo.io/ent/entc/gen"
	"github.com/vektah/gqlparser/v2/ast"
)

func main() {
	ex, err := entgql.NewExtension(
		entgql.WithSchemaGenerator(),
		entgql.WithSchemaPath("schema/ent.graphql"),
		entgql.WithConfigPath("gqlgen.yml"),
		entgql.WithWhereInputs(true),
		entgql.WithNodeDescriptor(false),
		entgql.WithSchemaHook(nonNullItems),
	)
	if err != nil {
		log.Fatalf("creating entgql extension: %v", err)
	}
	err = entc.Generate("./ent/schema", &gen.Config{
		Features: []gen.Feature{
			gen.FeatureGlobalID,
			gen.FeatureVersionedMigration,
			gen.FeatureUpsert,
			gen.FeatureNamedEdges,
			gen.FeatureExecQuery,
			gen.FeatureModifier,
		},
	}, entc.Extensions(ex), entc.TemplateDir("./ent/template"))
	if err != nil {
		log.Fatalf("running ent codegen: %v", err)
	}
	for _, fix := range []struct {
		file string
		fix  func(string) error
	}{
		{"ent/gql_pagination.go", matchConnectionFieldsByName},
		{"ent/gql_pagination.go", cutPagesToTheirSize},
		{"ent/gql_pagination.go", refuseCursorsOfAnotherOrder},
		{"ent/gql_collection.go", skipNullWhere},
		{"ent/gql_collection.go", loadAliasedUniqueEdgesWhole},
		{"ent/gql_collection.go", countNamedEdges},
		{"ent/gql_edge.go", answerUnloadedPagesLikePaginate},
	} {
		if err := fix.fix(fix.file); err != nil {
			log.Fatal(err)
		}
	}
}

// matchConnectionFieldsByName fixes entgql's Paginate, which looks for the
// edges, node, pageInfo and totalCount selections by their alias: with
// "e: edges" it returned no edges, with "n: totalCount" the page's length;
// and with "node" selected twice under two aliases it loaded the columns of
// the first only, so the second showed zero values. The selections are
// matched by field name and merged. It fails once entgql's code changes, so
// that the fix is looked at again on an upgrade.
func matchConnectionFieldsByName(path string) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	const bug = `walk:
	for _, name := range path {
		for _, f := range graphql.CollectFields(oc, field.Selections, nil) {
			if f.Alias == name {
				field = f
				continue walk
			}
		}
		return nil
	}
	return &field
}`
	// The path holds the aliases of edges, and the names of the
	// connection's own fields.
	const fix = `	for _, name := range path {
		var found *graphql.CollectedField
		for _, f := range graphql.CollectFields(oc, field.Selections, nil) {
			switch {
			case f.Alias != name && (f.Name != name || !connectionFields[name]):
			case found == nil:
				found = &f
			default: // the same field under another alias: load what both select
				found.Selections = append(found.Selections[:len(found.Selections):len(found.Selections)], f.Selections...)
			}
		}
		if found == nil {
			return nil
		}
		field = *found
	}
	return &field
}

var connectionFields = map[string]bool{edgesField: true, nodeField: true, pageInfoField: true, totalCountField: true}`
	if bytes.Count(b, []byte(bug)) != 1 {
		return fmt.Errorf("%s: entgql's collectedField changed; review matchConnectionFieldsByName in ent/entc.go", path)
	}
	return os.WriteFile(path, bytes.Replace(b, []byte(bug), []byte(fix), 1), 0o644)
}

// cutPagesToTheirSize fixes entgql's connection build, which drops only one
// node past first (or last): a nested connection loaded eagerly without first
// or last has all its nodes, and the default page size (set when its field
// resolves, after the load) then cut nothing: "orders { edges ... }" listed
// every order instead of the first 100.
func cutPagesToTheirSize(path string) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	const bug = `	if first != nil && *first+1 == len(nodes) {
		c.PageInfo.HasNextPage = true
		nodes = nodes[:len(nodes)-1]
	} else if last != nil && *last+1 == len(nodes) {
		c.PageInfo.HasPreviousPage = true
		nodes = nodes[:len(nodes)-1]
	}`
	const fix = `	if first != nil && len(nodes) > *first {
		c.PageInfo.HasNextPage = true
		nodes = nodes[:*first]
	} else if last != nil && len(nodes) > *last {
		c.PageInfo.HasPreviousPage = true
		nodes = nodes[:*last]
	}`
	if bytes.Count(b, []byte(bug)) == 0 {
		return fmt.Errorf("%s: entgql's connection build changed; review cutPagesToTheirSize in ent/entc.go", path)
	}
	return os.WriteFile(path, bytes.ReplaceAll(b, []byte(bug), []byte(fix)), 0o644)
}

// refuseCursorsOfAnotherOrder makes every pager refuse an after or before
// cursor made by another ordering (validate.Cursors): entgql compared its
// value with the order column, which PostgreSQL refused with an internal
// error and SQLite answered with rows from nowhere. Every connection, root
// or eager-loaded, pages through applyCursors.
func refuseCursorsOfAnotherOrder(path string) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	loop := regexp.MustCompile(`(\tfor _, predicate := range entgql\.CursorsPredicate\(after, before, Default(\w+)Order\.Field\.column, p\.order\.Field\.column, direction\) \{)`)
	const imp = "\t\"github.com/c360/c360/ent/webhookdelivery\"\n"
	if len(loop.FindAll(b, -1)) == 0 || !bytes.Contains(b, []byte(imp)) {
		return fmt.Errorf("%s: entgql's applyCursors changed; review refuseCursorsOfAnotherOrder in ent/entc.go", path)
	}
	b = loop.ReplaceAll(b, []byte(`	zero, _ := p.order.Field.Value(new($2))
	if err := validate.Cursors(after, before, p.order.Field.column == Default${2}Order.Field.column, zero); err != nil {
		return nil, err
	}
$1`))
	b = bytes.Replace(b, []byte(imp), []byte(imp+"\t\"github.com/c360/c360/internal/validate\"\n"), 1)
	return os.WriteFile(path, b, 0o644)
}

// skipNullWhere fixes entgql's eager loading of a nested connection given
// "where: null", which panicked (reflect: Call using zero Value argument)
// and answered INTERNAL_SERVER_ERROR: a null filter is no filter.
func skipNullWhere(path string) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	const bug, fix = "if v, ok := args[whereField]; ok && whereInput != nil {", "if v, ok := args[whereField]; ok && v != nil && whereInput != nil {"
	if bytes.Count(b, []byte(bug)) != 1 {
		return fmt.Errorf("%s: entgql's unmarshalArgs changed; review skipNullWhere in ent/entc.go", path)
	}
	return os.WriteFile(path, bytes.Replace(b, []byte(bug), []byte(fix), 1), 0o644)
}

// loadAliasedUniqueEdgesWhole fixes the eager loading of a unique edge
// selected under two aliases ("customer { name } c: customer { city }"):
// the second alias's query replaced the first's, so the first read zero
// values ("name": ""), and so did the edges nested under it ("order {
// customer { email } } o: order { customer { name } }" lost the email).
// Collecting the second alias into the first one's query was wrong too:
// their nested connections share a name ("orders") and so one query, whose
// arguments one alias answered for both (a where lost). A unique edge under
// two aliases is now loaded by neither: each alias's resolver loads it
// (one query per parent, but right).
func loadAliasedUniqueEdgesWhole(path string) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	with := regexp.MustCompile(`(\t+)if err := query\.collectField\(([^\n]*)\); err != nil \{\n\t+return err\n\t+\}\n\t+_q\.with(\w+) = query\n`)
	if len(with.FindAll(b, -1)) == 0 {
		return fmt.Errorf("%s: entgql's unique edge loading changed; review loadAliasedUniqueEdgesWhole in ent/entc.go", path)
	}
	b = with.ReplaceAll(b, []byte("${1}if _, twice := fieldSeen[\"@${3}\"]; twice || _q.with${3} != nil {\n"+
		"${1}\t// Another alias of the edge: each alias loads it lazily, as their\n"+
		"${1}\t// nested arguments may differ (one query would answer both alike).\n"+
		"${1}\t_q.with${3} = nil\n${1}\tfieldSeen[\"@${3}\"] = struct{}{}\n"+
		"${1}} else {\n"+
		"${1}\tif err := query.collectField(${2}); err != nil {\n${1}\t\treturn err\n${1}\t}\n"+
		"${1}\t_q.with${3} = query\n${1}}\n"))
	return os.WriteFile(path, b, 0o644)
}

// countNamedEdges fixes the totalCount of a connection edge loaded without
// pagination arguments: it counted the unnamed edge, which entgql never
// loads (it loads the edge under its alias), so the count fell back to the
// length of the page: 100 for a customer with 104 orders.
func countNamedEdges(path string) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	count := regexp.MustCompile(`n := len\(nodes\[i\]\.Edges\.(\w+)\)`)
	if len(count.FindAll(b, -1)) == 0 {
		return fmt.Errorf("%s: entgql's total count changed; review countNamedEdges in ent/entc.go", path)
	}
	return os.WriteFile(path, count.ReplaceAll(b, []byte("n := len(nodes[i].Edges.named${1}[alias])")), 0o644)
}

// answerUnloadedPagesLikePaginate fixes the resolvers of connection edges
// whose count was loaded with their parents but not their nodes (no edges
// selected, or first: 0): they built the page as if empty, with
// hasNextPage true only before a cursor, where Paginate, which answers the
// same edge when nothing was loaded, says whether any node matches.
func answerUnloadedPagesLikePaginate(path string) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	load := regexp.MustCompile(`if nodes, err := _m\.Named(\w+)\(alias\); err == nil \|\| hasTotalCount \{`)
	build := "\t\tconn.build(nodes, pager, after, first, before, last)\n\t\treturn conn, nil\n"
	n := len(load.FindAll(b, -1))
	if n == 0 || bytes.Count(b, []byte(build)) != n {
		return fmt.Errorf("%s: entgql's edge resolvers changed; review answerUnloadedPagesLikePaginate in ent/entc.go", path)
	}
	b = load.ReplaceAll(b, []byte("if nodes, loadErr := _m.Named$1(alias); loadErr == nil || hasTotalCount {"))
	b = bytes.ReplaceAll(b, []byte(build), []byte("\t\tif loadErr != nil { // the count alone: no page, as Paginate answers it\n"+
		"\t\t\tconn.PageInfo.HasNextPage = first != nil && totalCount > 0\n"+
		"\t\t\tconn.PageInfo.HasPreviousPage = last != nil && totalCount > 0\n"+
		"\t\t\treturn conn, nil\n"+
		"\t\t}\n"+build))
	return os.WriteFile(path, b, 0o644)
}

// nonNullItems makes Order.items `[OrderItem!]!` and Customer.identities
// `[Identity!]!` as the contract says: ent cannot mark a one-to-many edge
// required, and the lists are empty rather than null.
func nonNullItems(_ *gen.Graph, s *ast.Schema) error {
	for _, tf := range [][2]string{{"Order", "items"}, {"Customer", "identities"}, {"Customer", "merges"}} {
		if f := s.Types[tf[0]].Fields.ForName(tf[1]); f != nil {
			f.Type.NonNull = true
		}
	}
	return nil
}

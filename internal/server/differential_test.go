package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"entgo.io/ent/dialect"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/c360/c360/graph"
	"github.com/c360/c360/internal/config"
	"github.com/c360/c360/internal/importer"
	"github.com/c360/c360/internal/seed"
	"github.com/c360/c360/internal/testservices"
)

// Issue 9, part 4: the read planner (COMPILED_READS) must answer exactly as
// the resolvers do. Two servers share one database, one with compiled reads
// and one without; random operations generated from the schema itself go to
// both as every role, and the bodies must be byte-identical. Until the
// planner declines nothing, this also proves the generator covers the schema.

// diffOpsPerDatabase is the operations per database of one run (at least 500).
const diffOpsPerDatabase = 500

var diffRoles = []struct{ name, key string }{{"admin", adminKey}, {"analyst", analystKey}, {"viewer", viewerKey}}

func TestDifferentialCompiledReadsAnswerLikeResolvers(t *testing.T) {
	seed := uint64(time.Now().UnixNano())
	if v := os.Getenv("DIFF_SEED"); v != "" {
		s, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			t.Fatalf("DIFF_SEED=%q is not an unsigned integer", v)
		}
		seed = s
	}
	t.Logf("DIFF_SEED=%d (set it to replay this run)", seed)
	for _, d := range []string{dialect.SQLite, dialect.Postgres} {
		t.Run(d, func(t *testing.T) {
			start := time.Now()
			f := newDiffFixture(t, d, 150)
			loaded := time.Since(start)
			st := newDiffStats()
			before := rootFieldPaths(t)
			f.run(t, seed, diffOpsPerDatabase, st)
			after := rootFieldPaths(t)
			compiled, resolvers := after["compiled"]-before["compiled"], after["resolvers"]-before["resolvers"]
			t.Logf("%s: the planner answered %.0f root fields and left %.0f to the resolvers", d, compiled, resolvers)
			// Byte-identical answers prove nothing if the planner declines everything.
			if compiled < (compiled+resolvers)/4 {
				t.Fatalf("DIFF_SEED=%d: the planner answered only %.0f of %.0f root fields", seed, compiled, compiled+resolvers)
			}
			t.Logf("%s: data loaded in %v, %d operations x %d roles x 2 paths in %v",
				d, loaded.Round(time.Millisecond), diffOpsPerDatabase, len(diffRoles), (time.Since(start) - loaded).Round(time.Millisecond))
			st.report(t)
			if u := st.uncovered(f.schema); len(u) > 0 {
				t.Logf("fields no operation selected this run: %s", strings.Join(u, ", "))
			}
			// Uncompared answers prove nothing either.
			if st.timedOut > diffOpsPerDatabase*len(diffRoles)/50 {
				t.Fatalf("DIFF_SEED=%d: %d answers timed out even when asked alone", seed, st.timedOut)
			}
			// A generator of invalid operations would prove nothing.
			if ok := st.adminOK * 100 / max(st.adminOps, 1); ok < 60 {
				t.Fatalf("DIFF_SEED=%d: only %d%% of operations answered without errors for admin (want 60%%+)", seed, ok)
			}
		})
	}
}

// rootFieldPaths reads c360_graphql_root_fields_total by path.
func rootFieldPaths(t *testing.T) map[string]float64 {
	t.Helper()
	families, err := prometheus.DefaultGatherer.Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]float64{}
	for _, f := range families {
		if f.GetName() != "c360_graphql_root_fields_total" {
			continue
		}
		for _, m := range f.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "path" {
					out[l.GetValue()] += m.GetCounter().GetValue()
				}
			}
		}
	}
	return out
}

// FuzzCompiledMatchesResolvers drives the same generator from the fuzzer's
// seed, on SQLite: `go test ./internal/server -run '^$' -fuzz
// FuzzCompiledMatchesResolvers` (make fuzz). Plain go test runs the corpus.
func FuzzCompiledMatchesResolvers(f *testing.F) {
	for _, s := range []uint64{1, 2, 3, 42, 1 << 40} {
		f.Add(s)
	}
	fx := newDiffFixture(f, dialect.SQLite, 40)
	f.Fuzz(func(t *testing.T, seed uint64) {
		fx.run(t, seed, 5, newDiffStats())
	})
}

// diffFixture is one database served twice.
type diffFixture struct {
	compiled, reference *api
	schema              *ast.Schema
	pools               *pools
}

func newDiffFixture(t testing.TB, d string, customers int) *diffFixture {
	t.Helper()
	url := testservices.DatabaseURL(t, d)
	f := &diffFixture{
		compiled:  newAPIAt(t, url, securedConfig(func(c *config.Config) { c.CompiledReads = true })),
		reference: newAPIAt(t, url, securedConfig(func(c *config.Config) { c.CompiledReads = false })),
		schema:    graph.NewExecutableSchema(graph.Config{}).Schema(),
	}
	ctx := context.Background()
	l := importer.NewLoader(ctx, f.reference.db, importer.Options{BaseCurrency: "EUR"})
	// A fixed now keeps the data set, and so a replayed seed, the same.
	if err := seed.Generate(seed.Config{Customers: customers, Seed: 9, Now: time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)}, l); err != nil {
		t.Fatal(err)
	}
	if err := l.Flush(); err != nil {
		t.Fatal(err)
	}
	awkwardRows(f.reference.with(t))
	f.pools = dumpPools(t, f.reference, f.schema)
	return f
}

// awkwardRows writes, through the mutations, what a seeded set lacks:
// Unicode and escapes in every text, nulls in every optional field, customers
// without orders or feedback, feedback with and without an order, times with
// and without fractional seconds.
func awkwardRows(a *api) {
	a.t.Helper()
	as := func(q string, vars map[string]any) json.RawMessage {
		r := a.as(adminKey, q, vars)
		if len(r.Errors) > 0 {
			a.t.Fatalf("writing an awkward row: %s", r.raw)
		}
		return r.Data
	}
	create := func(in map[string]any) string {
		var out struct{ CreateCustomer struct{ ID string } }
		_ = json.Unmarshal(as(createCustomer, map[string]any{"in": in}), &out)
		return out.CreateCustomer.ID
	}
	fi := create(map[string]any{"kind": "INDIVIDUAL", "name": "Eeva-Liisa Jääskeläinen", "email": "eeva.jaaskelainen@example.fi",
		"phone": "+358401234567", "birthDate": "1984-02-29", "gender": "FEMALE", "incomeBand": "UPPER_MIDDLE", "country": "FI",
		"region": "Pirkanmaa", "city": "Tampere", "externalRef": "FI-ÄÖÅ-1", "createdAt": "2024-02-29T23:59:59.123456Z",
		"lifecycleStage": "ACTIVE", "relationship": "INTERNAL"})
	bg := create(map[string]any{"kind": "BUSINESS", "name": "Виктор Петров ЕООД", "email": "VIKTOR@Example.BG", "country": "BG",
		"city": "София", "region": "Софийска област", "createdAt": "2025-01-01T00:00:00Z"})
	create(map[string]any{"kind": "PUBLIC_ORGANIZATION", "name": "🦄 Unicorn \"Ltd\" 😀", "externalRef": `ref "quoted" \ back\slash`,
		"createdAt": "2025-07-15T08:30:00.5Z"})
	create(map[string]any{"kind": "INDIVIDUAL", "name": "O'Brien \\ \"Bob\"\n\tsecond line", "email": "o'brien+tag@example.ie",
		"country": "IE", "city": "Baile Átha Cliath", "gender": "NON_BINARY", "birthDate": "2000-01-01"})
	create(map[string]any{"kind": "INDIVIDUAL", "name": "x"}) // every optional field null; no orders, no feedback
	create(map[string]any{"kind": "BUSINESS", "name": "100% _wild_ %card% \\_"})
	order := func(customer, placedAt, status string, items ...map[string]any) string {
		var out struct{ CreateOrder struct{ ID string } }
		_ = json.Unmarshal(as(createOrder, map[string]any{"in": map[string]any{"customerID": customer, "channel": "MOBILE_APP",
			"status": status, "placedAt": placedAt, "items": items}}), &out)
		return out.CreateOrder.ID
	}
	o1 := order(fi, "2026-05-01T10:11:12.987654Z", "PAID",
		map[string]any{"sku": "KAHVI-☕", "name": "Kahvi \"tumma\" \\ paahto", "category": "Juomat", "quantity": 3, "unitPrice": "4.95"},
		map[string]any{"sku": "PULLA", "name": "Korvapuusti", "quantity": 1, "unitPrice": "0"})
	order(fi, "2026-05-01T10:11:12Z", "REFUNDED", map[string]any{"sku": "X", "name": "Ä\tÖ", "quantity": 1, "unitPrice": "999999.99"})
	o3 := order(bg, "2025-12-31T23:59:59.999Z", "PENDING", map[string]any{"sku": "БГ-1", "name": "Кисело мляко", "quantity": 2, "unitPrice": "1.10"})
	for _, fb := range []map[string]any{
		{"customerID": fi, "orderID": o1, "kind": "NPS", "channel": "EMAIL", "score": 10, "language": "fi",
			"comment": "Erinomainen! \"Lainaus\" \\ kenoviiva\nrivi 2\tsarkain 👍", "submittedAt": "2026-05-02T08:00:00.25Z"},
		{"customerID": fi, "kind": "SOCIAL", "channel": "SOCIAL_MEDIA", "submittedAt": "2026-05-03T09:00:00Z"}, // no score, comment, language, order
		{"customerID": bg, "orderID": o3, "kind": "REVIEW", "channel": "REVIEW_SITE", "score": 1, "language": "bg",
			"comment": "Ужасно обслужване 😡", "submittedAt": "2026-01-02T03:04:05.000001Z"},
		{"customerID": bg, "kind": "CSAT", "channel": "CHAT", "score": 3, "comment": "", "externalRef": "F-ÜNI-ß"},
	} {
		as(createFeedback, map[string]any{"in": fb})
	}
	as(`mutation($in: CreatePersonaInput!) { createPersona(input: $in) { id } }`, map[string]any{"in": map[string]any{
		"name": "Pohjoismaiset 🌲 \"asiakkaat\"", "criteria": map[string]any{"countries": []string{"FI", "BG"}}}})
	as(`mutation($in: CreatePersonaInput!) { createPersona(input: $in) { id } }`, map[string]any{"in": map[string]any{
		"name": "Empty criteria", "description": "matches everyone\\nobody", "externalRef": "P-∅"}})
}

// pools are values found in the data, by type and field ("Customer", "name"),
// so generated filters and lookups match something; and the cursors every
// response handed out, by connection type.
type pools struct {
	mu      sync.Mutex
	values  map[string]map[string][]any
	cursors map[string][]string
}

func (p *pools) add(typ, field string, v any) {
	if v == nil {
		return
	}
	m := p.values[typ]
	if m == nil {
		m = map[string][]any{}
		p.values[typ] = m
	}
	if len(m[field]) < 400 && !slices.Contains(m[field], v) {
		m[field] = append(m[field], v)
	}
}

func (p *pools) addCursor(conn, c string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.cursors[conn]) < 2000 && !slices.Contains(p.cursors[conn], c) {
		p.cursors[conn] = append(p.cursors[conn], c)
	}
}

func (p *pools) cursor(r *rand.Rand, conn string) string {
	p.mu.Lock()
	defer p.mu.Unlock()
	cs := p.cursors[conn]
	if len(cs) == 0 || r.IntN(20) == 0 {
		// Another connection's cursor, or none that decodes.
		conns := make([]string, 0, len(p.cursors))
		for c := range p.cursors {
			conns = append(conns, c)
		}
		slices.Sort(conns)
		for _, c := range conns {
			if other := p.cursors[c]; len(other) > 0 && r.IntN(2) == 0 {
				return other[r.IntN(len(other))]
			}
		}
		return []string{"", "bm90IGEgY3Vyc29y", "%%%", "gqFpzQPo"}[r.IntN(4)]
	}
	return cs[r.IntN(len(cs))]
}

// dumpPools reads every entity with its leaf fields as admin, through each
// root connection of the schema (and lists of objects under them: items).
func dumpPools(t testing.TB, a *api, s *ast.Schema) *pools {
	t.Helper()
	p := &pools{values: map[string]map[string][]any{}, cursors: map[string][]string{}}
	for _, root := range s.Query.Fields {
		conn := s.Types[root.Type.Name()]
		if !isConn(conn) {
			continue
		}
		entity := nodeType(s, conn)
		sel := leafSelection(s, entity, true)
		after := ""
		for {
			args := "first: 1000"
			if after != "" {
				args += fmt.Sprintf(", after: %q", after)
			}
			q := fmt.Sprintf("{ c: %s(%s) { pageInfo { hasNextPage endCursor } edges { cursor node { %s } } } }", root.Name, args, sel)
			r := a.as(adminKey, q, nil)
			if len(r.Errors) > 0 {
				t.Fatalf("dumping %s: %s", root.Name, r.raw)
			}
			var out struct {
				C struct {
					PageInfo struct {
						HasNextPage bool
						EndCursor   string
					}
					Edges []struct {
						Cursor string
						Node   map[string]any
					}
				}
			}
			if err := json.Unmarshal(r.Data, &out); err != nil {
				t.Fatal(err)
			}
			for _, e := range out.C.Edges {
				p.cursors[conn.Name] = append(p.cursors[conn.Name], e.Cursor)
				addLeaves(p, s, entity, e.Node)
			}
			if !out.C.PageInfo.HasNextPage {
				break
			}
			after = out.C.PageInfo.EndCursor
		}
	}
	return p
}

func addLeaves(p *pools, s *ast.Schema, typ *ast.Definition, obj map[string]any) {
	for k, v := range obj {
		f := typ.Fields.ForName(k)
		if f == nil {
			continue
		}
		if isLeaf(s, f.Type) {
			p.add(typ.Name, k, v)
			continue
		}
		if list, ok := v.([]any); ok {
			for _, e := range list {
				if m, ok := e.(map[string]any); ok {
					addLeaves(p, s, s.Types[f.Type.Name()], m)
				}
			}
		}
	}
}

// leafSelection selects every argument-less leaf of typ, and with nested the
// leaves of argument-less lists of entities (Order.items).
func leafSelection(s *ast.Schema, typ *ast.Definition, nested bool) string {
	var parts []string
	for _, f := range typ.Fields {
		if len(f.Arguments) > 0 || strings.HasPrefix(f.Name, "__") {
			continue
		}
		if isLeaf(s, f.Type) {
			parts = append(parts, f.Name)
		} else if nested && f.Type.Elem != nil && implementsNode(s.Types[f.Type.Name()]) {
			parts = append(parts, f.Name+" { "+leafSelection(s, s.Types[f.Type.Name()], false)+" }")
		}
	}
	return strings.Join(parts, " ")
}

func isLeaf(s *ast.Schema, t *ast.Type) bool {
	k := s.Types[t.Name()].Kind
	return k == ast.Scalar || k == ast.Enum
}

func isConn(d *ast.Definition) bool {
	return d != nil && d.Kind == ast.Object && strings.HasSuffix(d.Name, "Connection") && d.Fields.ForName("edges") != nil
}

func nodeType(s *ast.Schema, conn *ast.Definition) *ast.Definition {
	edge := s.Types[conn.Fields.ForName("edges").Type.Name()]
	return s.Types[edge.Fields.ForName("node").Type.Name()]
}

func implementsNode(d *ast.Definition) bool { return d != nil && slices.Contains(d.Interfaces, "Node") }

// run generates n operations from seed and requires both paths to answer each
// identically as every role.
func (f *diffFixture) run(t *testing.T, seed uint64, n int, st *diffStats) {
	t.Helper()
	r := rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15))
	failures := 0
	for i := range n {
		g := newOpGen(f.schema, f.pools, r)
		op := g.operation()
		st.cover(g.selected)
		text, vars := op.text, op.vars
		type answer struct {
			status int
			body   []byte
		}
		var answers [2][3]answer
		var wg sync.WaitGroup
		for p, a := range []*api{f.compiled, f.reference} {
			for ri, role := range diffRoles {
				wg.Go(func() {
					s, b := postRaw(t, a.url, role.key, text, vars)
					answers[p][ri] = answer{s, b}
				})
			}
		}
		wg.Wait()
		for ri, role := range diffRoles {
			c, ref := answers[0][ri], answers[1][ri]
			// A timeout says how busy the machine was, not what either path
			// answers: the six requests ran at once, so ask again one at a
			// time, and leave an operation that still times out uncompared.
			if timedOut(c.body) || timedOut(ref.body) {
				c.status, c.body = postRaw(t, f.compiled.url, role.key, text, vars)
				ref.status, ref.body = postRaw(t, f.reference.url, role.key, text, vars)
				if timedOut(c.body) || timedOut(ref.body) {
					st.timedOut++
					t.Logf("DIFF_SEED=%d operation %d, role %s: timed out alone too; not compared:\n%s", seed, i, role.name, text)
					continue
				}
			}
			for _, b := range [][]byte{c.body, ref.body} {
				var data any
				_ = json.Unmarshal(b, &struct{ Data *any }{&data})
				op.collectCursors(f.pools, data)
			}
			st.count(role.name, op, vars, ref.body)
			if c.status != ref.status || !bytes.Equal(c.body, ref.body) {
				failures++
				varsJSON, _ := json.MarshalIndent(vars, "", "  ")
				t.Errorf("DIFF_SEED=%d operation %d, role %s: the compiled path (status %d) and the resolvers (status %d) differ\n"+
					"operation:\n%s\nvariables: %s\ndiff (- compiled, + resolvers):\n%s",
					seed, i, role.name, c.status, ref.status, text, varsJSON, jsonDiff(c.body, ref.body))
			}
		}
		if failures >= 3 {
			t.Fatalf("DIFF_SEED=%d: stopping after %d differences", seed, failures)
		}
	}
}

// timedOut tells whether an answer has a TIMEOUT error.
func timedOut(body []byte) bool { return bytes.Contains(body, []byte(`"code":"TIMEOUT"`)) }

// postRaw posts a document and returns the status and the body as sent.
func postRaw(t *testing.T, url, key, query string, vars map[string]any) (int, []byte) {
	body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	req, _ := http.NewRequest("POST", url+"/graphql", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Error(err)
		return 0, nil
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

// jsonDiff shows the lines that differ between two indented JSON bodies,
// with a little context.
func jsonDiff(a, b []byte) string {
	indent := func(x []byte) []string {
		var out bytes.Buffer
		if json.Indent(&out, x, "", "  ") != nil {
			return strings.Split(string(x), "\n")
		}
		return strings.Split(out.String(), "\n")
	}
	la, lb := indent(a), indent(b)
	pre := 0
	for pre < len(la) && pre < len(lb) && la[pre] == lb[pre] {
		pre++
	}
	suf := 0
	for suf < len(la)-pre && suf < len(lb)-pre && la[len(la)-1-suf] == lb[len(lb)-1-suf] {
		suf++
	}
	var sb strings.Builder
	from := max(pre-3, 0)
	fmt.Fprintf(&sb, "@@ line %d @@\n", from+1)
	for _, l := range la[from:pre] {
		sb.WriteString("  " + l + "\n")
	}
	clip := func(ls []string, mark string) {
		for i, l := range ls {
			if i == 40 {
				fmt.Fprintf(&sb, "%s ... %d more lines\n", mark, len(ls)-40)
				break
			}
			sb.WriteString(mark + " " + l + "\n")
		}
	}
	clip(la[pre:len(la)-suf], "-")
	clip(lb[pre:len(lb)-suf], "+")
	for _, l := range la[len(la)-suf : min(len(la), len(la)-suf+3)] {
		sb.WriteString("  " + l + "\n")
	}
	return sb.String()
}

// diffStats counts, per root field, the answers without errors: a generator
// that only produced refused operations would compare nothing.
type diffStats struct {
	mu                sync.Mutex
	fields            map[string]*[2]int // role/root field -> ok, errored
	adminOps, adminOK int
	errorCodes        map[string]int
	lastErrors        []string
	internal          []string // operations the resolvers fail on: bugs of their own
	covered           map[string]bool
	timedOut          int // answers left uncompared: they timed out when asked alone
}

func (st *diffStats) cover(fields map[string]bool) {
	st.mu.Lock()
	defer st.mu.Unlock()
	for f := range fields {
		st.covered[f] = true
	}
}

// uncovered lists the fields of the output types that no operation selected.
func (st *diffStats) uncovered(s *ast.Schema) []string {
	var out []string
	for _, d := range s.Types {
		if d.Kind != ast.Object || strings.HasPrefix(d.Name, "__") || d == s.Mutation {
			continue
		}
		for _, f := range d.Fields {
			if !strings.HasPrefix(f.Name, "__") && !st.covered[d.Name+"."+f.Name] {
				out = append(out, d.Name+"."+f.Name)
			}
		}
	}
	sort.Strings(out)
	return out
}

func newDiffStats() *diffStats {
	return &diffStats{fields: map[string]*[2]int{}, errorCodes: map[string]int{}, covered: map[string]bool{}}
}

func (st *diffStats) count(role string, op *operation, vars map[string]any, body []byte) {
	var resp struct {
		Errors []gqlError
	}
	_ = json.Unmarshal(body, &resp)
	st.mu.Lock()
	defer st.mu.Unlock()
	failed := map[string]bool{}
	whole := false
	for _, e := range resp.Errors {
		if code, _ := e.Extensions["code"].(string); code != "" {
			st.errorCodes[role+" "+code]++
		}
		if len(e.Path) == 0 {
			whole = true
			continue
		}
		if k, ok := e.Path[0].(string); ok {
			failed[k] = true
		}
	}
	for _, rf := range op.roots {
		c := st.fields[role+" "+rf.name]
		if c == nil {
			c = &[2]int{}
			st.fields[role+" "+rf.name] = c
		}
		if whole || failed[rf.key] {
			c[1]++
		} else {
			c[0]++
		}
	}
	if role == "admin" {
		st.adminOps++
		if len(resp.Errors) == 0 {
			st.adminOK++
		} else if len(st.lastErrors) < 5 {
			st.lastErrors = append(st.lastErrors, resp.Errors[0].Message)
		}
		if bytes.Contains(body, []byte(`"INTERNAL_SERVER_ERROR"`)) && len(st.internal) < 3 {
			vj, _ := json.Marshal(vars)
			st.internal = append(st.internal, op.text+"\n  variables: "+string(vj))
		}
	}
}

func (st *diffStats) report(t *testing.T) {
	keys := make([]string, 0, len(st.fields))
	for k := range st.fields {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var sb strings.Builder
	fmt.Fprintf(&sb, "admin: %d of %d operations answered without errors\nroot fields (role field: ok/errored):\n", st.adminOK, st.adminOps)
	for _, k := range keys {
		fmt.Fprintf(&sb, "  %-24s %4d/%d\n", k, st.fields[k][0], st.fields[k][1])
	}
	codes := make([]string, 0, len(st.errorCodes))
	for k, n := range st.errorCodes {
		codes = append(codes, fmt.Sprintf("%s=%d", k, n))
	}
	sort.Strings(codes)
	fmt.Fprintf(&sb, "error codes: %s\nsome admin errors: %q", strings.Join(codes, " "), st.lastErrors)
	for _, op := range st.internal {
		// Equal on both paths, so no failure here; but a bug all the same.
		fmt.Fprintf(&sb, "\nthe resolvers answered INTERNAL_SERVER_ERROR to:\n  %s", op)
	}
	t.Log(sb.String())
}

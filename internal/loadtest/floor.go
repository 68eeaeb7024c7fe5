package loadtest

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/url"
	"os"
	"reflect"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	"entgo.io/ent/dialect"

	"github.com/c360/c360/internal/database"
)

// The floor: what the database alone costs for Q1 and Q2. Each request is
// ONE hand-written SQL statement that builds the whole response data as
// JSON in the database, the way PostGraphile and Hasura compile a GraphQL
// operation, sent through a database/sql pool set up like the server's read
// pool. c360's throughput is reported as a ratio of it (issue 9).
//
// The statements reproduce c360's output exactly (CheckFloor proves it):
// IDs as strings, Decimal as "123.45" from integer cents (never negative:
// unit prices are >= 0 and quantities >= 1), Time as RFC 3339 in UTC with
// trailing fractional zeros trimmed, Customer.personas as the membership
// rule of internal/personas (criteria JSON, ages on today's UTC date)
// evaluated in SQL. On SQLite times are text as go-sqlite3 binds a
// time.Time, in UTC for this data set ("2006-01-02 15:04:05.999999999+00:00"),
// which only needs its 'T' and 'Z'.
// The Q2 floor's endCursor is the last customer id, its keyset.

// SQLite: a JSON value read through a subquery loses its JSON subtype and
// would be nested as a string; json(...) restores it.
const (
	sqliteTime  = `substr(%[1]s, 1, 10) || 'T' || substr(%[1]s, 12, length(%[1]s) - 17) || 'Z'`
	sqliteCents = `printf('%%d.%%02d', %[1]s / 100, %[1]s %% 100)`

	// The birth-date bound of an age: YearsBefore(today, n) as text.
	sqliteYearsBefore = `printf('%%04d', CAST(strftime('%%Y', 'now') AS INTEGER) - (%s)) || strftime('-%%m-%%d', 'now')`
)

func sqliteT(col string) string     { return fmt.Sprintf(sqliteTime, col) }
func sqliteMoney(col string) string { return fmt.Sprintf(sqliteCents, col) }

func sqliteIn(list, col string) string {
	return fmt.Sprintf(`(coalesce(json_array_length(p.criteria, '$.%[1]s'), 0) = 0 OR %[2]s IN (SELECT value FROM json_each(p.criteria, '$.%[1]s')))`, list, col)
}

// sqliteCustomerFields are every scalar field of Customer c.
func sqliteCustomerFields() string {
	return `'id', CAST(c.id AS TEXT), 'externalRef', c.external_ref, 'createdAt', ` + sqliteT("c.created_at") +
		`, 'updatedAt', ` + sqliteT("c.updated_at") + `, 'kind', c.kind, 'relationship', c.relationship,
		'lifecycleStage', c.lifecycle_stage, 'name', c.name, 'email', c.email, 'phone', c.phone,
		'birthDate', c.birth_date, 'gender', c.gender, 'incomeBand', c.income_band, 'country', c.country,
		'region', c.region, 'city', c.city`
}

// sqliteOrderNode is an Order o with every scalar field and its items.
func sqliteOrderNode() string {
	return `json_object('node', json_object('id', CAST(o.id AS TEXT), 'externalRef', o.external_ref,
		'createdAt', ` + sqliteT("o.created_at") + `, 'updatedAt', ` + sqliteT("o.updated_at") + `,
		'status', o.status, 'channel', o.channel, 'currency', o.currency, 'placedAt', ` + sqliteT("o.placed_at") + `,
		'total', ` + sqliteMoney("o.total") + `,
		'items', json((SELECT json_group_array(json_object('id', CAST(i.id AS TEXT), 'sku', i.sku, 'name', i.name,
			'category', i.category, 'quantity', i.quantity, 'unitPrice', ` + sqliteMoney("i.unit_price") + `,
			'lineTotal', ` + sqliteMoney("i.line_total") + `) ORDER BY i.id) FROM order_items i WHERE i.order_id = o.id))))`
}

// sqliteFeedbackNode is a Feedback f with every scalar field and order { id }.
func sqliteFeedbackNode() string {
	return `json_object('node', json_object('id', CAST(f.id AS TEXT), 'externalRef', f.external_ref,
		'createdAt', ` + sqliteT("f.created_at") + `, 'updatedAt', ` + sqliteT("f.updated_at") + `,
		'kind', f.kind, 'channel', f.channel, 'score', f.score, 'comment', f.comment, 'language', f.language,
		'submittedAt', ` + sqliteT("f.submitted_at") + `,
		'order', CASE WHEN f.order_id IS NULL THEN NULL ELSE json_object('id', CAST(f.order_id AS TEXT)) END))`
}

func sqliteQ1() string {
	return `SELECT json_object('customer', json((SELECT json_object(` + sqliteCustomerFields() + `,
	'personas', json((SELECT json_group_array(json_object('id', CAST(p.id AS TEXT), 'name', p.name) ORDER BY p.id)
		FROM personas p
		WHERE (p.criteria ->> 'minAge' IS NULL OR c.birth_date <= ` + fmt.Sprintf(sqliteYearsBefore, "p.criteria ->> 'minAge'") + `)
		AND (p.criteria ->> 'maxAge' IS NULL OR c.birth_date > ` + fmt.Sprintf(sqliteYearsBefore, "(p.criteria ->> 'maxAge') + 1") + `)
		AND ` + sqliteIn("genders", "c.gender") + ` AND ` + sqliteIn("incomeBands", "c.income_band") + `
		AND ` + sqliteIn("countries", "c.country") + ` AND ` + sqliteIn("kinds", "c.kind") + `)),
	'orders', json_object('totalCount', (SELECT count(*) FROM orders WHERE customer_id = c.id),
		'edges', json((SELECT json_group_array(` + sqliteOrderNode() + ` ORDER BY o.placed_at DESC, o.id DESC)
			FROM (SELECT * FROM orders WHERE customer_id = c.id ORDER BY placed_at DESC, id DESC LIMIT 20) o))),
	'feedbacks', json_object('totalCount', (SELECT count(*) FROM feedbacks WHERE customer_id = c.id),
		'edges', json((SELECT json_group_array(` + sqliteFeedbackNode() + ` ORDER BY f.submitted_at DESC, f.id DESC)
			FROM (SELECT * FROM feedbacks WHERE customer_id = c.id ORDER BY submitted_at DESC, id DESC LIMIT 20) f))))
FROM customers c WHERE c.external_ref = ?)))`
}

func sqliteQ2() string {
	return `WITH page AS (SELECT * FROM customers WHERE id > ? ORDER BY id LIMIT ` + strconv.Itoa(Q2PageSize+1) + `),
shown AS (SELECT * FROM page ORDER BY id LIMIT ` + strconv.Itoa(Q2PageSize) + `)
SELECT json_object('customers', json_object(
	'pageInfo', json_object('hasNextPage', json(CASE WHEN (SELECT count(*) FROM page) > ` + strconv.Itoa(Q2PageSize) + ` THEN 'true' ELSE 'false' END),
		'endCursor', (SELECT CAST(max(id) AS TEXT) FROM shown)),
	'edges', json((SELECT json_group_array(json_object('node', json_object(` + sqliteCustomerFields() + `,
		'orders', json_object('edges', json((SELECT json_group_array(` + sqliteOrderNode() + ` ORDER BY o.id)
			FROM (SELECT * FROM orders WHERE customer_id = c.id ORDER BY id LIMIT 10) o))),
		'feedbacks', json_object('edges', json((SELECT json_group_array(` + sqliteFeedbackNode() + ` ORDER BY f.id)
			FROM (SELECT * FROM feedbacks WHERE customer_id = c.id ORDER BY id LIMIT 10) f)))))
		ORDER BY c.id) FROM shown c))))`
}

// PostgreSQL: json_build_object and json_agg, connections as LATERAL
// subqueries. Times are timestamptz (microseconds).
const (
	pgTime  = `rtrim(rtrim(to_char(%s AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US'), '0'), '.') || 'Z'`
	pgCents = `(%[1]s / 100)::text || '.' || lpad((%[1]s %% 100)::text, 2, '0')`
)

func pgT(col string) string     { return fmt.Sprintf(pgTime, col) }
func pgMoney(col string) string { return fmt.Sprintf(pgCents, col) }

func pgIn(list, col string) string {
	return fmt.Sprintf(`(jsonb_array_length(coalesce(p.criteria -> '%[1]s', '[]')) = 0 OR p.criteria -> '%[1]s' @> to_jsonb(%[2]s))`, list, col)
}

func pgCustomerFields() string {
	return `'id', c.id::text, 'externalRef', c.external_ref, 'createdAt', ` + pgT("c.created_at") +
		`, 'updatedAt', ` + pgT("c.updated_at") + `, 'kind', c.kind, 'relationship', c.relationship,
		'lifecycleStage', c.lifecycle_stage, 'name', c.name, 'email', c.email, 'phone', c.phone,
		'birthDate', c.birth_date, 'gender', c.gender, 'incomeBand', c.income_band, 'country', c.country,
		'region', c.region, 'city', c.city`
}

func pgOrderNode() string {
	return `json_build_object('node', json_build_object('id', o.id::text, 'externalRef', o.external_ref,
		'createdAt', ` + pgT("o.created_at") + `, 'updatedAt', ` + pgT("o.updated_at") + `,
		'status', o.status, 'channel', o.channel, 'currency', o.currency, 'placedAt', ` + pgT("o.placed_at") + `,
		'total', ` + pgMoney("o.total") + `,
		'items', coalesce((SELECT json_agg(json_build_object('id', i.id::text, 'sku', i.sku, 'name', i.name,
			'category', i.category, 'quantity', i.quantity, 'unitPrice', ` + pgMoney("i.unit_price") + `,
			'lineTotal', ` + pgMoney("i.line_total") + `) ORDER BY i.id) FROM order_items i WHERE i.order_id = o.id), '[]')))`
}

func pgFeedbackNode() string {
	return `json_build_object('node', json_build_object('id', f.id::text, 'externalRef', f.external_ref,
		'createdAt', ` + pgT("f.created_at") + `, 'updatedAt', ` + pgT("f.updated_at") + `,
		'kind', f.kind, 'channel', f.channel, 'score', f.score, 'comment', f.comment, 'language', f.language,
		'submittedAt', ` + pgT("f.submitted_at") + `,
		'order', CASE WHEN f.order_id IS NULL THEN NULL ELSE json_build_object('id', f.order_id::text) END))`
}

// pgYearsBefore is the birth-date bound of an age n: YearsBefore(today, n).
func pgYearsBefore(n string) string {
	return `lpad((t.y - (` + n + `))::text, 4, '0') || t.md`
}

func pgQ1() string {
	return `WITH t AS (SELECT extract(year FROM d)::int AS y, to_char(d, '-MM-DD') AS md
	FROM (SELECT (now() AT TIME ZONE 'UTC')::date AS d) today)
SELECT json_build_object('customer', (SELECT json_build_object(` + pgCustomerFields() + `,
	'personas', coalesce((SELECT json_agg(json_build_object('id', p.id::text, 'name', p.name) ORDER BY p.id)
		FROM personas p, t
		WHERE (p.criteria ->> 'minAge' IS NULL OR c.birth_date <= ` + pgYearsBefore("(p.criteria ->> 'minAge')::int") + `)
		AND (p.criteria ->> 'maxAge' IS NULL OR c.birth_date > ` + pgYearsBefore("(p.criteria ->> 'maxAge')::int + 1") + `)
		AND ` + pgIn("genders", "c.gender") + ` AND ` + pgIn("incomeBands", "c.income_band") + `
		AND ` + pgIn("countries", "c.country") + ` AND ` + pgIn("kinds", "c.kind") + `), '[]'),
	'orders', json_build_object('totalCount', oc.n, 'edges', oe.edges),
	'feedbacks', json_build_object('totalCount', fc.n, 'edges', fe.edges))
	FROM customers c
	LEFT JOIN LATERAL (SELECT count(*) AS n FROM orders WHERE customer_id = c.id) oc ON true
	LEFT JOIN LATERAL (SELECT coalesce(json_agg(` + pgOrderNode() + ` ORDER BY o.placed_at DESC, o.id DESC), '[]') AS edges
		FROM (SELECT * FROM orders WHERE customer_id = c.id ORDER BY placed_at DESC, id DESC LIMIT 20) o) oe ON true
	LEFT JOIN LATERAL (SELECT count(*) AS n FROM feedbacks WHERE customer_id = c.id) fc ON true
	LEFT JOIN LATERAL (SELECT coalesce(json_agg(` + pgFeedbackNode() + ` ORDER BY f.submitted_at DESC, f.id DESC), '[]') AS edges
		FROM (SELECT * FROM feedbacks WHERE customer_id = c.id ORDER BY submitted_at DESC, id DESC LIMIT 20) f) fe ON true
	WHERE c.external_ref = $1))`
}

func pgQ2() string {
	return `WITH page AS (SELECT * FROM customers WHERE id > $1 ORDER BY id LIMIT ` + strconv.Itoa(Q2PageSize+1) + `),
shown AS (SELECT * FROM page ORDER BY id LIMIT ` + strconv.Itoa(Q2PageSize) + `)
SELECT json_build_object('customers', json_build_object(
	'pageInfo', json_build_object('hasNextPage', (SELECT count(*) FROM page) > ` + strconv.Itoa(Q2PageSize) + `,
		'endCursor', (SELECT max(id)::text FROM shown)),
	'edges', coalesce(json_agg(json_build_object('node', json_build_object(` + pgCustomerFields() + `,
		'orders', json_build_object('edges', oe.edges), 'feedbacks', json_build_object('edges', fe.edges))) ORDER BY c.id), '[]')))
FROM shown c
LEFT JOIN LATERAL (SELECT coalesce(json_agg(` + pgOrderNode() + ` ORDER BY o.id), '[]') AS edges
	FROM (SELECT * FROM orders WHERE customer_id = c.id ORDER BY id LIMIT 10) o) oe ON true
LEFT JOIN LATERAL (SELECT coalesce(json_agg(` + pgFeedbackNode() + ` ORDER BY f.id), '[]') AS edges
	FROM (SELECT * FROM feedbacks WHERE customer_id = c.id ORDER BY id LIMIT 10) f) fe ON true`
}

// floor is the pool and the two statements of one database.
type floor struct {
	pool   *sql.DB
	q1, q2 string
}

// openFloor opens a read pool on the database as the server opens its own
// (internal/database): on SQLite the same driver, DSN options and pool
// size as its read pool; on PostgreSQL pgx with 20 connections.
func openFloor(databaseURL string) (*floor, error) {
	if database.IsPostgres(databaseURL) {
		pool, err := sql.Open("pgx", databaseURL)
		if err != nil {
			return nil, err
		}
		pool.SetMaxOpenConns(20)
		pool.SetMaxIdleConns(20)
		return &floor{pool: pool, q1: pgQ1(), q2: pgQ2()}, nil
	}
	path := database.SQLitePath(databaseURL)
	pool, err := sql.Open(database.SQLiteDriver, "file:"+url.PathEscape(path)+
		"?_fk=1&_journal_mode=WAL&_busy_timeout=10000&_synchronous=NORMAL&_loc=UTC&_query_only=1")
	if err != nil {
		return nil, err
	}
	n := max(4, 2*runtime.NumCPU())
	pool.SetMaxOpenConns(n)
	pool.SetMaxIdleConns(n)
	return &floor{pool: pool, q1: sqliteQ1(), q2: sqliteQ2()}, nil
}

// query runs one statement and returns its single JSON value.
func (f *floor) query(ctx context.Context, stmt string, arg any) ([]byte, error) {
	var out []byte
	if err := f.pool.QueryRowContext(ctx, stmt, arg).Scan(&out); err != nil {
		return nil, err
	}
	return out, nil
}

// floorQ2After is the keyset of the Q2 floor's next page: the endCursor of
// the last one (a customer id), 0 for the first.
func floorQ2After(cursor string) int64 {
	id, _ := strconv.ParseInt(cursor, 10, 64)
	return id
}

// SampleRefs returns n customers' externalRefs to check the floor with:
// the first, the last and random others.
func (e *Env) SampleRefs(n int) []string {
	rng := rand.New(rand.NewPCG(9, 360))
	refs := []string{fmt.Sprintf("C-%07d", 1), fmt.Sprintf("C-%07d", e.Customers)}
	for len(refs) < n {
		refs = append(refs, fmt.Sprintf("C-%07d", 1+rng.IntN(e.Customers)))
	}
	return refs[:n]
}

// CheckFloor proves the floor statements return what c360 returns: for
// the customers refs (Q1) and the first Q2 page, the floor's JSON and
// c360's response data must be equal as JSON values. The Q2 endCursor is
// left out: c360's is an opaque entgql cursor, the floor's an id.
func (e *Env) CheckFloor(ctx context.Context, refs []string) error {
	for _, ref := range refs {
		if err := e.compareFloor(ctx, "Q1 "+ref, request(q1, map[string]any{"ref": ref}), e.floor.q1, ref); err != nil {
			return err
		}
	}
	return e.compareFloor(ctx, "Q2 first page", request(q2, map[string]any{"first": Q2PageSize}), e.floor.q2, 0)
}

func (e *Env) compareFloor(ctx context.Context, what string, body []byte, stmt string, arg any) error {
	raw, err := e.post(ctx, body)
	if err != nil {
		return fmt.Errorf("floor check %s: c360: %w", what, err)
	}
	var resp struct{ Data any }
	if err := json.Unmarshal(raw, &resp); err != nil {
		return fmt.Errorf("floor check %s: c360: %w", what, err)
	}
	fl, err := e.floor.query(ctx, stmt, arg)
	if err != nil {
		return fmt.Errorf("floor check %s on %s: %w", what, e.Dialect, err)
	}
	var floorData any
	if err := json.Unmarshal(fl, &floorData); err != nil {
		return fmt.Errorf("floor check %s on %s: %w", what, e.Dialect, err)
	}
	want, got := dropEndCursor(resp.Data), dropEndCursor(floorData)
	if !reflect.DeepEqual(want, got) {
		return fmt.Errorf("floor check %s on %s: the floor's data differs from c360's: %s", what, e.Dialect, jsonDiff("data", want, got))
	}
	return nil
}

func dropEndCursor(v any) any {
	if m, ok := v.(map[string]any); ok {
		if c, ok := m["customers"].(map[string]any); ok {
			if pi, ok := c["pageInfo"].(map[string]any); ok {
				delete(pi, "endCursor")
			}
		}
	}
	return v
}

// jsonDiff names the first place where two decoded JSON values differ, so
// that a wrong floor statement is quick to fix.
func jsonDiff(path string, want, got any) string {
	switch w := want.(type) {
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok {
			break
		}
		keys := make([]string, 0, len(w))
		for k := range w {
			keys = append(keys, k)
		}
		for k := range g {
			if _, ok := w[k]; !ok {
				keys = append(keys, k)
			}
		}
		slices.Sort(keys)
		for _, k := range keys {
			if !reflect.DeepEqual(w[k], g[k]) {
				return jsonDiff(path+"."+k, w[k], g[k])
			}
		}
	case []any:
		g, ok := got.([]any)
		if !ok || len(g) != len(w) {
			break
		}
		for i := range w {
			if !reflect.DeepEqual(w[i], g[i]) {
				return jsonDiff(fmt.Sprintf("%s[%d]", path, i), w[i], g[i])
			}
		}
	}
	short := func(v any) string {
		b, _ := json.Marshal(v)
		s := string(b)
		if len(s) > 300 {
			s = s[:300] + "..."
		}
		return s
	}
	return fmt.Sprintf("at %s c360 has %s, the floor %s", path, short(want), short(got))
}

// cpuTime is the CPU time (user+system) used so far by this process and, on
// PostgreSQL, by the server's processes: what a request costs the machine.
func (e *Env) cpuTime() time.Duration {
	t := processCPU()
	if e.postmaster > 0 {
		t += processTreeCPU(e.postmaster)
	}
	return t
}

// CountsDatabaseCPU reports whether CPU figures include the database
// server's: always on SQLite (in the process), on PostgreSQL when its
// processes were found in /proc.
func (e *Env) CountsDatabaseCPU() bool { return e.Dialect != dialect.Postgres || e.postmaster > 0 }

// postmasterPID finds the PostgreSQL server's main process: the parent of
// this connection's backend. 0 when /proc cannot tell (not Linux, or
// another machine).
func postmasterPID(ctx context.Context, pool *sql.DB) int {
	var backend int
	if err := pool.QueryRowContext(ctx, "SELECT pg_backend_pid()").Scan(&backend); err != nil {
		return 0
	}
	st, ok := procStat(backend)
	if !ok {
		return 0
	}
	return st.ppid
}

// stat holds the fields of /proc/PID/stat used here, times in clock ticks.
type stat struct {
	ppid                         int
	utime, stime, cutime, cstime int64
}

// clockTick is USER_HZ, the unit of /proc's times: 100 on every Linux
// architecture Go runs on.
const clockTick = 10 * time.Millisecond

func procStat(pid int) (stat, bool) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return stat{}, false
	}
	// The command name (field 2) may hold spaces: fields start after ')'.
	i := strings.LastIndexByte(string(b), ')')
	if i < 0 {
		return stat{}, false
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 15 {
		return stat{}, false
	}
	var s stat
	s.ppid, _ = strconv.Atoi(f[1])
	s.utime, _ = strconv.ParseInt(f[11], 10, 64)
	s.stime, _ = strconv.ParseInt(f[12], 10, 64)
	s.cutime, _ = strconv.ParseInt(f[13], 10, 64)
	s.cstime, _ = strconv.ParseInt(f[14], 10, 64)
	return s, true
}

// processTreeCPU is the CPU time of a PostgreSQL server: the postmaster,
// its live children (backends, background workers) and, through the
// postmaster's cutime/cstime, the children that have exited.
func processTreeCPU(postmaster int) time.Duration {
	pm, ok := procStat(postmaster)
	if !ok {
		return 0
	}
	ticks := pm.utime + pm.stime + pm.cutime + pm.cstime
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return 0
	}
	for _, d := range entries {
		pid, err := strconv.Atoi(d.Name())
		if err != nil || pid == postmaster {
			continue
		}
		if s, ok := procStat(pid); ok && s.ppid == postmaster {
			ticks += s.utime + s.stime
		}
	}
	return time.Duration(ticks) * clockTick
}

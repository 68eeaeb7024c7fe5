package graph

import (
	"context"
	"reflect"
	"slices"
	"strings"
	"sync"
	"time"

	"entgo.io/contrib/entgql"
	entsql "entgo.io/ent/dialect/sql"
	"github.com/99designs/gqlgen/graphql"
	"github.com/graph-gophers/dataloader/v7"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/c360/c360/ent"
	"github.com/c360/c360/ent/customerevent"
	"github.com/c360/c360/ent/predicate"
	"github.com/c360/c360/internal/validate"
)

// Customer.timeline under a list of customers (orders { customer { timeline } },
// customers { timeline }) is read in one statement for all of them, with a
// per-customer window (ROW_NUMBER() OVER (PARTITION BY customer_id)), as
// entgql reads the pages of a connection edge. Its arguments (types, since)
// are not entgql's, so this is written here; it answers as Paginate does.

type timelineLoadersKey struct{}

// timelineLoaders holds one loader per timeline field of the operation: the
// field's arguments and selection are the same for every customer under it.
type timelineLoaders struct {
	client *ent.Client
	mu     sync.Mutex
	by     map[*ast.Field]*dataloader.Loader[int, *ent.CustomerEventConnection]
}

func withTimelineLoaders(ctx context.Context, client *ent.Client) context.Context {
	return context.WithValue(ctx, timelineLoadersKey{}, &timelineLoaders{client: client})
}

// timelineArgs are the arguments of one timeline field.
type timelineArgs struct {
	after *entgql.Cursor[int]
	first *int
	types []customerevent.Type
	since *time.Time
}

// timeline answers Customer.timeline; pages counted from the end (last,
// before) are rare and read alone.
func timeline(ctx context.Context, c *ent.Customer, after *entgql.Cursor[int], first *int, before *entgql.Cursor[int],
	last *int, types []customerevent.Type, since *time.Time) (*ent.CustomerEventConnection, error) {
	ls, _ := ctx.Value(timelineLoadersKey{}).(*timelineLoaders)
	fc := graphql.GetFieldContext(ctx)
	if ls == nil || fc == nil || before != nil || last != nil {
		return eventPage(ctx, c.QueryEvents(), after, first, before, last, types, since)
	}
	ls.mu.Lock()
	if ls.by == nil {
		ls.by = map[*ast.Field]*dataloader.Loader[int, *ent.CustomerEventConnection]{}
	}
	l := ls.by[fc.Field.Field]
	if l == nil {
		args := timelineArgs{after: after, first: first, types: types, since: since}
		l = dataloader.NewBatchedLoader(func(ctx context.Context, ids []int) []*dataloader.Result[*ent.CustomerEventConnection] {
			client := ent.FromContext(ctx) // the transaction's client inside a mutation
			if client == nil {
				client = ls.client
			}
			pages, err := timelines(ctx, client, ids, args)
			out := make([]*dataloader.Result[*ent.CustomerEventConnection], len(ids))
			for i, id := range ids {
				out[i] = &dataloader.Result[*ent.CustomerEventConnection]{Data: pages[id], Error: err}
			}
			return out
		}, dataloader.WithWait[int, *ent.CustomerEventConnection](time.Millisecond),
			dataloader.WithBatchCapacity[int, *ent.CustomerEventConnection](1000))
		ls.by[fc.Field.Field] = l
		// The customers beside this one in the list above it go in one batch
		// now, however slowly their resolvers come; they find their page in
		// the loader's cache.
		// (Load queues its key before it returns; LoadMany does not.)
		for _, id := range siblings(fc) {
			l.Load(ctx, id)
		}
	}
	ls.mu.Unlock()
	return l.Load(ctx, c.ID)()
}

// timelines reads the timeline page of each customer: a count per customer
// when totalCount or pageInfo is selected and the edges only when selected,
// as Paginate does. ctx is the context of one of the timeline fields.
func timelines(ctx context.Context, client *ent.Client, ids []int, a timelineArgs) (map[int]*ent.CustomerEventConnection, error) {
	if err := validate.Cursors(a.after, nil, false, time.Time{}); err != nil {
		return nil, err
	}
	filter := []predicate.CustomerEvent{customerevent.CustomerIDIn(ids...)}
	if len(a.types) > 0 {
		filter = append(filter, customerevent.TypeIn(a.types...))
	}
	if a.since != nil {
		filter = append(filter, customerevent.OccurredAtGTE(a.since.UTC()))
	}
	pages := make(map[int]*ent.CustomerEventConnection, len(ids))
	for _, id := range ids {
		pages[id] = &ent.CustomerEventConnection{Edges: []*ent.CustomerEventEdge{}}
	}
	fields := graphql.CollectFieldsCtx(ctx, nil)
	selected := func(name string) *graphql.CollectedField {
		for i := range fields {
			if fields[i].Name == name {
				return &fields[i]
			}
		}
		return nil
	}
	edges := selected("edges")
	if selected("totalCount") != nil || selected("pageInfo") != nil {
		if a.after != nil || a.first != nil || edges == nil {
			var counts []struct {
				CustomerID int `sql:"customer_id"`
				Count      int `sql:"count"`
			}
			if err := client.CustomerEvent.Query().Where(filter...).GroupBy(customerevent.FieldCustomerID).
				Aggregate(ent.Count()).Scan(ctx, &counts); err != nil {
				return nil, err
			}
			for _, c := range counts {
				p := pages[c.CustomerID]
				p.TotalCount = c.Count
				p.PageInfo.HasNextPage = a.first != nil && c.Count > 0
			}
		}
	}
	if edges == nil || (a.first != nil && *a.first == 0) {
		return pages, nil
	}
	q := client.CustomerEvent.Query()
	node := nodeOf(ctx, edges)
	if node != nil {
		var err error
		// The node's selection decides the columns and what is loaded with
		// the events, as under Paginate.
		if q, err = q.CollectFields(graphql.WithFieldContext(ctx, &graphql.FieldContext{Field: *node})); err != nil {
			return nil, err
		}
	}
	limit := 0
	if a.first != nil {
		limit = *a.first + 1
	}
	// ent applies modifiers before predicates, and the window must see the
	// filters: they go into the modifier, ahead of it.
	q.Modify(func(s *entsql.Selector) {
		for _, p := range filter {
			p(s)
		}
		for _, p := range entgql.CursorsPredicate(a.after, nil, customerevent.FieldID, customerevent.FieldOccurredAt, entgql.OrderDirectionDesc) {
			p(s)
		}
		for _, c := range []string{customerevent.FieldCustomerID, customerevent.FieldOccurredAt} {
			if !slices.Contains(s.SelectedColumns(), s.C(c)) {
				s.AppendSelect(s.C(c))
			}
		}
		if limit > 0 {
			entgql.LimitPerRow(customerevent.FieldCustomerID, limit, entsql.ExprFunc(func(b *entsql.Builder) {
				b.Ident(customerevent.FieldOccurredAt).WriteString(" DESC, ").Ident(customerevent.FieldID).WriteString(" DESC")
			}))(s)
		}
	})
	// In the database's order, as Paginate's: SQLite compares times as text.
	events, err := q.Order(customerevent.ByOccurredAt(entsql.OrderDesc()), customerevent.ByID(entsql.OrderDesc())).All(ctx)
	if err != nil {
		return nil, err
	}
	// Their subjects are asked for next, one resolver at a time: they go in
	// one batch now.
	if l, _ := ctx.Value(subjectLoaderKey{}).(*dataloader.Loader[int, ent.Noder]); l != nil && node != nil &&
		slices.ContainsFunc(graphql.CollectFields(graphql.GetOperationContext(ctx), node.Selections, nil),
			func(f graphql.CollectedField) bool { return f.Name == "subject" }) {
		var subjects []int
		for _, e := range events {
			if e.SubjectID != nil {
				subjects = append(subjects, *e.SubjectID)
			}
		}
		for _, id := range subjects {
			l.Load(ctx, id)
		}
	}
	byCustomer := make(map[int][]*ent.CustomerEvent, len(ids))
	for _, e := range events {
		if e.CustomerID != nil {
			byCustomer[*e.CustomerID] = append(byCustomer[*e.CustomerID], e)
		}
	}
	order := &ent.CustomerEventOrder{Field: ent.CustomerEventOrderFieldOccurredAt, Direction: entgql.OrderDirectionDesc}
	for id, p := range pages {
		nodes := byCustomer[id]
		p.PageInfo.HasNextPage = false
		p.PageInfo.HasPreviousPage = a.after != nil
		if a.first != nil && len(nodes) > *a.first {
			p.PageInfo.HasNextPage = true
			nodes = nodes[:*a.first]
		}
		p.Edges = make([]*ent.CustomerEventEdge, len(nodes))
		for i, n := range nodes {
			p.Edges[i] = n.ToEdge(order)
		}
		if l := len(p.Edges); l > 0 {
			p.PageInfo.StartCursor = &p.Edges[0].Cursor
			p.PageInfo.EndCursor = &p.Edges[l-1].Cursor
		}
		if p.TotalCount == 0 {
			p.TotalCount = len(nodes)
		}
	}
	return pages, nil
}

// nodeOf returns the node field under a connection's edges field, if selected.
func nodeOf(ctx context.Context, edges *graphql.CollectedField) *graphql.CollectedField {
	for _, f := range graphql.CollectFields(graphql.GetOperationContext(ctx), edges.Selections, nil) {
		if f.Name == "node" {
			return &f
		}
	}
	return nil
}

// siblings returns the ids of the customers at the same place as the parent
// of field fc in every element of the nearest list above it: under
// customers { edges { node { timeline } } } every node, under orders { edges
// { node { customer { timeline } } } } every order's customer. It reads what
// the resolvers above already returned (ent loads a selection's edges with
// its nodes); a step it cannot follow leaves the rest to the loader's window.
func siblings(fc *graphql.FieldContext) []int {
	var steps []string
	for p := fc.Parent; p != nil; p = p.Parent {
		if p.Index == nil {
			if p.Field.Field == nil { // above the root field: no list
				return nil
			}
			steps = append([]string{p.Field.Name}, steps...)
			continue
		}
		if p.Parent == nil {
			return nil
		}
		list := reflect.ValueOf(p.Parent.Result)
		for list.Kind() == reflect.Pointer {
			list = list.Elem()
		}
		if list.Kind() != reflect.Slice {
			return nil
		}
		ids := make([]int, 0, list.Len())
		for i := range list.Len() {
			if c, ok := follow(list.Index(i), steps).(*ent.Customer); ok && c != nil {
				ids = append(ids, c.ID)
			}
		}
		return ids
	}
	return nil
}

// follow walks from v along GraphQL field names through ent's structs: a
// field of that JSON name, or a loaded edge of that name.
func follow(v reflect.Value, steps []string) any {
	for _, name := range steps {
		for v.Kind() == reflect.Pointer || v.Kind() == reflect.Interface {
			if v.IsNil() {
				return nil
			}
			v = v.Elem()
		}
		if v.Kind() != reflect.Struct {
			return nil
		}
		next, ok := jsonField(v, name)
		if !ok {
			if edges, has := jsonField(v, "edges"); has && edges.Kind() == reflect.Struct {
				next, ok = jsonField(edges, name)
			}
		}
		if !ok {
			return nil
		}
		v = next
	}
	if !v.IsValid() || !v.CanInterface() {
		return nil
	}
	return v.Interface()
}

// jsonField returns the exported field of struct v whose JSON name is name.
func jsonField(v reflect.Value, name string) (reflect.Value, bool) {
	t := v.Type()
	for i := range t.NumField() {
		f := t.Field(i)
		if f.IsExported() && strings.Split(f.Tag.Get("json"), ",")[0] == name {
			return v.Field(i), true
		}
	}
	return reflect.Value{}, false
}

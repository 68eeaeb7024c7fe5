package graph

import (
	"context"
	"fmt"
	"sync"
	"time"

	"entgo.io/contrib/entgql"
	"github.com/graph-gophers/dataloader/v7"

	"github.com/c360/c360/ent"
	"github.com/c360/c360/ent/customerevent"
	"github.com/c360/c360/ent/feedback"
	"github.com/c360/c360/ent/merge"
	"github.com/c360/c360/ent/order"
	"github.com/c360/c360/ent/persona"
	"github.com/c360/c360/ent/predicate"
	"github.com/c360/c360/internal/auth"
	"github.com/c360/c360/internal/eventstream"
	"github.com/c360/c360/internal/fault"
)

// newestFirst is the order of timelines and of the audit log; entgql breaks
// ties by id in the same direction.
var newestFirst = ent.WithCustomerEventOrder(&ent.CustomerEventOrder{
	Field: ent.CustomerEventOrderFieldOccurredAt, Direction: entgql.OrderDirectionDesc})

// eventPage pages events newest first, of the given types (all when none)
// since a time.
func eventPage(ctx context.Context, q *ent.CustomerEventQuery, after *entgql.Cursor[int], first *int,
	before *entgql.Cursor[int], last *int, types []customerevent.Type, since *time.Time) (*ent.CustomerEventConnection, error) {
	if len(types) > 0 {
		q.Where(customerevent.TypeIn(types...))
	}
	if since != nil {
		q.Where(customerevent.OccurredAtGTE(since.UTC()))
	}
	return q.Paginate(ctx, after, first, before, last, newestFirst)
}

type subjectLoaderKey struct{}

// withSubjectLoader lets CustomerEvent.subject load the subjects of a page
// of events together: one query per subject type, whatever the page size.
func withSubjectLoader(ctx context.Context, client *ent.Client) context.Context {
	l := dataloader.NewBatchedLoader(func(ctx context.Context, ids []int) []*dataloader.Result[ent.Noder] {
		c := ent.FromContext(ctx) // the transaction's client inside a mutation
		if c == nil {
			c = client
		}
		found, err := subjects(ctx, c, ids)
		out := make([]*dataloader.Result[ent.Noder], len(ids))
		for i, id := range ids {
			out[i] = &dataloader.Result[ent.Noder]{Data: found[id], Error: err}
		}
		return out
	}, dataloader.WithWait[int, ent.Noder](time.Millisecond), dataloader.WithBatchCapacity[int, ent.Noder](1000))
	return context.WithValue(ctx, subjectLoaderKey{}, l)
}

// subjects reads the objects events can be about, one query per type among
// them (the type is in the global id); one gone since is absent.
func subjects(ctx context.Context, c *ent.Client, ids []int) (map[int]ent.Noder, error) {
	byTable := make(map[string][]int)
	for _, id := range ids {
		if t, ok := ent.ReadPlanTable(id); ok {
			byTable[t] = append(byTable[t], id)
		}
	}
	found := make(map[int]ent.Noder, len(ids))
	for table, ids := range byTable {
		var err error
		switch table {
		case order.Table:
			err = add(found, func(o *ent.Order) int { return o.ID })(c.Order.Query().Where(order.IDIn(ids...)).All(ctx))
		case feedback.Table:
			err = add(found, func(f *ent.Feedback) int { return f.ID })(c.Feedback.Query().Where(feedback.IDIn(ids...)).All(ctx))
		case merge.Table:
			err = add(found, func(m *ent.Merge) int { return m.ID })(c.Merge.Query().Where(merge.IDIn(ids...)).All(ctx))
		case persona.Table:
			err = add(found, func(p *ent.Persona) int { return p.ID })(c.Persona.Query().Where(persona.IDIn(ids...)).All(ctx))
		}
		if err != nil {
			return nil, err
		}
	}
	return found, nil
}

// add returns a function putting the nodes a query read into found.
func add[T ent.Noder](found map[int]ent.Noder, id func(T) int) func([]T, error) error {
	return func(xs []T, err error) error {
		for _, x := range xs {
			found[id(x)] = x
		}
		return err
	}
}

func subjectOf(ctx context.Context, e *ent.CustomerEvent) (ent.Noder, error) {
	if e.SubjectID == nil {
		return nil, nil
	}
	l, _ := ctx.Value(subjectLoaderKey{}).(*dataloader.Loader[int, ent.Noder])
	if l == nil {
		return nil, nil
	}
	return l.Load(ctx, *e.SubjectID)()
}

// eventsOf selects one customer's events, or all.
func eventsOf(customerID *int) []predicate.CustomerEvent {
	if customerID == nil {
		return nil
	}
	return []predicate.CustomerEvent{customerevent.CustomerID(*customerID)}
}

// Subscriptions bounds the live subscriptions of each credential in this
// process.
type Subscriptions struct {
	Max  int
	mu   sync.Mutex
	live map[string]int
}

// acquire counts a subscription of the request's credential until release.
func (s *Subscriptions) acquire(ctx context.Context) (release func(), err error) {
	p, _ := auth.FromContext(ctx)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.live == nil {
		s.live = map[string]int{}
	}
	if s.live[p.Subject] >= s.Max {
		return nil, &fault.TooComplex{Message: fmt.Sprintf("at most %d live subscriptions per credential (MAX_SUBSCRIPTIONS_PER_CREDENTIAL)", s.Max)}
	}
	s.live[p.Subject]++
	return func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		if s.live[p.Subject]--; s.live[p.Subject] <= 0 {
			delete(s.live, p.Subject)
		}
	}, nil
}

// customerEvents streams committed events (eventstream) while the
// subscription lasts.
func (r *Resolver) customerEvents(ctx context.Context, customerID *int, types []customerevent.Type, after *int) (<-chan *ent.CustomerEvent, error) {
	release, err := r.Subscriptions.acquire(ctx)
	if err != nil {
		return nil, err
	}
	ch, err := r.Events.Subscribe(ctx, eventstream.Filter{CustomerID: customerID, Types: types}, after)
	if err != nil {
		release()
		return nil, err
	}
	go func() {
		<-ctx.Done()
		release()
	}()
	return ch, nil
}

// webhookTypes are the event types a webhook gets, as the enum.
func webhookTypes(w *ent.Webhook) []customerevent.Type {
	ts := make([]customerevent.Type, len(w.Types))
	for i, t := range w.Types {
		ts[i] = customerevent.Type(t)
	}
	return ts
}

package scores

import (
	"context"
	"database/sql/driver"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/graph-gophers/dataloader/v7"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"
	"resenje.org/singleflight"

	"github.com/c360/c360/ent"
	"github.com/c360/c360/ent/customer"
	"github.com/c360/c360/ent/feedback"
	"github.com/c360/c360/ent/order"
	"github.com/c360/c360/internal/cache"
	"github.com/c360/c360/internal/date"
	"github.com/c360/c360/internal/personas"
	"github.com/c360/c360/internal/validate"
)

// Scopes of invalidation: one per customer, one for every segment figure.
const segmentsScope = "segments"

func customerScope(id int) string { return "customer:" + strconv.Itoa(id) }

// Service serves scores cache-aside.
//
// Concurrent requests for the same figures at the same versions share one
// computation (singleflight). Its SQL runs under a context of its own that is
// cancelled once every request waiting for it has gone (client disconnected,
// deadline passed): a computation nobody waits for stops at once, and one
// leaving caller never cancels the others.
type Service struct {
	client    *ent.Client
	dialect   string
	cache     *cache.Store
	customers singleflight.Group[string, map[int]*Customer]
	segments  singleflight.Group[string, *Segment]
	series    singleflight.Group[string, []*Point]

	mu     sync.Mutex
	writes map[*ent.Tx]*write // the writes of open transactions, refreshed at their commit
}

var computations = promauto.NewCounterVec(prometheus.CounterOpts{
	Name: "c360_scores_computations_total",
	Help: "Shared score computations (cache misses) by kind (customers, segment, series) and outcome: ok, error, or abandoned (stopped because every request waiting for it had gone).",
}, []string{"kind", "outcome"})

// retryBadConn runs a read-only computation once more when it failed on a
// connection the driver found broken while its callers still wait. On
// PostgreSQL, cancelling statements (abandoned computations) makes pgx close
// their connections, and database/sql now and then hands another statement
// driver.ErrBadConn for it (~1 in 10 of the computations still wanted when
// half of 30 are cancelled, measured). A retry gets a sound connection but
// for the same chance again, so up to badConnTries in all (one retry left a
// wanted computation failing now and then in CI).
func retryBadConn[V any](ctx context.Context, f func(context.Context) (V, error)) (V, error) {
	v, err := f(ctx)
	for try := 1; try < badConnTries && err != nil && ctx.Err() == nil && errors.Is(err, driver.ErrBadConn); try++ {
		slog.DebugContext(ctx, "scores: retrying a computation after a broken connection", "err", err, "try", try+1)
		v, err = f(ctx)
	}
	return v, err
}

// badConnTries bounds the tries of retryBadConn.
const badConnTries = 4

// count records a computation's outcome.
func count(ctx context.Context, kind string, err error) {
	switch {
	case err == nil:
		computations.WithLabelValues(kind, "ok").Inc()
	case ctx.Err() != nil:
		computations.WithLabelValues(kind, "abandoned").Inc()
	default:
		computations.WithLabelValues(kind, "error").Inc()
	}
}

// New builds the service. The cache must be shared by every process that
// writes the same database (Redis), or be in-process for a single process.
func New(client *ent.Client, dialect string, c *cache.Store) *Service {
	return &Service{client: client, dialect: dialect, cache: c, writes: make(map[*ent.Tx]*write)}
}

// today is the day the figures are computed for: ages (segments) and recency
// (loyalty, churn) change with it, so it is part of every key.
func today() date.Date { return personas.Today() }

// inTx reports whether ctx is inside a mutation's transaction: figures read
// there must see the transaction's own writes, so they bypass the cache.
func inTx(ctx context.Context) (*ent.Client, bool) {
	if tx := ent.TxFromContext(ctx); tx != nil {
		return tx.Client(), true
	}
	return nil, false
}

// Customers returns the scores of the customers, in the order of ids, with
// one cache round trip for versions, one for entries, and one read of the
// summaries of all the misses together (three aggregates of the raw rows in
// a transaction, whose own writes the summaries show only at its commit).
func (s *Service) Customers(ctx context.Context, ids []int) ([]*Customer, error) {
	day := today()
	if client, ok := inTx(ctx); ok {
		m, err := computeCustomers(ctx, client, s.dialect, ids, day)
		if err != nil {
			return nil, err
		}
		return inOrder(ids, m), nil
	}
	entries := make([]cache.Entry, len(ids))
	for i, id := range ids {
		entries[i] = cache.Entry{Key: cache.Key("cs", strconv.Itoa(id), string(day)), Scope: customerScope(id)}
	}
	vals, tags, err := s.cache.Fetch(ctx, entries)
	if err != nil { // the cache is down or not trustworthy now: straight to the database
		m, err := summaryCustomers(ctx, s.client, ids, day)
		if err != nil {
			return nil, err
		}
		return inOrder(ids, m), nil
	}
	found := make(map[int]*Customer, len(ids))
	var missing []int
	tagOf := make(map[int]int, len(ids)) // id -> index into entries/tags
	for i, id := range ids {
		if vals[i] != nil {
			var c Customer
			if c.unmarshalBinary(vals[i]) == nil {
				found[id] = &c
				continue
			}
		}
		tagOf[id] = i
		missing = append(missing, id)
	}
	if len(missing) > 0 {
		sort.Ints(missing)
		// Concurrent requests for the same customers at the same versions compute once.
		var flight strings.Builder
		flight.WriteString("cs:" + string(day))
		for _, id := range missing {
			flight.WriteString("," + strconv.Itoa(id) + "@" + tags[tagOf[id]])
		}
		// The computation's ctx is cancelled when every caller has gone.
		m, _, err := s.customers.Do(ctx, flight.String(), func(ctx context.Context) (map[int]*Customer, error) {
			m, err := retryBadConn(ctx, func(ctx context.Context) (map[int]*Customer, error) {
				return summaryCustomers(ctx, s.client, missing, day)
			})
			count(ctx, "customers", err)
			if err != nil {
				return nil, err
			}
			items := make([]cache.Item, 0, len(m))
			for id, c := range m {
				i := tagOf[id]
				items = append(items, cache.Item{Key: entries[i].Key, Tag: tags[i], Value: c.marshalBinary()})
			}
			s.cache.Put(ctx, items)
			return m, nil
		})
		if err != nil {
			return nil, err
		}
		for id, c := range m {
			found[id] = c
		}
	}
	return inOrder(ids, found), nil
}

func inOrder(ids []int, m map[int]*Customer) []*Customer {
	out := make([]*Customer, len(ids))
	for i, id := range ids {
		out[i] = m[id]
		if out[i] == nil {
			out[i] = &Customer{}
			out[i].derive(today())
		}
	}
	return out
}

// Segment returns the figures of a persona's members (personaID nil: all
// customers), counting the orders and feedback inside the window.
func (s *Service) Segment(ctx context.Context, personaID *int, w Window) (*Segment, error) {
	w = w.utc()
	key := cache.Key("seg", segmentOf(personaID), timeKey(w.Since), timeKey(w.Until), string(today()))
	return cachedSegment(ctx, s, &s.segments, "segment", key, func(ctx context.Context, client *ent.Client, criteria *personas.Criteria, day date.Date) (*Segment, error) {
		if _, tx := inTx(ctx); !tx && w.Since == nil && w.Until == nil {
			return segmentTotal(ctx, client, s.dialect, personaID, day)
		} else if !tx && w.monthly() {
			segs, err := monthSegments(ctx, client, s.dialect, criteria, w, "", day)
			if err != nil {
				return nil, err
			}
			return segs.at(""), nil
		}
		return computeSegment(ctx, client, s.dialect, criteria, w, day)
	}, personaID)
}

// Series returns the figures of a persona's members (personaID nil: all
// customers) per bucket of interval i: from the bucket that contains since
// to the last that starts before until (nil: now), each point equal to the
// Segment of its [start, end). More than MaxSeriesPoints is a
// validate.Error on since.
func (s *Service) Series(ctx context.Context, i Interval, personaID *int, since time.Time, until *time.Time) ([]*Point, error) {
	end := time.Now()
	if until != nil {
		end = *until
		if !since.Before(end) {
			return nil, validate.Errorf("until", "must be after since")
		}
	} else if !since.Before(end) {
		return nil, validate.Errorf("since", "must be in the past when until is not given")
	}
	starts, last, ok := i.buckets(since, end)
	if !ok {
		return nil, validate.Errorf("since", "a %s series has at most %d points; give a later since or a longer interval", strings.ToLower(string(i)), MaxSeriesPoints)
	}
	// The points depend on the buckets only, not on the instant of now.
	w := Window{Since: &starts[0], Until: &last}
	key := cache.Key("series", string(i), segmentOf(personaID), timeKey(w.Since), timeKey(w.Until), string(today()))
	return cachedSegment(ctx, s, &s.series, "series", key, func(ctx context.Context, client *ent.Client, criteria *personas.Criteria, day date.Date) ([]*Point, error) {
		compute := computeSegments
		if _, tx := inTx(ctx); !tx && i != Week {
			compute = monthSegments
		}
		segs, err := compute(ctx, client, s.dialect, criteria, w, i, day)
		if err != nil {
			return nil, err
		}
		points := make([]*Point, len(starts))
		for j, b := range starts {
			points[j] = &Point{Start: b, End: i.next(b), Scores: segs.at(b.Format(bucketKey))}
		}
		return points, nil
	}, personaID)
}

func segmentOf(personaID *int) string {
	if personaID == nil {
		return "all"
	}
	return strconv.Itoa(*personaID)
}

func timeKey(t *time.Time) string {
	if t == nil {
		return "-"
	}
	return strconv.FormatInt(t.UnixNano(), 10)
}

// cachedSegment serves a segment figure cache-aside under key: computed
// through the request's transaction when there is one (never cached), else
// once for all concurrent callers at the same version (group).
func cachedSegment[V any](ctx context.Context, s *Service, group *singleflight.Group[string, V], kind, key string,
	compute func(context.Context, *ent.Client, *personas.Criteria, date.Date) (V, error), personaID *int) (V, error) {
	day := today()
	client := s.client
	txClient, tx := inTx(ctx)
	if tx {
		client = txClient
	}
	run := func(ctx context.Context) (V, error) {
		if personaID == nil {
			return compute(ctx, client, nil, day)
		}
		p, err := client.Persona.Get(ctx, *personaID)
		if err != nil {
			var zero V
			return zero, err
		}
		return compute(ctx, client, &p.Criteria, day)
	}
	if tx {
		return run(ctx)
	}
	entry := cache.Entry{Key: key, Scope: segmentsScope}
	cached := func(vals [][]byte) (V, bool) {
		var v V
		return v, vals[0] != nil && json.Unmarshal(vals[0], &v) == nil
	}
	vals, tags, err := s.cache.Fetch(ctx, []cache.Entry{entry})
	if err != nil {
		return run(ctx)
	}
	if v, ok := cached(vals); ok {
		return v, nil
	}
	// The computation's ctx is cancelled when every caller has gone.
	v, _, err := group.Do(ctx, entry.Key+"@"+tags[0], func(ctx context.Context) (V, error) {
		// A flight that ended between this caller's miss and its Do has
		// cached the figure: read it rather than compute it again.
		if vals, _, err := s.cache.Fetch(ctx, []cache.Entry{entry}); err == nil {
			if v, ok := cached(vals); ok {
				return v, nil
			}
		}
		v, err := retryBadConn(ctx, run)
		count(ctx, kind, err)
		if err != nil {
			return v, err
		}
		b, _ := json.Marshal(v)
		s.cache.Put(ctx, []cache.Item{{Key: entry.Key, Tag: tags[0], Value: b}})
		return v, nil
	})
	return v, err
}

type loaderKey struct{}

// WithLoader installs a per-request batcher: the Customer.scores of a
// response that arrive within a millisecond are collected into one Customers
// call, and prefetched pages are served from it.
func (s *Service) WithLoader(ctx context.Context) context.Context {
	l := dataloader.NewBatchedLoader(func(ctx context.Context, ids []int) []*dataloader.Result[*Customer] {
		out := make([]*dataloader.Result[*Customer], len(ids))
		cs, err := s.Customers(ctx, ids)
		for i := range ids {
			if err != nil {
				out[i] = &dataloader.Result[*Customer]{Error: err}
				continue
			}
			out[i] = &dataloader.Result[*Customer]{Data: cs[i]}
		}
		return out
	}, dataloader.WithWait[int, *Customer](time.Millisecond), dataloader.WithBatchCapacity[int, *Customer](1000))
	return context.WithValue(ctx, loaderKey{}, l)
}

// Prefetch loads the scores of a page of customers in one batch and primes
// the request's loader with them. Connection resolvers call it when the
// selection asks for scores: batching then does not depend on timing.
func (s *Service) Prefetch(ctx context.Context, ids []int) error {
	l, ok := ctx.Value(loaderKey{}).(*dataloader.Loader[int, *Customer])
	if _, tx := inTx(ctx); !ok || tx || len(ids) == 0 {
		return nil
	}
	cs, err := s.Customers(ctx, ids)
	if err != nil {
		return err
	}
	for i, id := range ids {
		l.Prime(ctx, id, cs[i])
	}
	return nil
}

// Customer returns one customer's scores, batched with the others of the
// request when a loader is installed.
func (s *Service) Customer(ctx context.Context, id int) (*Customer, error) {
	if _, ok := inTx(ctx); !ok {
		if l, ok := ctx.Value(loaderKey{}).(*dataloader.Loader[int, *Customer]); ok {
			return l.Load(ctx, id)()
		}
	}
	cs, err := s.Customers(ctx, []int{id})
	if err != nil {
		return nil, err
	}
	return cs[0], nil
}

// invalidateHook keeps the figures right after every write that changes
// their inputs: it refreshes the summaries and totals of what the write
// touched (Refresh) and moves the cache scopes of its customers and of the
// segments to new versions. In a transaction, the refresh runs once for all
// its writes just before the commit, and the invalidation right after it
// (before the mutation's response is sent); outside one, both right away.
func (s *Service) invalidateHook(next ent.Mutator) ent.Mutator {
	return ent.MutateFunc(func(ctx context.Context, m ent.Mutation) (ent.Value, error) {
		ch, all, err := s.affected(ctx, m)
		if err == errNoInput {
			return next.Mutate(ctx, m)
		}
		if err != nil {
			return nil, err
		}
		v, err := next.Mutate(ctx, m)
		if err != nil {
			return v, err
		}
		if m.Op().Is(ent.OpCreate) {
			switch v := v.(type) {
			case *ent.Customer:
				ch.Customers = append(ch.Customers, v.ID)
			case *ent.Persona:
				ch.Personas = append(ch.Personas, v.ID)
			}
		}
		tx := txOf(m)
		if tx == nil {
			if err := s.refresh(ctx, clientOf(m), ch, all); err != nil {
				return nil, err
			}
			s.invalidate(ctx, ch.Customers, all)
			return v, nil
		}
		s.pending(tx, ch, all)
		return v, nil
	})
}

// A write is what a transaction's writes changed so far.
type write struct {
	ch  Change
	all bool
}

// add merges the change of one more write: a customer's membership before
// is the one recorded at its first write.
func (w *write) add(ch Change, all bool) {
	w.ch.Customers = append(w.ch.Customers, ch.Customers...)
	w.ch.Personas = append(w.ch.Personas, ch.Personas...)
	for id, ps := range ch.Before {
		if _, ok := w.ch.Before[id]; !ok {
			w.ch.Before[id] = ps
		}
	}
	if len(ch.Before) > 0 {
		// Recorded on two days: ages moved between them.
		w.ch.AllPersonas = w.ch.AllPersonas || w.ch.BeforeDay != "" && w.ch.BeforeDay != ch.BeforeDay
		w.ch.BeforeDay = ch.BeforeDay
	}
	w.ch.AllPersonas = w.ch.AllPersonas || ch.AllPersonas
	w.all = w.all || all
}

// change is the transaction's change, each customer and persona once.
func (w *write) change() Change {
	ch := w.ch
	slices.Sort(ch.Customers)
	ch.Customers = slices.Compact(ch.Customers)
	slices.Sort(ch.Personas)
	ch.Personas = slices.Compact(ch.Personas)
	return ch
}

// pending adds a write to its transaction's, installing the refresh before
// the commit and the invalidation after it on the transaction's first.
func (s *Service) pending(tx *ent.Tx, ch Change, all bool) {
	s.mu.Lock()
	w, ok := s.writes[tx]
	if !ok {
		w = &write{ch: Change{Before: make(map[int][]int)}}
		s.writes[tx] = w
	}
	w.add(ch, all)
	s.mu.Unlock()
	if ok {
		return
	}
	take := func() *write {
		s.mu.Lock()
		defer s.mu.Unlock()
		w := s.writes[tx]
		delete(s.writes, tx)
		return w
	}
	tx.OnCommit(func(next ent.Committer) ent.Committer {
		return ent.CommitFunc(func(ctx context.Context, tx *ent.Tx) error {
			w := take()
			ch := w.change()
			if err := s.refresh(ctx, tx.Client(), ch, w.all); err != nil {
				return err
			}
			if err := next.Commit(ctx, tx); err != nil {
				return err
			}
			s.invalidate(ctx, ch.Customers, w.all)
			return nil
		})
	})
	tx.OnRollback(func(next ent.Rollbacker) ent.Rollbacker {
		return ent.RollbackFunc(func(ctx context.Context, tx *ent.Tx) error {
			take()
			return next.Rollback(ctx, tx)
		})
	})
}

func (s *Service) refresh(ctx context.Context, client *ent.Client, ch Change, all bool) error {
	if all {
		return Rebuild(ctx, client, s.dialect)
	}
	return Refresh(ctx, client, s.dialect, ch)
}

func (s *Service) invalidate(ctx context.Context, ids []int, all bool) {
	if all {
		s.cache.InvalidateAll(ctx)
	}
	scopes := make([]string, 0, len(ids)+1)
	for _, id := range ids {
		scopes = append(scopes, customerScope(id))
	}
	s.cache.Invalidate(ctx, append(scopes, segmentsScope)...)
}

// Hook returns the invalidation hook to install with client.Use.
func (s *Service) Hook() ent.Hook { return s.invalidateHook }

// InvalidateAll drops every cached figure (after an import).
func (s *Service) InvalidateAll(ctx context.Context) { s.cache.InvalidateAll(ctx) }

// errNoInput is affected's answer for the tables no figure reads.
var errNoInput = errors.New("no figure's input")

// affected is what a mutation changes, found before it runs (a customer or
// persona it creates is known after); all is true when that cannot be
// known. A write of a table no figure reads is errNoInput.
func (s *Service) affected(ctx context.Context, m ent.Mutation) (ch Change, all bool, err error) {
	switch m := m.(type) {
	case *ent.CustomerEventMutation, *ent.WebhookMutation, *ent.WebhookDeliveryMutation,
		*ent.SummaryMutation, *ent.MonthSummaryMutation, *ent.MonthTotalMutation, *ent.SegmentTotalMutation:
		return ch, false, errNoInput // the log, its deliveries, the figures' own tables
	case *ent.OrderMutation:
		ch.Customers, all, err = owners(ctx, m, m.CustomerID, func(ctx context.Context, ids []int) ([]int, error) {
			return m.Client().Order.Query().Where(order.IDIn(ids...)).Unique(true).Select(order.FieldCustomerID).Ints(ctx)
		})
		return ch, all, err
	case *ent.FeedbackMutation:
		ch.Customers, all, err = owners(ctx, m, m.CustomerID, func(ctx context.Context, ids []int) ([]int, error) {
			return m.Client().Feedback.Query().Where(feedback.IDIn(ids...)).Unique(true).Select(feedback.FieldCustomerID).Ints(ctx)
		})
		return ch, all, err
	case *ent.CustomerMutation:
		if m.Op().Is(ent.OpCreate) {
			return ch, false, nil
		}
		if ch.Customers, err = m.IDs(ctx); err != nil {
			return ch, false, err
		}
		if m.Op().Is(ent.OpDelete|ent.OpDeleteOne) || changesMembership(m) {
			ch.Before, ch.BeforeDay, err = Members(ctx, m.Client(), s.dialect, ch.Customers)
		}
		return ch, false, err
	case *ent.PersonaMutation:
		if !m.Op().Is(ent.OpCreate) {
			ch.Personas, err = m.IDs(ctx)
		}
		return ch, false, err
	case *ent.OrderItemMutation, *ent.IdentityMutation, *ent.MergeMutation:
		return ch, false, nil
	}
	slog.WarnContext(ctx, "scores: unknown mutation type; refreshing every figure", "type", m.Type())
	return ch, true, nil
}

// changesMembership reports whether a customer mutation sets or clears a
// field persona membership looks at (personas.Profile).
func changesMembership(m *ent.CustomerMutation) bool {
	for _, f := range []string{customer.FieldBirthDate, customer.FieldGender, customer.FieldIncomeBand, customer.FieldCountry, customer.FieldKind} {
		if _, set := m.Field(f); set || m.FieldCleared(f) {
			return true
		}
	}
	return false
}

// ownedMutation is an order's or a feedback's mutation.
type ownedMutation interface {
	ent.Mutation
	IDs(context.Context) ([]int, error)
}

// owners are the customers of the rows a mutation of orders or feedback
// writes: the new owner on a create, the old owners and the new one on an
// update or a delete of any number of rows (a merge moving them, an
// erasure).
func owners(ctx context.Context, m ownedMutation, owner func() (int, bool), ownersOf func(context.Context, []int) ([]int, error)) ([]int, bool, error) {
	var ids []int
	if id, ok := owner(); ok {
		ids = append(ids, id)
	}
	if m.Op().Is(ent.OpCreate) {
		return ids, len(ids) == 0, nil
	}
	rows, err := m.IDs(ctx)
	if err != nil {
		return nil, false, fmt.Errorf("finding the rows' customers: %w", err)
	}
	for lo := 0; lo < len(rows); lo += maxIDs {
		was, err := ownersOf(ctx, rows[lo:min(lo+maxIDs, len(rows))])
		if err != nil {
			return nil, false, fmt.Errorf("finding the rows' customers: %w", err)
		}
		ids = append(ids, was...)
	}
	return ids, false, nil
}

// clientOf is the client a mutation runs through.
func clientOf(m ent.Mutation) *ent.Client {
	return m.(interface{ Client() *ent.Client }).Client()
}

func txOf(m ent.Mutation) *ent.Tx {
	type txer interface{ Tx() (*ent.Tx, error) }
	if t, ok := m.(txer); ok {
		if tx, err := t.Tx(); err == nil {
			return tx
		}
	}
	return nil
}

// Open builds the service with the cache the configuration names (Redis when
// redisURL is set, in-process otherwise) and installs its invalidation hook
// on the client, so every write through it keeps the cache right.
func Open(client *ent.Client, dialect, redisURL string, ttl time.Duration, opts ...cache.OpenOption) (*Service, error) {
	c, err := cache.Open(redisURL, ttl, opts...)
	if err != nil {
		return nil, err
	}
	s := New(client, dialect, c)
	client.Use(s.Hook())
	return s, nil
}

// Cache returns the store, shared with other users of the same backend
// (persisted queries).
func (s *Service) Cache() *cache.Store { return s.cache }

// Close releases the cache.
func (s *Service) Close() error { return s.cache.Close() }

// CacheBackend names the cache in use.
func (s *Service) CacheBackend() string { return s.cache.Backend() }

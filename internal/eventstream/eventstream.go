// Package eventstream delivers committed customer events to live
// subscribers. The log (customer_events) is the truth: each process tails
// it in id order, woken at once by its own commits (Wake) and every
// interval for those of other processes, so several processes behind a load
// balancer all deliver every event. A subscriber resuming after an event id
// is first given what it missed from the log, then the live events, each
// once and in id order.
package eventstream

import (
	"context"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/c360/c360/ent"
	"github.com/c360/c360/ent/customerevent"
	"github.com/c360/c360/ent/predicate"
	"github.com/c360/c360/internal/store"
)

// Filter selects a subscription's events: one customer's (nil: all), of
// some types (none: all).
type Filter struct {
	CustomerID *int
	Types      []customerevent.Type
}

func (f Filter) match(e *ent.CustomerEvent) bool {
	if f.CustomerID != nil && (e.CustomerID == nil || *e.CustomerID != *f.CustomerID) {
		return false
	}
	return len(f.Types) == 0 || slices.Contains(f.Types, e.Type)
}

func (f Filter) predicates() []predicate.CustomerEvent {
	var ps []predicate.CustomerEvent
	if f.CustomerID != nil {
		ps = append(ps, customerevent.CustomerID(*f.CustomerID))
	}
	if len(f.Types) > 0 {
		ps = append(ps, customerevent.TypeIn(f.Types...))
	}
	return ps
}

// page is how many events one read of the log takes.
const page = 500

// Stream tails the log for the subscribers of one process; without
// subscribers it reads nothing.
type Stream struct {
	client   *ent.Client
	interval time.Duration
	gaps     *Gaps
	wake     chan struct{}

	mu      sync.Mutex
	last    int // every event up to last was handed out
	started bool
	subs    map[*subscriber]struct{}
}

type subscriber struct {
	filter Filter
	live   chan *ent.CustomerEvent
	behind chan struct{} // closed when the subscriber's buffer overflowed
}

// New returns a stream; Run tails the log.
func New(client *ent.Client, interval, gapWait time.Duration) *Stream {
	return &Stream{client: client, interval: interval, gaps: NewGaps(gapWait), wake: make(chan struct{}, 1),
		subs: map[*subscriber]struct{}{}}
}

// Wake makes the stream read the log now (after a commit of this process).
func (s *Stream) Wake() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// Run tails the log until ctx ends.
func (s *Stream) Run(ctx context.Context) {
	t := time.NewTicker(s.interval)
	defer t.Stop()
	for {
		if err := s.poll(ctx); err != nil && ctx.Err() == nil {
			slog.WarnContext(ctx, "eventstream: reading the log", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-s.wake:
		}
	}
}

// startLocked sets the position to the end of the log when the stream is
// not running; s.mu is held.
func (s *Stream) startLocked(ctx context.Context) error {
	if s.started {
		return nil
	}
	last, err := store.LastEventID(ctx, s.client)
	if err != nil {
		return err
	}
	s.last, s.started = last, true
	s.gaps.Forget(last)
	return nil
}

// poll reads the events after the position and hands them out.
func (s *Stream) poll(ctx context.Context) error {
	s.mu.Lock()
	if len(s.subs) == 0 { // nobody listens: no reads; the next subscriber starts at the end
		s.started = false
		s.mu.Unlock()
		return nil
	}
	err := s.startLocked(ctx)
	s.mu.Unlock()
	if err != nil {
		return err
	}
	for {
		s.mu.Lock()
		last := s.last
		s.mu.Unlock()
		events, err := s.client.CustomerEvent.Query().Where(customerevent.IDGT(last)).
			Order(ent.Asc(customerevent.FieldID)).Limit(page).All(ctx)
		if err != nil || len(events) == 0 {
			return err
		}
		if s.deliver(events) < page {
			return nil
		}
	}
}

// deliver hands out the events that follow the position without a gap (or
// after a gap older than gapWait) and returns how many.
func (s *Stream) deliver(events []*ent.CustomerEvent) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, e := range events {
		if e.ID != s.last+1 && !s.gaps.Waited(s.last+1) {
			break // an earlier transaction may still commit its events
		}
		s.last = e.ID
		n++
		for sub := range s.subs {
			if !sub.filter.match(e) {
				continue
			}
			select {
			case sub.live <- e:
			default:
				close(sub.behind)
				delete(s.subs, sub)
			}
		}
	}
	s.gaps.Forget(s.last)
	return n
}

// Subscribe returns the events matching f after the event id after (nil:
// from now on), until ctx ends. The channel also closes when the subscriber
// falls more than a buffer behind or the log cannot be read: the client
// resumes with afterEventID set to the last event it got.
func (s *Stream) Subscribe(ctx context.Context, f Filter, after *int) (<-chan *ent.CustomerEvent, error) {
	sub := &subscriber{filter: f, live: make(chan *ent.CustomerEvent, 1024), behind: make(chan struct{})}
	s.mu.Lock()
	if err := s.startLocked(ctx); err != nil {
		s.mu.Unlock()
		return nil, err
	}
	s.subs[sub] = struct{}{}
	from := s.last // live events come after it
	s.mu.Unlock()
	if after != nil {
		from = *after
	}
	out := make(chan *ent.CustomerEvent)
	go func() {
		defer close(out)
		defer func() {
			s.mu.Lock()
			delete(s.subs, sub)
			s.mu.Unlock()
		}()
		send := func(e *ent.CustomerEvent) bool {
			if e.ID <= from {
				return true // given already
			}
			select {
			case out <- e:
				from = e.ID
				return true
			case <-ctx.Done():
				return false
			}
		}
		// What the subscriber missed, from the log, up to what the stream
		// has handed out (its live channel holds what came meanwhile).
		for after != nil {
			s.mu.Lock()
			upTo := s.last
			s.mu.Unlock()
			missed, err := s.client.CustomerEvent.Query().
				Where(append(f.predicates(), customerevent.IDGT(from), customerevent.IDLTE(upTo))...).
				Order(ent.Asc(customerevent.FieldID)).Limit(page).All(ctx)
			if err != nil {
				slog.WarnContext(ctx, "eventstream: replaying the log", "err", err)
				return
			}
			for _, e := range missed {
				if !send(e) {
					return
				}
			}
			if len(missed) < page {
				break
			}
		}
		for {
			select {
			case <-ctx.Done():
				return
			case <-sub.behind:
				return
			case e := <-sub.live:
				if !send(e) {
					return
				}
			}
		}
	}()
	return out, nil
}

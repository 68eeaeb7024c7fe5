// Package webhooks sends customer events to the HTTP endpoints registered
// as webhooks, signed the Standard Webhooks way, at least once, in event
// order per customer.
//
// The event log is the truth and every step is a row, so any number of
// processes share the work and a crash loses nothing:
//   - enqueue: each webhook's position is the last event whose delivery is
//     recorded; a process records the deliveries of the events after it and
//     moves it in one transaction, on the condition that no other process
//     moved it meanwhile;
//   - send: a delivery is due when no earlier delivery of its webhook and
//     customer is pending; a process claims it with a lease, posts it, and
//     records the attempt: delivered, retried with exponential backoff and
//     jitter, or dead after MaxAttempts (which deactivates the webhook until
//     a replay). A lease that runs out (a crash mid-send) frees it again.
package webhooks

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"time"

	entsql "entgo.io/ent/dialect/sql"
	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"github.com/c360/c360/ent"
	"github.com/c360/c360/ent/customerevent"
	"github.com/c360/c360/ent/webhook"
	"github.com/c360/c360/ent/webhookdelivery"
	"github.com/c360/c360/internal/activity"
	"github.com/c360/c360/internal/eventstream"
	"github.com/c360/c360/internal/store"
	"github.com/c360/c360/internal/webhooks/delivery"
)

// Config tunes delivery (config.Config reads it from the environment).
type Config struct {
	// AllowPrivateNetworks lets webhooks target loopback and private
	// addresses (WEBHOOK_ALLOW_PRIVATE_NETWORKS; tests).
	AllowPrivateNetworks bool
	// MaxAttempts failed attempts make a delivery dead.
	MaxAttempts int
	// RetryBase is the wait after the first failure; it doubles with each
	// further one, up to RetryMax, and is jittered to between half and all
	// of it.
	RetryBase, RetryMax time.Duration
	// Timeout bounds one attempt.
	Timeout time.Duration
	// Concurrency bounds the attempts in flight in one process.
	Concurrency int
	// PollInterval is how often the log and the due deliveries are read
	// (commits of this process wake the dispatcher at once).
	PollInterval time.Duration
	// GapWait is how long an event id missing below a committed one is
	// waited for (eventstream's EVENT_GAP_WAIT).
	GapWait time.Duration
}

// Dispatcher records and sends the deliveries of every webhook.
type Dispatcher struct {
	client *ent.Client
	cfg    Config
	http   *http.Client
	wake   chan struct{}
	gaps   *eventstream.Gaps // the log's missing ids, as the event stream waits for them

	mu       sync.Mutex
	inFlight map[int]bool // deliveries this process is sending
}

// New returns a dispatcher; Run does the work.
func New(client *ent.Client, cfg Config) *Dispatcher {
	return &Dispatcher{client: client, cfg: cfg, wake: make(chan struct{}, 1), inFlight: map[int]bool{}, gaps: eventstream.NewGaps(cfg.GapWait),
		http: &http.Client{Timeout: cfg.Timeout, Transport: Transport(cfg.AllowPrivateNetworks),
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

// Wake makes the dispatcher look at the log now (after a commit).
func (d *Dispatcher) Wake() {
	select {
	case d.wake <- struct{}{}:
	default:
	}
}

// Run enqueues and sends until ctx ends; attempts in flight are let finish.
func (d *Dispatcher) Run(ctx context.Context) {
	t := time.NewTicker(d.cfg.PollInterval)
	defer t.Stop()
	sem := make(chan struct{}, d.cfg.Concurrency)
	var wg sync.WaitGroup
	defer wg.Wait()
	var idleSince time.Time // when no webhook was found; zero while there are some
	var swept time.Time     // the last FreeStranded
	for {
		var due []*ent.WebhookDelivery
		if idleSince.IsZero() || time.Since(idleSince) >= idleCheck {
			n, err := d.enqueueAll(ctx)
			if err != nil && ctx.Err() == nil {
				slog.WarnContext(ctx, "webhooks: recording deliveries", "err", err)
			}
			switch {
			case err == nil && n == 0:
				idleSince = time.Now()
			case err == nil:
				idleSince = time.Time{}
				if time.Since(swept) >= sweepEvery {
					swept = time.Now()
					if err := FreeStranded(ctx, d.client, 0); err != nil && ctx.Err() == nil {
						slog.WarnContext(ctx, "webhooks: freeing stranded deliveries", "err", err)
					}
				}
				if due, err = d.due(ctx, d.cfg.Concurrency*4); err != nil && ctx.Err() == nil {
					slog.WarnContext(ctx, "webhooks: reading due deliveries", "err", err)
				}
			}
		}
		for _, dl := range due {
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
				return
			}
			d.mu.Lock()
			busy := d.inFlight[dl.ID]
			d.inFlight[dl.ID] = true // before the next due leaves it out
			d.mu.Unlock()
			if busy {
				<-sem
				continue
			}
			wg.Add(1)
			go func() {
				defer func() {
					d.mu.Lock()
					delete(d.inFlight, dl.ID)
					d.mu.Unlock()
					<-sem
					wg.Done()
				}()
				if err := d.attempt(context.WithoutCancel(ctx), dl); err != nil && ctx.Err() == nil {
					slog.WarnContext(ctx, "webhooks: delivering", "delivery", dl.ID, "err", err)
				}
				d.Wake() // the customer's next delivery may be due now
			}()
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-d.wake:
		}
	}
}

// sweepEvery is how often the dispatcher frees stranded deliveries
// (FreeStranded): at most this late, and rarely at all.
const sweepEvery = 10 * time.Second

// page is how many events one read of the log takes.
const page = 1000

// idleCheck is how often a process without webhooks looks for some (one
// created through any process): an idle dispatcher costs next to nothing.
const idleCheck = 5 * time.Second

// enqueueAll records the deliveries of the events after each webhook's
// position, and returns how many webhooks there are. The log is read once
// for all the webhooks a page of it reaches (in the steady state all of
// them: they follow the log together), not once per webhook.
func (d *Dispatcher) enqueueAll(ctx context.Context) (int, error) {
	hooks, err := d.client.Webhook.Query().Order(webhook.ByID()).All(ctx)
	if err != nil {
		return 0, err
	}
	var errs []error
	for pending := hooks; len(pending) > 0; {
		from := pending[0].Position
		for _, w := range pending[1:] {
			from = min(from, w.Position)
		}
		events, err := d.client.CustomerEvent.Query().Where(customerevent.IDGT(from)).
			Order(customerevent.ByID()).Limit(page).
			Select(customerevent.FieldType, customerevent.FieldOccurredAt, customerevent.FieldCustomerID).All(ctx)
		if err != nil || len(events) == 0 {
			return len(hooks), errors.Join(append(errs, err)...)
		}
		last, full := events[len(events)-1].ID, len(events) == page
		var next []*ent.Webhook
		for _, w := range pending {
			i, _ := slices.BinarySearchFunc(events, w.Position+1, func(e *ent.CustomerEvent, id int) int { return cmp.Compare(e.ID, id) })
			if i < len(events) {
				if err := d.enqueue(ctx, w, events[i:]); err != nil {
					errs = append(errs, err)
					continue
				}
			}
			if full && w.Position >= last { // the log goes on past this page
				next = append(next, w)
			}
		}
		pending = next
	}
	return len(hooks), errors.Join(errs...)
}

// enqueue records the deliveries of the events (those after w's position,
// in id order) that follow it without a gap (or after a gap older than
// GapWait), and moves w's position past them.
func (d *Dispatcher) enqueue(ctx context.Context, w *ent.Webhook, events []*ent.CustomerEvent) error {
	upTo := w.Position
	var owed []*ent.CustomerEvent
	for _, e := range events {
		if e.ID != upTo+1 && !d.gaps.Waited(upTo+1) {
			break // an earlier transaction may still commit its events
		}
		upTo = e.ID
		if slices.Contains(w.Types, string(e.Type)) {
			owed = append(owed, e)
		}
	}
	if upTo == w.Position {
		return nil
	}
	err := store.WithTx(ctx, d.client, func(tx *ent.Client) error {
		// The position moves only from where this process read it.
		n, err := tx.Webhook.Update().Where(webhook.ID(w.ID), webhook.Position(w.Position)).SetPosition(upTo).Save(ctx)
		if err != nil || n == 0 {
			return err // another process recorded them
		}
		// A delivery behind a pending one of its customer is queued: the
		// one ahead frees it when delivered.
		waiting, err := customersWaiting(ctx, tx, w.ID, owed)
		if err != nil {
			return err
		}
		for lo := 0; lo < len(owed); lo += 500 {
			creates := make([]*ent.WebhookDeliveryCreate, 0, 500)
			for _, e := range owed[lo:min(lo+500, len(owed))] {
				c := tx.WebhookDelivery.Create().SetWebhookID(w.ID).SetEventID(e.ID)
				if e.CustomerID != nil {
					c.SetCustomerID(*e.CustomerID).SetQueued(waiting[*e.CustomerID])
					waiting[*e.CustomerID] = true
				}
				creates = append(creates, c)
			}
			err := tx.WebhookDelivery.CreateBulk(creates...).
				OnConflictColumns(webhookdelivery.FieldWebhookID, webhookdelivery.FieldEventID).DoNothing().Exec(ctx)
			if err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("webhook %d: %w", w.ID, err)
	}
	w.Position = upTo
	d.gaps.Forget(upTo)
	return nil
}

// customersWaiting returns the customers of events that have a pending
// delivery to webhook w: their new deliveries queue behind it.
func customersWaiting(ctx context.Context, tx *ent.Client, w int, events []*ent.CustomerEvent) (map[int]bool, error) {
	var ids []int
	for _, e := range events {
		if e.CustomerID != nil {
			ids = append(ids, *e.CustomerID)
		}
	}
	slices.Sort(ids)
	ids = slices.Compact(ids)
	waiting := make(map[int]bool, len(ids))
	for lo := 0; lo < len(ids); lo += 500 {
		pending, err := tx.WebhookDelivery.Query().Where(webhookdelivery.WebhookID(w),
			webhookdelivery.CustomerIDIn(ids[lo:min(lo+500, len(ids))]...), webhookdelivery.StatusEQ(delivery.Pending)).
			GroupBy(webhookdelivery.FieldCustomerID).Ints(ctx)
		if err != nil {
			return nil, err
		}
		for _, c := range pending {
			waiting[c] = true
		}
	}
	return waiting, nil
}

// free lets the next pending delivery of dl's customer to its webhook go,
// now that dl is no longer pending.
func free(ctx context.Context, client *ent.Client, dl *ent.WebhookDelivery) error {
	if dl.CustomerID == 0 {
		return nil
	}
	next, err := client.WebhookDelivery.Query().Where(webhookdelivery.WebhookID(dl.WebhookID),
		webhookdelivery.CustomerID(dl.CustomerID), webhookdelivery.StatusEQ(delivery.Pending)).
		Order(webhookdelivery.ByEventID()).First(ctx)
	if ent.IsNotFound(err) || (err == nil && !next.Queued) {
		return nil
	}
	if err != nil {
		return err
	}
	return client.WebhookDelivery.UpdateOneID(next.ID).SetQueued(false).SetNextAttemptAt(time.Now().UTC()).Exec(ctx)
}

// firstPending keeps the deliveries with no pending delivery of their
// webhook and customer ahead of them.
func firstPending(s *entsql.Selector) {
	t := entsql.Table(webhookdelivery.Table).As("earlier")
	s.Where(entsql.NotExists(entsql.Select(t.C(webhookdelivery.FieldID)).From(t).Where(entsql.And(
		entsql.ColumnsEQ(t.C(webhookdelivery.FieldWebhookID), s.C(webhookdelivery.FieldWebhookID)),
		entsql.ColumnsEQ(t.C(webhookdelivery.FieldCustomerID), s.C(webhookdelivery.FieldCustomerID)),
		entsql.EQ(t.C(webhookdelivery.FieldStatus), delivery.Pending),
		entsql.ColumnsLT(t.C(webhookdelivery.FieldEventID), s.C(webhookdelivery.FieldEventID))))))
}

// FreeStranded frees the queued deliveries with nothing pending ahead of
// them (of webhook w, or of every webhook when w is 0). A delivery recorded
// while the one ahead of it was being delivered in another transaction can
// be queued with nothing left to free it; the dispatcher sweeps them up
// every sweepEvery, and a replay at once.
func FreeStranded(ctx context.Context, client *ent.Client, w int) error {
	u := client.WebhookDelivery.Update().Where(webhookdelivery.StatusEQ(delivery.Pending), webhookdelivery.Queued(true),
		firstPending)
	if w != 0 {
		u.Where(webhookdelivery.WebhookID(w))
	}
	return u.SetQueued(false).SetNextAttemptAt(time.Now().UTC()).Exec(ctx)
}

// due returns up to n deliveries to send now: pending, their time come, not
// leased, of an active webhook, and the first pending one of their webhook
// and customer (so a customer's events arrive in order).
func (d *Dispatcher) due(ctx context.Context, n int) ([]*ent.WebhookDelivery, error) {
	now := time.Now().UTC()
	d.mu.Lock()
	busy := make([]int, 0, len(d.inFlight))
	for id := range d.inFlight {
		busy = append(busy, id)
	}
	d.mu.Unlock()
	return d.client.WebhookDelivery.Query().Where(
		webhookdelivery.StatusEQ(delivery.Pending), webhookdelivery.Queued(false), webhookdelivery.NextAttemptAtLTE(now),
		webhookdelivery.Or(webhookdelivery.LeaseUntilIsNil(), webhookdelivery.LeaseUntilLT(now)),
		webhookdelivery.IDNotIn(busy...),
		webhookdelivery.HasWebhookWith(webhook.Active(true)), firstPending).
		WithWebhook().WithEvent().
		Order(webhookdelivery.ByNextAttemptAt(), webhookdelivery.ByID()).Limit(n).All(ctx)
}

// attempt claims dl, posts it and records the outcome.
func (d *Dispatcher) attempt(ctx context.Context, dl *ent.WebhookDelivery) error {
	now := time.Now().UTC()
	n, err := d.client.WebhookDelivery.Update().Where(webhookdelivery.ID(dl.ID), webhookdelivery.StatusEQ(delivery.Pending),
		webhookdelivery.Or(webhookdelivery.LeaseUntilIsNil(), webhookdelivery.LeaseUntilLT(now))).
		SetLeaseUntil(now.Add(d.cfg.Timeout + leaseMargin)).Save(ctx)
	if err != nil || n == 0 {
		return err // another process sends it
	}
	w, e := dl.Edges.Webhook, dl.Edges.Event // loaded by due
	a := d.post(ctx, w, e)
	attempts := append(dl.Attempts, a)
	switch {
	case a.Error == nil:
		err := d.client.WebhookDelivery.UpdateOneID(dl.ID).SetAttempts(attempts).ClearLeaseUntil().
			SetStatus(delivery.Delivered).SetDeliveredAt(a.At).Exec(ctx)
		if err != nil {
			return err
		}
		return free(ctx, d.client, dl)
	case len(attempts) < d.cfg.MaxAttempts:
		wait := d.backoff(len(attempts))
		if wait < d.cfg.PollInterval {
			time.AfterFunc(wait, d.Wake) // sooner than the next poll
		}
		return d.client.WebhookDelivery.UpdateOneID(dl.ID).SetAttempts(attempts).ClearLeaseUntil().
			SetNextAttemptAt(time.Now().UTC().Add(wait)).Exec(ctx)
	}
	return store.WithTx(ctx, d.client, func(tx *ent.Client) error {
		err := tx.WebhookDelivery.UpdateOneID(dl.ID).SetAttempts(attempts).ClearLeaseUntil().
			SetStatus(delivery.Dead).Exec(ctx)
		if err != nil {
			return err
		}
		return tx.Webhook.UpdateOneID(w.ID).SetActive(false).Exec(ctx)
	})
}

// backoff is the wait after the n-th failed attempt: RetryBase doubled
// n-1 times, at most RetryMax, jittered to between half and all of it so
// that the retries of many deliveries spread out.
func (d *Dispatcher) backoff(n int) time.Duration {
	wait := d.cfg.RetryMax
	if n-1 < 30 && d.cfg.RetryBase<<(n-1) < wait {
		wait = d.cfg.RetryBase << (n - 1)
	}
	return wait/2 + rand.N(wait/2+1)
}

// Payload is the body of a delivery: {type, timestamp, data}.
type Payload struct {
	Type      string    `json:"type"`
	Timestamp time.Time `json:"timestamp"`
	Data      EventData `json:"data"`
}

// EventData is the event a delivery carries. IDs are the API's global ids.
type EventData struct {
	EventID    string                 `json:"eventID"`
	CustomerID *string                `json:"customerID"`
	SubjectID  *string                `json:"subjectID"`
	Summary    string                 `json:"summary"`
	Changes    []activity.FieldChange `json:"changes"`
}

// MessageID is the webhook-id of an event's deliveries: the same for every
// attempt and replay, so receivers drop duplicates by it.
func MessageID(eventID int) string { return "evt_" + strconv.Itoa(eventID) }

// post sends e to w once.
func (d *Dispatcher) post(ctx context.Context, w *ent.Webhook, e *ent.CustomerEvent) delivery.Attempt {
	start := time.Now().UTC()
	a := delivery.Attempt{At: start}
	fail := func(msg string) delivery.Attempt {
		a.Error, a.Duration = &msg, time.Since(start)
		return a
	}
	body, err := json.Marshal(payload(e))
	if err != nil {
		return fail(err.Error())
	}
	signer, err := standardwebhooks.NewWebhook(w.Secret)
	if err != nil {
		return fail("the secret: " + err.Error())
	}
	id := MessageID(e.ID)
	sig, err := signer.Sign(id, start, body)
	if err != nil {
		return fail(err.Error())
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.URL, bytes.NewReader(body))
	if err != nil {
		return fail(err.Error())
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "c360-webhooks")
	req.Header.Set(standardwebhooks.HeaderWebhookID, id)
	req.Header.Set(standardwebhooks.HeaderWebhookTimestamp, strconv.FormatInt(start.Unix(), 10))
	req.Header.Set(standardwebhooks.HeaderWebhookSignature, sig)
	resp, err := d.http.Do(req)
	if err != nil {
		return fail(err.Error())
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	a.StatusCode = &resp.StatusCode
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fail("the endpoint answered " + resp.Status)
	}
	a.Duration = time.Since(start)
	return a
}

func payload(e *ent.CustomerEvent) Payload {
	p := Payload{Type: string(e.Type), Timestamp: e.OccurredAt.UTC(),
		Data: EventData{EventID: strconv.Itoa(e.ID), Summary: e.Summary, Changes: e.Changes}}
	if e.CustomerID != nil {
		s := strconv.Itoa(*e.CustomerID)
		p.Data.CustomerID = &s
	}
	if e.SubjectID != nil {
		s := strconv.Itoa(*e.SubjectID)
		p.Data.SubjectID = &s
	}
	if p.Data.Changes == nil {
		p.Data.Changes = []activity.FieldChange{}
	}
	return p
}

// leaseMargin is how long past an attempt's timeout its claim lasts: the
// time to record the outcome. A process that dies mid-attempt holds a
// delivery this long after the timeout.
const leaseMargin = 5 * time.Second

package webhooks

import (
	"context"
	"encoding/base64"
	"net"
	"net/netip"
	"strings"
	"sync/atomic"
	"testing"

	"entgo.io/ent/dialect"

	"github.com/c360/c360/ent"
	"github.com/c360/c360/ent/customerevent"
	"github.com/c360/c360/ent/webhookdelivery"
	"github.com/c360/c360/internal/database"
	"github.com/c360/c360/internal/testservices"
)

func TestMain(m *testing.M) { testservices.Main(m) }

// "N+1 queries are bugs": one pass records every webhook's deliveries
// reading each page of the log once, whatever the number of webhooks
// following it.
func TestWebhooksShareEachReadOfTheLog(t *testing.T) {
	for _, d := range []string{dialect.SQLite, dialect.Postgres} {
		t.Run(d, func(t *testing.T) {
			var logReads atomic.Int64
			db := testservices.OpenDatabase(t, d, database.Options{Wrap: func(drv dialect.Driver) dialect.Driver {
				return dialect.DebugWithContext(drv, func(_ context.Context, v ...any) {
					if s, ok := v[0].(string); ok && strings.Contains(s, "query=SELECT") && strings.Contains(s, customerevent.Table) {
						logReads.Add(1)
					}
				})
			}})
			ctx := context.Background()
			const events = 2500 // two full pages and a half
			creates := make([]*ent.CustomerEventCreate, events)
			for i := range creates {
				creates[i] = db.Client.CustomerEvent.Create().SetType(customerevent.TypeORDER_PLACED).SetSummary("s")
			}
			var first int
			for lo := 0; lo < events; lo += 500 {
				es := db.Client.CustomerEvent.CreateBulk(creates[lo : lo+500]...).SaveX(ctx)
				if lo == 0 {
					first = es[0].ID
				}
			}
			secret := "whsec_" + base64.StdEncoding.EncodeToString([]byte(strings.Repeat("k", 32)))
			const hooks = 5
			for range hooks {
				db.Client.Webhook.Create().SetURL("http://127.0.0.1:9/").SetTypes([]string{"ORDER_PLACED"}).
					SetSecret(secret).SetPosition(first - 1).ExecX(ctx)
			}
			dsp := New(db.Client, Config{AllowPrivateNetworks: true})
			logReads.Store(0)
			if n, err := dsp.enqueueAll(ctx); err != nil || n != hooks {
				t.Fatalf("enqueueAll: %d webhooks, %v", n, err)
			}
			if got := logReads.Load(); got != 3 {
				t.Errorf("%d reads of the log for %d webhooks and %d events, want 3 (one per page)", got, hooks, events)
			}
			for _, w := range db.Client.Webhook.Query().AllX(ctx) {
				if n := db.Client.WebhookDelivery.Query().Where(webhookdelivery.WebhookID(w.ID)).CountX(ctx); n != events || w.Position != first+events-1 {
					t.Errorf("webhook %d: %d deliveries, position %d; want %d up to %d", w.ID, n, w.Position, events, first+events-1)
				}
			}
		})
	}
}

// createWebhook resolves its URL's host before the mutation's transaction
// (Precheck, run by the transaction opener), not inside it, where SQLite's
// only writer would wait on DNS: Create takes Precheck's outcome.
func TestCreateTakesTheURLCheckMadeBeforeTheTransaction(t *testing.T) {
	var lookups atomic.Int64
	lookupIP = func(_ context.Context, _, host string) ([]netip.Addr, error) {
		lookups.Add(1)
		if host == "inside.example" {
			return []netip.Addr{netip.MustParseAddr("10.1.2.3")}, nil
		}
		return []netip.Addr{netip.MustParseAddr("93.184.216.34")}, nil
	}
	t.Cleanup(func() { lookupIP = net.DefaultResolver.LookupNetIP })
	db := testservices.OpenDatabase(t, dialect.SQLite, database.Options{})
	secret := "whsec_" + base64.StdEncoding.EncodeToString([]byte(strings.Repeat("k", 32)))
	urls := []string{"https://hooks.example/a", "https://inside.example/b"}
	ctx := Precheck(context.Background(), urls, false)
	if n := lookups.Load(); n != 2 {
		t.Fatalf("Precheck resolved %d hosts, want 2", n)
	}
	if _, err := Create(ctx, db.Client, urls[0], []customerevent.Type{customerevent.TypeORDER_PLACED}, secret, false); err != nil {
		t.Fatal(err)
	}
	_, err := Create(ctx, db.Client, urls[1], []customerevent.Type{customerevent.TypeORDER_PLACED}, secret, false)
	if err == nil || !strings.Contains(err.Error(), "input.url") || !strings.Contains(err.Error(), "10.1.2.3") {
		t.Errorf("a host resolving to a private address: %v", err)
	}
	if n := lookups.Load(); n != 2 {
		t.Errorf("Create resolved again: %d lookups in all, want Precheck's 2", n)
	}
	if _, err := Create(context.Background(), db.Client, "https://other.example/", []customerevent.Type{customerevent.TypeORDER_PLACED}, secret, false); err != nil || lookups.Load() != 3 {
		t.Errorf("without Precheck, Create checks itself: %v, %d lookups", err, lookups.Load())
	}
}

package webhooks

import (
	"context"
	"encoding/base64"
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

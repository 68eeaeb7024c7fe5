package eventstream

import (
	"context"
	"testing"
	"time"

	"entgo.io/ent/dialect"

	"github.com/c360/c360/ent/customerevent"
	"github.com/c360/c360/internal/database"
	"github.com/c360/c360/internal/testservices"
)

func TestMain(m *testing.M) { testservices.Main(m) }

// Issue 12, "the log as the truth": on PostgreSQL an event id taken by a
// transaction that has not committed is a gap. A later event is held back
// while the gap may still fill, then handed out once the gap has been
// missing for the wait (the transaction rolled back); nothing is skipped
// for good and nothing comes out of order.
func TestAGapIsWaitedForThenTakenForRolledBack(t *testing.T) {
	db := testservices.OpenDatabase(t, dialect.Postgres, database.Options{})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	const wait = 400 * time.Millisecond
	s := New(db.Client, 20*time.Millisecond, wait)
	go s.Run(ctx)
	events, err := s.Subscribe(ctx, Filter{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	first := db.Client.CustomerEvent.Create().SetType(customerevent.TypeCUSTOMER_CREATED).SetSummary("first").SaveX(ctx)
	if e := <-events; e.ID != first.ID {
		t.Fatalf("got event %d, want %d", e.ID, first.ID)
	}
	tx, err := db.Client.Tx(ctx)
	if err != nil {
		t.Fatal(err)
	}
	held := tx.CustomerEvent.Create().SetType(customerevent.TypeCUSTOMER_CREATED).SetSummary("rolled back").SaveX(ctx)
	later := db.Client.CustomerEvent.Create().SetType(customerevent.TypeCUSTOMER_CREATED).SetSummary("later").SaveX(ctx)
	committed := time.Now()
	if held.ID != first.ID+1 || later.ID != first.ID+2 {
		t.Fatalf("ids %d, %d after %d: the test needs them consecutive", held.ID, later.ID, first.ID)
	}
	select {
	case e := <-events:
		t.Fatalf("event %d handed out %v after its commit, with the gap below it still open", e.ID, time.Since(committed))
	case <-time.After(wait / 2):
	}
	if err := tx.Rollback(); err != nil {
		t.Fatal(err)
	}
	select {
	case e := <-events:
		if e.ID != later.ID || time.Since(committed) < wait {
			t.Errorf("event %d after %v, want %d once the gap was waited for (%v)", e.ID, time.Since(committed), later.ID, wait)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the event after the rolled-back id never came")
	}
}

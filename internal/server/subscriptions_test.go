package server_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/coder/websocket/wsjson"
)

const eventsSubscription = `subscription($c: ID, $after: ID) { customerEvents(customerID: $c, afterEventID: $after) { id type summary } }`

type liveEvent struct{ ID, Type, Summary string }

// sse subscribes over Server-Sent Events; events arrive on the channel until
// the returned cancel.
func sse(t *testing.T, a *api, key string, vars map[string]any) (<-chan liveEvent, context.CancelFunc) {
	t.Helper()
	messages, cancel := sseMessages(t, a.url, key, eventsSubscription, vars)
	out := make(chan liveEvent, 16)
	go func() {
		defer close(out)
		for m := range messages {
			data := m.data
			var msg struct {
				Data   struct{ CustomerEvents liveEvent }
				Errors []any
			}
			if json.Unmarshal([]byte(data), &msg) != nil || len(msg.Errors) > 0 {
				t.Errorf("SSE message %s", data)
				return
			}
			out <- msg.Data.CustomerEvents
		}
	}()
	return out, cancel
}

// sseMessage is the data of one Server-Sent Events message and when it was
// read off the connection.
type sseMessage struct {
	data string
	at   time.Time
}

// sseMessages subscribes to query over Server-Sent Events at the server at
// url; the messages arrive on the channel until the returned cancel.
func sseMessages(t testing.TB, url, key, query string, vars map[string]any) (<-chan sseMessage, context.CancelFunc) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	req, _ := http.NewRequestWithContext(ctx, "POST", url+"/graphql", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "text/event-stream")
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	if ct := resp.Header.Get("Content-Type"); resp.StatusCode != 200 || !strings.HasPrefix(ct, "text/event-stream") {
		cancel()
		t.Fatalf("subscribing over SSE: %d %s", resp.StatusCode, ct)
	}
	out := make(chan sseMessage, 1<<16) // a load test's subscriber never waits on its reader
	go func() {
		defer close(out)
		defer resp.Body.Close()
		sc := bufio.NewScanner(resp.Body)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			if data, ok := strings.CutPrefix(sc.Text(), "data: "); ok {
				out <- sseMessage{data, time.Now()}
			}
		}
	}()
	return out, cancel
}

func next(t *testing.T, events <-chan liveEvent) liveEvent {
	t.Helper()
	select {
	case e, ok := <-events:
		if !ok {
			t.Fatal("the subscription ended")
		}
		return e
	case <-time.After(10 * time.Second):
		t.Fatal("no event within 10 s")
	}
	return liveEvent{}
}

// latestEvent is the id of a customer's newest event.
func latestEvent(t *testing.T, a *api, id string) string {
	t.Helper()
	var out struct {
		Customer struct {
			Timeline struct {
				Edges []struct{ Node struct{ ID string } }
			}
		}
	}
	a.ok(`query($id: ID!) { customer(id: $id) { timeline(first: 1) { edges { node { id } } } } }`, map[string]any{"id": id}, &out)
	return out.Customer.Timeline.Edges[0].Node.ID
}

// TestSubscribersGetEachCommittedEventAndResumeAfterOne: over Server-Sent
// Events a subscriber gets the events of its customer as they are
// committed, and one that reconnects with afterEventID first gets what it
// missed, then what comes; other customers' events never.
func TestSubscribersGetEachCommittedEventAndResumeAfterOne(t *testing.T) {
	dialects(t, func(t *testing.T, a *api) {
		id := a.customer(map[string]any{"kind": "INDIVIDUAL", "name": "Aino Virtanen"})
		other := a.customer(map[string]any{"kind": "INDIVIDUAL", "name": "Mario Rossi"})
		events, stop := sse(t, a, "", map[string]any{"c": id, "after": latestEvent(t, a, id)})
		a.order(other, time.Now(), "PAID", "1.00")
		a.feedback(map[string]any{"customerID": id, "kind": "CSAT", "channel": "EMAIL", "score": 5})
		got := next(t, events)
		if got.Type != "FEEDBACK_RECEIVED" {
			t.Fatalf("first event = %+v, want the feedback (not the other customer's order)", got)
		}
		stop()
		a.order(id, time.Now(), "PAID", "2.00") // while disconnected
		events, stop = sse(t, a, "", map[string]any{"c": id, "after": got.ID})
		defer stop()
		if e := next(t, events); e.Type != "ORDER_PLACED" {
			t.Fatalf("after reconnecting: %+v, want the order placed meanwhile", e)
		}
		a.ok(`mutation($id: ID!) { updateCustomer(id: $id, input: {city: "Oulu"}) { id } }`, map[string]any{"id": id}, nil)
		if e := next(t, events); e.Type != "CUSTOMER_UPDATED" {
			t.Fatalf("live after the replay: %+v, want the update", e)
		}
	})
}

// TestWebSocketSubscriptionsAuthenticateAtInitAndCheckOrigins: over
// graphql-transport-ws the credential comes in connection_init (a wrong one
// is refused), a foreign origin is refused, and a subscriber without
// customerID (every customer's events) must be an admin.
func TestWebSocketSubscriptionsAuthenticateAtInitAndCheckOrigins(t *testing.T) {
	a := newSecuredAPI(t, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	wsURL := "ws" + strings.TrimPrefix(a.url, "http") + "/graphql"
	dial := func(origin string) *websocket.Conn {
		h := http.Header{}
		if origin != "" {
			h.Set("Origin", origin)
		}
		c, _, err := websocket.Dial(ctx, wsURL, &websocket.DialOptions{Subprotocols: []string{"graphql-transport-ws"}, HTTPHeader: h})
		if err != nil {
			return nil
		}
		return c
	}
	if c := dial("http://evil.example"); c != nil {
		c.CloseNow()
		t.Error("a WebSocket from a foreign origin was accepted")
	}
	type msg struct {
		ID      string          `json:"id,omitempty"`
		Type    string          `json:"type"`
		Payload json.RawMessage `json:"payload,omitempty"`
	}
	connect := func(key string) (*websocket.Conn, msg) {
		c := dial("")
		if c == nil {
			t.Fatal("dialing failed")
		}
		init, _ := json.Marshal(map[string]string{"Authorization": "Bearer " + key})
		if err := wsjson.Write(ctx, c, msg{Type: "connection_init", Payload: init}); err != nil {
			t.Fatal(err)
		}
		var ack msg
		_ = wsjson.Read(ctx, c, &ack)
		return c, ack
	}
	if c, ack := connect("c360_wrong-key-0123456789012345678901"); ack.Type == "connection_ack" {
		c.CloseNow()
		t.Error("a wrong key was acknowledged")
	}
	c, ack := connect(adminKey)
	defer c.CloseNow()
	if ack.Type != "connection_ack" {
		t.Fatalf("admin's connection_init answered %+v", ack)
	}
	sub, _ := json.Marshal(map[string]any{"query": eventsSubscription})
	if err := wsjson.Write(ctx, c, msg{ID: "1", Type: "subscribe", Payload: sub}); err != nil {
		t.Fatal(err)
	}
	time.Sleep(200 * time.Millisecond) // the subscription starts from now on
	r := a.as(adminKey, `mutation { createCustomer(input: {kind: INDIVIDUAL, name: "Виктор Петров"}) { id } }`, nil)
	if len(r.Errors) > 0 {
		t.Fatal(r.raw)
	}
	var got msg
	if err := wsjson.Read(ctx, c, &got); err != nil || got.Type != "next" || !strings.Contains(string(got.Payload), "CUSTOMER_CREATED") {
		t.Fatalf("over the WebSocket: %+v %s, %v; want the new customer's event", got, got.Payload, err)
	}
	v, ack := connect(viewerKey)
	defer v.CloseNow()
	if ack.Type != "connection_ack" {
		t.Fatalf("viewer's connection_init answered %+v", ack)
	}
	if err := wsjson.Write(ctx, v, msg{ID: "1", Type: "subscribe", Payload: sub}); err != nil {
		t.Fatal(err)
	}
	if err := wsjson.Read(ctx, v, &got); err != nil || (got.Type != "next" && got.Type != "error") || !strings.Contains(string(got.Payload), "FORBIDDEN") {
		t.Errorf("a viewer subscribing to every customer's events: %+v %s, %v; want FORBIDDEN", got, got.Payload, err)
	}
}

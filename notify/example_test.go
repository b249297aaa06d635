package notify_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/callguard/callguard/notify"
	"github.com/coder/websocket"
)

// A Hub serves events to watchers as Server-Sent Events.
func ExampleHub_ServeSSE() {
	hub := notify.NewHub(notify.HubOptions{})
	defer hub.Close()
	srv := httptest.NewServer(http.HandlerFunc(hub.ServeSSE))
	defer srv.Close()

	resp, err := http.Get(srv.URL + "?call=CA1&type=verdict")
	if err != nil {
		panic(err)
	}
	defer resp.Body.Close()
	lines := bufio.NewScanner(resp.Body)
	lines.Scan() // ":ok" comment: the watcher is subscribed
	lines.Scan() // and the blank line ending it

	ctx := context.Background()
	hub.Notify(ctx, notify.Event{ID: "7", Type: notify.TypeCallStarted, CallSid: "CA1"}) // filtered out
	hub.Notify(ctx, notify.Event{
		ID: "8", Type: notify.TypeVerdict, CallSid: "CA1",
		Time: time.Date(2026, 11, 26, 18, 0, 0, 0, time.UTC),
		Data: []byte(`{"label":"fake","score":0.97}`),
	})
	for lines.Scan() && lines.Text() != "" {
		fmt.Println(lines.Text())
	}
	// Output:
	// id: 8
	// event: verdict
	// data: {"id":"8","type":"verdict","call_sid":"CA1","time":"2026-11-26T18:00:00Z","data":{"label":"fake","score":0.97}}
}

// A receiver checks that a webhook came from callguard, unaltered and
// recently.
func ExampleVerifySignature() {
	secret := "whsec_example"
	body := []byte(`{"id":"8","type":"alert","call_sid":"CA1"}`)
	header := notify.Sign(secret, time.Now(), body) // what Webhook sends

	fmt.Println(notify.VerifySignature(secret, header, body, 5*time.Minute))
	tampered := []byte(strings.Replace(string(body), "alert", "verdict", 1))
	fmt.Println(notify.VerifySignature(secret, header, tampered, 5*time.Minute))
	old := notify.Sign(secret, time.Now().Add(-time.Hour), body)
	fmt.Println(notify.VerifySignature(secret, old, body, 5*time.Minute) != nil)
	// Output:
	// <nil>
	// notify: signature mismatch
	// true
}

// Multi sends each event to several notifiers.
func ExampleMulti() {
	logIt := notify.NotifierFunc(func(_ context.Context, e notify.Event) error {
		fmt.Println("log:", e.Type, e.CallSid)
		return nil
	})
	hub := notify.NewHub(notify.HubOptions{})
	defer hub.Close()
	n := notify.Multi(hub, logIt)

	e, err := notify.NewEvent(notify.TypeAlert, "CA1", map[string]any{"score": 0.99})
	if err != nil {
		panic(err)
	}
	fmt.Println(n.Notify(context.Background(), e), string(e.Data))
	// Output:
	// log: alert CA1
	// <nil> {"score":0.99}
}

// Filter.Match is what a Hub applies for each watcher.
func ExampleFilter_Match() {
	f := notify.Filter{CallSids: []string{"CA1"}, Types: []string{notify.TypeVerdict, notify.TypeAlert}}
	fmt.Println(f.Match(notify.Event{Type: notify.TypeAlert, CallSid: "CA1"}))
	fmt.Println(f.Match(notify.Event{Type: notify.TypeAlert, CallSid: "CA2"}))
	fmt.Println(f.Match(notify.Event{Type: notify.TypeCallEnded, CallSid: "CA1"}))
	// Output:
	// true
	// false
	// false
}

// A Webhook POSTs events, signed, to a customer's backend, which checks
// the signature before trusting the body.
func ExampleNewWebhook() {
	const secret = "whsec_example"
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if err := notify.VerifySignature(secret, r.Header.Get(notify.SignatureHeader), body, 0); err != nil {
			http.Error(w, err.Error(), http.StatusUnauthorized)
			return
		}
		var e notify.Event
		_ = json.Unmarshal(body, &e)
		fmt.Println("backend got", e.Type, e.CallSid, string(e.Data))
		w.WriteHeader(http.StatusNoContent)
	}))
	defer backend.Close()

	wh, err := notify.NewWebhook(notify.WebhookOptions{
		URLs:   []string{backend.URL},
		Secret: secret,
		Filter: notify.Filter{Types: []string{notify.TypeAlert}},
	})
	if err != nil {
		panic(err)
	}
	ctx := context.Background()
	wh.Notify(ctx, notify.Event{Type: notify.TypeVerdict, CallSid: "CA1"}) // filtered out
	wh.Notify(ctx, notify.Event{Type: notify.TypeAlert, CallSid: "CA1", Data: []byte(`{"score":0.99}`)})

	// Close delivers what is queued before returning.
	if err := wh.Close(ctx); err != nil {
		panic(err)
	}
	fmt.Printf("%+v\n", wh.Stats())
	// Output:
	// backend got alert CA1 {"score":0.99}
	// {Queued:1 Delivered:1 Retries:0 Failed:0 Dropped:0}
}

// ServeWS sends the same events as JSON text messages over WebSocket.
func ExampleHub_ServeWS() {
	hub := notify.NewHub(notify.HubOptions{})
	defer hub.Close()
	srv := httptest.NewServer(http.HandlerFunc(hub.ServeWS))
	defer srv.Close()

	ctx := context.Background()
	// The watcher is subscribed once the upgrade has succeeded.
	c, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(srv.URL, "http")+"?type=alert", nil)
	if err != nil {
		panic(err)
	}
	defer c.CloseNow()

	hub.Notify(ctx, notify.Event{ID: "1", Type: notify.TypeVerdict, CallSid: "CA1"}) // filtered out
	hub.Notify(ctx, notify.Event{
		ID: "2", Type: notify.TypeAlert, CallSid: "CA1",
		Time: time.Date(2026, 11, 26, 18, 0, 0, 0, time.UTC),
		Data: []byte(`{"score":0.99}`),
	})
	_, msg, err := c.Read(ctx)
	if err != nil {
		panic(err)
	}
	fmt.Println(string(msg))
	// Output:
	// {"id":"2","type":"alert","call_sid":"CA1","time":"2026-11-26T18:00:00Z","data":{"score":0.99}}
}

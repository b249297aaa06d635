package notify_test

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/callguard/callguard/notify"
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

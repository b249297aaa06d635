package notify

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// receiver is a webhook endpoint that verifies signatures like a
// customer's backend would, answering the scripted statuses in turn.
type receiver struct {
	t      *testing.T
	secret string

	mu       sync.Mutex
	statuses []int
	got      []Event
	attempts int
	delivery []string // DeliveryIDHeader of each attempt
	gotEvent chan Event
}

func newReceiver(t *testing.T, secret string, statuses ...int) (*receiver, *httptest.Server) {
	rv := &receiver{t: t, secret: secret, statuses: statuses, gotEvent: make(chan Event, 100)}
	srv := httptest.NewServer(rv)
	t.Cleanup(srv.Close)
	return rv, srv
}

func (rv *receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	if r.Method != http.MethodPost || r.Header.Get("Content-Type") != "application/json" {
		rv.t.Errorf("%s with Content-Type %q", r.Method, r.Header.Get("Content-Type"))
	}
	if err := VerifySignature(rv.secret, r.Header.Get(SignatureHeader), body, time.Minute); err != nil {
		http.Error(w, err.Error(), http.StatusUnauthorized)
		return
	}
	var e Event
	if err := json.Unmarshal(body, &e); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	if r.Header.Get(EventIDHeader) != e.ID || r.Header.Get(EventTypeHeader) != e.Type {
		rv.t.Errorf("headers %v do not match event %+v", r.Header, e)
	}
	rv.mu.Lock()
	rv.attempts++
	rv.delivery = append(rv.delivery, r.Header.Get(DeliveryIDHeader))
	status := http.StatusNoContent
	if len(rv.statuses) > 0 {
		status, rv.statuses = rv.statuses[0], rv.statuses[1:]
	}
	if status < 300 {
		rv.got = append(rv.got, e)
	}
	rv.mu.Unlock()
	if status == http.StatusTooManyRequests {
		w.Header().Set("Retry-After", "1")
	}
	w.WriteHeader(status)
	if status < 300 {
		rv.gotEvent <- e
	}
}

func closeWebhook(t *testing.T, w *Webhook) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := w.Close(ctx); err != nil {
		t.Fatalf("Close: %v", err)
	}
}

func fastRetries(urls []string, secret string) WebhookOptions {
	return WebhookOptions{URLs: urls, Secret: secret, MinBackoff: time.Millisecond, MaxBackoff: 5 * time.Millisecond}
}

func TestWebhookDeliversSigned(t *testing.T) {
	rv1, srv1 := newReceiver(t, "k")
	rv2, srv2 := newReceiver(t, "k")
	opts := fastRetries([]string{srv1.URL, srv2.URL}, "k")
	opts.Filter = Filter{Types: []string{TypeVerdict, TypeAlert}}
	w, err := NewWebhook(opts)
	if err != nil {
		t.Fatal(err)
	}
	want := []Event{ev(1, TypeVerdict, "CA1"), ev(3, TypeAlert, "CA1")}
	mustNotify(t, w, want[0])
	mustNotify(t, w, ev(2, TypeCallEnded, "CA1")) // filtered out
	mustNotify(t, w, want[1])
	closeWebhook(t, w)
	for _, rv := range []*receiver{rv1, rv2} {
		if diff := cmp.Diff(want, rv.got); diff != "" {
			t.Errorf("received (-want +got):\n%s", diff)
		}
		if len(rv.delivery) != 2 || rv.delivery[0] == rv.delivery[1] {
			t.Errorf("delivery IDs %q: want one per event", rv.delivery)
		}
	}
	if rv1.delivery[0] == rv2.delivery[0] {
		t.Errorf("endpoints share delivery ID %q", rv1.delivery[0])
	}
	if st := w.Stats(); st != (WebhookStats{Queued: 4, Delivered: 4}) {
		t.Errorf("Stats = %+v", st)
	}
	if err := w.Notify(context.Background(), want[0]); !errors.Is(err, ErrWebhookClosed) {
		t.Errorf("Notify after Close: %v", err)
	}
}

func TestWebhookWrongSecretIsNotRetried(t *testing.T) {
	rv, srv := newReceiver(t, "right")
	w, err := NewWebhook(fastRetries([]string{srv.URL}, "wrong"))
	if err != nil {
		t.Fatal(err)
	}
	mustNotify(t, w, ev(1, TypeVerdict, "CA1"))
	closeWebhook(t, w)
	if st := w.Stats(); st.Failed != 1 || st.Retries != 0 || st.Delivered != 0 || len(rv.got) != 0 {
		t.Errorf("Stats = %+v, received %d; want 1 failure without retry (401)", st, len(rv.got))
	}
}

func TestWebhookRetries(t *testing.T) {
	rv, srv := newReceiver(t, "k", 500, 503, 429, 200)
	opts := fastRetries([]string{srv.URL}, "k")
	opts.MaxBackoff = 10 * time.Millisecond // caps the Retry-After of 1s
	w, err := NewWebhook(opts)
	if err != nil {
		t.Fatal(err)
	}
	mustNotify(t, w, ev(1, TypeVerdict, "CA1"))
	closeWebhook(t, w)
	if st := w.Stats(); st.Delivered != 1 || st.Retries != 3 || st.Failed != 0 {
		t.Errorf("Stats = %+v, want delivered after 3 retries", st)
	}
	if rv.attempts != 4 || len(rv.got) != 1 {
		t.Errorf("attempts %d, received %d", rv.attempts, len(rv.got))
	}
	for _, d := range rv.delivery {
		if d == "" || d != rv.delivery[0] {
			t.Errorf("delivery IDs %q: want one, the same on every attempt", rv.delivery)
			break
		}
	}
}

func TestWebhookGivesUp(t *testing.T) {
	rv, srv := newReceiver(t, "k", 500, 500, 500, 500)
	opts := fastRetries([]string{srv.URL}, "k")
	opts.MaxAttempts = 3
	w, err := NewWebhook(opts)
	if err != nil {
		t.Fatal(err)
	}
	mustNotify(t, w, ev(1, TypeVerdict, "CA1"))
	mustNotify(t, w, ev(2, TypeVerdict, "CA1")) // gets the 4th status: 500, then 204
	closeWebhook(t, w)
	if st := w.Stats(); st.Failed != 1 || st.Delivered != 1 || st.Retries != 3 {
		t.Errorf("Stats = %+v, want 1 failed after 3 attempts, 1 delivered after 1 retry", st)
	}
	if rv.attempts != 5 || len(rv.got) != 1 || rv.got[0].ID != "2" {
		t.Errorf("attempts %d, received %v", rv.attempts, ids(rv.got))
	}
}

// TestWebhookNeverBlocks stalls the endpoint: Notify returns at once,
// drops beyond the queue are counted, and Close gives up when its
// context ends.
func TestWebhookNeverBlocks(t *testing.T) {
	release := make(chan struct{})
	arrived := make(chan struct{}, 10)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		arrived <- struct{}{}
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	defer close(release)
	opts := fastRetries([]string{srv.URL}, "k")
	opts.QueueSize = 2
	w, err := NewWebhook(opts)
	if err != nil {
		t.Fatal(err)
	}
	mustNotify(t, w, ev(1, TypeVerdict, "CA1"))
	<-arrived // event 1 is in flight; the queue is empty
	mustNotify(t, w, ev(2, TypeVerdict, "CA1"))
	mustNotify(t, w, ev(3, TypeVerdict, "CA1"))
	for i := 4; i <= 6; i++ {
		if err := w.Notify(context.Background(), ev(i, TypeVerdict, "CA1")); !errors.Is(err, ErrQueueFull) {
			t.Fatalf("Notify(%d) = %v, want ErrQueueFull", i, err)
		}
	}
	if st := w.Stats(); st.Dropped != 3 || st.Queued != 3 {
		t.Errorf("Stats = %+v, want 3 queued, 3 dropped", st)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := w.Close(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("Close = %v, want context.Canceled", err)
	}
	if st := w.Stats(); st.Failed != 3 || st.Delivered != 0 {
		t.Errorf("Stats after Close = %+v, want the 3 queued abandoned", st)
	}
}

func TestNewWebhookValidates(t *testing.T) {
	for _, opts := range []WebhookOptions{
		{Secret: "k"},
		{URLs: []string{"http://x"}},
		{URLs: []string{"ftp://x"}, Secret: "k"},
		{URLs: []string{"/relative"}, Secret: "k"},
		{URLs: []string{"http://%zz"}, Secret: "k"},
	} {
		if _, err := NewWebhook(opts); !errors.Is(err, ErrBadWebhookOptions) {
			t.Errorf("NewWebhook(%+v) = %v, want ErrBadWebhookOptions", opts, err)
		}
	}
}

func TestBackoff(t *testing.T) {
	for attempt, max := range map[int]time.Duration{1: 100, 2: 200, 3: 400, 10: 1000} {
		for range 100 {
			d := backoff(100, 1000, attempt)
			if d < max/2 || d > max {
				t.Fatalf("attempt %d: %v outside [%v, %v]", attempt, d, max/2, max)
			}
		}
	}
}

package notify

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/google/go-cmp/cmp"
)

// dialWS connects and waits until the Hub has registered the watcher.
func dialWS(t *testing.T, h *Hub, client *http.Client, url string, hdr http.Header) *websocket.Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	before := h.Stats().Watchers
	c, resp, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(url, "http"), &websocket.DialOptions{HTTPClient: client, HTTPHeader: hdr})
	if err != nil {
		status := 0
		if resp != nil {
			status = resp.StatusCode
		}
		t.Fatalf("dial %s: %v (status %d)", url, err, status)
	}
	t.Cleanup(func() { c.CloseNow() })
	// The watcher is registered before the upgrade completes.
	if h.Stats().Watchers <= before {
		t.Fatalf("watcher not registered after upgrade")
	}
	return c
}

func readWS(t *testing.T, c *websocket.Conn) (Event, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	typ, b, err := c.Read(ctx)
	if err != nil {
		return Event{}, err
	}
	if typ != websocket.MessageText {
		t.Fatalf("message type %v, want text", typ)
	}
	var e Event
	if err := json.Unmarshal(b, &e); err != nil {
		t.Fatalf("message %q: %v", b, err)
	}
	return e, nil
}

func TestWSDeliversWithFilters(t *testing.T) {
	h, srv := testHub(t, HubOptions{})
	all := dialWS(t, h, srv.Client(), srv.URL+"/ws", nil)
	alerts := dialWS(t, h, srv.Client(), srv.URL+"/ws?type=alert&call=CA2", nil)
	want := []Event{ev(1, TypeVerdict, "CA1"), ev(2, TypeAlert, "CA1"), ev(3, TypeAlert, "CA2")}
	for _, e := range want {
		mustNotify(t, h, e)
	}
	for _, w := range want {
		got, err := readWS(t, all)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(w, got); diff != "" {
			t.Errorf("(-want +got):\n%s", diff)
		}
	}
	if got, err := readWS(t, alerts); err != nil || got.ID != "3" {
		t.Errorf("filtered: %+v, %v; want id 3", got, err)
	}
}

func TestWSReplayAndGap(t *testing.T) {
	h, srv := testHub(t, HubOptions{HistorySize: 2})
	for i := 1; i <= 4; i++ {
		mustNotify(t, h, ev(i, TypeVerdict, "CA1"))
	}
	c := dialWS(t, h, srv.Client(), srv.URL+"/ws?last_event_id=3", nil)
	if got, err := readWS(t, c); err != nil || got.ID != "4" {
		t.Fatalf("replay: %+v, %v; want id 4", got, err)
	}
	g := dialWS(t, h, srv.Client(), srv.URL+"/ws?last_event_id=1", nil)
	got, err := readWS(t, g)
	if err != nil || got.Type != TypeGap || got.ID != "" {
		t.Fatalf("got %+v, %v; want a gap event without id", got, err)
	}
	var info GapInfo
	if err := json.Unmarshal(got.Data, &info); err != nil || info != (GapInfo{LastEventID: "1", OldestID: "3"}) {
		t.Errorf("gap info %+v, %v", info, err)
	}
	for _, want := range []string{"3", "4"} {
		if got, err := readWS(t, g); err != nil || got.ID != want {
			t.Fatalf("got %+v, %v; want id %s", got, err, want)
		}
	}
}

func TestWSAuthorize(t *testing.T) {
	_, srv := testHub(t, HubOptions{Authorize: func(r *http.Request) (Filter, error) {
		return Filter{}, ErrUnauthorized
	}})
	_, resp, err := websocket.Dial(context.Background(), "ws"+strings.TrimPrefix(srv.URL, "http")+"/ws", nil)
	if err == nil || resp == nil || resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("dial: %v, %v; want 401", resp, err)
	}
}

func TestWSSlowConsumer(t *testing.T) {
	for _, q := range []string{"", "?call=CA1"} {
		t.Run("query="+q, func(t *testing.T) { testWSSlowConsumer(t, q) })
	}
}

func testWSSlowConsumer(t *testing.T, q string) {
	h, srv := testHub(t, HubOptions{QueueSize: 2, HistorySize: 1000})
	fast := dialWS(t, h, srv.Client(), srv.URL+"/ws"+q, nil)
	slow := dialWS(t, h, smallBufClient(), srv.URL+"/ws"+q, nil)
	n := publishUntilEvicted(t, h, 16<<10, func() string {
		got, err := readWS(t, fast)
		if err != nil {
			t.Fatalf("fast: %v", err)
		}
		return got.ID
	})
	last := 0
	for {
		got, err := readWS(t, slow)
		if err != nil {
			if s := websocket.CloseStatus(err); s != websocket.StatusPolicyViolation {
				t.Fatalf("slow: %v (status %d), want close 1008", err, s)
			}
			var ce websocket.CloseError
			if errors.As(err, &ce) && ce.Reason != "slow consumer" {
				t.Errorf("close reason %q", ce.Reason)
			}
			break
		}
		if got.ID != strconv.Itoa(last+1) {
			t.Fatalf("slow got %s after %d", got.ID, last)
		}
		last++
	}
	sep := "?"
	if q != "" {
		sep = "&"
	}
	resumed := dialWS(t, h, srv.Client(), srv.URL+"/ws"+q+sep+"last_event_id="+strconv.Itoa(last), nil)
	for want := last + 1; want <= n; want++ {
		if got, err := readWS(t, resumed); err != nil || got.ID != strconv.Itoa(want) {
			t.Fatalf("resumed: %v, %v; want %d", got.ID, err, want)
		}
	}
}

func TestWSClose(t *testing.T) {
	h, srv := testHub(t, HubOptions{})
	c := dialWS(t, h, srv.Client(), srv.URL+"/ws", nil)
	mustNotify(t, h, ev(1, TypeVerdict, "CA1"))
	h.Close()
	if got, err := readWS(t, c); err != nil || got.ID != "1" {
		t.Fatalf("got %+v, %v; want the queued event", got, err)
	}
	if _, err := readWS(t, c); websocket.CloseStatus(err) != websocket.StatusGoingAway {
		t.Fatalf("after Close: %v, want close 1001", err)
	}
}

// TestWSHeartbeat: the Hub pings; a client that answers stays, one that
// never reads (so never answers) is dropped.
func TestWSHeartbeat(t *testing.T) {
	h, srv := testHub(t, HubOptions{Heartbeat: 5 * time.Millisecond, WriteTimeout: time.Second})
	live := dialWS(t, h, srv.Client(), srv.URL+"/ws?call=CA1", nil)
	got := make(chan string, 1)
	go func() { // reading answers pings
		for {
			e, err := readWS(t, live)
			if err != nil {
				close(got)
				return
			}
			got <- e.ID
		}
	}()
	dialWS(t, h, srv.Client(), srv.URL+"/ws?call=CA2", nil) // never reads
	for h.Stats().Watchers > 1 {
		time.Sleep(time.Millisecond) // until the mute client's ping times out
	}
	mustNotify(t, h, ev(1, TypeVerdict, "CA1"))
	if id := <-got; id != "1" {
		t.Errorf("live client got %q, want event 1", id)
	}
	if st := h.Stats(); st.Watchers != 1 || st.Evicted != 0 {
		t.Errorf("Stats = %+v, want the live watcher only", st)
	}
}

package notify

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestSSEDelivers(t *testing.T) {
	h, srv := testHub(t, HubOptions{Retry: 1500 * time.Millisecond})
	r, resp := openSSE(t, srv.Client(), srv.URL+"/events", nil)
	if cc := resp.Header.Get("Cache-Control"); cc != "no-cache" {
		t.Errorf("Cache-Control = %q", cc)
	}
	want := []Event{ev(1, TypeCallStarted, "CA1"), ev(2, TypeVerdict, "CA1"), ev(3, TypeCallEnded, "CA1")}
	for _, e := range want {
		mustNotify(t, h, e)
	}
	for _, w := range want {
		m, err := r.event()
		if err != nil {
			t.Fatal(err)
		}
		if m.ID != w.ID || m.Event != w.Type || m.Retry != 1500 {
			t.Errorf("got id=%q event=%q retry=%d, want id=%q event=%q retry=1500", m.ID, m.Event, m.Retry, w.ID, w.Type)
		}
		if diff := cmp.Diff(w, decodeData(t, m)); diff != "" {
			t.Errorf("data (-want +got):\n%s", diff)
		}
	}
}

func TestHubAssignsIncreasingIDs(t *testing.T) {
	h, srv := testHub(t, HubOptions{})
	r, _ := openSSE(t, srv.Client(), srv.URL+"/events", nil)
	for range 5 {
		mustNotify(t, h, Event{Type: TypeVerdict, CallSid: "CA1"})
	}
	var prev uint64
	for range 5 {
		m, err := r.event()
		if err != nil {
			t.Fatal(err)
		}
		id, err := strconv.ParseUint(m.ID, 10, 64)
		if err != nil || id <= prev {
			t.Fatalf("id %q after %d: not increasing (%v)", m.ID, prev, err)
		}
		prev = id
		if e := decodeData(t, m); e.ID != m.ID || e.Time.IsZero() {
			t.Errorf("data %+v: want ID %s and a time", e, m.ID)
		}
	}
	if st := h.Stats(); st.LastID != strconv.FormatUint(prev, 10) || st.Published != 5 || st.Watchers != 1 {
		t.Errorf("Stats = %+v", st)
	}
}

func TestNotifyRejects(t *testing.T) {
	h := NewHub(HubOptions{})
	defer h.Close()
	ctx := context.Background()
	mustNotify(t, h, ev(10, TypeVerdict, "CA1"))
	for _, tc := range []struct {
		e    Event
		want error
	}{
		{ev(10, TypeVerdict, "CA1"), ErrStaleID},
		{ev(9, TypeVerdict, "CA1"), ErrStaleID},
		{Event{ID: "x1", Type: "verdict"}, ErrInvalidEvent},
		{Event{ID: "0", Type: "verdict"}, ErrInvalidEvent},
		{Event{Type: ""}, ErrInvalidEvent},
		{Event{Type: "a\nb"}, ErrInvalidEvent},
		{Event{Type: "verdict", CallSid: "CA\r1"}, ErrInvalidEvent},
		{Event{Type: "verdict", Data: json.RawMessage(`{"a":`)}, ErrInvalidEvent},
	} {
		if err := h.Notify(ctx, tc.e); !errors.Is(err, tc.want) {
			t.Errorf("Notify(%+v) = %v, want %v", tc.e, err, tc.want)
		}
	}
	mustNotify(t, h, ev(11, TypeVerdict, "CA1"))
	if st := h.Stats(); st.Published != 2 || st.LastID != "11" {
		t.Errorf("Stats = %+v, want 2 published, last 11", st)
	}
	h.Close()
	if err := h.Notify(ctx, ev(12, TypeVerdict, "CA1")); !errors.Is(err, ErrClosed) {
		t.Errorf("Notify after Close = %v, want ErrClosed", err)
	}
}

func TestSSEFilters(t *testing.T) {
	h, srv := testHub(t, HubOptions{})
	byCall, _ := openSSE(t, srv.Client(), srv.URL+"/events?call=CA1", nil)
	byType, _ := openSSE(t, srv.Client(), srv.URL+"/events?type=verdict,alert", nil)
	both, _ := openSSE(t, srv.Client(), srv.URL+"/events?call=CA2&call=CA3&type=alert", nil)
	all := []Event{
		ev(1, TypeCallStarted, "CA1"), ev(2, TypeVerdict, "CA2"), ev(3, TypeAlert, "CA1"),
		ev(4, TypeAlert, "CA2"), ev(5, TypeCallEnded, "CA3"), ev(6, TypeAlert, "CA3"),
		ev(7, TypeVerdict, "CA1"),
	}
	for _, e := range all {
		mustNotify(t, h, e)
	}
	// A last event every watcher sees marks the end of what each gets.
	mustNotify(t, h, ev(8, TypeAlert, "CA2"))
	for _, tc := range []struct {
		name string
		r    *sseReader
		want string
	}{
		{"call", byCall, "1,3,7"},
		{"type", byType, "2,3,4,6,7,8"},
		{"both", both, "4,6,8"},
	} {
		var got []string
		for len(got) == 0 || got[len(got)-1] != "8" {
			m, err := tc.r.event()
			if err != nil {
				t.Fatalf("%s: %v", tc.name, err)
			}
			got = append(got, m.ID)
			if tc.name == "call" && m.ID == "7" {
				break
			}
		}
		if s := strings.Join(got, ","); s != tc.want {
			t.Errorf("%s: got %s, want %s", tc.name, s, tc.want)
		}
	}
}

func TestSSEReplay(t *testing.T) {
	h, srv := testHub(t, HubOptions{})
	for i := 1; i <= 5; i++ {
		mustNotify(t, h, ev(i, TypeVerdict, fmt.Sprintf("CA%d", i%2)))
	}
	// Header, as EventSource sends it, with a filter.
	r, _ := openSSE(t, srv.Client(), srv.URL+"/events?call=CA1", http.Header{"Last-Event-Id": {"2"}})
	mustNotify(t, h, ev(6, TypeVerdict, "CA1"))
	mustNotify(t, h, ev(7, TypeVerdict, "CA1"))
	var got []string
	for range 3 {
		m, err := r.event()
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, m.ID)
	}
	if s := strings.Join(got, ","); s != "3,5,6" {
		t.Errorf("replay+live = %s, want 3,5,6", s)
	}

	// Query parameter, for a first connection.
	r2, _ := openSSE(t, srv.Client(), srv.URL+"/events?last_event_id=6", nil)
	if m, err := r2.event(); err != nil || m.ID != "7" {
		t.Errorf("after 6: got %+v, %v; want 7", m, err)
	}

	// 0 means before everything: all of history, no gap.
	r3, _ := openSSE(t, srv.Client(), srv.URL+"/events", http.Header{"Last-Event-Id": {"0"}})
	if m, err := r3.event(); err != nil || m.ID != "1" {
		t.Errorf("after 0: got %+v, %v; want 1", m, err)
	}
}

func TestSSEGap(t *testing.T) {
	h, srv := testHub(t, HubOptions{HistorySize: 3})
	for i := 1; i <= 10; i++ {
		mustNotify(t, h, ev(i, TypeVerdict, "CA1"))
	}
	r, _ := openSSE(t, srv.Client(), srv.URL+"/events", http.Header{"Last-Event-Id": {"4"}})
	m, err := r.event()
	if err != nil {
		t.Fatal(err)
	}
	if m.Event != TypeGap {
		t.Fatalf("first event %q, want %q", m.Event, TypeGap)
	}
	var g struct {
		Type string  `json:"type"`
		Data GapInfo `json:"data"`
	}
	if err := json.Unmarshal([]byte(m.Data), &g); err != nil {
		t.Fatal(err)
	}
	if g.Type != TypeGap || g.Data != (GapInfo{LastEventID: "4", OldestID: "8"}) {
		t.Errorf("gap = %+v", g)
	}
	for _, want := range []string{"8", "9", "10"} {
		m, err := r.event()
		if err != nil || m.ID != want {
			t.Fatalf("got %+v, %v; want id %s", m, err, want)
		}
	}

	// Resuming from inside history reports no gap.
	r2, _ := openSSE(t, srv.Client(), srv.URL+"/events", http.Header{"Last-Event-Id": {"7"}})
	if m, err := r2.event(); err != nil || m.ID != "8" {
		t.Errorf("from 7: got %+v, %v; want id 8", m, err)
	}
	// An ID this Hub has not reached yet (another replica is ahead):
	// nothing up to it is delivered, and no gap.
	r3, _ := openSSE(t, srv.Client(), srv.URL+"/events", http.Header{"Last-Event-Id": {"12"}})
	for i := 11; i <= 13; i++ {
		mustNotify(t, h, ev(i, TypeVerdict, "CA1"))
	}
	if m, err := r3.event(); err != nil || m.ID != "13" {
		t.Errorf("from 12: got %+v, %v; want id 13", m, err)
	}
}

func TestSSEBadRequests(t *testing.T) {
	_, srv := testHub(t, HubOptions{})
	for _, tc := range []struct {
		method, path, lastID string
		want                 int
	}{
		{http.MethodPost, "/events", "", http.StatusMethodNotAllowed},
		{http.MethodGet, "/events", "abc", http.StatusBadRequest},
		{http.MethodGet, "/events?last_event_id=-1", "", http.StatusBadRequest},
		{http.MethodGet, "/events", "1.5", http.StatusBadRequest},
		{http.MethodGet, "/events?call=CA%0a1", "", http.StatusBadRequest},
	} {
		req, _ := http.NewRequest(tc.method, srv.URL+tc.path, nil)
		if tc.lastID != "" {
			req.Header.Set("Last-Event-ID", tc.lastID)
		}
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != tc.want {
			t.Errorf("%s %s (Last-Event-ID %q) = %d, want %d", tc.method, tc.path, tc.lastID, resp.StatusCode, tc.want)
		}
	}
}

func TestAuthorize(t *testing.T) {
	h, srv := testHub(t, HubOptions{
		Authorize: func(r *http.Request) (Filter, error) {
			switch r.Header.Get("Authorization") {
			case "":
				return Filter{}, fmt.Errorf("no token: %w", ErrUnauthorized)
			case "Bearer agent-1":
				return Filter{CallSids: []string{"CA1"}}, nil
			case "Bearer analyst":
				return Filter{Allow: func(e Event) bool { return e.Type != TypeError }}, nil
			}
			return Filter{}, errors.New("unknown token")
		},
	})
	for _, tc := range []struct {
		token, query string
		want         int
	}{
		{"", "", http.StatusUnauthorized},
		{"Bearer someone", "", http.StatusForbidden},
		{"Bearer agent-1", "?call=CA2", http.StatusForbidden},
	} {
		req, _ := http.NewRequest(http.MethodGet, srv.URL+"/events"+tc.query, nil)
		if tc.token != "" {
			req.Header.Set("Authorization", tc.token)
		}
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != tc.want {
			t.Errorf("token %q query %q: %d, want %d", tc.token, tc.query, resp.StatusCode, tc.want)
		}
	}
	agent, _ := openSSE(t, srv.Client(), srv.URL+"/events", http.Header{"Authorization": {"Bearer agent-1"}})
	agentVerdicts, _ := openSSE(t, srv.Client(), srv.URL+"/events?call=CA1,CA2&type=verdict", http.Header{"Authorization": {"Bearer agent-1"}})
	analyst, _ := openSSE(t, srv.Client(), srv.URL+"/events", http.Header{"Authorization": {"Bearer analyst"}})
	mustNotify(t, h, ev(1, TypeVerdict, "CA2"))
	mustNotify(t, h, ev(2, TypeError, "CA1"))
	mustNotify(t, h, ev(3, TypeVerdict, "CA1"))
	for _, tc := range []struct {
		name string
		r    *sseReader
		want []string
	}{
		{"agent", agent, []string{"2", "3"}},
		{"agent verdicts", agentVerdicts, []string{"3"}},
		{"analyst", analyst, []string{"1", "3"}},
	} {
		for _, w := range tc.want {
			m, err := tc.r.event()
			if err != nil || m.ID != w {
				t.Errorf("%s: got %+v, %v; want id %s", tc.name, m, err, w)
			}
		}
	}
}

// TestSSESlowConsumer stops reading one stream until the Hub cuts it off;
// the watcher that keeps reading misses nothing, and the slow one resumes
// with Last-Event-ID without loss or duplicates.
func TestSSESlowConsumer(t *testing.T) {
	// Watchers of every call and watchers of given calls are fanned out
	// to differently; both must behave the same.
	for _, q := range []string{"", "?call=CA1"} {
		t.Run("query="+q, func(t *testing.T) { testSSESlowConsumer(t, q) })
	}
}

// readSSEIDs reads r's event IDs into a channel until the stream ends.
func readSSEIDs(r *sseReader) <-chan string {
	got := make(chan string, 1)
	go func() {
		defer close(got)
		for {
			m, err := r.event()
			if err != nil {
				return
			}
			got <- m.ID
		}
	}()
	return got
}

// publishUntilEvicted publishes events of size bytes for CA1, numbered
// from 1, until the Hub evicts a watcher, checking after each that the
// watcher reading fastNext got it. It returns how many it published.
func publishUntilEvicted(t *testing.T, h *Hub, size int, fastNext func() string) int {
	t.Helper()
	big := json.RawMessage(`"` + strings.Repeat("x", size) + `"`)
	n := 0
	for h.Stats().Evicted == 0 {
		n++
		if n > 1000 {
			t.Fatal("slow watcher never cut off")
		}
		e := ev(n, TypeVerdict, "CA1")
		e.Data = big
		mustNotify(t, h, e)
		if id := fastNext(); id != strconv.Itoa(n) {
			t.Fatalf("fast watcher got %q, want %d", id, n)
		}
	}
	if st := h.Stats(); st.Evicted != 1 || st.Watchers != 1 {
		t.Fatalf("Stats = %+v, want 1 evicted, 1 watcher", st)
	}
	return n
}

func testSSESlowConsumer(t *testing.T, q string) {
	h, srv := testHub(t, HubOptions{QueueSize: 2, HistorySize: 1000})
	fast, _ := openSSE(t, srv.Client(), srv.URL+"/events"+q, nil)
	slow, _ := openSSE(t, smallBufClient(), srv.URL+"/events"+q, nil)
	fastGot := readSSEIDs(fast)
	n := publishUntilEvicted(t, h, 16<<10, func() string { return <-fastGot })
	// The slow watcher reads the complete events that reached it, then
	// the stream ends: cleanly, or in the middle of a frame when the
	// eviction cut a blocked write short.
	last := 0
	for {
		m, err := slow.event()
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			break
		}
		if err != nil {
			t.Fatalf("slow stream: %v after id %d", err, last)
		}
		if m.ID != strconv.Itoa(last+1) {
			t.Fatalf("slow watcher got %s after %d", m.ID, last)
		}
		last++
	}
	if last >= n {
		t.Fatalf("slow watcher read all %d events; it was not cut off", n)
	}
	resumed, _ := openSSE(t, srv.Client(), srv.URL+"/events"+q, http.Header{"Last-Event-Id": {strconv.Itoa(last)}})
	for want := last + 1; want <= n; want++ {
		m, err := resumed.event()
		if err != nil || m.ID != strconv.Itoa(want) {
			t.Fatalf("resumed: got %+v, %v; want id %d", m.ID, err, want)
		}
	}
}

// TestSSEEvictionCutsBlockedWrite: a watcher evicted while its handler
// is blocked writing to it (the client stopped reading) is cut off at
// once, not after WriteTimeout, so Shutdown does not wait for it. The
// WriteTimeout of an hour makes a handler that waits for it fail the
// test on Shutdown's much shorter context.
func TestSSEEvictionCutsBlockedWrite(t *testing.T) {
	for _, q := range []string{"", "?call=CA1"} {
		t.Run("query="+q, func(t *testing.T) {
			h, srv := testHub(t, HubOptions{QueueSize: 2, HistorySize: 1000, WriteTimeout: time.Hour})
			fast, _ := openSSE(t, srv.Client(), srv.URL+"/events"+q, nil)
			openSSE(t, smallBufClient(), srv.URL+"/events"+q, nil) // never read again
			fastGot := readSSEIDs(fast)
			// Events far larger than the socket buffers: the slow
			// watcher's handler is blocked in a write when evicted.
			publishUntilEvicted(t, h, 256<<10, func() string { return <-fastGot })
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			if err := h.Shutdown(ctx); err != nil {
				t.Fatalf("Shutdown: %v: the evicted watcher's handler is still blocked", err)
			}
		})
	}
}

func TestCloseEndsSubscriptions(t *testing.T) {
	h, srv := testHub(t, HubOptions{})
	r, _ := openSSE(t, srv.Client(), srv.URL+"/events", nil)
	mustNotify(t, h, ev(1, TypeVerdict, "CA1"))
	h.Close()
	if m, err := r.event(); err != nil || m.ID != "1" {
		t.Fatalf("got %+v, %v; want the queued event", m, err)
	}
	if _, err := r.event(); err != io.EOF {
		t.Fatalf("after Close: %v, want EOF", err)
	}
	resp, err := srv.Client().Get(srv.URL + "/events")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("subscribe after Close: %s, want 503", resp.Status)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := h.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	if st := h.Stats(); st.Watchers != 0 {
		t.Errorf("Watchers = %d after Shutdown", st.Watchers)
	}
}

func TestSSEHeartbeat(t *testing.T) {
	_, srv := testHub(t, HubOptions{Heartbeat: time.Millisecond})
	r, _ := openSSE(t, srv.Client(), srv.URL+"/events", nil)
	m, err := r.next()
	if err != nil || !m.IsComment || m.Comment != "ping" {
		t.Fatalf("got %+v, %v; want a ping comment", m, err)
	}
}

func TestMulti(t *testing.T) {
	var got []string
	rec := func(name string, err error) Notifier {
		return NotifierFunc(func(_ context.Context, e Event) error {
			got = append(got, name+":"+e.ID)
			return err
		})
	}
	boom := errors.New("boom")
	m := Multi(rec("a", nil), nil, rec("b", boom), rec("c", nil))
	err := m.Notify(context.Background(), ev(1, TypeVerdict, "CA1"))
	if !errors.Is(err, boom) {
		t.Errorf("err = %v, want boom", err)
	}
	if s := strings.Join(got, " "); s != "a:1 b:1 c:1" {
		t.Errorf("calls = %s", s)
	}
}

func TestParseFilter(t *testing.T) {
	f, err := ParseFilter(map[string][]string{"call": {"CA1, CA2", "CA1"}, "type": {",verdict,,"}})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(Filter{CallSids: []string{"CA1", "CA2"}, Types: []string{"verdict"}}, f,
		cmp.Comparer(func(a, b func(Event) bool) bool { return a == nil && b == nil })); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if _, err := ParseFilter(map[string][]string{"type": {"a\rb"}}); !errors.Is(err, ErrBadFilter) {
		t.Errorf("control char: %v, want ErrBadFilter", err)
	}
	many := strings.Repeat("x,", 0)
	for i := range maxFilterItems + 1 {
		many += fmt.Sprintf("CA%d,", i)
	}
	if _, err := ParseFilter(map[string][]string{"call": {many}}); !errors.Is(err, ErrBadFilter) {
		t.Errorf("too many: %v, want ErrBadFilter", err)
	}
}

func FuzzParseFilter(f *testing.F) {
	f.Add("CA1,CA2", "verdict,alert")
	f.Add("", ",,")
	f.Add("CA\n1", "x")
	f.Fuzz(func(t *testing.T, call, typ string) {
		flt, err := ParseFilter(map[string][]string{"call": {call}, "type": {typ}})
		if err != nil {
			return
		}
		for _, c := range flt.CallSids {
			if c == "" || strings.ContainsAny(c, ",\r\n") {
				t.Fatalf("bad call item %q", c)
			}
			if !flt.Match(Event{CallSid: c, Type: firstOr(flt.Types, "t")}) {
				t.Fatalf("filter %+v does not match its own call %q", flt, c)
			}
		}
	})
}

func firstOr(s []string, d string) string {
	if len(s) > 0 {
		return s[0]
	}
	return d
}

// TestConcurrentNotify publishes from several goroutines: every watcher,
// of either kind, sees every event once, IDs increasing.
func TestConcurrentNotify(t *testing.T) {
	h, srv := testHub(t, HubOptions{QueueSize: 1000})
	all, _ := openSSE(t, srv.Client(), srv.URL+"/events", nil)
	one, _ := openSSE(t, srv.Client(), srv.URL+"/events?call=CA1", nil)
	const workers, each = 4, 50
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range each {
				if err := h.Notify(context.Background(), Event{Type: TypeVerdict, CallSid: "CA1"}); err != nil {
					t.Error(err)
				}
			}
		}()
	}
	wg.Wait()
	for name, r := range map[string]*sseReader{"all calls": all, "CA1": one} {
		var prev uint64
		for i := range workers * each {
			m, err := r.event()
			if err != nil {
				t.Fatalf("%s: event %d: %v", name, i, err)
			}
			id, _ := strconv.ParseUint(m.ID, 10, 64)
			if id <= prev {
				t.Fatalf("%s: id %d after %d", name, id, prev)
			}
			prev = id
		}
	}
}

// TestSSEClientGone checks that a watcher whose client goes away is
// unsubscribed without Close, for watchers of every call and of given
// calls, and that the others still get events.
func TestSSEClientGone(t *testing.T) {
	h, srv := testHub(t, HubOptions{})
	stay, _ := openSSE(t, srv.Client(), srv.URL+"/events", nil)
	_, all := openSSE(t, smallBufClient(), srv.URL+"/events", nil)
	_, one := openSSE(t, smallBufClient(), srv.URL+"/events?call=CA1", nil)
	if st := h.Stats(); st.Watchers != 3 {
		t.Fatalf("Watchers = %d, want 3", st.Watchers)
	}
	all.Body.Close()
	one.Body.Close()
	deadline := time.Now().Add(10 * time.Second)
	for h.Stats().Watchers != 1 {
		if time.Now().After(deadline) {
			t.Fatalf("Watchers = %d after two clients left, want 1", h.Stats().Watchers)
		}
		time.Sleep(5 * time.Millisecond)
	}
	mustNotify(t, h, ev(1, TypeVerdict, "CA1"))
	if m, err := stay.event(); err != nil || m.ID != "1" {
		t.Fatalf("remaining watcher got %+v, %v", m, err)
	}
	if st := h.Stats(); st.Evicted != 0 {
		t.Errorf("Evicted = %d, want 0", st.Evicted)
	}
}

package notify

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"
)

// testHub serves h at /events (SSE) and /ws (WebSocket). Accepted
// connections get a small send buffer so a client that stops reading is
// noticed after a few kilobytes rather than megabytes.
func testHub(t *testing.T, opts HubOptions) (*Hub, *httptest.Server) {
	t.Helper()
	h := NewHub(opts)
	mux := http.NewServeMux()
	mux.HandleFunc("/events", h.ServeSSE)
	mux.HandleFunc("/ws", h.ServeWS)
	srv := httptest.NewUnstartedServer(mux)
	srv.Listener = smallBufListener{srv.Listener}
	srv.Start()
	t.Cleanup(func() {
		h.Close()
		srv.CloseClientConnections()
		srv.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := h.Shutdown(ctx); err != nil {
			t.Errorf("Shutdown: %v", err)
		}
	})
	return h, srv
}

type smallBufListener struct{ net.Listener }

func (l smallBufListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if tc, ok := c.(*net.TCPConn); ok {
		tc.SetWriteBuffer(4096)
	}
	return c, err
}

// smallBufClient is an HTTP client whose connections have a small
// receive buffer.
func smallBufClient() *http.Client {
	d := &net.Dialer{}
	return &http.Client{Transport: &http.Transport{
		DisableCompression: true,
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			c, err := d.DialContext(ctx, network, addr)
			if tc, ok := c.(*net.TCPConn); ok {
				tc.SetReadBuffer(4096)
			}
			return c, err
		},
	}}
}

// openSSE subscribes and waits until the Hub has registered the watcher.
func openSSE(t *testing.T, client *http.Client, url string, hdr http.Header) (*sseReader, *http.Response) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range hdr {
		req.Header[k] = v
	}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s", url, resp.Status)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "text/event-stream" {
		t.Fatalf("Content-Type = %q", ct)
	}
	r := newSSEReader(resp.Body)
	if err := r.opened(); err != nil {
		t.Fatal(err)
	}
	return r, resp
}

// ev builds an event with an explicit ID.
func ev(id int, typ, call string) Event {
	return Event{
		ID: strconv.Itoa(id), Type: typ, CallSid: call,
		Time: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC),
		Data: json.RawMessage(fmt.Sprintf(`{"n":%d}`, id)),
	}
}

func mustNotify(t *testing.T, n Notifier, e Event) {
	t.Helper()
	if err := n.Notify(context.Background(), e); err != nil {
		t.Fatalf("Notify(%s): %v", e.ID, err)
	}
}

// decodeData decodes an SSE data field into an Event.
func decodeData(t *testing.T, m sseMessage) Event {
	t.Helper()
	var e Event
	if err := json.Unmarshal([]byte(m.Data), &e); err != nil {
		t.Fatalf("data %q: %v", m.Data, err)
	}
	return e
}

func ids(es []Event) string {
	var s []string
	for _, e := range es {
		s = append(s, e.ID)
	}
	return strings.Join(s, ",")
}

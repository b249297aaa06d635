package sim

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

func TestDecodeVerdictShapes(t *testing.T) {
	// detect.Verdict's own JSON: Go field names, durations in nanoseconds.
	goShape := `{"CallSid":"CA1","Track":"inbound","Index":2,"Start":6000000000,"End":9000000000,
		"Label":"fake","Score":0.93,"Vendor":"resemble","ID":"u","Latency":310000000}`
	// A snake_case API shape with milliseconds.
	snake := `{"call_sid":"CA1","track":"inbound","index":2,"start_ms":6000,"end_ms":9000,
		"label":"fake","score":0.93,"vendor":"resemble","latency_ms":310}`
	wrapped := `{"verdict":` + goShape + `,"session_id":"ds_1"}`
	for name, in := range map[string]string{"go": goShape, "snake": snake, "wrapped": wrapped} {
		v, err := DecodeVerdict(json.RawMessage(in))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		want := VerdictInfo{CallSid: "CA1", Track: "inbound", Index: 2, Start: 6 * time.Second, End: 9 * time.Second,
			Label: "fake", Score: 0.93, Vendor: "resemble", Latency: 310 * time.Millisecond}
		if v != want {
			t.Errorf("%s: got %+v, want %+v", name, v, want)
		}
	}
	at := time.Date(2026, 11, 26, 21, 30, 0, 123456000, time.UTC)
	v, err := DecodeVerdict(json.RawMessage(`{"label":"real","decided_at":"2026-11-26T21:30:00.123456Z"}`))
	if err != nil || !v.Decided.Equal(at) {
		t.Errorf("decided_at: got %v (%v), want %v", v.Decided, err, at)
	}
	if _, err := DecodeVerdict(json.RawMessage(`{"score":1}`)); !errors.Is(err, ErrEventData) {
		t.Errorf("no label: err = %v", err)
	}
	if _, err := DecodeVerdict(json.RawMessage(`[`)); !errors.Is(err, ErrEventData) {
		t.Errorf("bad JSON: err = %v", err)
	}
}

func TestWatch(t *testing.T) {
	var lastSeen string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		lastSeen = r.Header.Get("Last-Event-ID")
		if r.Header.Get("Authorization") != "Bearer tok" {
			http.Error(w, "no", http.StatusUnauthorized)
			return
		}
		w.Header().Set("Content-Type", "text/event-stream")
		fmt.Fprint(w, ":ok\n\n")
		for i := 1; i <= 3; i++ {
			fmt.Fprintf(w, "id: %d\nevent: verdict\ndata: {\"id\":\"%d\",\"type\":\"verdict\",\"call_sid\":\"CA%d\",\"time\":\"2026-01-01T00:00:00Z\",\"data\":{\"Label\":\"real\"}}\n\n", i, i, i)
		}
		w.(http.Flusher).Flush()
	}))
	defer srv.Close()

	var got []Event
	ready := false
	w := &Watcher{Client: srv.Client(), URL: srv.URL, Token: "tok", OnReady: func() { ready = true }, OnEvent: func(e Event) { got = append(got, e) }}
	err := w.Run(context.Background())
	if !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("Watch err = %v, want unexpected EOF when the stream ends", err)
	}
	if !ready || len(got) != 3 || got[2].CallSid != "CA3" || got[0].Type != "verdict" || got[0].Received.IsZero() {
		t.Fatalf("ready %v, events %+v", ready, got)
	}
	if w.LastEventID != "3" {
		t.Errorf("LastEventID = %q, want 3", w.LastEventID)
	}
	// Resuming sends Last-Event-ID; this server replays nothing after 3.
	got = nil
	_ = w.Run(context.Background())
	if lastSeen != "3" {
		t.Errorf("server saw Last-Event-ID %q, want 3", lastSeen)
	}

	w = &Watcher{Client: srv.Client(), URL: srv.URL, Token: "wrong"}
	err = w.Run(context.Background())
	var he *HTTPError
	if !errors.As(err, &he) || he.Status != http.StatusUnauthorized {
		t.Errorf("bad token: err = %v", err)
	}
}

package twiml_test

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/callguard/callguard/twiml"
	"github.com/callguard/callguard/twiml/twiliotest"
	"github.com/google/go-cmp/cmp"
)

func TestParseStreamStatus(t *testing.T) {
	at := time.Date(2026, 11, 26, 18, 0, 1, 250_000_000, time.UTC)
	tests := []struct {
		name string
		form url.Values
		want twiml.StreamStatus
		err  error
	}{
		{
			"started",
			twiliotest.StreamStatusParams("AC1", "CA1", "MZ1", "callguard", "stream-started", "", at),
			twiml.StreamStatus{AccountSid: "AC1", CallSid: "CA1", StreamSid: "MZ1", StreamName: "callguard", StreamEvent: twiml.StreamStarted, Timestamp: at},
			nil,
		},
		{
			"error",
			twiliotest.StreamStatusParams("AC1", "CA1", "MZ1", "MZ1", "stream-error", "31920 handshake failed", at),
			twiml.StreamStatus{AccountSid: "AC1", CallSid: "CA1", StreamSid: "MZ1", StreamName: "MZ1", StreamEvent: twiml.StreamErrored, StreamError: "31920 handshake failed", Timestamp: at},
			nil,
		},
		{
			"rfc2822 timestamp",
			url.Values{"CallSid": {"CA1"}, "StreamSid": {"MZ1"}, "StreamEvent": {"stream-stopped"}, "Timestamp": {"Thu, 26 Nov 2026 18:00:01 +0000"}},
			twiml.StreamStatus{CallSid: "CA1", StreamSid: "MZ1", StreamEvent: twiml.StreamStopped, Timestamp: at.Truncate(time.Second)},
			nil,
		},
		{
			"unix millis",
			url.Values{"CallSid": {"CA1"}, "StreamSid": {"MZ1"}, "StreamEvent": {"stream-stopped"}, "Timestamp": {"1795716001250"}},
			twiml.StreamStatus{CallSid: "CA1", StreamSid: "MZ1", StreamEvent: twiml.StreamStopped, Timestamp: at},
			nil,
		},
		{
			"bad timestamp keeps the rest",
			url.Values{"CallSid": {"CA1"}, "StreamSid": {"MZ1"}, "StreamEvent": {"stream-stopped"}, "Timestamp": {"yesterday"}},
			twiml.StreamStatus{CallSid: "CA1", StreamSid: "MZ1", StreamEvent: twiml.StreamStopped},
			twiml.ErrBadTimestamp,
		},
		{"no stream sid", url.Values{"CallSid": {"CA1"}, "StreamEvent": {"stream-started"}}, twiml.StreamStatus{CallSid: "CA1", StreamEvent: twiml.StreamStarted}, twiml.ErrMissingStreamSid},
		{"no event", url.Values{"CallSid": {"CA1"}, "StreamSid": {"MZ1"}}, twiml.StreamStatus{CallSid: "CA1", StreamSid: "MZ1"}, twiml.ErrMissingStreamEvent},
		{"no call sid", url.Values{"StreamSid": {"MZ1"}, "StreamEvent": {"stream-started"}}, twiml.StreamStatus{StreamSid: "MZ1", StreamEvent: twiml.StreamStarted}, twiml.ErrMissingCallSid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := twiml.ParseStreamStatus(tt.form)
			if !errors.Is(err, tt.err) || (tt.err == nil && err != nil) {
				t.Fatalf("err = %v, want %v", err, tt.err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Fatalf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestStreamStatusHandler(t *testing.T) {
	var got []twiml.StreamStatus
	h := &twiml.StreamStatusHandler{
		OnStatus: func(_ context.Context, s twiml.StreamStatus) { got = append(got, s) },
		Logger:   quiet,
	}
	v := twiml.Validator{AuthToken: authToken, PublicURL: publicBase, Logger: quiet}
	at := time.Date(2026, 11, 26, 18, 0, 0, 0, time.UTC)
	for _, ev := range []string{"stream-started", "stream-error", "stream-stopped"} {
		req := twiliotest.NewFormRequest(authToken, publicBase+"/stream-status",
			twiliotest.StreamStatusParams("AC1", "CA1", "MZ1", "callguard", ev, map[bool]string{true: "boom"}[ev == "stream-error"], at))
		if rec := serve(v.Middleware(h), req); rec.Code != http.StatusNoContent {
			t.Fatalf("%s: status %d", ev, rec.Code)
		}
	}
	if len(got) != 3 || got[0].StreamEvent != twiml.StreamStarted || got[1].StreamError != "boom" || got[2].StreamEvent != twiml.StreamStopped {
		t.Fatalf("callbacks %+v", got)
	}
	// Malformed callbacks are refused and not delivered.
	bad := twiliotest.NewFormRequest(authToken, publicBase+"/stream-status", url.Values{"CallSid": {"CA1"}})
	if rec := serve(v.Middleware(h), bad); rec.Code != http.StatusBadRequest {
		t.Fatalf("malformed: %d", rec.Code)
	}
	if len(got) != 3 {
		t.Fatal("malformed callback delivered")
	}
}

func FuzzParseStreamStatus(f *testing.F) {
	f.Add("CallSid=CA1&StreamSid=MZ1&StreamEvent=stream-started&Timestamp=2026-11-26T18%3A00%3A00Z")
	f.Add("Timestamp=1795716001250&StreamSid=MZ&CallSid=CA&StreamEvent=x")
	f.Add("Timestamp=-1")
	f.Add("Timestamp=99999999999999999999999")
	f.Fuzz(func(t *testing.T, raw string) {
		form, _ := url.ParseQuery(raw)
		s, err := twiml.ParseStreamStatus(form)
		if err == nil && (s.CallSid == "" || s.StreamSid == "" || s.StreamEvent == "") {
			t.Fatalf("accepted incomplete status %+v", s)
		}
		if s.CallSid != form.Get("CallSid") || s.StreamSid != form.Get("StreamSid") {
			t.Fatalf("fields lost: %+v", s)
		}
	})
}

package sim

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/callguard/callguard/twiml"
)

func TestDialURL(t *testing.T) {
	cases := []struct{ server, stream, want string }{
		{"http://localhost:8080", "wss://calls.example.com/twilio/media", "ws://localhost:8080/twilio/media"},
		{"https://127.0.0.1:9443", "wss://calls.example.com/twilio/media?x=1", "wss://127.0.0.1:9443/twilio/media?x=1"},
		{"http://127.0.0.1:1/base", "/twilio/media", "ws://127.0.0.1:1/base/twilio/media"},
	}
	for _, c := range cases {
		got, err := DialURL(c.server, c.stream)
		if err != nil || got != c.want {
			t.Errorf("DialURL(%q, %q) = %q, %v; want %q", c.server, c.stream, got, err, c.want)
		}
	}
	if _, err := DialURL("localhost", "/x"); err == nil {
		t.Error("relative server URL accepted")
	}
}

// The webhook callsim sends passes the same signature check the server
// uses (twiml.Validator), against the public URL, not the address dialled.
func TestPostSignedPassesValidator(t *testing.T) {
	const token = "secret-token"
	var form string
	h := twiml.Validator{AuthToken: token, PublicURL: "https://calls.example.com"}.Middleware(
		http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			b, _ := io.ReadAll(r.Body)
			form = string(b)
			io.WriteString(w, "<Response/>")
		}))
	srv := httptest.NewServer(h)
	defer srv.Close()
	hook := VoiceWebhook{AccountSid: "AC1", CallSid: "CA1", From: "+1", To: "+2"}
	status, body, err := PostSigned(context.Background(), srv.Client(), srv.URL, "https://calls.example.com", "/twilio/voice", token, hook.Form())
	if err != nil || status != 200 || string(body) != "<Response/>" {
		t.Fatalf("signed: %d %q %v", status, body, err)
	}
	if form == "" {
		t.Fatal("handler saw no form")
	}
	status, _, _ = PostSigned(context.Background(), srv.Client(), srv.URL, "https://calls.example.com", "/twilio/voice", "wrong", hook.Form())
	if status != http.StatusForbidden {
		t.Errorf("wrong token: status %d, want 403", status)
	}
}

func TestTracksFor(t *testing.T) {
	cases := []struct {
		twiml, override string
		want            int
		first           string
	}{
		{"", "", 1, "inbound"},
		{"inbound_track", "", 1, "inbound"},
		{"outbound_track", "", 1, "outbound"},
		{"both_tracks", "", 2, "inbound"},
		{"inbound_track", "both", 2, "inbound"},
		{"both_tracks", "inbound", 1, "inbound"},
	}
	for _, c := range cases {
		got := tracksFor(c.twiml, c.override)
		if len(got) != c.want || got[0] != c.first {
			t.Errorf("tracksFor(%q, %q) = %v", c.twiml, c.override, got)
		}
	}
}

func TestSendURLAndStreamStatusForm(t *testing.T) {
	got, err := SendURL("http://127.0.0.1:9000", "https://calls.example.com/twilio/stream-status?a=1")
	if err != nil || got != "http://127.0.0.1:9000/twilio/stream-status?a=1" {
		t.Errorf("SendURL = %q, %v", got, err)
	}
	f := StreamStatusForm("AC1", "CA1", "MZ1", "", "stream-started", time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC))
	st, err := twiml.ParseStreamStatus(f)
	if err != nil || st.StreamName != "MZ1" || st.StreamEvent != twiml.StreamStarted || !st.Timestamp.Equal(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)) {
		t.Errorf("ParseStreamStatus(StreamStatusForm) = %+v, %v", st, err)
	}
}

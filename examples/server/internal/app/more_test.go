package app_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/callguard/callguard/examples/server/internal/store"
	"github.com/callguard/callguard/notify"
	"github.com/callguard/callguard/twiml/twiliotest"
)

// announce and redirect act on the call through Twilio's REST API.
func TestAnnounceAndRedirect(t *testing.T) {
	e := newEnv(t, envOptions{env: map[string]string{"CALLGUARD_FORWARD_TO": "+14155550188"}})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	settings := map[string]string{
		"+14155550131": `{"enabled":true,"action":"announce"}`,
		"+14155550132": `{"enabled":true,"action":"redirect","redirect_url":"https://verify.example.com/twiml"}`,
	}
	for num, body := range settings {
		req, _ := http.NewRequest("PUT", e.hs.URL+"/v1/numbers/"+strings.Replace(num, "+", "%2B", 1), strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+apiToken)
		req.Header.Set("Content-Type", "application/json")
		if resp, b := e.send(req); resp.StatusCode != 200 {
			t.Fatalf("%s: %s", num, b)
		}
	}
	for num := range settings {
		call := e.tw.AddCall(twiliotest.Call{From: "+14155550100", To: num})
		resp, twiml := e.twilioForm("/twilio/voice", twiliotest.VoiceParams(e.tw.AccountSid(), call.Sid, call.From, num), e.authToken)
		if resp.StatusCode != 200 || !strings.Contains(string(twiml), "+14155550188") {
			t.Fatalf("voice TwiML does not forward: %s", twiml)
		}
		c := e.dial(ctx, call.Sid)
		if err := c.SendPCM(ctx, "inbound", fake(time.Second)); err != nil {
			t.Fatal(err)
		}
		if err := c.Stop(ctx); err != nil {
			t.Fatal(err)
		}
		acts, _ := e.st.ListActions(ctx, call.Sid)
		if len(acts) != 1 || acts[0].Status != store.ActionDone {
			t.Fatalf("%s: actions %+v", num, acts)
		}
		tc, _ := e.tw.Call(call.Sid)
		switch acts[0].Action {
		case store.ActionAnnounce:
			if !strings.Contains(tc.Twiml, "<Say>") || !strings.Contains(tc.Twiml, "synthetic") || !strings.Contains(tc.Twiml, "+14155550188") {
				t.Fatalf("announce TwiML %q", tc.Twiml)
			}
		case store.ActionRedirect:
			if tc.URL != "https://verify.example.com/twiml" {
				t.Fatalf("redirect URL %q", tc.URL)
			}
		default:
			t.Fatalf("%s: action %s", num, acts[0].Action)
		}
	}
}

// A stream-error status callback marks the stream failed and publishes an
// error event.
func TestStreamStatusError(t *testing.T) {
	e := newEnv(t, envOptions{})
	w := e.watch("?type=error")
	call := e.tw.AddCall(twiliotest.Call{})
	resp, body := e.do("POST", "/v1/detections", map[string]string{"call_sid": call.Sid})
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("start: %s %s", resp.Status, body)
	}
	tc, _ := e.tw.Call(call.Sid)
	sid := tc.Streams[0].Sid
	for _, ev := range []string{"stream-started", "stream-error"} {
		msg := ""
		if ev == "stream-error" {
			msg = "31920: Stream - WebSocket - Handshake Error"
		}
		resp, body := e.twilioForm("/twilio/stream-status",
			twiliotest.StreamStatusParams(e.tw.AccountSid(), call.Sid, sid, "callguard", ev, msg, time.Now()), e.authToken)
		if resp.StatusCode != http.StatusNoContent {
			t.Fatalf("%s: %s %s", ev, resp.Status, body)
		}
	}
	st, err := e.st.GetStream(context.Background(), sid)
	if err != nil || st.Status != store.StreamFailed || !strings.Contains(st.Error, "31920") {
		t.Fatalf("stream %+v %v", st, err)
	}
	ds, _ := e.st.ListDetections(context.Background(), store.DetectionFilter{CallSid: call.Sid}, store.PageRequest{})
	if len(ds.Items) != 1 || ds.Items[0].Status != store.DetectionFailed || !strings.Contains(ds.Items[0].Error, "31920") {
		t.Fatalf("detection after stream error: %+v", ds.Items)
	}
	// The failed detection no longer blocks a new start.
	if resp, body := e.do("POST", "/v1/detections", map[string]string{"call_sid": call.Sid}); resp.StatusCode != http.StatusCreated {
		t.Fatalf("restart: %s %s", resp.Status, body)
	}
	evs := w.waitFor(t, "the error event", func(evs []notify.Event) bool { return countType(evs, notify.TypeError) == 1 })
	if !strings.Contains(string(evs[0].Data), "31920") {
		t.Fatalf("event %s", evs[0].Data)
	}
}

// /readyz is 503 until migrations are current.
func TestReadyzMigrationsPending(t *testing.T) {
	st, err := store.Open(context.Background(), sqliteDSN(t), &store.Options{SkipMigrations: true})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	e := newEnv(t, envOptions{store: st})
	resp, body := e.send(mustReq(t, "GET", e.hs.URL+"/readyz"))
	if resp.StatusCode != http.StatusServiceUnavailable || !strings.Contains(string(body), "migrations") {
		t.Fatalf("%s %s", resp.Status, body)
	}
	if _, err := st.Migrate(context.Background(), "up"); err != nil {
		t.Fatal(err)
	}
	if resp, _ := e.send(mustReq(t, "GET", e.hs.URL+"/readyz")); resp.StatusCode != 200 {
		t.Fatalf("after migrate: %s", resp.Status)
	}
}

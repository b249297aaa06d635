package app_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/callguard/callguard/notify"
	"github.com/callguard/callguard/twiml/twiliotest"
)

// /v1/events/ws carries the same events as SSE, filtered per call, and
// refuses clients without a token.
func TestEventsWebSocket(t *testing.T) {
	e := newEnv(t, envOptions{})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	url := "ws" + strings.TrimPrefix(e.hs.URL, "http") + "/v1/events/ws"
	if _, resp, err := websocket.Dial(ctx, url, nil); err == nil || resp == nil || resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("unauthenticated dial: %v", err)
	}
	call := e.tw.AddCall(twiliotest.Call{})
	other := e.tw.AddCall(twiliotest.Call{})
	conn, _, err := websocket.Dial(ctx, url+"?type=verdict&call="+call.Sid,
		&websocket.DialOptions{HTTPHeader: http.Header{"Authorization": {"Bearer " + apiToken}}})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.CloseNow()
	for _, sid := range []string{other.Sid, call.Sid} {
		c := e.dial(ctx, sid)
		if err := c.SendPCM(ctx, "inbound", speech(t, time.Second)); err != nil {
			t.Fatal(err)
		}
		if err := c.Stop(ctx); err != nil {
			t.Fatal(err)
		}
	}
	for i := 0; i < 2; i++ {
		_, b, err := conn.Read(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var ev notify.Event
		if err := json.Unmarshal(b, &ev); err != nil {
			t.Fatalf("%s: %v", b, err)
		}
		if ev.Type != notify.TypeVerdict || ev.CallSid != call.Sid {
			t.Fatalf("event %d = %s", i, b)
		}
	}
}

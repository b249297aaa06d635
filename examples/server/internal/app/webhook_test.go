package app_test

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

	"github.com/callguard/callguard/examples/server/internal/app"
	"github.com/callguard/callguard/examples/server/internal/config"
	"github.com/callguard/callguard/notify"
	"github.com/callguard/callguard/twiml"
	"github.com/callguard/callguard/twiml/twiliotest"
)

// With CALLGUARD_WEBHOOK_URL every event is POSTed, signed with the
// webhook secret, and shutdown flushes the queue.
func TestSignedWebhook(t *testing.T) {
	const secret = "webhook-secret-0123"
	var mu sync.Mutex
	var got []notify.Event
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		if err := notify.VerifySignature(secret, r.Header.Get(notify.SignatureHeader), b, 0); err != nil {
			t.Errorf("bad signature: %v", err)
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		var ev notify.Event
		if err := json.Unmarshal(b, &ev); err != nil {
			t.Errorf("body %s: %v", b, err)
		}
		mu.Lock()
		got = append(got, ev)
		mu.Unlock()
	}))
	defer recv.Close()
	e := newEnv(t, envOptions{env: map[string]string{"CALLGUARD_WEBHOOK_URL": recv.URL, "CALLGUARD_WEBHOOK_SECRET": secret}})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	call := e.tw.AddCall(twiliotest.Call{})
	c := e.dial(ctx, call.Sid)
	if err := c.SendPCM(ctx, "inbound", speech(t, time.Second)); err != nil {
		t.Fatal(err)
	}
	if err := c.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	if err := e.srv.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if countType(got, notify.TypeVerdict) != 2 || countType(got, notify.TypeStreamStarted) != 1 || countType(got, notify.TypeCallEnded) != 1 {
		t.Fatalf("webhook got %+v", got)
	}
}

// CALLGUARD_TWILIO_API_URL points the REST client built from the
// configuration at another base URL (here the fake).
func TestTwilioClientFromConfig(t *testing.T) {
	tw := twiliotest.NewServer(twiliotest.ServerOptions{})
	defer tw.Close()
	env := map[string]string{"TWILIO_ACCOUNT_SID": tw.AccountSid(), "TWILIO_AUTH_TOKEN": tw.AuthToken(), "CALLGUARD_TWILIO_API_URL": tw.URL()}
	cfg, _, err := config.Load(config.Options{Getenv: func(k string) string { return env[k] }})
	if err != nil {
		t.Fatal(err)
	}
	rc := app.TwilioClient(cfg)
	call := tw.AddCall(twiliotest.Call{})
	if err := (twiml.Calls{Client: rc}).Hangup(context.Background(), call.Sid); err != nil {
		t.Fatal(err)
	}
	if c, _ := tw.Call(call.Sid); c.Status != "completed" {
		t.Fatalf("call %+v", c)
	}
	// A base URL twiml.NewRestClient cannot use stops the start, naming
	// the variable.
	bad := *cfg
	bad.TwilioAPIURL = tw.URL() + "/?x=1"
	var inv *config.InvalidError
	if rc, err := app.NewTwilioClient(&bad); rc != nil || !errors.As(err, &inv) || inv.Env != "CALLGUARD_TWILIO_API_URL" {
		t.Fatalf("bad base URL: client %v, err %v", rc != nil, err)
	}
	env["TWILIO_AUTH_TOKEN"] = ""
	cfg, _, _ = config.Load(config.Options{Getenv: func(k string) string { return env[k] }})
	if app.TwilioClient(cfg) != nil {
		t.Fatal("client without credentials")
	}
}

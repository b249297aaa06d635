package app_test

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/callguard/callguard/detect/resembletest"
	"github.com/callguard/callguard/examples/server/internal/store"
	"github.com/callguard/callguard/twiml/twiliotest"
)

// With RESEMBLE_API_KEY the server uses the Resemble client (here against
// the fake over HTTP): verdicts are not simulated, the key reaches the
// vendor, and neither it nor the Twilio API secret is ever logged.
func TestRealVendorConfigured(t *testing.T) {
	const key, apiSecret = "resemble-key-do-not-log", "twilio-api-secret-do-not-log"
	fake := resembletest.NewHandler(resembletest.Options{APIKey: key})
	vendor := httptest.NewServer(fake)
	defer vendor.Close()
	e := newEnv(t, envOptions{env: map[string]string{
		"RESEMBLE_API_KEY": key, "CALLGUARD_RESEMBLE_URL": vendor.URL,
		"TWILIO_API_KEY": "SK0123456789abcdef0123456789abcdef", "TWILIO_API_SECRET": apiSecret,
	}})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	call := e.tw.AddCall(twiliotest.Call{})
	c := e.dial(ctx, call.Sid)
	if err := c.SendPCM(ctx, "inbound", fake1s()); err != nil {
		t.Fatal(err)
	}
	if err := c.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	vs, err := e.st.ListVerdicts(ctx, store.VerdictFilter{CallSid: call.Sid}, store.PageRequest{})
	if err != nil || len(vs.Items) != 2 {
		t.Fatalf("verdicts %v %+v", err, vs.Items)
	}
	for _, v := range vs.Items {
		if v.Simulated || v.Vendor != "resemble" || v.Label != "fake" || v.VendorID == "" {
			t.Fatalf("verdict %+v", v)
		}
	}
	if n := fake.Count("POST", "/detect"); n != 2 {
		t.Fatalf("vendor got %d detect requests", n)
	}
	ds, _ := e.st.ListDetections(ctx, store.DetectionFilter{CallSid: call.Sid}, store.PageRequest{})
	if len(ds.Items) != 1 || ds.Items[0].Simulated {
		t.Fatalf("detection %+v", ds.Items)
	}
	_, body := e.send(mustReq(t, "GET", e.hs.URL+"/metrics"))
	for _, want := range []string{`callguard_verdicts_total{label="fake"} 2`, `callguard_vendor_latency_seconds_count{vendor="resemble"} 2`,
		`callguard_frames_total{track="inbound"} 50`} {
		if !strings.Contains(string(body), want) {
			t.Errorf("metrics lack %q", want)
		}
	}
	waitUntil(t, "the stream counted", func() bool {
		_, body := e.send(mustReq(t, "GET", e.hs.URL+"/metrics"))
		return strings.Contains(string(body), `callguard_streams_total{result="ok"} 1`)
	})
	logs := e.logs.String()
	for _, s := range []string{key, apiSecret, apiToken, e.authToken} {
		if strings.Contains(logs, s) {
			t.Fatalf("secret %q... logged", s[:6])
		}
	}
}

func fake1s() []int16 { return fake(time.Second) }

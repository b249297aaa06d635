package app_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/callguard/callguard/examples/server/internal/store"
	"github.com/callguard/callguard/examples/server/internal/view"
	"github.com/callguard/callguard/media/mediatest"
	"github.com/callguard/callguard/twiml/twiliotest"
)

// Detection started through the API: Twilio is asked for a stream to the
// media URL; the stream's audio lands in that detection; stopping through
// the API while audio flows stores the summary and stops Twilio's stream.
func TestAPIStartStop(t *testing.T) {
	e := newEnv(t, envOptions{})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	call := e.tw.AddCall(twiliotest.Call{From: "+14155550100", To: "+14155550199"})
	resp, body := e.do("POST", "/v1/detections", map[string]string{"call_sid": call.Sid, "track": "both"})
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("start: %s %s", resp.Status, body)
	}
	var sr struct {
		StreamSid  string           `json:"stream_sid"`
		Detections []view.Detection `json:"detections"`
	}
	if err := json.Unmarshal(body, &sr); err != nil || len(sr.Detections) != 2 {
		t.Fatalf("start body %s", body)
	}
	if loc := resp.Header.Get("Location"); loc != "/v1/detections/"+sr.Detections[0].ID {
		t.Fatalf("Location %q", loc)
	}
	tc, _ := e.tw.Call(call.Sid)
	if len(tc.Streams) != 1 || tc.Streams[0].Track != "both_tracks" || !strings.HasSuffix(tc.Streams[0].StatusCallback, "/twilio/stream-status") {
		t.Fatalf("Twilio stream = %+v", tc.Streams)
	}

	c, err := mediatest.Dial(ctx, e.wsURL(), mediatest.DialOptions{AuthToken: e.authToken, SignURL: e.srv.MediaURLString(),
		CallSid: call.Sid, StreamSid: sr.StreamSid, AccountSid: e.tw.AccountSid(), Tracks: []string{"inbound", "outbound"}})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.SendBoth(ctx, speech(t, 1200*time.Millisecond), speech(t, 1200*time.Millisecond)); err != nil {
		t.Fatal(err)
	}
	if err := c.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	in := sr.Detections[0]
	// Wait until the inbound detection has its first verdicts.
	waitUntil(t, "inbound verdicts", func() bool {
		vs, err := e.st.ListVerdicts(ctx, store.VerdictFilter{DetectionID: in.ID}, store.PageRequest{})
		return err == nil && len(vs.Items) >= 2
	})
	resp, body = e.do("POST", "/v1/detections/"+in.ID+"/stop", nil)
	if resp.StatusCode != 200 {
		t.Fatalf("stop: %s %s", resp.Status, body)
	}
	var dv view.Detection
	_ = json.Unmarshal(body, &dv)
	if dv.Status != "stopped" || len(dv.Summary) == 0 || dv.StreamSid != sr.StreamSid {
		t.Fatalf("stopped detection = %s", body)
	}
	var sum struct{ Windows int }
	_ = json.Unmarshal(dv.Summary, &sum)
	if sum.Windows != 3 { // 1.2 s in 500 ms windows: two full, one partial flushed
		t.Fatalf("summary %s", dv.Summary)
	}
	// The outbound track shares the stream: Twilio's stream is kept.
	tc, _ = e.tw.Call(call.Sid)
	if tc.Streams[0].Status != "in-progress" {
		t.Fatalf("shared stream stopped: %+v", tc.Streams[0])
	}
	out := sr.Detections[1]
	resp, body = e.do("POST", "/v1/detections/"+out.ID+"/stop", nil)
	if resp.StatusCode != 200 {
		t.Fatalf("stop outbound: %s %s", resp.Status, body)
	}
	tc, _ = e.tw.Call(call.Sid)
	if tc.Streams[0].Status != "stopped" {
		t.Fatalf("Twilio stream not stopped: %+v", tc.Streams[0])
	}
	resp, body = e.do("GET", "/v1/detections/"+in.ID, nil)
	if resp.StatusCode != 200 || !strings.Contains(string(body), `"verdicts"`) {
		t.Fatalf("get detection: %s %s", resp.Status, body)
	}
	resp, body = e.do("GET", "/v1/detections?call_sid="+call.Sid+"&limit=1", nil)
	var page view.Page[view.Detection]
	_ = json.Unmarshal(body, &page)
	if resp.StatusCode != 200 || len(page.Items) != 1 || page.NextCursor == "" {
		t.Fatalf("list page 1: %s", body)
	}
	resp, body = e.do("GET", "/v1/detections?call_sid="+call.Sid+"&limit=1&cursor="+page.NextCursor, nil)
	var page2 view.Page[view.Detection]
	_ = json.Unmarshal(body, &page2)
	if resp.StatusCode != 200 || len(page2.Items) != 1 || page2.Items[0].ID == page.Items[0].ID {
		t.Fatalf("list page 2: %s", body)
	}
	_ = c.Stop(ctx)
}

// The numbers table drives the voice webhook and the action on alert: a
// number set to hang up gets its call hung up through Twilio's REST API,
// and the action is stored with the verdicts that caused it.
func TestNumberPolicyAndHangup(t *testing.T) {
	e := newEnv(t, envOptions{})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	off, on := "+14155550111", "+14155550122"
	for num, body := range map[string]string{
		off: `{"enabled":false}`,
		on:  `{"enabled":true,"track":"inbound_track","action":"hangup"}`,
	} {
		req, _ := http.NewRequest("PUT", e.hs.URL+"/v1/numbers/"+strings.Replace(num, "+", "%2B", 1), strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+apiToken)
		req.Header.Set("Content-Type", "application/json")
		resp, b := e.send(req)
		if resp.StatusCode != 200 {
			t.Fatalf("put %s: %s %s", num, resp.Status, b)
		}
	}
	resp, body := e.do("GET", "/v1/numbers", nil)
	if resp.StatusCode != 200 || strings.Count(string(body), `"e164"`) != 2 {
		t.Fatalf("list numbers: %s", body)
	}

	offCall := e.tw.AddCall(twiliotest.Call{From: "+14155550100", To: off})
	_, twimlOff := e.twilioForm("/twilio/voice", twiliotest.VoiceParams(e.tw.AccountSid(), offCall.Sid, offCall.From, off), e.authToken)
	if strings.Contains(string(twimlOff), "<Stream") {
		t.Fatalf("disabled number got a stream: %s", twimlOff)
	}
	onCall := e.tw.AddCall(twiliotest.Call{From: "+14155550100", To: on})
	_, twimlOn := e.twilioForm("/twilio/voice", twiliotest.VoiceParams(e.tw.AccountSid(), onCall.Sid, onCall.From, on), e.authToken)
	if !strings.Contains(string(twimlOn), "<Stream") {
		t.Fatalf("enabled number got no stream: %s", twimlOn)
	}

	c := e.dial(ctx, onCall.Sid)
	if err := c.SendPCM(ctx, "inbound", fake(1500*time.Millisecond)); err != nil {
		t.Fatal(err)
	}
	if err := c.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	acts, err := e.st.ListActions(ctx, onCall.Sid)
	if err != nil || len(acts) != 1 {
		t.Fatalf("actions %v %+v", err, acts)
	}
	if acts[0].Action != store.ActionHangup || acts[0].Status != store.ActionDone || len(acts[0].VerdictIDs) != 2 {
		t.Fatalf("action = %+v", acts[0])
	}
	vs, _ := e.st.ListVerdicts(ctx, store.VerdictFilter{CallSid: onCall.Sid}, store.PageRequest{})
	byID := map[int64]store.Verdict{}
	for _, v := range vs.Items {
		byID[v.ID] = v
	}
	for _, id := range acts[0].VerdictIDs {
		if byID[id].Label != "fake" {
			t.Fatalf("action cites verdict %d = %+v", id, byID[id])
		}
	}
	tc, _ := e.tw.Call(onCall.Sid)
	if tc.Status != "completed" {
		t.Fatalf("call not hung up: %+v", tc)
	}
}

// SIGTERM while a stream is live: the partial window is judged and stored,
// the detection gets its summary, readiness turns 503, and shutdown ends
// within its deadline.
func TestGracefulShutdown(t *testing.T) {
	e := newEnv(t, envOptions{})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	call := e.tw.AddCall(twiliotest.Call{})
	c := e.dial(ctx, call.Sid)
	defer c.Close()
	if err := c.SendPCM(ctx, "inbound", speech(t, 1300*time.Millisecond)); err != nil {
		t.Fatal(err)
	}
	if err := c.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, "two verdicts", func() bool {
		vs, err := e.st.ListVerdicts(ctx, store.VerdictFilter{CallSid: call.Sid}, store.PageRequest{})
		return err == nil && len(vs.Items) >= 2
	})
	if e.srv.ActiveStreams() != 1 {
		t.Fatalf("%d active streams", e.srv.ActiveStreams())
	}
	sctx, scancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer scancel()
	if err := e.srv.Shutdown(sctx); err != nil {
		t.Fatal(err)
	}
	resp, _ := e.send(mustReq(t, "GET", e.hs.URL+"/readyz"))
	if resp.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("readyz while draining: %s", resp.Status)
	}
	ds, _ := e.st.ListDetections(ctx, store.DetectionFilter{CallSid: call.Sid}, store.PageRequest{})
	if len(ds.Items) != 1 || ds.Items[0].Status != store.DetectionStopped || len(ds.Items[0].Summary) == 0 {
		t.Fatalf("detection after shutdown = %+v", ds.Items)
	}
	vs, _ := e.st.ListVerdicts(ctx, store.VerdictFilter{CallSid: call.Sid}, store.PageRequest{})
	if len(vs.Items) != 3 || vs.Items[2].WindowEnd != 1300*time.Millisecond {
		t.Fatalf("the partial window was not stored: %+v", vs.Items)
	}
	if _, err := mediatest.Dial(ctx, e.wsURL(), mediatest.DialOptions{AuthToken: e.authToken, SignURL: e.srv.MediaURLString()}); err == nil {
		t.Fatal("a new stream was accepted while draining")
	}
}

func TestHealthReadyMetrics(t *testing.T) {
	e := newEnv(t, envOptions{})
	for path, want := range map[string]string{
		"/healthz": `"ok"`,
		"/readyz":  `"ready"`,
		"/metrics": "callguard_active_streams",
	} {
		resp, body := e.send(mustReq(t, "GET", e.hs.URL+path))
		if resp.StatusCode != 200 || !strings.Contains(string(body), want) {
			t.Fatalf("%s: %s %.200s", path, resp.Status, body)
		}
	}
	resp, body := e.send(mustReq(t, "GET", e.hs.URL+"/"))
	if resp.StatusCode != 200 || !strings.Contains(string(body), `class="simulated"`) {
		t.Fatalf("dashboard: %s", resp.Status)
	}
}

func mustReq(t *testing.T, method, url string) *http.Request {
	req, err := http.NewRequest(method, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	return req
}

func waitUntil(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

package app_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/callguard/callguard/detect/resembletest"
	"github.com/callguard/callguard/examples/server/internal/store"
	"github.com/callguard/callguard/examples/server/internal/view"
	"github.com/callguard/callguard/internal/pgtest"
	"github.com/callguard/callguard/notify"
	"github.com/callguard/callguard/twiml/twiliotest"
)

func TestEndToEndSQLite(t *testing.T) {
	e := newEnv(t, envOptions{dsn: sqliteDSN(t)})
	runEndToEnd(t, e)
}

func TestEndToEndPostgres(t *testing.T) {
	e := newEnv(t, envOptions{dsn: pgtest.SchemaDSN(t, "cgserver_")})
	runEndToEnd(t, e)
}

// runEndToEnd: a Twilio call hits the voice webhook, streams speech then
// synthetic audio, and every verdict lands in the store, on the SSE
// stream and in the call view; the alert is recorded with its verdicts.
func runEndToEnd(t *testing.T, e *env) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	w := e.watch("")

	call := e.tw.AddCall(twiliotest.Call{From: "+14155550100", To: "+14155550199"})
	resp, body := e.twilioForm("/twilio/voice", twiliotest.VoiceParams(e.tw.AccountSid(), call.Sid, call.From, call.To), e.authToken)
	if resp.StatusCode != 200 {
		t.Fatalf("voice webhook: %s %s", resp.Status, body)
	}
	if !strings.Contains(string(body), `<Stream`) || !strings.Contains(string(body), "wss://callguard.test/twilio/media") {
		t.Fatalf("voice webhook TwiML has no stream to the media URL: %s", body)
	}

	c := e.dial(ctx, call.Sid)
	if err := c.SendPCM(ctx, "inbound", speech(t, 2*time.Second)); err != nil {
		t.Fatal(err)
	}
	if err := c.SendPCM(ctx, "inbound", fake(1500*time.Millisecond)); err != nil {
		t.Fatal(err)
	}
	if err := c.Stop(ctx); err != nil {
		t.Fatalf("stop: %v", err)
	}

	// Stop returns after the server closed the stream, i.e. after the last
	// window was judged and stored.
	dets, err := e.st.ListDetections(ctx, store.DetectionFilter{CallSid: call.Sid}, store.PageRequest{})
	if err != nil || len(dets.Items) != 1 {
		t.Fatalf("detections: %v %+v", err, dets.Items)
	}
	d := dets.Items[0]
	if d.Status != store.DetectionStopped || !d.Simulated || d.StreamSid != c.StreamSid() {
		t.Fatalf("detection = %+v", d)
	}
	var sum struct {
		Windows  int    `json:"windows"`
		Decision string `json:"decision"`
		Alerted  bool   `json:"alerted"`
	}
	if err := json.Unmarshal(d.Summary, &sum); err != nil {
		t.Fatalf("summary %s: %v", d.Summary, err)
	}
	if sum.Windows != 7 || sum.Decision != "likely_fake" || !sum.Alerted {
		t.Fatalf("summary = %s", d.Summary)
	}
	vs, err := e.st.ListVerdicts(ctx, store.VerdictFilter{DetectionID: d.ID}, store.PageRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if len(vs.Items) != sum.Windows {
		t.Fatalf("%d verdict rows, want %d", len(vs.Items), sum.Windows)
	}
	fakes := 0
	for i, v := range vs.Items {
		if !v.Simulated || v.Vendor != resembletest.SimulatedVendor {
			t.Errorf("verdict %d not labelled simulated: %+v", i, v)
		}
		if v.WindowStart != time.Duration(i)*500*time.Millisecond {
			t.Errorf("verdict %d starts at %v", i, v.WindowStart)
		}
		if v.Label == "fake" {
			fakes++
			if v.WindowStart < 2*time.Second {
				t.Errorf("speech window %d judged fake", i)
			}
		}
	}
	if fakes < 2 {
		t.Fatalf("%d fake windows, want at least 2", fakes)
	}

	acts, err := e.st.ListActions(ctx, call.Sid)
	if err != nil || len(acts) != 1 {
		t.Fatalf("actions: %v %+v", err, acts)
	}
	if acts[0].Action != store.ActionNotify || acts[0].Status != store.ActionDone || len(acts[0].VerdictIDs) < 2 {
		t.Fatalf("action = %+v", acts[0])
	}

	evs := w.waitFor(t, "all verdicts and the end", func(evs []notify.Event) bool {
		return countType(evs, notify.TypeVerdict) >= len(vs.Items) && countType(evs, notify.TypeCallEnded) >= 1
	})
	if countType(evs, notify.TypeAlert) != 1 || countType(evs, notify.TypeCallStarted) != 1 || countType(evs, notify.TypeStreamStarted) != 1 {
		t.Fatalf("events: %+v", evs)
	}
	seen := map[int64]bool{}
	for _, ev := range evs {
		if ev.Type != notify.TypeVerdict {
			continue
		}
		var v view.Verdict
		if err := json.Unmarshal(ev.Data, &v); err != nil {
			t.Fatal(err)
		}
		if ev.CallSid != call.Sid || !v.Simulated || v.DetectionID != d.ID {
			t.Fatalf("verdict event %s", ev.Data)
		}
		seen[v.ID] = true
	}
	for _, v := range vs.Items {
		if !seen[v.ID] {
			t.Errorf("verdict row %d never reached the watcher", v.ID)
		}
	}

	resp, body = e.do(http.MethodGet, "/v1/calls/"+call.Sid, nil)
	if resp.StatusCode != 200 {
		t.Fatalf("get call: %s %s", resp.Status, body)
	}
	var cv view.Call
	if err := json.Unmarshal(body, &cv); err != nil {
		t.Fatal(err)
	}
	if len(cv.Verdicts) != len(vs.Items) || cv.Alert == nil || cv.Decision != "likely_fake" || !cv.Simulated ||
		cv.From != call.From || cv.State != "ended" || len(cv.Actions) != 1 {
		t.Fatalf("call view = %s", body)
	}

	logs := e.logs.String()
	for _, secret := range []string{e.authToken, apiToken} {
		if strings.Contains(logs, secret) {
			t.Fatalf("a secret leaked into the logs")
		}
	}
	if !strings.Contains(logs, `"msg":"stream started"`) {
		t.Fatalf("no stream log line")
	}
	for _, line := range strings.Split(logs, "\n") {
		if strings.Contains(line, `"msg":"stream started"`) || strings.Contains(line, `"msg":"detection ended"`) {
			for _, attr := range []string{`"request_id"`, `"call_sid":"` + call.Sid, `"stream_sid":"` + c.StreamSid()} {
				if !strings.Contains(line, attr) {
					t.Errorf("log line lacks %s: %s", attr, line)
				}
			}
		}
	}
}

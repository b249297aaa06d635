package app_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/callguard/callguard/examples/server/internal/app"
	"github.com/callguard/callguard/examples/server/internal/httpx"
	"github.com/callguard/callguard/examples/server/internal/store"
	"github.com/callguard/callguard/examples/server/internal/view"
	"github.com/callguard/callguard/notify"
	"github.com/callguard/callguard/twiml/twiliotest"
)

// callStatusParams is a call status callback as Twilio sends it.
func callStatusParams(accountSid, callSid, status string, at time.Time) url.Values {
	v := twiliotest.VoiceParams(accountSid, callSid, "+14155550100", "+14155550199")
	v.Set("CallStatus", status)
	v.Set("CallbackSource", "call-progress-events")
	v.Set("SequenceNumber", "0")
	if !at.IsZero() {
		v.Set("Timestamp", at.UTC().Format(time.RFC1123Z))
	}
	if status == "completed" {
		v.Set("CallDuration", "12")
	}
	return v
}

// callEndedEvents returns the call.ended events stored for a call.
func (e *env) callEndedEvents(callSid string) []view.CallEnded {
	e.t.Helper()
	evs, err := e.st.ListEvents(context.Background(), store.EventFilter{CallSid: callSid, Types: []string{notify.TypeCallEnded}},
		store.PageRequest{Limit: store.MaxPageLimit})
	if err != nil {
		e.t.Fatal(err)
	}
	var out []view.CallEnded
	for _, ev := range evs.Items {
		var ce view.CallEnded
		if err := json.Unmarshal(ev.Data, &ce); err != nil {
			e.t.Fatal(err)
		}
		out = append(out, ce)
	}
	return out
}

// Twilio's call status callback records the status and, when the call is
// over, ended_at and the end of its open detections: the one whose stream
// this replica holds is finished by its pipeline (summary stored), one
// still waiting for its stream is stopped here; both emit call.ended.
func TestCallStatusCallback(t *testing.T) {
	e := newEnv(t, envOptions{})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	acct := e.tw.AccountSid()

	// A live stream on this replica.
	live := e.tw.AddCall(twiliotest.Call{})
	c, det := e.streamSpeech(ctx, live.Sid)
	defer c.Close()

	// Not terminal: the status is recorded, nothing ends.
	resp, body := e.twilioForm(app.CallStatusPath, callStatusParams(acct, live.Sid, "in-progress", time.Time{}), e.authToken)
	if resp.StatusCode != http.StatusNoContent {
		t.Fatalf("in-progress: %s %s", resp.Status, body)
	}
	if call, _ := e.st.GetCall(ctx, live.Sid); call.Status != "in-progress" || !call.EndedAt.IsZero() {
		t.Fatalf("call after in-progress %+v", call)
	}
	if d, _ := e.st.GetDetection(ctx, det.ID); d.Status != store.DetectionActive {
		t.Fatalf("detection ended by a non-terminal status: %+v", d)
	}

	endedAt := time.Date(2026, 11, 26, 19, 0, 7, 0, time.UTC)
	resp, body = e.twilioForm(app.CallStatusPath, callStatusParams(acct, live.Sid, "completed", endedAt), e.authToken)
	if resp.StatusCode != http.StatusNoContent {
		t.Fatalf("completed: %s %s", resp.Status, body)
	}
	call, err := e.st.GetCall(ctx, live.Sid)
	if err != nil || call.Status != "completed" || !call.EndedAt.Equal(endedAt) {
		t.Fatalf("call after completed %+v %v", call, err)
	}
	d, err := e.st.GetDetection(ctx, det.ID)
	if err != nil || d.Status != store.DetectionStopped || len(d.Summary) == 0 {
		t.Fatalf("live detection after the call ended %+v %v", d, err)
	}
	var sum struct{ Windows int }
	if err := json.Unmarshal(d.Summary, &sum); err != nil || sum.Windows != 3 {
		t.Fatalf("summary %s", d.Summary)
	}
	if ce := e.callEndedEvents(live.Sid); len(ce) != 1 || ce[0].DetectionID != det.ID || ce[0].Reason != "call completed" || ce[0].Status != "stopped" {
		t.Fatalf("call.ended events %+v", ce)
	}
	// The API shows the call as ended.
	resp, body = e.do("GET", "/v1/calls/"+live.Sid, nil)
	var cv view.Call
	_ = json.Unmarshal(body, &cv)
	if resp.StatusCode != http.StatusOK || cv.State != "ended" || cv.EndedAt == nil || !cv.EndedAt.Equal(endedAt) {
		t.Fatalf("call view %s", body)
	}
	_ = c.Stop(ctx)

	// A detection started through the API whose stream never connected.
	unanswered := e.tw.AddCall(twiliotest.Call{})
	resp, body = e.do("POST", "/v1/detections", map[string]string{"call_sid": unanswered.Sid})
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("start: %s %s", resp.Status, body)
	}
	before := time.Now().UTC().Add(-time.Second)
	resp, body = e.twilioForm(app.CallStatusPath, callStatusParams(acct, unanswered.Sid, "no-answer", time.Time{}), e.authToken)
	if resp.StatusCode != http.StatusNoContent {
		t.Fatalf("no-answer: %s %s", resp.Status, body)
	}
	if call, _ := e.st.GetCall(ctx, unanswered.Sid); call.Status != "no-answer" || call.EndedAt.Before(before) {
		t.Fatalf("call after no-answer %+v", call)
	}
	ds, _ := e.st.ListDetections(ctx, store.DetectionFilter{CallSid: unanswered.Sid}, store.PageRequest{})
	if len(ds.Items) != 1 || ds.Items[0].Status != store.DetectionStopped {
		t.Fatalf("detections after no-answer %+v", ds.Items)
	}
	if ce := e.callEndedEvents(unanswered.Sid); len(ce) != 1 || ce[0].DetectionID != ds.Items[0].ID || ce[0].Reason != "call no-answer" {
		t.Fatalf("call.ended events %+v", ce)
	}
}

// Forged, unsigned or incomplete call status callbacks write nothing.
func TestCallStatusRejected(t *testing.T) {
	e := newEnv(t, envOptions{})
	ctx := context.Background()
	call := e.tw.AddCall(twiliotest.Call{})
	if _, err := e.st.UpsertCall(ctx, store.Call{Sid: call.Sid, AccountSid: e.tw.AccountSid(), Status: "in-progress"}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.st.CreateDetection(ctx, store.Detection{CallSid: call.Sid, Track: "inbound", Status: store.DetectionActive}); err != nil {
		t.Fatal(err)
	}
	params := callStatusParams(e.tw.AccountSid(), call.Sid, "completed", time.Now())
	missing := callStatusParams(e.tw.AccountSid(), call.Sid, "", time.Now())
	missing.Del("CallStatus")
	for _, tc := range []struct {
		name   string
		send   func() (*http.Response, []byte)
		status int
		code   string
	}{
		{"forged", func() (*http.Response, []byte) { return e.twilioForm(app.CallStatusPath, params, "wrong-token") }, 403, httpx.CodeInvalidSignature},
		{"signed for other params", func() (*http.Response, []byte) {
			other := callStatusParams(e.tw.AccountSid(), call.Sid, "in-progress", time.Time{})
			req, _ := http.NewRequest(http.MethodPost, e.hs.URL+app.CallStatusPath, strings.NewReader(params.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.Header.Set("X-Twilio-Signature", twiliotest.Signature(e.authToken, publicURL+app.CallStatusPath, other))
			return e.send(req)
		}, 403, httpx.CodeInvalidSignature},
		{"unsigned", func() (*http.Response, []byte) {
			req, _ := http.NewRequest(http.MethodPost, e.hs.URL+app.CallStatusPath, strings.NewReader(params.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			return e.send(req)
		}, 403, httpx.CodeInvalidSignature},
		{"no CallStatus", func() (*http.Response, []byte) { return e.twilioForm(app.CallStatusPath, missing, e.authToken) }, 400, httpx.CodeInvalidField},
		{"GET", func() (*http.Response, []byte) {
			req, _ := http.NewRequest(http.MethodGet, e.hs.URL+app.CallStatusPath, nil)
			return e.send(req)
		}, 405, httpx.CodeMethodNotAllowed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := e.counts()
			resp, body := tc.send()
			if resp.StatusCode != tc.status {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, tc.status, body)
			}
			if p := decodeProblem(t, resp, body); p.Code != tc.code {
				t.Fatalf("problem %+v, want %s", p, tc.code)
			}
			if after := e.counts(); after != before {
				t.Fatalf("rows changed: %+v → %+v", before, after)
			}
			if c, _ := e.st.GetCall(ctx, call.Sid); c.Status != "in-progress" || !c.EndedAt.IsZero() {
				t.Fatalf("call changed: %+v", c)
			}
			if d, _ := e.st.ActiveDetection(ctx, call.Sid, "inbound"); d.Status != store.DetectionActive {
				t.Fatalf("detection changed: %+v", d)
			}
		})
	}
}

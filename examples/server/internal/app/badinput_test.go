package app_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/callguard/callguard/examples/server/internal/httpx"
	"github.com/callguard/callguard/examples/server/internal/store"
	"github.com/callguard/callguard/media/mediatest"
	"github.com/callguard/callguard/twiml/twiliotest"
)

type rowCounts struct{ calls, streams, detections, numbers, events int }

func (e *env) counts() rowCounts {
	e.t.Helper()
	ctx := context.Background()
	var c rowCounts
	calls, err := e.st.ListCalls(ctx, store.PageRequest{Limit: store.MaxPageLimit})
	if err != nil {
		e.t.Fatal(err)
	}
	c.calls = len(calls.Items)
	for _, call := range calls.Items {
		ss, err := e.st.ListStreams(ctx, call.Sid)
		if err != nil {
			e.t.Fatal(err)
		}
		c.streams += len(ss)
	}
	ds, err := e.st.ListDetections(ctx, store.DetectionFilter{}, store.PageRequest{Limit: store.MaxPageLimit})
	if err != nil {
		e.t.Fatal(err)
	}
	c.detections = len(ds.Items)
	ns, err := e.st.ListNumbers(ctx, store.PageRequest{Limit: store.MaxPageLimit})
	if err != nil {
		e.t.Fatal(err)
	}
	c.numbers = len(ns.Items)
	evs, err := e.st.ListEvents(ctx, store.EventFilter{}, store.PageRequest{Limit: store.MaxPageLimit})
	if err != nil {
		e.t.Fatal(err)
	}
	c.events = len(evs.Items)
	return c
}

func decodeProblem(t *testing.T, resp *http.Response, body []byte) httpx.Problem {
	t.Helper()
	if ct := resp.Header.Get("Content-Type"); ct != "application/problem+json" {
		t.Fatalf("Content-Type %q, body %s", ct, body)
	}
	var p httpx.Problem
	if err := json.Unmarshal(body, &p); err != nil {
		t.Fatal(err)
	}
	if p.Status != resp.StatusCode || p.Type != httpx.ProblemType+p.Code || p.Title == "" || p.RequestID == "" {
		t.Fatalf("problem %+v does not match status %d", p, resp.StatusCode)
	}
	return p
}

func TestBadInput(t *testing.T) {
	e := newEnv(t, envOptions{env: map[string]string{"CALLGUARD_MAX_BODY": "2048"}})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()

	// A live call with one running detection and one finished detection, set
	// up through the API, so that the cases below have something to collide
	// with.
	live := e.tw.AddCall(twiliotest.Call{From: "+14155550100", To: "+14155550199"})
	resp, body := e.do("POST", "/v1/detections", map[string]string{"call_sid": live.Sid})
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("start: %s %s", resp.Status, body)
	}
	var started struct {
		StreamSid  string `json:"stream_sid"`
		Detections []struct {
			ID string `json:"id"`
		} `json:"detections"`
	}
	if err := json.Unmarshal(body, &started); err != nil || len(started.Detections) != 1 {
		t.Fatalf("start body %s", body)
	}
	tc, ok := e.tw.Call(live.Sid)
	if !ok || len(tc.Streams) != 1 || tc.Streams[0].URL != e.srv.MediaURLString() || tc.Streams[0].Sid != started.StreamSid {
		t.Fatalf("fake Twilio streams = %+v", tc.Streams)
	}
	ended := e.tw.AddCall(twiliotest.Call{})
	resp, body = e.do("POST", "/v1/detections", map[string]string{"call_sid": ended.Sid})
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("start: %s %s", resp.Status, body)
	}
	var st2 struct {
		Detections []struct {
			ID string `json:"id"`
		} `json:"detections"`
	}
	_ = json.Unmarshal(body, &st2)
	finishedID := st2.Detections[0].ID
	resp, body = e.do("POST", "/v1/detections/"+finishedID+"/stop", nil)
	if resp.StatusCode != 200 || !strings.Contains(string(body), `"status": "stopped"`) {
		t.Fatalf("stop: %s %s", resp.Status, body)
	}

	unknownCall := "CA" + strings.Repeat("f", 32)
	raw := func(method, path, ctype, body string, auth string) func() (*http.Response, []byte) {
		return func() (*http.Response, []byte) {
			req, _ := http.NewRequest(method, e.hs.URL+path, strings.NewReader(body))
			if ctype != "" {
				req.Header.Set("Content-Type", ctype)
			}
			if auth != "" {
				req.Header.Set("Authorization", auth)
			}
			return e.send(req)
		}
	}
	bearer := "Bearer " + apiToken
	cases := []struct {
		name   string
		send   func() (*http.Response, []byte)
		status int
		code   string // "" when the answer is not problem+json
	}{
		{"forged signature on voice webhook", func() (*http.Response, []byte) {
			return e.twilioForm("/twilio/voice", twiliotest.VoiceParams(e.tw.AccountSid(), unknownCall, "+1", "+2"), "wrong-token")
		}, 403, httpx.CodeInvalidSignature},
		{"unsigned voice webhook", raw("POST", "/twilio/voice", "application/x-www-form-urlencoded",
			twiliotest.VoiceParams(e.tw.AccountSid(), unknownCall, "+1", "+2").Encode(), ""), 403, httpx.CodeInvalidSignature},
		{"forged signature on stream status", func() (*http.Response, []byte) {
			return e.twilioForm("/twilio/stream-status", twiliotest.StreamStatusParams(e.tw.AccountSid(), live.Sid,
				"MZ"+strings.Repeat("1", 32), "", "stream-error", "31920", time.Now()), "wrong-token")
		}, 403, httpx.CodeInvalidSignature},
		{"stream status signed for other params", func() (*http.Response, []byte) {
			p := twiliotest.StreamStatusParams(e.tw.AccountSid(), live.Sid, "MZ"+strings.Repeat("1", 32), "", "stream-stopped", "", time.Now())
			req, _ := http.NewRequest("POST", e.hs.URL+"/twilio/stream-status", strings.NewReader(p.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			p.Set("StreamEvent", "stream-started")
			req.Header.Set("X-Twilio-Signature", twiliotest.Signature(e.authToken, publicURL+"/twilio/stream-status", p))
			return e.send(req)
		}, 403, httpx.CodeInvalidSignature},
		{"forged signature on media stream", func() (*http.Response, []byte) {
			_, err := mediatest.Dial(ctx, e.wsURL(), mediatest.DialOptions{AuthToken: "wrong-token", SignURL: e.srv.MediaURLString(), CallSid: unknownCall})
			var he *mediatest.HandshakeError
			if err == nil || !asHandshake(err, &he) {
				t.Fatalf("dial with a forged signature: %v", err)
			}
			return &http.Response{StatusCode: he.StatusCode, Header: http.Header{}}, nil
		}, 403, ""},
		{"unsigned media stream", raw("GET", "/twilio/media", "", "", ""), 403, httpx.CodeInvalidSignature},
		{"unknown call", func() (*http.Response, []byte) {
			return e.do("POST", "/v1/detections", map[string]string{"call_sid": unknownCall})
		}, 404, httpx.CodeCallNotFound},
		{"double start", func() (*http.Response, []byte) {
			return e.do("POST", "/v1/detections", map[string]string{"call_sid": live.Sid})
		}, 409, httpx.CodeDetectionActive},
		{"stop of a finished session", func() (*http.Response, []byte) {
			return e.do("POST", "/v1/detections/"+finishedID+"/stop", nil)
		}, 409, httpx.CodeDetectionFinished},
		{"stop of an unknown session", func() (*http.Response, []byte) {
			return e.do("POST", "/v1/detections/det_nope/stop", nil)
		}, 404, httpx.CodeDetectionNotFound},
		{"malformed JSON", raw("POST", "/v1/detections", "application/json", `{"call_sid": "CA`, bearer), 400, httpx.CodeInvalidJSON},
		{"JSON syntax error", raw("POST", "/v1/detections", "application/json", `{"call_sid" "x"}`, bearer), 400, httpx.CodeInvalidJSON},
		{"two JSON values", raw("POST", "/v1/detections", "application/json", `{"call_sid":"`+unknownCall+`"} {}`, bearer), 400, httpx.CodeInvalidJSON},
		{"empty body", raw("POST", "/v1/detections", "application/json", ``, bearer), 400, httpx.CodeInvalidJSON},
		{"oversized JSON", raw("POST", "/v1/detections", "application/json",
			`{"call_sid":"`+unknownCall+`","track":"`+strings.Repeat("x", 4096)+`"}`, bearer), 413, httpx.CodeBodyTooLarge},
		{"oversized number body", raw("PUT", "/v1/numbers/%2B14155550100", "application/json",
			`{"enabled":true,"redirect_url":"https://x/`+strings.Repeat("x", 4096)+`"}`, bearer), 413, httpx.CodeBodyTooLarge},
		{"wrong content type", raw("POST", "/v1/detections", "text/plain", `{"call_sid":"`+unknownCall+`"}`, bearer), 415, httpx.CodeUnsupportedMedia},
		{"form instead of JSON", raw("PUT", "/v1/numbers/%2B14155550100", "application/x-www-form-urlencoded", `enabled=true`, bearer), 415, httpx.CodeUnsupportedMedia},
		{"unknown field", raw("POST", "/v1/detections", "application/json", `{"call":"x"}`, bearer), 400, httpx.CodeInvalidField},
		{"wrong field type", raw("PUT", "/v1/numbers/%2B14155550100", "application/json", `{"enabled":"yes"}`, bearer), 400, httpx.CodeInvalidField},
		{"invalid call sid", raw("POST", "/v1/detections", "application/json", `{"call_sid":"CA123"}`, bearer), 422, httpx.CodeInvalidField},
		{"invalid track", raw("POST", "/v1/detections", "application/json", `{"call_sid":"`+live.Sid+`","track":"left"}`, bearer), 422, httpx.CodeInvalidField},
		{"invalid number", raw("PUT", "/v1/numbers/12345", "application/json", `{"enabled":true}`, bearer), 422, httpx.CodeInvalidField},
		{"invalid action", raw("PUT", "/v1/numbers/%2B14155550100", "application/json", `{"enabled":true,"action":"explode"}`, bearer), 422, httpx.CodeInvalidField},
		{"redirect without url", raw("PUT", "/v1/numbers/%2B14155550100", "application/json", `{"enabled":true,"action":"redirect"}`, bearer), 422, httpx.CodeInvalidField},
		{"missing enabled", raw("PUT", "/v1/numbers/%2B14155550100", "application/json", `{"action":"hangup"}`, bearer), 422, httpx.CodeInvalidField},
		{"missing token", raw("POST", "/v1/detections", "application/json", `{"call_sid":"`+unknownCall+`"}`, ""), 401, httpx.CodeUnauthorized},
		{"invalid token", raw("POST", "/v1/detections", "application/json", `{"call_sid":"`+unknownCall+`"}`, "Bearer "+apiToken+"x"), 401, httpx.CodeUnauthorized},
		{"basic auth instead of bearer", raw("GET", "/v1/calls", "", "", "Basic "+apiToken), 401, httpx.CodeUnauthorized},
		{"token in query on the API", raw("GET", "/v1/calls?access_token="+url.QueryEscape(apiToken), "", "", ""), 401, httpx.CodeUnauthorized},
		{"events without token", raw("GET", "/v1/events", "", "", ""), 401, httpx.CodeUnauthorized},
		{"unknown call view", raw("GET", "/v1/calls/"+unknownCall, "", "", bearer), 404, httpx.CodeCallNotFound},
		{"bad page limit", raw("GET", "/v1/calls?limit=0", "", "", bearer), 422, httpx.CodeInvalidField},
		{"wrong method", raw("DELETE", "/v1/detections", "", "", bearer), 405, httpx.CodeMethodNotAllowed},
		{"unknown route", raw("GET", "/v2/nothing", "", "", bearer), 404, httpx.CodeNotFound},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := e.counts()
			resp, body := tc.send()
			if resp.StatusCode != tc.status {
				t.Fatalf("status %d, want %d; body %s", resp.StatusCode, tc.status, body)
			}
			if tc.code != "" {
				if p := decodeProblem(t, resp, body); p.Code != tc.code || p.Detail == "" {
					t.Fatalf("problem %+v, want code %s", p, tc.code)
				}
			}
			if after := e.counts(); after != before {
				t.Fatalf("rows changed: before %+v, after %+v", before, after)
			}
		})
	}
	if e.srv.ActiveStreams() != 0 {
		t.Fatalf("%d streams live after rejected dials", e.srv.ActiveStreams())
	}
}

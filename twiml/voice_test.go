package twiml_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/callguard/callguard/twiml"
	"github.com/callguard/callguard/twiml/twiliotest"
	"github.com/google/go-cmp/cmp"
	gotwiml "github.com/twilio/twilio-go/twiml"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

const (
	ourNumber  = "+15550000001"
	offNumber  = "+15550000002"
	caller     = "+15551112222"
	mediaURL   = "wss://media.example.com/stream"
	publicBase = "https://calls.example.com"
	authToken  = "0123456789abcdef0123456789abcdef"
)

func newVoiceHandler(t *testing.T, policy twiml.Policy) (*twiml.VoiceHandler, *[]twiml.Decision) {
	t.Helper()
	var decisions []twiml.Decision
	return &twiml.VoiceHandler{
		Stream: twiml.StreamOptions{
			URL:            mediaURL,
			StatusCallback: publicBase + "/stream-status",
			Parameters:     map[string]string{"tenant": "acme"},
		},
		Policy:       policy,
		Continuation: []gotwiml.Element{&gotwiml.VoiceDial{Number: "+15553334444"}},
		OnCall:       func(_ twiml.Call, d twiml.Decision) { decisions = append(decisions, d) },
		Logger:       quiet,
	}, &decisions
}

func tablePolicy(t *testing.T) twiml.Policy {
	t.Helper()
	var table twiml.MemoryTable
	if err := table.SetNumber(ourNumber, twiml.Rule{Enabled: true, Track: twiml.TrackBoth}); err != nil {
		t.Fatal(err)
	}
	if err := table.SetNumber(offNumber, twiml.Rule{Enabled: false}); err != nil {
		t.Fatal(err)
	}
	return twiml.TablePolicy{Table: &table, Default: twiml.Rule{Enabled: true}}
}

func voiceRequest(to string) *http.Request {
	return twiliotest.NewFormRequest(authToken, publicBase+"/voice", twiliotest.VoiceParams("AC1", "CA1", caller, to))
}

func TestVoiceHandlerEnabledNumber(t *testing.T) {
	h, decisions := newVoiceHandler(t, tablePolicy(t))
	v := twiml.Validator{AuthToken: authToken, PublicURL: publicBase, Logger: quiet}
	rec := serve(v.Middleware(h), voiceRequest(ourNumber))
	if rec.Code != http.StatusOK {
		t.Fatalf("status %d: %s", rec.Code, rec.Body)
	}
	if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, "text/xml") {
		t.Fatalf("Content-Type %q", ct)
	}
	root := parseTwiML(t, rec.Body.String())
	if diff := cmp.Diff([]string{"Start", "Dial"}, verbNames(root)); diff != "" {
		t.Fatalf("verbs (-want +got):\n%s", diff)
	}
	stream := root.Children[0].Children[0]
	if u, _ := stream.Attr("url"); u != mediaURL {
		t.Errorf("url %q", u)
	}
	if tr, _ := stream.Attr("track"); tr != twiml.TrackBoth {
		t.Errorf("track %q, want the rule's both_tracks", tr)
	}
	if n, _ := stream.Attr("name"); n != twiml.DefaultStreamName {
		t.Errorf("name %q", n)
	}
	if cb, _ := stream.Attr("statusCallback"); cb != publicBase+"/stream-status" {
		t.Errorf("statusCallback %q", cb)
	}
	want := map[string]string{
		twiml.ParamCallSid: "CA1", twiml.ParamAccountSid: "AC1", twiml.ParamFrom: caller,
		twiml.ParamTo: ourNumber, twiml.ParamDirection: "inbound", "tenant": "acme",
	}
	if diff := cmp.Diff(want, stream.params(t)); diff != "" {
		t.Errorf("parameters (-want +got):\n%s", diff)
	}
	if len(*decisions) != 1 || !(*decisions)[0].Enabled {
		t.Fatalf("decisions %+v", *decisions)
	}
}

func TestVoiceHandlerDisabledNumber(t *testing.T) {
	h, decisions := newVoiceHandler(t, tablePolicy(t))
	rec := serve(h, voiceRequest(offNumber))
	if rec.Code != http.StatusOK {
		t.Fatalf("status %d", rec.Code)
	}
	root := parseTwiML(t, rec.Body.String())
	if diff := cmp.Diff([]string{"Dial"}, verbNames(root)); diff != "" {
		t.Fatalf("verbs (-want +got):\n%s", diff)
	}
	if (*decisions)[0].Enabled {
		t.Fatal("decision enabled")
	}
}

func TestVoiceHandlerDefault(t *testing.T) {
	h, _ := newVoiceHandler(t, tablePolicy(t))
	root := parseTwiML(t, serve(h, voiceRequest("+15557777777")).Body.String())
	if diff := cmp.Diff([]string{"Start", "Dial"}, verbNames(root)); diff != "" {
		t.Fatalf("verbs (-want +got):\n%s", diff)
	}
	if _, ok := root.Children[0].Children[0].Attr("track"); ok {
		t.Error("default rule without track should leave Twilio's default")
	}
}

func TestVoiceHandlerPolicyErrorFailsOpenForTheCall(t *testing.T) {
	h, decisions := newVoiceHandler(t, twiml.PolicyFunc(func(context.Context, twiml.Call) (twiml.Decision, error) {
		return twiml.Decision{Enabled: true}, errors.New("db down")
	}))
	rec := serve(h, voiceRequest(ourNumber))
	if rec.Code != http.StatusOK {
		t.Fatalf("status %d", rec.Code)
	}
	if diff := cmp.Diff([]string{"Dial"}, verbNames(parseTwiML(t, rec.Body.String()))); diff != "" {
		t.Fatalf("verbs (-want +got):\n%s", diff)
	}
	if (*decisions)[0].Enabled || (*decisions)[0].Reason != "policy error" {
		t.Fatalf("decision %+v", (*decisions)[0])
	}
}

func TestVoiceHandlerBadStreamConfig(t *testing.T) {
	h, _ := newVoiceHandler(t, nil)
	h.Stream.URL = "https://not-websocket.example.com"
	rec := serve(h, voiceRequest(ourNumber))
	if diff := cmp.Diff([]string{"Dial"}, verbNames(parseTwiML(t, rec.Body.String()))); diff != "" {
		t.Fatalf("verbs (-want +got):\n%s", diff)
	}
}

func TestVoiceHandlerContinuationFuncAndLongParams(t *testing.T) {
	h, _ := newVoiceHandler(t, nil)
	h.ContinuationFunc = func(c twiml.Call) []gotwiml.Element {
		return []gotwiml.Element{&gotwiml.VoiceSay{Message: "hello " + c.CallSid}}
	}
	params := twiliotest.VoiceParams("AC1", "CA9", "sip:"+strings.Repeat("a", 600)+"@example.com", ourNumber)
	rec := serve(h, twiliotest.NewFormRequest(authToken, publicBase+"/voice", params))
	root := parseTwiML(t, rec.Body.String())
	if diff := cmp.Diff([]string{"Start", "Say"}, verbNames(root)); diff != "" {
		t.Fatalf("verbs (-want +got):\n%s", diff)
	}
	got := root.Children[0].Children[0].params(t)
	if _, ok := got[twiml.ParamFrom]; ok {
		t.Error("over-long from parameter was not dropped")
	}
	if got[twiml.ParamCallSid] != "CA9" {
		t.Errorf("callSid %q", got[twiml.ParamCallSid])
	}
	if s := strings.TrimSpace(root.Children[1].Text); s != "hello CA9" {
		t.Errorf("Say %q", s)
	}
}

func TestVoiceHandlerBadRequests(t *testing.T) {
	h, decisions := newVoiceHandler(t, nil)
	r := httptest.NewRequest(http.MethodPost, "/voice", strings.NewReader(url.Values{"AccountSid": {"AC1"}}.Encode()))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if rec := serve(h, r); rec.Code != http.StatusBadRequest {
		t.Fatalf("missing CallSid: %d", rec.Code)
	}
	if rec := serve(h, httptest.NewRequest(http.MethodPut, "/voice", nil)); rec.Code != http.StatusMethodNotAllowed {
		t.Fatalf("PUT: %d", rec.Code)
	}
	if len(*decisions) != 0 {
		t.Fatal("policy consulted for a bad request")
	}
	// GET webhooks carry the parameters in the query.
	q := twiliotest.VoiceParams("AC1", "CA1", caller, ourNumber).Encode()
	rec := serve(h, httptest.NewRequest(http.MethodGet, "/voice?"+q, nil))
	if rec.Code != http.StatusOK || len(parseTwiML(t, rec.Body.String()).Children) != 2 {
		t.Fatalf("GET webhook: %d %s", rec.Code, rec.Body)
	}
}

func TestVoiceHandlerContinuationConflict(t *testing.T) {
	h, decisions := newVoiceHandler(t, nil)
	var four []gotwiml.Element
	for range 4 {
		four = append(four, &gotwiml.VoiceStream{Url: "wss://other.example.com/s"})
	}
	h.Continuation = []gotwiml.Element{&gotwiml.VoiceStart{InnerElements: four}, &gotwiml.VoiceDial{Number: "+15553334444"}}
	rec := serve(h, voiceRequest(ourNumber))
	if rec.Code != http.StatusOK {
		t.Fatalf("status %d", rec.Code)
	}
	root := parseTwiML(t, rec.Body.String())
	if diff := cmp.Diff([]string{"Start", "Dial"}, verbNames(root)); diff != "" {
		t.Fatalf("verbs (-want +got):\n%s", diff)
	}
	for _, s := range root.Children[0].Children {
		if u, _ := s.Attr("url"); u == mediaURL {
			t.Fatal("our stream was added beyond the limit")
		}
	}
	if d := (*decisions)[0]; d.Enabled || d.Reason != "continuation conflict" {
		t.Fatalf("decision %+v", d)
	}
	// A continuation that is invalid on its own is a configuration error.
	h.Continuation = append(h.Continuation, &gotwiml.VoiceStart{InnerElements: []gotwiml.Element{&gotwiml.VoiceStream{Url: "wss://x.example.com/s"}}})
	if rec := serve(h, voiceRequest(ourNumber)); rec.Code != http.StatusInternalServerError {
		t.Fatalf("invalid continuation: %d", rec.Code)
	}
}

func TestVoiceHandlerPolicyTimeout(t *testing.T) {
	h, decisions := newVoiceHandler(t, twiml.PolicyFunc(func(ctx context.Context, _ twiml.Call) (twiml.Decision, error) {
		<-ctx.Done() // a policy store that never answers
		return twiml.Decision{}, ctx.Err()
	}))
	h.PolicyTimeout = time.Millisecond
	rec := serve(h, voiceRequest(ourNumber))
	if diff := cmp.Diff([]string{"Dial"}, verbNames(parseTwiML(t, rec.Body.String()))); diff != "" {
		t.Fatalf("verbs (-want +got):\n%s", diff)
	}
	if (*decisions)[0].Enabled {
		t.Fatal("enabled after policy timeout")
	}
}

// FuzzVoiceHandler posts arbitrary webhook bodies: the handler never
// panics, refuses what lacks the call's SIDs with 400 and otherwise
// answers TwiML that parses, forks the audio and carries on with the
// continuation, whatever the caller-controlled parameters hold.
func FuzzVoiceHandler(f *testing.F) {
	f.Add(twiliotest.VoiceParams("AC1", "CA1", caller, ourNumber).Encode())
	f.Add(twiliotest.VoiceParams("AC1", "CA1", strings.Repeat("9", 600), "sip:a@b;x=\"<&>\"").Encode())
	f.Add("CallSid=CA1&AccountSid=AC1&From=%00%ff&Direction=outbound-api")
	f.Add("CallSid=&AccountSid=AC1")
	f.Add("%zz")
	f.Fuzz(func(t *testing.T, body string) {
		h, _ := newVoiceHandler(t, nil)
		r := httptest.NewRequest(http.MethodPost, publicBase+"/voice", strings.NewReader(body))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		rec := serve(h, r)
		form, err := url.ParseQuery(body)
		if _, perr := twiml.ParseCall(form); err != nil || perr != nil {
			if rec.Code != http.StatusBadRequest {
				t.Fatalf("bad webhook %q: status %d, want 400", body, rec.Code)
			}
			return
		}
		if rec.Code != http.StatusOK {
			t.Fatalf("webhook %q: status %d: %s", body, rec.Code, rec.Body)
		}
		if diff := cmp.Diff([]string{"Start", "Dial"}, verbNames(parseTwiML(t, rec.Body.String()))); diff != "" {
			t.Fatalf("webhook %q: verbs (-want +got):\n%s", body, diff)
		}
	})
}

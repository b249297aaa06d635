package twiml_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/callguard/callguard/twiml"
	"github.com/callguard/callguard/twiml/twiliotest"
	"github.com/google/go-cmp/cmp"
	twilio "github.com/twilio/twilio-go"
	"github.com/twilio/twilio-go/client"
)

func newFake(t *testing.T) *twiliotest.Server {
	t.Helper()
	srv := twiliotest.NewServer(twiliotest.ServerOptions{})
	t.Cleanup(srv.Close)
	return srv
}

func TestStreamsStartStop(t *testing.T) {
	srv := newFake(t)
	call := srv.AddCall(twiliotest.Call{From: caller, To: ourNumber})
	streams := twiml.Streams{Client: srv.Client()}
	ctx := context.Background()

	opts := twiml.StreamOptions{
		Name: "callguard", URL: mediaURL, Track: twiml.TrackInbound,
		StatusCallback: publicBase + "/stream-status", StatusCallbackMethod: "post",
		Parameters: map[string]string{"callSid": call.Sid, "tenant": "acme"},
	}
	sid, err := streams.Start(ctx, call.Sid, opts)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(sid, "MZ") || len(sid) != 34 {
		t.Fatalf("stream sid %q", sid)
	}
	state, _ := srv.Call(call.Sid)
	if len(state.Streams) != 1 {
		t.Fatalf("streams %+v", state.Streams)
	}
	st := state.Streams[0]
	if st.Sid != sid || st.Name != "callguard" || st.URL != mediaURL || st.Track != twiml.TrackInbound ||
		st.StatusCallback != publicBase+"/stream-status" || st.StatusCallbackMethod != "POST" || st.Status != twiliotest.StreamInProgress {
		t.Fatalf("stream state %+v", st)
	}
	if diff := cmp.Diff(opts.Parameters, st.Parameters); diff != "" {
		t.Fatalf("parameters (-want +got):\n%s", diff)
	}
	reqs := srv.Requests()
	if len(reqs) != 1 || reqs[0].Op != twiliotest.OpCreateStream || reqs[0].Form.Get("Parameter1.Name") != "callSid" {
		t.Fatalf("requests %+v", reqs)
	}

	// Stop by name, then by SID of a second stream.
	if err := streams.Stop(ctx, call.Sid, "callguard"); err != nil {
		t.Fatal(err)
	}
	sid2, err := streams.Start(ctx, call.Sid, twiml.StreamOptions{URL: mediaURL})
	if err != nil {
		t.Fatal(err)
	}
	if err := streams.Stop(ctx, call.Sid, sid2); err != nil {
		t.Fatal(err)
	}
	state, _ = srv.Call(call.Sid)
	for _, s := range state.Streams {
		if s.Status != twiliotest.StreamStopped {
			t.Fatalf("stream %s still %s", s.Sid, s.Status)
		}
	}
	if got := srv.Requests()[1].Form.Get("Status"); got != "stopped" {
		t.Fatalf("UpdateStream Status=%q", got)
	}
}

func TestStreamsErrors(t *testing.T) {
	srv := newFake(t)
	ctx := context.Background()
	streams := twiml.Streams{Client: srv.Client()}
	live := srv.AddCall(twiliotest.Call{})
	ended := srv.AddCall(twiliotest.Call{Status: twiliotest.StatusCompleted})

	// Unknown call: 20404 → ErrCallNotFound and *Error and *client.TwilioRestError.
	_, err := streams.Start(ctx, "CA00000000000000000000000000000000", twiml.StreamOptions{URL: mediaURL})
	if !errors.Is(err, twiml.ErrCallNotFound) || !errors.Is(err, twiml.ErrNotFound) {
		t.Fatalf("unknown call: %v", err)
	}
	var te *twiml.Error
	if !errors.As(err, &te) || te.Code != 20404 || te.Status != http.StatusNotFound || te.Message == "" || te.Op != "CreateStream" {
		t.Fatalf("*Error = %+v", te)
	}
	var tre *client.TwilioRestError
	if !errors.As(err, &tre) || tre.Code != 20404 || !strings.HasSuffix(tre.MoreInfo, "/20404") {
		t.Fatalf("TwilioRestError = %+v", tre)
	}
	if errors.Is(err, twiml.ErrCallNotInProgress) || errors.Is(err, twiml.ErrStreamNotFound) {
		t.Fatal("404 on a call matched unrelated sentinels")
	}

	// Completed call: 21220.
	if _, err := streams.Start(ctx, ended.Sid, twiml.StreamOptions{URL: mediaURL}); !errors.Is(err, twiml.ErrCallNotInProgress) {
		t.Fatalf("completed call: %v", err)
	}

	// Unknown stream.
	if err := streams.Stop(ctx, live.Sid, "nope"); !errors.Is(err, twiml.ErrStreamNotFound) || errors.Is(err, twiml.ErrCallNotFound) {
		t.Fatalf("unknown stream: %v", err)
	}

	// Per-call limit enforced by the fake (HTTP 400).
	for i := range 4 {
		if _, err := streams.Start(ctx, live.Sid, twiml.StreamOptions{URL: mediaURL}); err != nil {
			t.Fatalf("stream %d: %v", i, err)
		}
	}
	_, err = streams.Start(ctx, live.Sid, twiml.StreamOptions{URL: mediaURL})
	if !errors.As(err, &te) || te.Status != http.StatusBadRequest {
		t.Fatalf("5th stream: %v", err)
	}

	// Local validation: nothing is sent.
	before := len(srv.Requests())
	if _, err := streams.Start(ctx, live.Sid, twiml.StreamOptions{URL: "wss://m.example.com/s?x=1"}); !errors.Is(err, twiml.ErrQueryString) {
		t.Fatalf("query string: %v", err)
	}
	if _, err := streams.Start(ctx, "", twiml.StreamOptions{URL: mediaURL}); !errors.Is(err, twiml.ErrEmptyCallSid) {
		t.Fatalf("empty call sid: %v", err)
	}
	if err := streams.Stop(ctx, live.Sid, ""); !errors.Is(err, twiml.ErrEmptyName) {
		t.Fatalf("empty name: %v", err)
	}
	if _, err := (twiml.Streams{}).Start(ctx, live.Sid, twiml.StreamOptions{URL: mediaURL}); !errors.Is(err, twiml.ErrNoClient) {
		t.Fatalf("nil client: %v", err)
	}
	if len(srv.Requests()) != before {
		t.Fatal("invalid requests reached Twilio")
	}

	// Bad credentials: 20003 / 401.
	bad := twiml.Streams{Client: srv.ClientWithCredentials(srv.AccountSid(), "wrongtoken")}
	if _, err := bad.Start(ctx, live.Sid, twiml.StreamOptions{URL: mediaURL}); !errors.Is(err, twiml.ErrUnauthorized) {
		t.Fatalf("bad credentials: %v", err)
	}

	// Injected Twilio error with a 31xxx code.
	srv.FailNext(twiliotest.OpCreateStream, twiliotest.APIError{Code: 31920, Message: "Stream - WebSocket - Handshake Error", Status: 400})
	_, err = streams.Start(ctx, live.Sid, twiml.StreamOptions{URL: mediaURL})
	if !errors.As(err, &te) || te.Code != 31920 {
		t.Fatalf("injected: %v", err)
	}
}

func TestStreamsStopOnEndedCall(t *testing.T) {
	srv := newFake(t)
	ctx := context.Background()
	streams := twiml.Streams{Client: srv.Client()}
	call := srv.AddCall(twiliotest.Call{})
	sid, err := streams.Start(ctx, call.Sid, twiml.StreamOptions{URL: mediaURL})
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.SetCallStatus("CAnope", twiliotest.StatusCompleted); !errors.Is(err, twiliotest.ErrUnknownCall) {
		t.Fatalf("SetCallStatus(unknown) = %v, want ErrUnknownCall", err)
	}
	if err := srv.SetCallStatus(call.Sid, twiliotest.StatusCompleted); err != nil {
		t.Fatal(err)
	}
	state, _ := srv.Call(call.Sid)
	if state.Streams[0].Status != twiliotest.StreamStopped {
		t.Fatal("ending the call did not stop its stream")
	}
	// Stopping an already stopped stream succeeds.
	if err := streams.Stop(ctx, call.Sid, sid); err != nil {
		t.Fatal(err)
	}
}

func TestCalls(t *testing.T) {
	srv := newFake(t)
	ctx := context.Background()
	calls := twiml.Calls{Client: srv.Client()}
	call := srv.AddCall(twiliotest.Call{From: caller, To: ourNumber})

	var r twiml.Response
	r.Say("This call may be using a synthetic voice.")
	if err := calls.UpdateResponse(ctx, call.Sid, &r); err != nil {
		t.Fatal(err)
	}
	state, _ := srv.Call(call.Sid)
	root := parseTwiML(t, state.Twiml)
	if diff := cmp.Diff([]string{"Say"}, verbNames(root)); diff != "" {
		t.Fatalf("twiml sent (-want +got):\n%s", diff)
	}

	if err := calls.Redirect(ctx, call.Sid, publicBase+"/verify"); err != nil {
		t.Fatal(err)
	}
	state, _ = srv.Call(call.Sid)
	if state.URL != publicBase+"/verify" || state.Method != "POST" || state.Updates != 2 {
		t.Fatalf("after redirect %+v", state)
	}

	if _, err := (twiml.Streams{Client: srv.Client()}).Start(ctx, call.Sid, twiml.StreamOptions{URL: mediaURL}); err != nil {
		t.Fatal(err)
	}
	if err := calls.Hangup(ctx, call.Sid); err != nil {
		t.Fatal(err)
	}
	state, _ = srv.Call(call.Sid)
	if state.Status != twiliotest.StatusCompleted || state.Streams[0].Status != twiliotest.StreamStopped {
		t.Fatalf("after hangup %+v", state)
	}
	if err := calls.Hangup(ctx, call.Sid); !errors.Is(err, twiml.ErrCallNotInProgress) {
		t.Fatalf("second hangup: %v", err)
	}
	if err := calls.Redirect(ctx, call.Sid, publicBase+"/x"); !errors.Is(err, twiml.ErrCallNotInProgress) {
		t.Fatalf("redirect after hangup: %v", err)
	}
	if err := calls.Hangup(ctx, "CA00000000000000000000000000000000"); !errors.Is(err, twiml.ErrCallNotFound) {
		t.Fatalf("unknown call: %v", err)
	}
	if err := calls.Update(ctx, call.Sid, ""); !errors.Is(err, twiml.ErrEmptyTwiML) {
		t.Fatalf("empty twiml: %v, want ErrEmptyTwiML", err)
	}
	if err := calls.Redirect(ctx, call.Sid, "/relative"); !errors.Is(err, twiml.ErrInvalidRedirectURL) {
		t.Fatalf("relative redirect: %v", err)
	}
	forms := []url.Values{}
	for _, req := range srv.Requests() {
		if req.Op == twiliotest.OpUpdateCall {
			forms = append(forms, req.Form)
		}
	}
	if len(forms) < 3 || forms[0].Get("Twiml") == "" || forms[1].Get("Url") == "" || forms[2].Get("Status") != "completed" {
		t.Fatalf("UpdateCall forms %v", forms)
	}
}

func TestRESTContextCancel(t *testing.T) {
	// A Twilio that never answers: Start must return when ctx is canceled.
	release := make(chan struct{})
	arrived := make(chan struct{}, 1)
	hang := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		arrived <- struct{}{}
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(hang.Close)
	t.Cleanup(func() { close(release) })
	target, _ := url.Parse(hang.URL)
	c := &client.Client{
		Credentials: client.NewCredentials(twiliotest.DefaultAccountSid, twiliotest.DefaultAuthToken),
		HTTPClient:  &http.Client{Transport: &twiliotest.Transport{Target: target}},
	}
	c.SetAccountSid(twiliotest.DefaultAccountSid)
	rc := twilio.NewRestClientWithParams(twilio.ClientParams{Client: c})

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := twiml.Streams{Client: rc}.Start(ctx, "CA1", twiml.StreamOptions{URL: mediaURL})
		done <- err
	}()
	<-arrived // the request is in flight
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	// An already-done context sends nothing.
	if err := (twiml.Calls{Client: rc}).Hangup(ctx, "CA1"); !errors.Is(err, context.Canceled) {
		t.Fatalf("hangup with done ctx: %v", err)
	}
}

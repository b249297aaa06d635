package twiliotest_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/callguard/callguard/twiml/twiliotest"
	api "github.com/twilio/twilio-go/rest/api/v2010"
)

func post(t *testing.T, srv *twiliotest.Server, user, pass, path string, form url.Values) (int, []byte) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, "https://api.twilio.com"+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(user, pass)
	resp, err := srv.HTTPClient().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

func TestServerErrorPayloads(t *testing.T) {
	srv := twiliotest.NewServer(twiliotest.ServerOptions{})
	defer srv.Close()
	acct := srv.AccountSid()
	call := srv.AddCall(twiliotest.Call{})

	check := func(name string, status int, body []byte, wantStatus, wantCode int) {
		t.Helper()
		var e twiliotest.APIError
		if err := json.Unmarshal(body, &e); err != nil {
			t.Fatalf("%s: %v: %s", name, err, body)
		}
		if status != wantStatus || e.Status != wantStatus || e.Code != wantCode || e.Message == "" ||
			e.MoreInfo != "https://www.twilio.com/docs/errors/"+itoa(wantCode) {
			t.Fatalf("%s: HTTP %d %+v", name, status, e)
		}
	}
	st, b := post(t, srv, acct, "wrong", "/2010-04-01/Accounts/"+acct+"/Calls/"+call.Sid+".json", url.Values{"Status": {"completed"}})
	check("bad auth", st, b, 401, twiliotest.CodeAuthenticate)
	if authErr := (twiliotest.APIError{}); json.Unmarshal(b, &authErr) != nil || authErr.Message != "Authenticate" || authErr.Detail == "" {
		t.Fatalf("bad auth payload %s: want Twilio's message and detail", b)
	}
	st, b = post(t, srv, acct, srv.AuthToken(), "/2010-04-01/Accounts/"+acct+"/Calls/CAnope.json", url.Values{"Status": {"completed"}})
	check("unknown call", st, b, 404, twiliotest.CodeNotFound)
	st, b = post(t, srv, acct, srv.AuthToken(), "/2010-04-01/Accounts/ACother/Calls/"+call.Sid+".json", url.Values{})
	check("other account", st, b, 404, twiliotest.CodeNotFound)
	st, b = post(t, srv, acct, srv.AuthToken(), "/2010-04-01/Accounts/"+acct+"/Nothing.json", url.Values{})
	check("unknown route", st, b, 404, twiliotest.CodeNotFound)
	st, b = post(t, srv, acct, srv.AuthToken(), "/2010-04-01/Accounts/"+acct+"/Calls/"+call.Sid+"/Streams.json", url.Values{"Url": {"https://x"}})
	check("bad url", st, b, 400, twiliotest.CodeInvalidURL)
	st, b = post(t, srv, acct, srv.AuthToken(), "/2010-04-01/Accounts/"+acct+"/Calls/"+call.Sid+"/Streams.json", url.Values{"Url": {"wss://x.example.com/s"}, "Track": {"left"}})
	check("bad track", st, b, 400, twiliotest.CodeBadRequest)
	st, b = post(t, srv, acct, srv.AuthToken(), "/2010-04-01/Accounts/"+acct+"/Calls/"+call.Sid+".json", url.Values{"Url": {"https://x.example.com"}, "Twiml": {"<Response/>"}})
	check("url and twiml", st, b, 400, twiliotest.CodeBadRequest)

	// Stream JSON shape decodes into twilio-go's model.
	st, b = post(t, srv, acct, srv.AuthToken(), "/2010-04-01/Accounts/"+acct+"/Calls/"+call.Sid+"/Streams.json", url.Values{"Url": {"wss://x.example.com/s"}, "Name": {"n"}})
	var s api.ApiV2010Stream
	if err := json.Unmarshal(b, &s); err != nil || st != http.StatusCreated {
		t.Fatalf("create: %d %v", st, err)
	}
	if *s.CallSid != call.Sid || *s.AccountSid != acct || *s.Name != "n" || *s.Status != "in-progress" || s.DateUpdated == nil ||
		*s.Uri != "/2010-04-01/Accounts/"+acct+"/Calls/"+call.Sid+"/Streams/"+*s.Sid+".json" {
		t.Fatalf("stream %s", b)
	}
	// Duplicate running name is refused.
	st, b = post(t, srv, acct, srv.AuthToken(), "/2010-04-01/Accounts/"+acct+"/Calls/"+call.Sid+"/Streams.json", url.Values{"Url": {"wss://x.example.com/s"}, "Name": {"n"}})
	check("duplicate name", st, b, 400, twiliotest.CodeBadRequest)

	// Every request was recorded, including the rejected ones.
	reqs := srv.Requests()
	if len(reqs) != 9 || reqs[0].Op != twiliotest.OpUpdateCall || reqs[3].Op != "" || reqs[4].Op != twiliotest.OpCreateStream {
		t.Fatalf("requests: %d %+v", len(reqs), reqs)
	}
	if reqs[4].Form.Get("Url") != "https://x" {
		t.Fatalf("recorded form %v", reqs[4].Form)
	}
}

func TestFetchCallShape(t *testing.T) {
	srv := twiliotest.NewServer(twiliotest.ServerOptions{})
	defer srv.Close()
	call := srv.AddCall(twiliotest.Call{From: "+15550001111", To: "+15550002222"})
	got, err := srv.Client().Api.FetchCall(call.Sid, nil)
	if err != nil {
		t.Fatal(err)
	}
	if *got.Sid != call.Sid || *got.From != "+15550001111" || *got.To != "+15550002222" || *got.Status != "in-progress" || *got.Direction != "inbound" {
		t.Fatalf("call %+v", got)
	}
}

func TestTransportRefusesOtherHosts(t *testing.T) {
	srv := twiliotest.NewServer(twiliotest.ServerOptions{})
	defer srv.Close()
	resp, err := srv.HTTPClient().Get("https://example.com/")
	if err == nil {
		resp.Body.Close()
		t.Fatal("request to a non-Twilio host was sent")
	}
	// Edge/region hosts are Twilio hosts too.
	req, _ := http.NewRequest(http.MethodGet, "https://api.dublin.ie1.twilio.com/2010-04-01/Accounts/x/Calls/y.json", nil)
	resp, err = srv.HTTPClient().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("status %d", resp.StatusCode)
	}
}

func TestServerConcurrent(t *testing.T) {
	srv := twiliotest.NewServer(twiliotest.ServerOptions{MaxStreams: 2})
	defer srv.Close()
	call := srv.AddCall(twiliotest.Call{})
	rc := srv.Client()
	var wg sync.WaitGroup
	var mu sync.Mutex
	ok := 0
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			p := (&api.CreateStreamParams{}).SetUrl("wss://m.example.com/s")
			if _, err := rc.Api.CreateStream(call.Sid, p); err == nil {
				mu.Lock()
				ok++
				mu.Unlock()
			}
			_ = srv.Requests()
		}()
	}
	wg.Wait()
	if ok != 2 {
		t.Fatalf("%d streams created, limit 2", ok)
	}
}

func itoa(n int) string { b, _ := json.Marshal(n); return string(b) }

func TestTransportWithoutTarget(t *testing.T) {
	c := &http.Client{Transport: &twiliotest.Transport{}}
	resp, err := c.Get("https://api.twilio.com/")
	if err == nil {
		resp.Body.Close()
		t.Fatal("request sent without a target")
	}
}

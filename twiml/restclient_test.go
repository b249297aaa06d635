package twiml_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/callguard/callguard/twiml"
	"github.com/callguard/callguard/twiml/twiliotest"
)

// A client built by NewRestClient with BaseURL reaches the fake through
// twilio-go's real request path.
func TestNewRestClientBaseURL(t *testing.T) {
	srv := newFake(t)
	call := srv.AddCall(twiliotest.Call{From: caller, To: ourNumber})
	rc, err := twiml.NewRestClient(twiml.RestClientOptions{AccountSid: srv.AccountSid(), Password: srv.AuthToken(), BaseURL: srv.URL()})
	if err != nil {
		t.Fatal(err)
	}
	sid, err := twiml.Streams{Client: rc}.Start(context.Background(), call.Sid, twiml.StreamOptions{Name: "callguard", URL: mediaURL})
	if err != nil {
		t.Fatal(err)
	}
	state, _ := srv.Call(call.Sid)
	if len(state.Streams) != 1 || state.Streams[0].Sid != sid {
		t.Fatalf("streams %+v, started %s", state.Streams, sid)
	}
	// Wrong credentials are sent as given and fail like Twilio.
	bad, err := twiml.NewRestClient(twiml.RestClientOptions{AccountSid: srv.AccountSid(), Password: "wrong", BaseURL: srv.URL()})
	if err != nil {
		t.Fatal(err)
	}
	if err := (twiml.Calls{Client: bad}).Hangup(context.Background(), call.Sid); !errors.Is(err, twiml.ErrUnauthorized) {
		t.Fatalf("hangup with a wrong password: %v", err)
	}
}

// recorded is what a stand-in Twilio saw of one request.
type recorded struct {
	path, host, user, pass string
	form                   url.Values
}

// recorder answers every request with an in-progress call resource and
// records it.
func recorder(t *testing.T) (*httptest.Server, func() []recorded) {
	t.Helper()
	var mu sync.Mutex
	var got []recorded
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		u, p, _ := r.BasicAuth()
		mu.Lock()
		got = append(got, recorded{path: r.URL.Path, host: r.Host, user: u, pass: p, form: r.PostForm})
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"sid":"CA1","status":"completed"}`)
	}))
	t.Cleanup(ts.Close)
	return ts, func() []recorded {
		mu.Lock()
		defer mu.Unlock()
		return append([]recorded(nil), got...)
	}
}

// An API key authenticates as Username, the account stays in the path, and
// BaseURL's path prefix is kept (a proxy mounted under a path).
func TestNewRestClientAPIKeyAndPathPrefix(t *testing.T) {
	ts, got := recorder(t)
	const acct, key, secret = "AC00000000000000000000000000000001", "SK00000000000000000000000000000002", "apisecret0123456789"
	rc, err := twiml.NewRestClient(twiml.RestClientOptions{AccountSid: acct, Username: key, Password: secret, BaseURL: ts.URL + "/twilio/"})
	if err != nil {
		t.Fatal(err)
	}
	if err := (twiml.Calls{Client: rc}).Hangup(context.Background(), "CA1"); err != nil {
		t.Fatal(err)
	}
	reqs := got()
	if len(reqs) != 1 {
		t.Fatalf("requests %+v", reqs)
	}
	r := reqs[0]
	want := "/twilio/2010-04-01/Accounts/" + acct + "/Calls/CA1.json"
	if r.path != want || r.user != key || r.pass != secret || r.form.Get("Status") != "completed" {
		t.Fatalf("request %+v, want path %s as %s", r, want, key)
	}
	if r.host != strings.TrimPrefix(ts.URL, "http://") {
		t.Fatalf("Host header %q, want the target's", r.host)
	}
}

// countingTransport counts round trips before passing them on.
type countingTransport struct {
	n    atomic.Int64
	base http.RoundTripper
}

func (c *countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	c.n.Add(1)
	return c.base.RoundTrip(r)
}

// The caller's HTTP client carries the requests (its transport under the
// rewrite) and is not modified.
func TestNewRestClientHTTPClient(t *testing.T) {
	srv := newFake(t)
	call := srv.AddCall(twiliotest.Call{})
	ct := &countingTransport{base: http.DefaultTransport}
	hc := &http.Client{Transport: ct}
	rc, err := twiml.NewRestClient(twiml.RestClientOptions{AccountSid: srv.AccountSid(), Password: srv.AuthToken(),
		BaseURL: srv.URL(), HTTPClient: hc})
	if err != nil {
		t.Fatal(err)
	}
	if err := (twiml.Calls{Client: rc}).Hangup(context.Background(), call.Sid); err != nil {
		t.Fatal(err)
	}
	if ct.n.Load() != 1 {
		t.Fatalf("%d round trips through the caller's transport, want 1", ct.n.Load())
	}
	if hc.Transport != ct {
		t.Fatal("the caller's http.Client was modified")
	}
	if c, _ := srv.Call(call.Sid); c.Status != "completed" {
		t.Fatalf("call %+v", c)
	}
}

func TestNewRestClientInvalidOptions(t *testing.T) {
	for _, o := range []twiml.RestClientOptions{
		{Password: "x"},
		{AccountSid: "AC1"},
		{AccountSid: "AC1", Password: "x", BaseURL: "ftp://twilio.example.com"},
		{AccountSid: "AC1", Password: "x", BaseURL: "twilio.example.com"},
		{AccountSid: "AC1", Password: "x", BaseURL: "http://twilio.example.com/?a=b"},
		{AccountSid: "AC1", Password: "x", BaseURL: "http://%zz"},
	} {
		rc, err := twiml.NewRestClient(o)
		if !errors.Is(err, twiml.ErrRestClientConfig) || rc != nil {
			t.Errorf("%+v: client %v, err %v; want ErrRestClientConfig", o, rc != nil, err)
		}
	}
	// Without BaseURL the client targets Twilio itself; building it sends nothing.
	if _, err := twiml.NewRestClient(twiml.RestClientOptions{AccountSid: "AC1", Password: "x"}); err != nil {
		t.Fatal(err)
	}
}

// trackingBody reports whether it was closed.
type trackingBody struct {
	io.Reader
	closed bool
}

func (b *trackingBody) Close() error { b.closed = true; return nil }

func TestRewriteTransport(t *testing.T) {
	ts, got := recorder(t)
	target, _ := url.Parse(ts.URL)
	ct := &countingTransport{base: http.DefaultTransport}
	rt := &twiml.RewriteTransport{Target: target, Base: ct}

	// Other hosts are refused before anything is sent, and the body closed.
	for _, u := range []string{"https://example.com/x", "https://twilio.com.evil.example/x", "https://nottwilio.com/x"} {
		body := &trackingBody{Reader: strings.NewReader("a=b")}
		req, _ := http.NewRequest(http.MethodPost, u, body)
		resp, err := rt.RoundTrip(req)
		if !errors.Is(err, twiml.ErrNotTwilioHost) || resp != nil {
			t.Errorf("%s: err %v, want ErrNotTwilioHost", u, err)
		}
		if !body.closed {
			t.Errorf("%s: body not closed", u)
		}
	}
	if ct.n.Load() != 0 {
		t.Fatalf("%d requests reached the base transport", ct.n.Load())
	}

	// Edge and region hosts are Twilio hosts; the original request is untouched.
	req, _ := http.NewRequest(http.MethodGet, "https://api.dublin.ie1.twilio.com/2010-04-01/Accounts/AC1/Calls/CA1.json", nil)
	resp, err := rt.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if reqs := got(); len(reqs) != 1 || reqs[0].path != "/2010-04-01/Accounts/AC1/Calls/CA1.json" {
		t.Fatalf("requests %+v", reqs)
	}
	if req.URL.Host != "api.dublin.ie1.twilio.com" || req.URL.Scheme != "https" {
		t.Fatalf("caller's request rewritten in place: %s", req.URL)
	}

	// No target: a configuration error, nothing sent.
	req, _ = http.NewRequest(http.MethodGet, "https://api.twilio.com/", nil)
	if _, err := (&twiml.RewriteTransport{}).RoundTrip(req); !errors.Is(err, twiml.ErrRestClientConfig) {
		t.Fatalf("no target: %v", err)
	}
}

func TestIsTwilioHost(t *testing.T) {
	for host, want := range map[string]bool{
		"twilio.com": true, "api.twilio.com": true, "API.Twilio.COM": true, "api.sydney.au1.twilio.com": true,
		"api.twilio.com.": true, "example.com": false, "nottwilio.com": false, "twilio.com.example.com": false, "": false,
	} {
		if got := twiml.IsTwilioHost(host); got != want {
			t.Errorf("IsTwilioHost(%q) = %v, want %v", host, got, want)
		}
	}
}

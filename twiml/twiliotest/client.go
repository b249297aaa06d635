package twiliotest

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	twilio "github.com/twilio/twilio-go"
	"github.com/twilio/twilio-go/client"
)

// Transport is an http.RoundTripper that sends requests for Twilio hosts
// (twilio.com and its subdomains: api.twilio.com, api.<edge>.<region>.twilio.com…)
// to Target instead, and refuses every other host, so a test can never
// reach the real network.
//
// twilio-go v1.31.0 hard-codes https://api.twilio.com in its generated
// services, so this is how a real *twilio.RestClient is pointed at a fake:
//
//	c := &client.Client{
//		Credentials: client.NewCredentials(accountSid, authToken),
//		HTTPClient:  &http.Client{Transport: &twiliotest.Transport{Target: fakeURL}},
//	}
//	c.SetAccountSid(accountSid)
//	rest := twilio.NewRestClientWithParams(twilio.ClientParams{Client: c})
//
// Server.Client does exactly this.
type Transport struct {
	// Target is the base URL requests are sent to (scheme and host used).
	Target *url.URL
	// Base performs the rewritten request; nil means http.DefaultTransport.
	Base http.RoundTripper
}

// RoundTrip implements http.RoundTripper.
func (t *Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	host := strings.ToLower(req.URL.Hostname())
	if host != "twilio.com" && !strings.HasSuffix(host, ".twilio.com") {
		if req.Body != nil {
			_ = req.Body.Close()
		}
		return nil, fmt.Errorf("twiliotest: refusing request to non-Twilio host %q", req.URL.Host)
	}
	if t.Target == nil || t.Target.Host == "" {
		if req.Body != nil {
			_ = req.Body.Close()
		}
		return nil, fmt.Errorf("twiliotest: Transport has no Target")
	}
	out := req.Clone(req.Context())
	out.URL.Scheme = t.Target.Scheme
	out.URL.Host = t.Target.Host
	out.Host = ""
	base := t.Base
	if base == nil {
		base = http.DefaultTransport
	}
	return base.RoundTrip(out)
}

// HTTPClient returns an *http.Client whose requests to Twilio hosts go to
// this server (see Transport). Like twilio-go's default client it does not
// follow redirects.
func (s *Server) HTTPClient() *http.Client {
	target, _ := url.Parse(s.ts.URL)
	return &http.Client{
		Transport: &Transport{Target: target, Base: s.ts.Client().Transport},
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
		Timeout: 10 * time.Second,
	}
}

// Client returns a real twilio-go REST client, authenticated with the
// server's credentials, whose requests all reach this server. TWILIO_EDGE
// and TWILIO_REGION from the environment are cleared on it.
func (s *Server) Client() *twilio.RestClient {
	return s.ClientWithCredentials(s.opts.AccountSid, s.opts.AuthToken)
}

// ClientWithCredentials is Client with other credentials, e.g. to test
// authentication failures.
func (s *Server) ClientWithCredentials(accountSid, authToken string) *twilio.RestClient {
	c := &client.Client{
		Credentials: client.NewCredentials(accountSid, authToken),
		HTTPClient:  s.HTTPClient(),
	}
	c.SetAccountSid(accountSid)
	rc := twilio.NewRestClientWithParams(twilio.ClientParams{Client: c})
	rc.SetEdge("")
	rc.SetRegion("")
	return rc
}

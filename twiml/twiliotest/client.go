package twiliotest

import (
	"net/http"
	"net/url"
	"time"

	twilio "github.com/twilio/twilio-go"
	"github.com/twilio/twilio-go/client"

	"github.com/callguard/callguard/twiml"
)

// Transport is an http.RoundTripper that sends requests for Twilio hosts
// (twilio.com and its subdomains: api.twilio.com, api.<edge>.<region>.twilio.com…)
// to Target instead, and refuses every other host (the error wraps
// twiml.ErrNotTwilioHost), so a test can never reach the real network. It
// is twiml.RewriteTransport under the name tests have always used.
//
// Outside tests, point a client elsewhere with twiml.NewRestClient and
// RestClientOptions.BaseURL. Server.Client does that for the fake; by hand:
//
//	c := &client.Client{
//		Credentials: client.NewCredentials(accountSid, authToken),
//		HTTPClient:  &http.Client{Transport: &twiliotest.Transport{Target: fakeURL}},
//	}
//	c.SetAccountSid(accountSid)
//	rest := twilio.NewRestClientWithParams(twilio.ClientParams{Client: c})
type Transport struct {
	// Target is the base URL requests are sent to (scheme and host used).
	Target *url.URL
	// Base performs the rewritten request; nil means http.DefaultTransport.
	Base http.RoundTripper
}

// RoundTrip implements http.RoundTripper.
func (t *Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	rt := twiml.RewriteTransport{Target: t.Target, Base: t.Base}
	return rt.RoundTrip(req)
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
// authentication failures. Empty credentials are sent as they are (the fake
// answers 20003), which twiml.NewRestClient would refuse.
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

package app

import (
	"net/http"
	"net/url"
	"strings"
	"time"

	twilio "github.com/twilio/twilio-go"
	twclient "github.com/twilio/twilio-go/client"

	"github.com/callguard/callguard/examples/server/internal/config"
)

// TwilioClient builds a REST client from the configuration, or returns nil
// when no credentials are set. An API key and secret are preferred over
// the auth token. CALLGUARD_TWILIO_API_URL sends every request for a
// twilio.com host to another base URL.
func TwilioClient(cfg *config.Config) *twilio.RestClient {
	if cfg.TwilioAccountSid == "" {
		return nil
	}
	user, pass := cfg.TwilioAccountSid, cfg.TwilioAuthToken
	if cfg.TwilioAPIKey != "" {
		user, pass = cfg.TwilioAPIKey, cfg.TwilioAPISecret
	}
	if pass == "" {
		return nil
	}
	c := &twclient.Client{Credentials: twclient.NewCredentials(user, pass)}
	if cfg.TwilioAPIURL != "" {
		target, _ := url.Parse(cfg.TwilioAPIURL)
		c.HTTPClient = &http.Client{Timeout: 10 * time.Second, Transport: &rewriteTransport{target: target}}
	}
	c.SetAccountSid(cfg.TwilioAccountSid)
	return twilio.NewRestClientWithParams(twilio.ClientParams{Client: c})
}

// rewriteTransport sends requests for twilio.com hosts to target.
type rewriteTransport struct{ target *url.URL }

// RoundTrip implements http.RoundTripper.
func (t *rewriteTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	h := r.URL.Hostname()
	if h == "twilio.com" || strings.HasSuffix(h, ".twilio.com") {
		r = r.Clone(r.Context())
		r.URL.Scheme, r.URL.Host = t.target.Scheme, t.target.Host
		r.URL.Path = strings.TrimRight(t.target.Path, "/") + r.URL.Path
		r.Host = t.target.Host
	}
	return http.DefaultTransport.RoundTrip(r)
}

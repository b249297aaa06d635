package app

import (
	twilio "github.com/twilio/twilio-go"

	"github.com/callguard/callguard/examples/server/internal/config"
	"github.com/callguard/callguard/twiml"
)

// TwilioClient builds a REST client from the configuration, or returns nil
// when no credentials are set or they cannot be used (NewTwilioClient says
// why). An API key and secret are preferred over the auth token.
// CALLGUARD_TWILIO_API_URL sends every request for a twilio.com host to
// another base URL.
func TwilioClient(cfg *config.Config) *twilio.RestClient {
	rc, _ := NewTwilioClient(cfg)
	return rc
}

// NewTwilioClient is TwilioClient with the reason a configured client could
// not be built: a *config.InvalidError naming the variable. No account SID
// or no secret gives (nil, nil): REST features are then off.
func NewTwilioClient(cfg *config.Config) (*twilio.RestClient, error) {
	if cfg.TwilioAccountSid == "" {
		return nil, nil
	}
	opts := twiml.RestClientOptions{AccountSid: cfg.TwilioAccountSid, Password: cfg.TwilioAuthToken, BaseURL: cfg.TwilioAPIURL}
	if cfg.TwilioAPIKey != "" {
		opts.Username, opts.Password = cfg.TwilioAPIKey, cfg.TwilioAPISecret
	}
	if opts.Password == "" {
		return nil, nil
	}
	rc, err := twiml.NewRestClient(opts)
	if err != nil {
		return nil, &config.InvalidError{Env: "CALLGUARD_TWILIO_API_URL", Source: cfg.Sources["CALLGUARD_TWILIO_API_URL"], Err: err}
	}
	return rc, nil
}

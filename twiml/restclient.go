package twiml

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	twilio "github.com/twilio/twilio-go"
	"github.com/twilio/twilio-go/client"
)

// Errors from NewRestClient and RewriteTransport.
var (
	// ErrRestClientConfig reports RestClientOptions without an account SID
	// or password, or with a BaseURL that is not an absolute http(s) URL.
	ErrRestClientConfig = errors.New("twiml: invalid rest client options")
	// ErrNotTwilioHost is returned by RewriteTransport for a request to a
	// host outside twilio.com; nothing is sent.
	ErrNotTwilioHost = errors.New("twiml: refusing request to a non-Twilio host")
)

// DefaultRestTimeout is the request timeout of the HTTP client NewRestClient
// builds when RestClientOptions.HTTPClient is nil (twilio-go's own default).
const DefaultRestTimeout = 10 * time.Second

// RestClientOptions configure NewRestClient.
type RestClientOptions struct {
	// AccountSid (AC…) is the account requests address. Required.
	AccountSid string
	// Username and Password authenticate requests (HTTP Basic): an API key
	// SID (SK…) and its secret, or the account SID and its auth token. An
	// empty Username means AccountSid. Password is required.
	Username, Password string
	// BaseURL, if set, receives every request twilio-go makes to a Twilio
	// host (api.twilio.com, api.<edge>.<region>.twilio.com…) instead:
	// scheme and host are replaced, BaseURL's path is prepended to the
	// request's. Use it for a fake (twiliotest.Server.URL) or a proxy.
	// Requests to other hosts are then refused. Empty means Twilio itself.
	BaseURL string
	// HTTPClient sends the requests. Nil means a client like twilio-go's
	// default: DefaultRestTimeout, redirects not followed. With BaseURL set,
	// a copy of it is used whose Transport is wrapped in a RewriteTransport;
	// the given client is not modified.
	HTTPClient *http.Client
}

// NewRestClient returns a twilio-go REST client for Streams and Calls,
// configured from opts alone: unlike twilio.NewRestClient it reads no
// environment variables for credentials, and it can be pointed at another
// base URL (twilio-go v1.31.0 hard-codes https://api.twilio.com in its
// generated services). TWILIO_EDGE and TWILIO_REGION, which twilio-go reads
// from the environment, still choose the host when BaseURL is empty.
func NewRestClient(opts RestClientOptions) (*twilio.RestClient, error) {
	if opts.AccountSid == "" {
		return nil, fmt.Errorf("%w: empty AccountSid", ErrRestClientConfig)
	}
	if opts.Password == "" {
		return nil, fmt.Errorf("%w: empty Password", ErrRestClientConfig)
	}
	user := opts.Username
	if user == "" {
		user = opts.AccountSid
	}
	hc := opts.HTTPClient
	if hc == nil {
		hc = &http.Client{
			Timeout: DefaultRestTimeout,
			CheckRedirect: func(*http.Request, []*http.Request) error {
				return http.ErrUseLastResponse
			},
		}
	} else {
		cp := *hc
		hc = &cp
	}
	rewrite := opts.BaseURL != ""
	if rewrite {
		target, err := url.Parse(opts.BaseURL)
		if err != nil || target.Host == "" || (target.Scheme != "http" && target.Scheme != "https") ||
			target.RawQuery != "" || target.Fragment != "" {
			return nil, fmt.Errorf("%w: BaseURL %q is not an absolute http(s) URL without query", ErrRestClientConfig, opts.BaseURL)
		}
		hc.Transport = &RewriteTransport{Target: target, Base: hc.Transport}
	}
	c := &client.Client{Credentials: client.NewCredentials(user, opts.Password), HTTPClient: hc}
	c.SetAccountSid(opts.AccountSid)
	rc := twilio.NewRestClientWithParams(twilio.ClientParams{Client: c})
	if rewrite {
		// Every Twilio host is rewritten anyway; keep the URLs plain.
		rc.SetEdge("")
		rc.SetRegion("")
	}
	return rc, nil
}

// RewriteTransport is an http.RoundTripper that sends requests for Twilio
// hosts (twilio.com and its subdomains) to Target instead, and refuses every
// other host with an error wrapping ErrNotTwilioHost, sending nothing. The
// request's scheme and host become Target's, Target's path (if any) is
// prepended to the request path, and the Host header follows the new URL.
// NewRestClient installs it for RestClientOptions.BaseURL; package
// twiliotest builds its Transport on it.
type RewriteTransport struct {
	// Target is the base URL requests are sent to. Required.
	Target *url.URL
	// Base performs the rewritten request; nil means http.DefaultTransport.
	Base http.RoundTripper
}

// IsTwilioHost reports whether host (without port) is twilio.com or one of
// its subdomains.
func IsTwilioHost(host string) bool {
	host = strings.ToLower(strings.TrimSuffix(host, "."))
	return host == "twilio.com" || strings.HasSuffix(host, ".twilio.com")
}

// RoundTrip implements http.RoundTripper.
func (t *RewriteTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if !IsTwilioHost(req.URL.Hostname()) {
		closeBody(req)
		return nil, fmt.Errorf("%w: %q", ErrNotTwilioHost, req.URL.Host)
	}
	if t.Target == nil || t.Target.Host == "" {
		closeBody(req)
		return nil, fmt.Errorf("%w: RewriteTransport has no Target", ErrRestClientConfig)
	}
	out := req.Clone(req.Context())
	out.URL.Scheme = t.Target.Scheme
	out.URL.Host = t.Target.Host
	if prefix := strings.TrimRight(t.Target.Path, "/"); prefix != "" {
		out.URL.Path = prefix + req.URL.Path
		if req.URL.RawPath != "" {
			out.URL.RawPath = strings.TrimRight(t.Target.EscapedPath(), "/") + req.URL.RawPath
		}
	}
	out.Host = ""
	base := t.Base
	if base == nil {
		base = http.DefaultTransport
	}
	return base.RoundTrip(out)
}

// closeBody honours the RoundTripper contract of closing the body on error.
func closeBody(req *http.Request) {
	if req.Body != nil {
		_ = req.Body.Close()
	}
}

package sim

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/callguard/callguard/twiml/twiliotest"
)

// VoiceWebhook is the voice webhook Twilio sends when a call comes in.
type VoiceWebhook struct {
	AccountSid, CallSid, From, To string
}

// Form returns the webhook's form parameters, as Twilio sends them for a
// ringing inbound call.
func (v VoiceWebhook) Form() url.Values {
	return url.Values{
		"AccountSid": {v.AccountSid},
		"ApiVersion": {"2010-04-01"},
		"CallSid":    {v.CallSid},
		"CallStatus": {"ringing"},
		"Called":     {v.To},
		"Caller":     {v.From},
		"Direction":  {"inbound"},
		"From":       {v.From},
		"To":         {v.To},
	}
}

// PostSigned POSTs form to base+path signed with authToken against
// publicBase+path (the URL the server believes Twilio called), and returns
// the status and body (at most 1 MiB).
func PostSigned(ctx context.Context, client *http.Client, base, publicBase, path, authToken string, form url.Values) (int, []byte, error) {
	return PostSignedURL(ctx, client, strings.TrimRight(base, "/")+path, strings.TrimRight(publicBase, "/")+path, authToken, form)
}

// PostSignedURL POSTs form to sendURL with the X-Twilio-Signature Twilio
// would compute for signURL (the URL as the server knows it publicly), and
// returns the status and body (at most 1 MiB).
func PostSignedURL(ctx context.Context, client *http.Client, sendURL, signURL, authToken string, form url.Values) (int, []byte, error) {
	path := sendURL
	if u, err := url.Parse(sendURL); err == nil {
		path = u.Path
	}
	body := form.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, sendURL, strings.NewReader(body))
	if err != nil {
		return 0, nil, fmt.Errorf("sim: %w", err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("User-Agent", "TwilioProxy/1.1")
	if authToken != "" {
		req.Header.Set(twiliotest.SignatureHeader, twiliotest.Signature(authToken, signURL, form))
	}
	resp, err := client.Do(req)
	if err != nil {
		return 0, nil, fmt.Errorf("sim: POST %s: %w", path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return resp.StatusCode, b, fmt.Errorf("sim: POST %s: %w", path, err)
	}
	return resp.StatusCode, b, nil
}

// SendURL maps a URL from a TwiML answer (public, as Twilio would call it)
// onto the server callsim talks to: same path and query on server's scheme
// and host.
func SendURL(server, public string) (string, error) {
	s, err := url.Parse(server)
	if err != nil || s.Host == "" {
		return "", fmt.Errorf("sim: server URL %q: not absolute", server)
	}
	u, err := url.Parse(public)
	if err != nil {
		return "", fmt.Errorf("sim: URL %q: %w", public, err)
	}
	out := *u
	out.Scheme, out.Host = s.Scheme, s.Host
	if u.Host == "" {
		out.Path = strings.TrimRight(s.Path, "/") + "/" + strings.TrimLeft(u.Path, "/")
	}
	return out.String(), nil
}

// StreamStatusForm returns the form Twilio POSTs to a <Stream>'s
// statusCallback: event is "stream-started", "stream-stopped" or
// "stream-error".
func StreamStatusForm(accountSid, callSid, streamSid, name, event string, at time.Time) url.Values {
	if name == "" {
		name = streamSid // Twilio sends the SID when the stream has no name
	}
	return url.Values{
		"AccountSid":  {accountSid},
		"CallSid":     {callSid},
		"StreamSid":   {streamSid},
		"StreamName":  {name},
		"StreamEvent": {event},
		"Timestamp":   {at.UTC().Format(time.RFC3339Nano)},
	}
}

// DialURL maps the stream URL a TwiML answer names onto the server callsim
// talks to: Twilio would connect to the public URL, callsim connects to
// server (same path and query, ws for http and wss for https). The URL the
// upgrade is signed against stays the one the TwiML names.
func DialURL(server, streamURL string) (string, error) {
	s, err := url.Parse(server)
	if err != nil || s.Host == "" {
		return "", fmt.Errorf("sim: server URL %q: not absolute", server)
	}
	u, err := url.Parse(streamURL)
	if err != nil {
		return "", fmt.Errorf("sim: stream URL %q: %w", streamURL, err)
	}
	out := *u
	out.Host = s.Host
	switch s.Scheme {
	case "https", "wss":
		out.Scheme = "wss"
	default:
		out.Scheme = "ws"
	}
	if u.Host == "" { // relative URL
		out.Path = strings.TrimRight(s.Path, "/") + "/" + strings.TrimLeft(u.Path, "/")
	}
	return out.String(), nil
}

// Package twiml is callguard's side of Twilio call control: what to answer
// when a call arrives, how to prove a request came from Twilio, and how to
// start or stop detection on a call already in progress. It is built on
// github.com/twilio/twilio-go (TwiML, REST, request validation).
//
// # TwiML
//
// Response is a validated builder over twilio-go's twiml package.
// StartStream adds <Start><Stream> (with <Parameter>s) and enforces Twilio's
// rules — wss:// URL without query string, parameter name+value under 500
// characters, Track inbound_track / outbound_track / both_tracks, at most
// MaxStreamsPerCall streams with distinct names — returning errors that
// match ErrInvalidURL, ErrQueryString, ErrParameterTooLong, ErrInvalidTrack,
// ErrTooManyStreams… with errors.Is. StopStream, Say, Pause, Dial, Redirect,
// Hangup and Append (any twilio-go verb) continue the call:
//
//	var r twiml.Response
//	if err := r.StartStream(twiml.StreamOptions{Name: "callguard",
//		URL: "wss://media.example.com/stream", Track: twiml.TrackInbound}); err != nil {
//		return err
//	}
//	r.Dial("+15550002222")
//	xml, err := r.XML()
//
// # Webhooks
//
// Validator.Middleware checks X-Twilio-Signature with twilio-go's
// client.RequestValidator (form POSTs, JSON bodies with bodySHA256, GETs),
// rebuilding the signed URL from PublicURL — never from the Host header —
// and answers 403 without calling the handler when it does not match
// (Validator.OnReject answers instead, e.g. with problem+json; RejectStatus
// gives the status). The body stays readable for the handler.
//
// VoiceHandler parses the voice webhook into a Call, asks a Policy whether
// detection is on (TablePolicy over a RuleTable such as MemoryTable gives
// per-number and per-account enable/disable with a default) and answers
// <Start><Stream> carrying callSid, accountSid, from, to and direction as
// parameters, followed by the configured continuation. If the policy fails
// the call still goes on: only the continuation is answered, and the error
// is logged. StreamStatusHandler turns stream status callbacks into typed
// StreamStatus values.
//
// # REST
//
// Streams starts (Api.CreateStream) and stops (Api.UpdateStream
// Status=stopped) streams on live calls; Calls hangs up, redirects or
// replaces the TwiML of a live call (Api.UpdateCall). Twilio errors come
// back as *Error (Code, Status, Message; wraps *client.TwilioRestError) and
// match ErrCallNotFound, ErrStreamNotFound, ErrCallNotInProgress,
// ErrUnauthorized. twilio-go takes no context, so requests run on a
// goroutine and a done context returns at once while the request finishes
// in the background (bounded by the client timeout).
//
// NewRestClient builds the *twilio.RestClient they take from explicit
// RestClientOptions (account SID, API key or auth token, an optional
// *http.Client) without reading credentials from the environment; its
// BaseURL sends every Twilio request to another base URL — a proxy, or the
// twiliotest fake — through RewriteTransport, which refuses non-Twilio hosts.
//
// Package twiliotest signs requests like Twilio and fakes the REST API for
// offline tests.
package twiml

package twiml

import (
	"context"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/twilio/twilio-go/twiml"
)

// Names of the <Parameter>s VoiceHandler adds to the stream, as the media
// WebSocket server receives them in start.customParameters.
const (
	ParamCallSid    = "callSid"
	ParamAccountSid = "accountSid"
	ParamFrom       = "from"
	ParamTo         = "to"
	ParamDirection  = "direction"
)

// DefaultStreamName is the stream name VoiceHandler uses when Stream.Name is
// empty, so Streams.Stop(ctx, callSid, DefaultStreamName) can stop it.
const DefaultStreamName = "callguard"

// VoiceHandler answers Twilio's voice webhook. It parses the request into a
// Call, asks Policy whether detection is on, and answers TwiML:
// <Start><Stream> to Stream.URL carrying the call's parameters, then the
// continuation; when detection is off, only the continuation.
//
// Failure policy: the call must go on. If Policy fails, or the stream
// options turn out invalid, the handler logs at Error level and answers the
// continuation alone (detection off for this call) — it never answers an
// HTTP error for a well-formed webhook, which would make Twilio play its
// error message to the caller. Malformed webhooks (no CallSid/AccountSid)
// get 400, other methods than GET/POST 405.
//
// Wrap it in Validator.Middleware so only Twilio reaches it.
type VoiceHandler struct {
	// Stream is the template for the stream: URL (wss://…/media) is
	// required; Name defaults to DefaultStreamName; Track is the default
	// when the Decision has none; Parameters are added to the call's own.
	Stream StreamOptions
	// Policy decides per call; nil enables detection on every call.
	Policy Policy
	// PolicyTimeout, if positive, bounds Policy.Decide (Twilio waits 15 s
	// for the webhook answer); on timeout the call goes on without a stream.
	PolicyTimeout time.Duration
	// Continuation are the verbs that run after the stream starts (and
	// alone when detection is off), e.g. a <Dial> to the real destination.
	// Empty means none: Twilio then ends the call after <Start>.
	Continuation []twiml.Element
	// ContinuationFunc, if set, replaces Continuation per call.
	ContinuationFunc func(Call) []twiml.Element
	// OnCall, if set, is called with every parsed call and decision (after
	// Policy; Enabled is false when the stream could not be added).
	OnCall func(Call, Decision)
	// Logger; nil uses slog.Default().
	Logger *slog.Logger
}

// ServeHTTP implements http.Handler.
func (h *VoiceHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	logger := loggerOr(h.Logger)
	call, ok := parseWebhook(w, r, logger, "voice webhook", ParseCall)
	if !ok {
		return
	}
	logger = logger.With("call_sid", call.CallSid)

	var dec Decision
	var err error
	if h.Policy == nil {
		dec = Decision{Enabled: true, Reason: "no policy"}
	} else if dec, err = h.decide(r.Context(), call); err != nil {
		logger.Error("detection policy failed; answering without stream", "err", err)
		dec = Decision{Reason: "policy error"}
	}

	resp := &Response{}
	if dec.Enabled {
		opts := h.streamOptions(call, dec, logger)
		if err := resp.StartStream(opts); err != nil {
			logger.Error("cannot start stream; answering without it", "err", err)
			dec.Enabled = false
			dec.Reason = "invalid stream options"
		} else {
			dec.Track = opts.Track
		}
	}
	cont := h.Continuation
	if h.ContinuationFunc != nil {
		cont = h.ContinuationFunc(call)
	}
	resp.Append(cont...)
	out, err := resp.XML()
	if err != nil && dec.Enabled {
		// Our stream does not fit with the continuation (e.g. it starts
		// streams of its own): drop ours so the call goes on.
		logger.Error("stream does not fit the continuation; answering without it", "err", err)
		dec.Enabled = false
		dec.Reason = "continuation conflict"
		out, err = NewResponse(cont...).XML()
	}
	if err != nil {
		logger.Error("invalid TwiML continuation", "err", err)
		http.Error(w, "invalid TwiML continuation", http.StatusInternalServerError)
		return
	}
	logger.Info("voice webhook", "direction", call.Direction, "detect", dec.Enabled, "track", dec.Track, "reason", dec.Reason)
	if h.OnCall != nil {
		h.OnCall(call, dec)
	}
	writeXML(w, out)
}

func (h *VoiceHandler) decide(ctx context.Context, call Call) (Decision, error) {
	if h.PolicyTimeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, h.PolicyTimeout)
		defer cancel()
	}
	return h.Policy.Decide(ctx, call)
}

func (h *VoiceHandler) streamOptions(call Call, dec Decision, logger *slog.Logger) StreamOptions {
	opts := h.Stream
	if opts.Name == "" {
		opts.Name = DefaultStreamName
	}
	if dec.Track != "" {
		opts.Track = dec.Track
	}
	params := make(map[string]string, len(h.Stream.Parameters)+5)
	for k, v := range h.Stream.Parameters {
		params[k] = v
	}
	for _, kv := range [][2]string{
		{ParamCallSid, call.CallSid}, {ParamAccountSid, call.AccountSid},
		{ParamFrom, call.From}, {ParamTo, call.To}, {ParamDirection, call.Direction},
	} {
		if kv[1] == "" {
			continue
		}
		if err := validateParameter(kv[0], kv[1]); err != nil {
			logger.Warn("dropping stream parameter", "name", kv[0], "err", err)
			continue
		}
		params[kv[0]] = kv[1]
	}
	opts.Parameters = params
	opts.StatusCallbackMethod = strings.ToUpper(opts.StatusCallbackMethod)
	return opts
}

package twiml

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// StreamEvent is the kind of a stream status callback.
type StreamEvent string

// Stream events Twilio sends to a <Stream statusCallback>.
const (
	StreamStarted StreamEvent = "stream-started"
	StreamStopped StreamEvent = "stream-stopped"
	StreamErrored StreamEvent = "stream-error"
)

// Errors from ParseStreamStatus.
var (
	// ErrMissingStreamSid reports a status callback without StreamSid.
	ErrMissingStreamSid = errors.New("twiml: stream status has no StreamSid")
	// ErrMissingStreamEvent reports a status callback without StreamEvent.
	ErrMissingStreamEvent = errors.New("twiml: stream status has no StreamEvent")
	// ErrBadTimestamp reports a Timestamp in no recognised format.
	ErrBadTimestamp = errors.New("twiml: stream status has a malformed Timestamp")
)

// StreamStatus is one Media Stream status callback.
type StreamStatus struct {
	AccountSid  string      // AC… of the call's account
	CallSid     string      // CA… of the call the stream belongs to
	StreamSid   string      // MZ…
	StreamName  string      // the stream's Name (Twilio sends the SID when none was given)
	StreamEvent StreamEvent // StreamStarted, StreamStopped or StreamErrored
	StreamError string      // Twilio's error description, on stream-error
	Timestamp   time.Time   // when the event happened; zero if absent
}

// ParseStreamStatus maps status callback parameters onto a StreamStatus.
// Unknown StreamEvent values are kept as they are. Timestamp accepts
// ISO 8601 / RFC 3339 (what Twilio documents), RFC 1123 (RFC 2822) dates and
// Unix seconds or milliseconds. On error the returned value holds every
// field that parsed.
func ParseStreamStatus(form url.Values) (StreamStatus, error) {
	s := StreamStatus{
		AccountSid:  form.Get("AccountSid"),
		CallSid:     form.Get("CallSid"),
		StreamSid:   form.Get("StreamSid"),
		StreamName:  form.Get("StreamName"),
		StreamEvent: StreamEvent(form.Get("StreamEvent")),
		StreamError: form.Get("StreamError"),
	}
	var errs []error
	if s.CallSid == "" {
		errs = append(errs, ErrMissingCallSid)
	}
	if s.StreamSid == "" {
		errs = append(errs, ErrMissingStreamSid)
	}
	if s.StreamEvent == "" {
		errs = append(errs, ErrMissingStreamEvent)
	}
	if ts := form.Get("Timestamp"); ts != "" {
		t, err := parseTimestamp(ts)
		if err != nil {
			errs = append(errs, fmt.Errorf("%w: %q", ErrBadTimestamp, ts))
		} else {
			s.Timestamp = t
		}
	}
	return s, errors.Join(errs...)
}

func parseTimestamp(ts string) (time.Time, error) {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999", time.RFC1123Z, time.RFC1123} {
		if t, err := time.Parse(layout, ts); err == nil {
			return t.UTC(), nil
		}
	}
	if n, err := strconv.ParseInt(ts, 10, 64); err == nil && n >= 0 {
		if n > 1e12 {
			return time.UnixMilli(n).UTC(), nil
		}
		return time.Unix(n, 0).UTC(), nil
	}
	return time.Time{}, errors.New("unrecognised time format")
}

// StreamStatusHandler receives Media Stream status callbacks (the
// StatusCallback of StreamOptions) and hands each one, typed, to OnStatus.
// It answers 204 No Content, or 400 when the callback lacks CallSid,
// StreamSid or StreamEvent or has a malformed Timestamp. Wrap it in
// Validator.Middleware.
type StreamStatusHandler struct {
	// OnStatus receives every well-formed callback, synchronously, with the
	// request's context. Nil just acknowledges.
	OnStatus func(context.Context, StreamStatus)
	// Logger; nil uses slog.Default().
	Logger *slog.Logger
}

// ServeHTTP implements http.Handler.
func (h *StreamStatusHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	logger := loggerOr(h.Logger)
	st, ok := parseWebhook(w, r, logger, "stream status callback", ParseStreamStatus)
	if !ok {
		return
	}
	level := slog.LevelInfo
	if st.StreamEvent == StreamErrored {
		level = slog.LevelWarn
	}
	logger.Log(r.Context(), level, "stream status", "call_sid", st.CallSid, "stream_sid", st.StreamSid, "event", st.StreamEvent, "error", st.StreamError)
	if h.OnStatus != nil {
		h.OnStatus(r.Context(), st)
	}
	w.WriteHeader(http.StatusNoContent)
}

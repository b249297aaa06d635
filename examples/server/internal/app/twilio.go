package app

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	twtwiml "github.com/twilio/twilio-go/twiml"

	"github.com/callguard/callguard/examples/server/internal/httpx"
	"github.com/callguard/callguard/examples/server/internal/store"
	"github.com/callguard/callguard/examples/server/internal/view"
	"github.com/callguard/callguard/media"
	"github.com/callguard/callguard/notify"
	"github.com/callguard/callguard/twiml"
)

// twilioSigned runs next only for requests carrying a valid Twilio
// signature over the URL rebuilt from CALLGUARD_PUBLIC_URL; others get a
// 403 (or 413) problem from rejectTwilio and reach nothing.
func (s *Server) twilioSigned(next http.Handler) http.Handler {
	v := twiml.Validator{AuthToken: s.cfg.TwilioAuthToken, PublicURL: s.cfg.PublicURL, MaxBodyBytes: s.cfg.MaxBody,
		OnReject: s.rejectTwilio}
	return v.Middleware(next)
}

// rejectTwilio answers a request twiml.Validator rejected with an RFC 9457
// problem and logs it with the request's logger.
func (s *Server) rejectTwilio(w http.ResponseWriter, r *http.Request, err error) {
	log := httpx.Logger(r.Context(), s.log)
	switch twiml.RejectStatus(err) {
	case http.StatusRequestEntityTooLarge:
		httpx.Error(w, r, http.StatusRequestEntityTooLarge, httpx.CodeBodyTooLarge, "body exceeds "+strconv.FormatInt(s.cfg.MaxBody, 10)+" bytes")
	case http.StatusInternalServerError:
		log.Error("twilio signature validator misconfigured", "err", err)
		httpx.Error(w, r, http.StatusInternalServerError, httpx.CodeInternal, "signature validation is misconfigured")
	default:
		s.metrics.Errors.WithLabelValues("signature").Inc()
		log.Warn("rejected unsigned or forged twilio request", "path", r.URL.Path, "err", err)
		httpx.Error(w, r, http.StatusForbidden, httpx.CodeInvalidSignature,
			"the X-Twilio-Signature does not match this request for CALLGUARD_PUBLIC_URL")
	}
}

// numberTable is the voice policy's rule table over the numbers table.
type numberTable struct{ st store.Store }

// Lookup implements twiml.RuleTable: number rules come from the numbers
// table; account rules are not stored.
func (t numberTable) Lookup(ctx context.Context, scope twiml.Scope, key string) (twiml.Rule, bool, error) {
	if scope != twiml.ScopeNumber {
		return twiml.Rule{}, false, nil
	}
	n, err := t.st.GetNumber(ctx, key)
	switch {
	case errors.Is(err, store.ErrNotFound), errors.Is(err, store.ErrInvalid):
		return twiml.Rule{}, false, nil
	case err != nil:
		return twiml.Rule{}, false, err
	}
	return twiml.Rule{Enabled: n.Enabled, Track: n.Track}, true, nil
}

// voiceHandler answers the voice webhook with twiml.VoiceHandler, built
// per request so its logs carry the request's request_id.
func (s *Server) voiceHandler() http.Handler {
	def := twiml.Rule{Enabled: s.cfg.DefaultTrack != "off"}
	if def.Enabled {
		def.Track = s.cfg.DefaultTrack
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		log := httpx.Logger(r.Context(), s.log)
		h := &twiml.VoiceHandler{
			Stream:           twiml.StreamOptions{URL: s.mediaURL, Track: twiml.TrackInbound, StatusCallback: s.cfg.PublicURL + StatusPath, StatusCallbackMethod: http.MethodPost},
			Policy:           twiml.TablePolicy{Table: numberTable{s.store}, Default: def},
			ContinuationFunc: func(twiml.Call) []twtwiml.Element { return s.continuation() },
			OnCall:           func(c twiml.Call, d twiml.Decision) { s.onCall(context.WithoutCancel(r.Context()), log, c, d) },
			Logger:           log,
		}
		h.ServeHTTP(w, r)
	})
}

// onCall records a call announced by the voice webhook and publishes it.
func (s *Server) onCall(ctx context.Context, log *slog.Logger, c twiml.Call, d twiml.Decision) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	log = log.With("call_sid", c.CallSid)
	if _, err := s.store.UpsertCall(ctx, store.Call{Sid: c.CallSid, AccountSid: c.AccountSid, From: c.From,
		To: c.To, Direction: c.Direction, Status: c.CallStatus}); err != nil {
		s.metrics.Errors.WithLabelValues("store").Inc()
		log.Error("recording call failed", "err", err)
		return
	}
	log.Info("voice webhook", "detection", d.Enabled, "track", d.Track, "reason", d.Reason)
	s.Publish(ctx, notify.TypeCallStarted, c.CallSid, view.StreamStarted{From: c.From, To: c.To, Simulated: s.cfg.Simulated()})
}

// statusHandler records stream status callbacks with
// twiml.StreamStatusHandler, built per request for request-scoped logs.
func (s *Server) statusHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := s.statusHandlerFor(httpx.Logger(r.Context(), s.log))
		h.ServeHTTP(w, r)
	})
}

func (s *Server) statusHandlerFor(reqLog *slog.Logger) *twiml.StreamStatusHandler {
	return &twiml.StreamStatusHandler{
		OnStatus: func(ctx context.Context, st twiml.StreamStatus) {
			log := reqLog.With("call_sid", st.CallSid, "stream_sid", st.StreamSid)
			at := st.Timestamp
			if at.IsZero() {
				at = time.Now().UTC()
			}
			row := store.Stream{Sid: st.StreamSid, CallSid: st.CallSid, AccountSid: st.AccountSid, Name: st.StreamName}
			switch st.StreamEvent {
			case twiml.StreamStarted:
				row.Status, row.StartedAt = store.StreamStarted, at
			case twiml.StreamStopped:
				row.Status, row.EndedAt = store.StreamStopped, at
			case twiml.StreamErrored:
				row.Status, row.EndedAt, row.Error = store.StreamFailed, at, st.StreamError
			default:
				log.Info("unknown stream status event", "event", string(st.StreamEvent))
				return
			}
			if _, err := s.store.UpsertStream(ctx, row); err != nil {
				s.metrics.Errors.WithLabelValues("store").Inc()
				log.Error("recording stream status failed", "err", err)
				return
			}
			log.Info("stream status", "event", string(st.StreamEvent), "error", st.StreamError)
			if st.StreamEvent != twiml.StreamStarted {
				s.endOrphanDetections(ctx, st, log)
			}
			if st.StreamEvent == twiml.StreamErrored {
				s.metrics.Errors.WithLabelValues("twilio_stream").Inc()
				s.Publish(ctx, notify.TypeError, st.CallSid, map[string]string{"stream_sid": st.StreamSid, "error": st.StreamError})
			}
		},
		Logger: reqLog,
	}
}

// serveMedia accepts Twilio's media WebSocket (signature checked by
// media.Accept against the wss:// URL derived from CALLGUARD_PUBLIC_URL) and
// runs the pipeline on it.
func (s *Server) serveMedia(w http.ResponseWriter, r *http.Request) {
	log := httpx.Logger(r.Context(), s.log)
	if s.draining.Load() {
		httpx.Error(w, r, http.StatusServiceUnavailable, httpx.CodeUnavailable, "shutting down")
		return
	}
	if s.cfg.MaxStreams > 0 && s.pipe.Active() >= s.cfg.MaxStreams {
		s.metrics.Streams.WithLabelValues("rejected").Inc()
		httpx.Error(w, r, http.StatusServiceUnavailable, httpx.CodeTooManyStreams,
			"CALLGUARD_MAX_STREAMS ("+strconv.Itoa(s.cfg.MaxStreams)+") streams are live")
		return
	}
	st, err := media.Accept(w, r, &media.AcceptOptions{AuthToken: s.cfg.TwilioAuthToken, PublicURL: s.mediaURL,
		Logger: log.With("component", "media"), OnReject: rejectMedia})
	if err != nil {
		s.metrics.Streams.WithLabelValues("rejected").Inc()
		if errors.Is(err, media.ErrSignature) {
			s.metrics.Errors.WithLabelValues("signature").Inc()
		}
		log.Warn("media stream rejected", "err", err)
		return
	}
	_ = s.pipe.Serve(r.Context(), st, log)
}

// rejectMedia answers a media upgrade media.Accept refused with an RFC 9457
// problem, like the other Twilio endpoints; serveMedia logs it.
func rejectMedia(w http.ResponseWriter, r *http.Request, err error) {
	if errors.Is(err, media.ErrSignature) {
		httpx.Error(w, r, http.StatusForbidden, httpx.CodeInvalidSignature,
			"the X-Twilio-Signature does not match the media URL derived from CALLGUARD_PUBLIC_URL")
		return
	}
	httpx.Error(w, r, http.StatusInternalServerError, httpx.CodeInternal, "media signature validation is misconfigured")
}

// endOrphanDetections ends the detections of a stream that Twilio reports
// stopped or failed before its WebSocket ever connected (status still
// starting), so that detection can be started again. Active detections are
// left to the pipeline holding them, on whichever replica: it stores their
// last window and summary when the WebSocket closes.
func (s *Server) endOrphanDetections(ctx context.Context, st twiml.StreamStatus, log *slog.Logger) {
	page, err := s.store.ListDetections(ctx, store.DetectionFilter{StreamSid: st.StreamSid}, store.PageRequest{Limit: 10})
	if err != nil {
		log.Error("listing the stream's detections failed", "err", err)
		return
	}
	for _, d := range page.Items {
		if d.Status != store.DetectionStarting || s.pipe.Live(d.ID) {
			continue
		}
		u := store.DetectionUpdate{Status: store.DetectionStopped}
		if st.StreamEvent == twiml.StreamErrored {
			u = store.DetectionUpdate{Status: store.DetectionFailed, Error: "twilio stream error: " + st.StreamError}
		}
		if _, err := s.store.UpdateDetection(ctx, d.ID, u); err != nil && !errors.Is(err, store.ErrConflict) {
			log.Error("ending detection failed", "detection_id", d.ID, "err", err)
			continue
		}
		log.Info("detection ended by stream status", "detection_id", d.ID, "status", string(u.Status))
	}
}

package app

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"time"

	"github.com/callguard/callguard/examples/server/internal/httpx"
	"github.com/callguard/callguard/examples/server/internal/store"
	"github.com/callguard/callguard/examples/server/internal/view"
	"github.com/callguard/callguard/notify"
	"github.com/callguard/callguard/twiml"
)

// CallStatusPath receives Twilio's call status callbacks (the "Call status
// changes" URL of the number's voice configuration).
const CallStatusPath = "/twilio/call-status"

// terminalCallStatus reports whether Twilio's CallStatus means the call is
// over.
func terminalCallStatus(status string) bool {
	switch status {
	case "completed", "busy", "failed", "no-answer", "canceled":
		return true
	}
	return false
}

// callStatusTime parses the Timestamp of a call status callback: RFC 2822
// as Twilio sends it, or RFC 3339.
func callStatusTime(ts string) (time.Time, bool) {
	for _, layout := range []string{time.RFC1123Z, time.RFC1123, time.RFC3339Nano} {
		if t, err := time.Parse(layout, ts); err == nil {
			return t.UTC(), true
		}
	}
	return time.Time{}, false
}

// callStatus records a call status callback (signature checked by
// twilioSigned): CallStatus on the call row and, for a terminal status,
// ended_at and the end of every detection still open on the call. It
// answers 204, or a 400 problem for a callback without CallSid,
// AccountSid or CallStatus, writing nothing.
func (s *Server) callStatus(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		httpx.Error(w, r, http.StatusBadRequest, httpx.CodeBadRequest, "call status callback form does not parse")
		return
	}
	c, err := twiml.ParseCall(r.PostForm)
	if err == nil && c.CallStatus == "" {
		err = errors.New("call status callback has no CallStatus")
	}
	if err != nil {
		httpx.Error(w, r, http.StatusBadRequest, httpx.CodeInvalidField, err.Error())
		return
	}
	log := httpx.Logger(r.Context(), s.log).With("call_sid", c.CallSid)
	row := store.Call{Sid: c.CallSid, AccountSid: c.AccountSid, From: c.From, To: c.To, Direction: c.Direction, Status: c.CallStatus}
	ended := terminalCallStatus(c.CallStatus)
	if ended {
		at, ok := callStatusTime(r.PostForm.Get("Timestamp"))
		if !ok {
			at = time.Now().UTC()
		}
		row.EndedAt = at
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), 10*time.Second)
	defer cancel()
	if _, err := s.store.UpsertCall(ctx, row); err != nil {
		s.metrics.Errors.WithLabelValues("store").Inc()
		log.Error("recording call status failed", "status", c.CallStatus, "err", err)
		httpx.Error(w, r, http.StatusInternalServerError, httpx.CodeInternal, "the call status could not be stored")
		return
	}
	log.Info("call status", "status", c.CallStatus, "ended", ended)
	if ended {
		s.endCallDetections(ctx, c.CallSid, "call "+c.CallStatus, log)
	}
	w.WriteHeader(http.StatusNoContent)
}

// endCallDetections ends every starting or active detection of a call
// that Twilio reports over. A detection live on this replica is finished
// by its pipeline (last window judged, summary stored, call.ended
// published); any other is marked stopped here and call.ended published
// for it. A replica that still holds its stream stores the final summary
// when the stream closes (store.SetDetectionSummary).
func (s *Server) endCallDetections(ctx context.Context, callSid, reason string, log *slog.Logger) {
	for _, st := range []store.DetectionStatus{store.DetectionStarting, store.DetectionActive} {
		page, err := s.store.ListDetections(ctx, store.DetectionFilter{CallSid: callSid, Status: st}, store.PageRequest{Limit: store.MaxPageLimit})
		if err != nil {
			s.metrics.Errors.WithLabelValues("store").Inc()
			log.Error("listing the call's detections failed", "err", err)
			return
		}
		for _, d := range page.Items {
			dlog := log.With("detection_id", d.ID, "stream_sid", d.StreamSid)
			if s.pipe.EndDetection(ctx, d.ID, reason) {
				dlog.Info("detection ended with the call", "reason", reason)
				continue
			}
			ended, err := s.store.UpdateDetection(ctx, d.ID, store.DetectionUpdate{Status: store.DetectionStopped})
			if errors.Is(err, store.ErrConflict) {
				continue // ended meanwhile by whoever held it
			}
			if err != nil {
				s.metrics.Errors.WithLabelValues("store").Inc()
				dlog.Error("ending detection failed", "err", err)
				continue
			}
			dlog.Info("detection ended with the call", "reason", reason)
			s.Publish(ctx, notify.TypeCallEnded, callSid, view.CallEnded{DetectionID: ended.ID, Track: ended.Track,
				StreamSid: ended.StreamSid, Status: string(ended.Status), Reason: reason})
		}
	}
}

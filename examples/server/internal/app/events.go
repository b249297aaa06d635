package app

import (
	"context"

	"github.com/callguard/callguard/examples/server/internal/store"
	"github.com/callguard/callguard/notify"
)

// Publish stores an event and fans it out to watchers (and the webhook).
// Failures are logged: events never stop the pipeline.
func (s *Server) Publish(ctx context.Context, typ, callSid string, data any) {
	e, err := notify.NewEvent(typ, callSid, data)
	if err != nil {
		s.log.Error("building event failed", "type", typ, "call_sid", callSid, "err", err)
		return
	}
	if _, _, err := s.store.AppendEvent(ctx, store.Event{Type: e.Type, CallSid: e.CallSid, Time: e.Time, Data: e.Data}); err != nil {
		s.metrics.Errors.WithLabelValues("store").Inc()
		s.log.Error("storing event failed", "type", typ, "call_sid", callSid, "err", err)
	}
	if err := s.fanout.Notify(ctx, e); err != nil {
		s.metrics.Errors.WithLabelValues("notify").Inc()
		s.log.Warn("delivering event failed", "type", typ, "call_sid", callSid, "err", err)
	}
	if s.webhook != nil {
		if err := s.webhook.Notify(ctx, e); err != nil {
			s.log.Warn("queueing webhook failed", "type", typ, "call_sid", callSid, "err", err)
		}
	}
	s.metrics.EventsNotified.WithLabelValues(typ).Inc()
}

package app

import (
	"context"
	"errors"
	"fmt"
)

// Draining reports whether Shutdown has begun.
func (s *Server) Draining() bool { return s.draining.Load() }

// Shutdown ends the server gracefully within ctx: /readyz and new media
// streams answer 503, every live stream's current window is judged and its
// verdicts and summary stored, the last events are delivered, the event
// hub closes its watchers, the cross-replica bridge stops and queued
// webhooks are flushed. It does not close the store or the HTTP listener
// (the caller's http.Server.Shutdown does that, ideally concurrently).
func (s *Server) Shutdown(ctx context.Context) error {
	s.shutOnce.Do(func() {
		s.draining.Store(true)
		var errs []error
		if err := s.pipe.Shutdown(ctx); err != nil {
			errs = append(errs, err)
		}
		if s.closeFan != nil {
			if err := s.closeFan(ctx); err != nil {
				errs = append(errs, fmt.Errorf("fan-out: %w", err))
			}
		}
		if err := s.hub.Shutdown(ctx); err != nil {
			errs = append(errs, fmt.Errorf("hub: %w", err))
		}
		if s.webhook != nil {
			if err := s.webhook.Close(ctx); err != nil {
				errs = append(errs, fmt.Errorf("webhook: %w", err))
			}
		}
		if s.sim != nil {
			s.sim.Close()
		}
		s.shutErr = errors.Join(errs...)
	})
	return s.shutErr
}

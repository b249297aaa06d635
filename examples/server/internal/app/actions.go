package app

import (
	"context"
	"errors"
	"fmt"
	"strings"

	twtwiml "github.com/twilio/twilio-go/twiml"

	"github.com/callguard/callguard/examples/server/internal/store"
	"github.com/callguard/callguard/twiml"
)

// act takes the action configured for the call's number on an alert.
func (s *Server) act(ctx context.Context, callSid string) (store.Action, error) {
	action, redirect := store.Action(s.cfg.DefaultAction), s.cfg.VerifyURL
	if c, err := s.store.GetCall(ctx, callSid); err == nil {
		local := c.To
		if strings.HasPrefix(c.Direction, "outbound") {
			local = c.From
		}
		if local != "" {
			if n, err := s.store.GetNumber(ctx, local); err == nil {
				action = n.Action
				if n.RedirectURL != "" {
					redirect = n.RedirectURL
				}
			}
		}
	}
	if action == store.ActionNotify || action == "" {
		return store.ActionNotify, nil
	}
	if s.calls == nil {
		return action, errors.New("no Twilio REST credentials configured")
	}
	var err error
	switch action {
	case store.ActionAnnounce:
		r := twiml.NewResponse().Say(s.cfg.AnnounceText)
		r.Append(s.continuation()...)
		err = s.calls.UpdateResponse(ctx, callSid, r)
	case store.ActionRedirect:
		if redirect == "" {
			return action, errors.New("no redirect URL configured")
		}
		err = s.calls.Redirect(ctx, callSid, redirect)
	case store.ActionHangup:
		err = s.calls.Hangup(ctx, callSid)
	default:
		err = fmt.Errorf("unknown action %q", action)
	}
	return action, err
}

// continuation is what the call does after its stream starts: dial
// CALLGUARD_FORWARD_TO, or hold.
func (s *Server) continuation() []twtwiml.Element {
	if s.cfg.ForwardTo != "" {
		return []twtwiml.Element{&twtwiml.VoiceDial{InnerElements: []twtwiml.Element{&twtwiml.VoiceNumber{PhoneNumber: s.cfg.ForwardTo}}}}
	}
	return []twtwiml.Element{&twtwiml.VoicePause{Length: "3600"}}
}

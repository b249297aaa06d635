package notify

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Event types published by the callguard pipeline. Type is free-form text;
// these are the ones the reference server emits.
const (
	TypeCallStarted   = "call.started"
	TypeStreamStarted = "stream.started"
	TypeVerdict       = "verdict"
	TypeAlert         = "alert"
	TypeCallEnded     = "call.ended"
	TypeError         = "error"

	// TypeGap is sent by a Hub to one watcher only, never published: it
	// announces that the Last-Event-ID the watcher resumed from is older
	// than the Hub's history, so events may have been missed. Its Data is
	// a GapInfo. It has no ID and passes every filter.
	TypeGap = "gap"
)

// Event is one notification about a call.
//
// ID is a decimal unsigned integer that increases from one event to the
// next; it is the SSE "id:" field and the value watchers send back as
// Last-Event-ID. Leave it empty and the Hub assigns one; a bridge that
// orders events across replicas (see package pgnotify) sets it itself.
type Event struct {
	// ID is the decimal event ID, increasing; empty until a Hub or a
	// bridge assigns one.
	ID string `json:"id,omitempty"`
	// Type is the kind of event: TypeVerdict, TypeAlert, … Required.
	Type string `json:"type"`
	// CallSid is the Twilio call the event is about, if any.
	CallSid string `json:"call_sid,omitempty"`
	// Time is when the event happened; a Hub stamps a zero Time with the
	// current time.
	Time time.Time `json:"time"`
	// Data is the event's payload as JSON (for a verdict, the verdict).
	Data json.RawMessage `json:"data,omitempty"`
}

// GapInfo is the Data of a TypeGap event.
type GapInfo struct {
	// LastEventID is the ID the watcher resumed from.
	LastEventID string `json:"last_event_id"`
	// OldestID is the oldest event ID the Hub could still replay, or ""
	// when its history is empty.
	OldestID string `json:"oldest_id,omitempty"`
}

// ErrInvalidEvent reports an Event that cannot be published: empty Type,
// a Type or ID with control characters, a non-numeric ID or Data that is
// not valid JSON. Errors returned for such events wrap it.
var ErrInvalidEvent = errors.New("notify: invalid event")

// NewEvent builds an Event of type typ about callSid, stamped with the
// current time, whose Data is data marshalled as JSON. A nil data leaves
// Data empty.
func NewEvent(typ, callSid string, data any) (Event, error) {
	e := Event{Type: typ, CallSid: callSid, Time: time.Now().UTC()}
	if data != nil {
		b, err := json.Marshal(data)
		if err != nil {
			return Event{}, fmt.Errorf("%w: data: %w", ErrInvalidEvent, err)
		}
		e.Data = b
	}
	return e, e.Validate()
}

// Validate reports, wrapping ErrInvalidEvent, what in e would corrupt a
// wire format: an empty Type, control characters in Type or CallSid, an
// ID that is not a positive decimal integer, or Data that is not JSON.
func (e Event) Validate() error {
	switch {
	case e.Type == "":
		return fmt.Errorf("%w: empty type", ErrInvalidEvent)
	case strings.ContainsAny(e.Type, "\r\n\x00"):
		return fmt.Errorf("%w: type %q has control characters", ErrInvalidEvent, e.Type)
	case strings.ContainsAny(e.CallSid, "\r\n\x00"):
		return fmt.Errorf("%w: call sid %q has control characters", ErrInvalidEvent, e.CallSid)
	case len(e.Data) > 0 && !json.Valid(e.Data):
		return fmt.Errorf("%w: data is not valid JSON", ErrInvalidEvent)
	}
	if e.ID != "" {
		if _, err := parseID(e.ID); err != nil {
			return err
		}
	}
	return nil
}

// Notifier receives events. Implementations must be safe for concurrent
// use and should not block for long: the pipeline calls Notify inline.
type Notifier interface {
	Notify(ctx context.Context, e Event) error
}

// NotifierFunc adapts a function to the Notifier interface.
type NotifierFunc func(ctx context.Context, e Event) error

// Notify calls f(ctx, e).
func (f NotifierFunc) Notify(ctx context.Context, e Event) error { return f(ctx, e) }

// Multi returns a Notifier that passes each event to every one of ns in
// order, even when one fails, and returns their errors joined. Nil
// Notifiers are skipped.
func Multi(ns ...Notifier) Notifier {
	list := make([]Notifier, 0, len(ns))
	for _, n := range ns {
		if n != nil {
			list = append(list, n)
		}
	}
	return multi(list)
}

type multi []Notifier

func (m multi) Notify(ctx context.Context, e Event) error {
	var errs []error
	for _, n := range m {
		if err := n.Notify(ctx, e); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

package media

import (
	"errors"
	"fmt"

	"github.com/coder/websocket"
)

var (
	// ErrMalformed is wrapped by every error about a frame that is not a valid
	// Media Streams message: bad JSON, a missing object, a number or base64
	// payload that does not parse. The peer is closed with status 1007.
	ErrMalformed = errors.New("media: malformed message")

	// ErrProtocol is wrapped by every error about a well-formed message that
	// breaks the protocol: media before start, a second start, a binary frame,
	// a foreign streamSid. The peer is closed with status 1008 (1003 for binary).
	ErrProtocol = errors.New("media: protocol violation")

	// ErrMessageTooBig is wrapped when a frame exceeds AcceptOptions.ReadLimit.
	// The peer is closed with status 1009. The error also wraps
	// websocket.ErrMessageTooBig.
	ErrMessageTooBig = errors.New("media: message too big")

	// ErrSignature is returned by Accept when the upgrade request carries a
	// missing or wrong X-Twilio-Signature. Accept has answered 403.
	ErrSignature = errors.New("media: invalid X-Twilio-Signature")

	// ErrAcceptConfig is returned by Accept when AcceptOptions cannot check
	// the request: an AuthToken without PublicURL. Accept has answered 500.
	ErrAcceptConfig = errors.New("media: AcceptOptions misconfigured")

	// ErrNotStarted is returned by the Send methods before the start message
	// has been read: outbound messages need its streamSid.
	ErrNotStarted = errors.New("media: stream not started")
)

// MalformedError describes a frame that could not be parsed. It matches
// ErrMalformed with errors.Is.
type MalformedError struct {
	// Field is the JSON path of the offending field, such as "media.chunk",
	// or "" when the frame is not JSON at all.
	Field string
	// Err is the underlying parse error.
	Err error
}

// Error describes the frame and the field.
func (e *MalformedError) Error() string {
	if e.Field == "" {
		return fmt.Sprintf("media: malformed message: %v", e.Err)
	}
	return fmt.Sprintf("media: malformed message: field %q: %v", e.Field, e.Err)
}

// Unwrap returns the underlying parse error.
func (e *MalformedError) Unwrap() error { return e.Err }

// Is reports whether target is ErrMalformed.
func (e *MalformedError) Is(target error) bool { return target == ErrMalformed }

// ProtocolError describes a message that is valid on its own but not allowed
// where it arrived. It matches ErrProtocol with errors.Is.
type ProtocolError struct {
	// Event is the event of the offending message ("" for a binary frame).
	Event string
	// Reason says what rule was broken.
	Reason string
	// Status is the WebSocket close status sent to the peer.
	Status websocket.StatusCode
}

// Error describes the violation.
func (e *ProtocolError) Error() string {
	if e.Event == "" {
		return "media: protocol violation: " + e.Reason
	}
	return fmt.Sprintf("media: protocol violation: %s event: %s", e.Event, e.Reason)
}

// Is reports whether target is ErrProtocol.
func (e *ProtocolError) Is(target error) bool { return target == ErrProtocol }

func malformed(field string, err error) error {
	return &MalformedError{Field: field, Err: err}
}

package twiml

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/twilio/twilio-go/client"
)

// Validation errors returned (wrapped, with details) by [StreamOptions.Validate],
// [Response.StartStream] and [Streams.Start]. Test them with errors.Is.
var (
	// ErrInvalidURL reports a stream URL that is missing, unparsable, not
	// absolute or not wss://.
	ErrInvalidURL = errors.New("twiml: stream url must be an absolute wss:// URL")
	// ErrQueryString reports a stream URL carrying a query string; Twilio
	// drops it, so pass values as parameters instead.
	ErrQueryString = errors.New("twiml: stream url must not have a query string (use Parameters)")
	// ErrInvalidTrack reports a Track other than inbound_track,
	// outbound_track or both_tracks.
	ErrInvalidTrack = errors.New("twiml: invalid stream track")
	// ErrParameterTooLong reports a custom parameter whose name and value
	// together reach Twilio's 500 character limit.
	ErrParameterTooLong = errors.New("twiml: stream parameter name+value must be under 500 characters")
	// ErrEmptyParameterName reports a custom parameter with an empty name.
	ErrEmptyParameterName = errors.New("twiml: stream parameter name is empty")
	// ErrTooManyParameters reports more custom parameters than the REST API
	// accepts (99).
	ErrTooManyParameters = errors.New("twiml: too many stream parameters")
	// ErrTooManyStreams reports more than MaxStreamsPerCall streams on one call.
	ErrTooManyStreams = errors.New("twiml: at most 4 streams per call")
	// ErrDuplicateStreamName reports two streams with the same name on one call.
	ErrDuplicateStreamName = errors.New("twiml: duplicate stream name")
	// ErrInvalidStatusCallback reports a status callback that is not an
	// absolute http(s) URL, or a method other than GET or POST.
	ErrInvalidStatusCallback = errors.New("twiml: invalid stream status callback")
	// ErrEmptyName reports a missing stream name or SID where one is required.
	ErrEmptyName = errors.New("twiml: empty stream name")
)

// REST errors. An [*Error] returned by [Streams] or [Calls] matches these
// with errors.Is according to its Twilio error code.
var (
	// ErrNotFound matches any Twilio 20404 (resource not found).
	ErrNotFound = errors.New("twiml: twilio resource not found")
	// ErrCallNotFound matches a 20404 from a call-level request
	// (CreateStream, UpdateCall): the call SID is unknown to the account.
	ErrCallNotFound = errors.New("twiml: call not found")
	// ErrStreamNotFound matches a 20404 from UpdateStream: the stream SID or
	// name (or the call) is unknown.
	ErrStreamNotFound = errors.New("twiml: stream not found")
	// ErrCallNotInProgress matches Twilio 21220 (invalid call state): the
	// call already ended, or has not been answered.
	ErrCallNotInProgress = errors.New("twiml: call not in progress")
	// ErrUnauthorized matches Twilio 20003 and HTTP 401/403: bad credentials.
	ErrUnauthorized = errors.New("twiml: twilio authentication failed")
	// ErrEmptyCallSid is returned when a REST call is given no call SID.
	ErrEmptyCallSid = errors.New("twiml: empty call sid")
	// ErrInvalidRedirectURL is returned by Calls.Redirect for a URL that is
	// not an absolute http(s) URL.
	ErrInvalidRedirectURL = errors.New("twiml: redirect url must be an absolute http(s) URL")
	// ErrNoClient is returned when Streams or Calls has a nil Client.
	ErrNoClient = errors.New("twiml: nil twilio rest client")
	// ErrEmptyTwiML is returned by Calls.Update when given no TwiML.
	ErrEmptyTwiML = errors.New("twiml: empty twiml")
)

// Twilio error codes this package maps to sentinel errors.
const (
	CodeNotFound         = 20404 // The requested resource was not found.
	CodeAuthenticate     = 20003 // Authentication failed.
	CodeInvalidCallState = 21220 // Call is not in-progress.
)

// Error is a failed Twilio REST request: the API answered with an error
// payload ({"code":…,"message":…,"more_info":…,"status":…}). It wraps the
// twilio-go [*client.TwilioRestError], so errors.As works for both types, and
// matches the sentinel errors above with errors.Is.
type Error struct {
	// Op names the operation, e.g. "CreateStream".
	Op string
	// Code is Twilio's error code (20404, 21220, 31xxx…).
	Code int
	// Status is the HTTP status code.
	Status int
	// Message is Twilio's human readable message.
	Message string
	// MoreInfo is the documentation URL Twilio returned.
	MoreInfo string
	// Err is the underlying twilio-go error.
	Err error
}

// Error implements error.
func (e *Error) Error() string {
	return fmt.Sprintf("twiml: %s: twilio error %d (HTTP %d): %s", e.Op, e.Code, e.Status, e.Message)
}

// Unwrap returns the underlying *client.TwilioRestError.
func (e *Error) Unwrap() error { return e.Err }

// Is reports whether e matches one of the package's sentinel errors.
func (e *Error) Is(target error) bool {
	switch target {
	case ErrNotFound:
		return e.Code == CodeNotFound || (e.Code == 0 && e.Status == http.StatusNotFound)
	case ErrCallNotFound:
		return (e.Op == opCreateStream || e.Op == opUpdateCall) && e.Is(ErrNotFound)
	case ErrStreamNotFound:
		return e.Op == opUpdateStream && e.Is(ErrNotFound)
	case ErrCallNotInProgress:
		return e.Code == CodeInvalidCallState
	case ErrUnauthorized:
		return e.Code == CodeAuthenticate || e.Status == http.StatusUnauthorized
	}
	return false
}

// Twilio operation names used in Error.Op.
const (
	opCreateStream = "CreateStream"
	opUpdateStream = "UpdateStream"
	opUpdateCall   = "UpdateCall"
)

// wrapREST converts an error from twilio-go into an *Error when it carries a
// Twilio error payload, and wraps it with the operation name otherwise.
func wrapREST(op string, err error) error {
	if err == nil {
		return nil
	}
	var tre *client.TwilioRestError
	if errors.As(err, &tre) {
		return &Error{Op: op, Code: tre.Code, Status: tre.Status, Message: tre.Message, MoreInfo: tre.MoreInfo, Err: err}
	}
	var v1 *client.RestErrorV1
	if errors.As(err, &v1) {
		return &Error{Op: op, Code: v1.Code, Status: v1.HttpStatusCode, Message: v1.Message, Err: err}
	}
	return fmt.Errorf("twiml: %s: %w", op, err)
}

package detect

import (
	"context"
	"encoding/json"
	"errors"
	"time"
)

// ErrInvalidClip is returned (wrapped) by detectors for a clip they cannot
// send: no samples, or a sample rate that is not positive.
var ErrInvalidClip = errors.New("detect: invalid clip")

// ErrClosed is returned by Session.Write after Close has been called.
var ErrClosed = errors.New("detect: session closed")

// Clip is a stretch of mono 16-bit PCM audio to judge.
type Clip struct {
	// CallSid and Track identify where the audio came from (Twilio CallSid
	// and "inbound"/"outbound"); they are informational for detectors.
	CallSid, Track string
	// Start is the clip's offset from the start of the stream.
	Start time.Duration
	// SampleRate is the number of samples per second, e.g. 16000.
	SampleRate int
	// Samples holds the audio. Detectors must not modify it or keep it after
	// Detect returns.
	Samples []int16
}

// Duration returns the clip's length.
func (c Clip) Duration() time.Duration {
	if c.SampleRate <= 0 {
		return 0
	}
	return time.Duration(len(c.Samples)) * time.Second / time.Duration(c.SampleRate)
}

// Validate returns an error wrapping ErrInvalidClip if the clip cannot be
// judged.
func (c Clip) Validate() error {
	switch {
	case c.SampleRate <= 0:
		return &ClipError{Reason: "sample rate must be positive"}
	case len(c.Samples) == 0:
		return &ClipError{Reason: "no samples"}
	}
	return nil
}

// ClipError says why a clip is invalid. It matches ErrInvalidClip with
// errors.Is.
type ClipError struct {
	// Reason says what is wrong with the clip.
	Reason string
}

// Error implements error.
func (e *ClipError) Error() string { return "detect: invalid clip: " + e.Reason }

// Is reports whether target is ErrInvalidClip.
func (e *ClipError) Is(target error) bool { return target == ErrInvalidClip }

// Verdict is the answer for one window of audio. Durations marshal to JSON
// as nanoseconds.
type Verdict struct {
	// CallSid is copied from the session (or clip).
	CallSid string `json:"call_sid,omitempty"`
	// Track is copied from the session (or clip).
	Track string `json:"track,omitempty"`
	// Index is the window's number in its session, from 0. Verdicts are
	// delivered in Index order.
	Index int `json:"index"`
	// Start is the window's offset from the start of the stream.
	Start time.Duration `json:"start"`
	// End is where the window ends, from the start of the stream.
	End time.Duration `json:"end"`
	// Label is the answer.
	Label Label `json:"label"`
	// Score is the probability that the voice is synthetic, 0..1, normalised
	// across vendors. It is 0 for NoSpeech and Unknown verdicts.
	Score float64 `json:"score"`
	// Vendor names who answered ("resemble", "resemble-simulated", ...).
	Vendor string `json:"vendor,omitempty"`
	// ID is the vendor's identifier for the answer (Resemble's detect uuid).
	ID string `json:"id,omitempty"`
	// Latency is how long the detector took to answer.
	Latency time.Duration `json:"latency"`
	// Decided is when the verdict was reached: the detector answered, or
	// the window was settled without it (no speech, skipped, failed). A
	// Session sets it; it is the start of "vendor answered → watcher"
	// delivery measurements.
	Decided time.Time `json:"decided,omitzero"`
	// Raw is the vendor's own answer, verbatim, when there is one.
	Raw json.RawMessage `json:"raw,omitempty"`
	// Err says why the label is Unknown (vendor error, skipped under
	// back-pressure, cancelled); empty otherwise.
	Err string `json:"error,omitempty"`
}

// Detector judges one clip. Implementations must be safe for concurrent use;
// a Session calls Detect from up to SessionOptions.MaxInFlight goroutines.
//
// Detect returns a Verdict whose Label is Real or Fake and whose Score is in
// 0..1, or an error. A detector may also answer NoSpeech (its own voice
// check) or Unknown (with Err). The caller fills in CallSid, Track, Index,
// Start and End.
type Detector interface {
	Detect(ctx context.Context, clip Clip) (Verdict, error)
}

// DetectorFunc adapts a function to the Detector interface.
type DetectorFunc func(ctx context.Context, clip Clip) (Verdict, error)

// Detect calls f(ctx, clip).
func (f DetectorFunc) Detect(ctx context.Context, clip Clip) (Verdict, error) { return f(ctx, clip) }

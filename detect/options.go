package detect

import (
	"log/slog"
	"time"
)

// Defaults applied by NewSession to zero SessionOptions fields.
const (
	DefaultWindow      = 4 * time.Second
	DefaultSampleRate  = 16000
	DefaultMaxInFlight = 2
	DefaultMaxQueued   = 4
	DefaultTimeout     = 30 * time.Second
)

// SessionOptions configures a Session. The zero value is usable: 4 s
// windows, no overlap, 16 kHz, default policy.
type SessionOptions struct {
	// CallSid and Track are copied into every Verdict and Alert.
	CallSid, Track string

	// Window is the length of audio judged at a time (default 4 s).
	Window time.Duration
	// Hop is the distance between window starts (default Window). Hop <
	// Window overlaps windows; Hop > Window leaves gaps that are not judged.
	Hop time.Duration
	// SampleRate of the PCM given to Write (default 16000).
	SampleRate int

	// MinSpeech is the least voiced audio, by the energy VAD, a window must
	// hold to be sent to the detector; windows with less get a NoSpeech
	// verdict without a vendor call. Zero means Window/4; negative disables
	// the VAD (every window is sent).
	MinSpeech time.Duration
	// SpeechThreshold is the level in dBFS at or above which a 20 ms frame
	// counts as voiced (default DefaultSpeechThreshold, -40 dBFS).
	SpeechThreshold float64

	// MaxInFlight is how many Detect calls may run at once for this session
	// (default 2).
	MaxInFlight int
	// MaxQueued is how many speech windows may wait for a free detector slot
	// (default 4; negative means none). Beyond it windows are skipped with an
	// Unknown verdict whose Err says so.
	MaxQueued int
	// Timeout bounds each Detect call, retries included (default 30 s).
	Timeout time.Duration

	// Policy turns verdicts into an alert and a decision (default
	// DefaultPolicy(): 2 of the last 3 speech windows Fake with score ≥ 0.8).
	Policy Policy

	// OnVerdict receives every window's verdict. It and OnAlert are called
	// from one goroutine, in window order, never concurrently with each
	// other; a slow callback delays later deliveries but never Write.
	OnVerdict func(Verdict)
	// OnAlert receives the Policy's alert, at most once per session, right
	// after the verdict that raised it.
	OnAlert func(Alert)

	// Logger receives warnings about vendor errors and skipped windows
	// (default: discard).
	Logger *slog.Logger
}

func (o SessionOptions) withDefaults() SessionOptions {
	if o.Window <= 0 {
		o.Window = DefaultWindow
	}
	if o.Hop <= 0 {
		o.Hop = o.Window
	}
	if o.SampleRate <= 0 {
		o.SampleRate = DefaultSampleRate
	}
	if o.MinSpeech == 0 {
		o.MinSpeech = o.Window / 4
	}
	if o.SpeechThreshold == 0 {
		o.SpeechThreshold = DefaultSpeechThreshold
	}
	if o.MaxInFlight <= 0 {
		o.MaxInFlight = DefaultMaxInFlight
	}
	if o.MaxQueued == 0 {
		o.MaxQueued = DefaultMaxQueued
	} else if o.MaxQueued < 0 {
		o.MaxQueued = 0
	}
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	if o.Policy == nil {
		o.Policy = DefaultPolicy()
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return o
}

// samples converts a duration to a sample count at rate, at least 1.
func samples(d time.Duration, rate int) int {
	n := int(int64(d) * int64(rate) / int64(time.Second))
	return max(n, 1)
}

// at converts an absolute sample position to a stream offset.
func at(pos int64, rate int) time.Duration {
	return time.Duration(pos) * time.Second / time.Duration(rate)
}

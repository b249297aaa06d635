package resample

import (
	"errors"
	"fmt"
)

// Sentinel errors returned (wrapped) by New and NewWriter. Test for them with
// errors.Is; the concrete error is a *RateError carrying the offending rates.
var (
	// ErrInvalidRate reports a sample rate that is not in [1, MaxRate].
	ErrInvalidRate = errors.New("resample: invalid sample rate")
	// ErrUnsupportedRatio reports a valid pair of rates whose reduced ratio
	// would need more than MaxPhases filter phases or MaxTaps prototype taps.
	ErrUnsupportedRatio = errors.New("resample: unsupported conversion ratio")
	// ErrInvalidQuality reports a Quality outside Quick…VeryHigh.
	ErrInvalidQuality = errors.New("resample: invalid quality")
	// ErrFormat reports a go-audio buffer whose format the adapters cannot
	// convert (several channels, a sample rate different from the
	// resampler's input rate, or an unsupported bit depth).
	ErrFormat = errors.New("resample: unsupported buffer format")
)

// Limits enforced by New.
const (
	// MaxRate is the highest accepted sample rate in Hz.
	MaxRate = 768000
	// MaxPhases is the largest accepted interpolation factor L of the
	// reduced ratio outRate/inRate = L/M.
	MaxPhases = 4096
	// MaxTaps is the largest accepted prototype filter length.
	MaxTaps = 1 << 20
)

// RateError describes why New rejected a conversion. It wraps one of
// ErrInvalidRate, ErrUnsupportedRatio or ErrInvalidQuality.
type RateError struct {
	InRate, OutRate int
	Reason          string
	Err             error
}

// Error implements error.
func (e *RateError) Error() string {
	return fmt.Sprintf("%v: %d Hz -> %d Hz: %s", e.Err, e.InRate, e.OutRate, e.Reason)
}

// Unwrap returns the sentinel error.
func (e *RateError) Unwrap() error { return e.Err }

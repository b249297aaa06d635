package resample

import "fmt"

// Quality selects the filter: a linear-phase Kaiser-windowed sinc, or at
// High a low-delay interpolator for 1:2 and a two-stage cascade for even
// up-sampling factors from 4. Down-sampling filters stop at the output
// Nyquist frequency. VeryHigh computes in float64.
// The package documentation gives the numbers (passband, stopband, taps,
// delay).
type Quality int

// Quality levels, from cheapest to best. High is the default.
const (
	Quick Quality = iota + 1
	Medium
	High
	VeryHigh
)

// String returns the name of q.
func (q Quality) String() string {
	switch q {
	case Quick:
		return "Quick"
	case Medium:
		return "Medium"
	case High:
		return "High"
	case VeryHigh:
		return "VeryHigh"
	}
	return fmt.Sprintf("Quality(%d)", int(q))
}

// Option configures New.
type Option func(*config)

type config struct {
	quality Quality
	tables  *Tables
	generic bool // force the portable kernel (tests)
}

// useAsm reports whether to use the assembly kernel.
func (c *config) useAsm() bool { return !c.generic && hasFIRAsm() }

// WithQuality selects the filter quality (default High).
func WithQuality(q Quality) Option {
	return func(c *config) { c.quality = q }
}

// WithTables makes the resampler take its coefficient tables from t instead
// of the package's shared default cache. Use it to bound or isolate the
// memory held by tables; a nil t restores the default.
func WithTables(t *Tables) Option {
	return func(c *config) { c.tables = t }
}

// withPortableKernel forces the pure-Go kernels (tests compare the two).
func withPortableKernel() Option {
	return func(c *config) { c.generic = true }
}

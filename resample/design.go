package resample

import (
	"fmt"
	"math"
)

// spec holds the numbers behind a Quality. Edges are fractions of the lower
// of the two Nyquist frequencies; the cutoff sits half-way between them.
// Down-sampling ignores stop and puts the stopband edge at the output
// Nyquist frequency (1.0), so that no tone above it aliases.
type spec struct {
	pass, stop float64 // passband and stopband edges
	atten      float64 // Kaiser design stopband attenuation, dB
	attenUp    float64 // if non-zero, atten for up-sampling (L > M)
	attenDown  float64 // if non-zero, atten for down-sampling (M > L)
	// lowDelay selects the low-delay interpolator of lowdelay.go for 2x
	// up-sampling (8 kHz -> 16 kHz: 146 dB image rejection within the 3 ms
	// budget at High).
	lowDelay bool
	// sharpUp, if non-zero, is the stopband edge (fraction of the input
	// Nyquist frequency, below the 2-pass of a Nyquist filter) of
	// integer up-sampling by an even factor L >= 4: a cascade of a sharp 2x
	// interpolator (passband to pass, stopband from sharpUp, both phases
	// symmetric, so the pair kernel runs them) and a cheap L/2 Nyquist
	// interpolator (see designCascade). Stopping near the input Nyquist
	// frequency keeps most of the input's own 16-bit noise between pass and
	// 1.0 out of the output, which is what limits 16-bit SINAD.
	sharpUp float64
	// attenSharp is the Kaiser attenuation of both stages of that cascade.
	attenSharp float64
	// sharpPass, if non-zero, replaces pass for sharpUp designs.
	sharpPass float64
	// precise selects float64 coefficients and accumulation (fir64 and
	// dot64): the filter's own stopband is then not limited by float32
	// rounding. With precise, sharpUp applies to every integer up-sampling
	// factor, as a single stage.
	precise bool
}

// upPass returns the passband edge of a sharpUp design.
func (sp spec) upPass() float64 {
	if sp.sharpPass > 0 {
		return sp.sharpPass
	}
	return sp.pass
}

// specFor returns the design numbers of q. It is a pure function: the
// values are constants, not package state.
func specFor(q Quality) (spec, bool) {
	switch q {
	case Quick:
		return spec{pass: 0.75, stop: 1.25, atten: 70}, true
	case Medium:
		return spec{pass: 0.80, stop: 1.20, atten: 90}, true
	case High:
		// sharpUp 1.06 (VeryHigh 1.07): measured in bench/resample as the
		// edge where 16-bit SINAD and image energies are both at least
		// soxr's (a later edge passes more of the input's noise, an
		// earlier one puts more back above the Nyquist frequency through
		// 16-bit rounding; see bench/resample/README.md).
		return spec{pass: 0.85, stop: 1.15, atten: 120, attenUp: 130, attenDown: 140, lowDelay: true, sharpUp: 1.06, attenSharp: 140}, true
	case VeryHigh:
		return spec{pass: 0.90, stop: 1.10, atten: 200, sharpUp: 1.07, sharpPass: 0.85, precise: true}, true
	}
	return spec{}, false
}

// phase describes one polyphase branch: coef[off:off+n] multiplies the input
// window that starts back samples before x[q] (the newest needed sample is
// x[q-back+n-1]).
type phase struct {
	off, n, back int
	// pass is true when the branch is a single unit tap (the output sample
	// is an input sample, bit for bit).
	pass bool
}

// table is an immutable polyphase coefficient table for one reduced ratio
// L/M and one quality. It is shared by every Resampler with that key.
type table struct {
	l, m    int
	quality Quality
	spec    spec
	taps    int // prototype length N (odd)
	delay   int // prototype group delay in samples at L*inRate: (N-1)/2, or 47 for the low-delay interpolator
	hist    int // history kept between calls: max phase back
	phases  []phase
	coef    []float32 // all phases, each reversed
	mode    mode
	// mode down: the single phase split into M sub-filters; sub-filter b
	// holds coef[j] for j = a*M+b, a in [subStart[b], subStart[b]+len(sub[b])).
	sub      [][]float32
	subStart []int
	// pairs, when set, replaces sub: the same taps grouped in mirror pairs
	// of a linear-phase filter (kernel_pair.go).
	pairs []subPair
	// upPairs, when set (mode up), holds every phase of an interpolator
	// whose phases are each symmetric, as mirror pairs: phase p's output i
	// is sum_k c[k]*(x[i+k] + x[i+y0+K-1-k]) over its input window x.
	upPairs []upPair
	// stages, when set (mode cascade), are the two tables run in series.
	stages []*table
	// precise (spec.precise): coef64 holds the coefficients in float64, in
	// the layout of coef, and every output is a float64 sum (fir64 or the
	// float64 pair kernel in mode up, the float64 pair kernel in mode
	// down, one dot64 per output otherwise).
	precise bool
	coef64  []float64
}

// upPair is one symmetric phase of an interpolator in pair form.
type upPair struct {
	y0  int
	c   []float32
	c64 []float64 // the same taps in float64 (precise tables)
}

// mode selects the kernel layout.
type mode int

const (
	modeGeneric mode = iota // per-output inner product (any L/M)
	modeUp                  // M == 1: one FIR per phase over consecutive inputs
	modeDown                // L == 1: M sub-filters over de-interleaved input
	modeCascade             // two tables in series (stages)
)

// maxFastFactor bounds L (modeUp) and M (modeDown) for the vector paths.
const maxFastFactor = 16

// kaiserLength returns the odd prototype length for attenuation a (dB) and
// transition width df (cycles per sample).
func kaiserLength(a, df float64) int {
	n := int(math.Ceil((a-7.95)/(14.357*df))) + 1
	if n%2 == 0 {
		n++
	}
	return n
}

func kaiserBeta(a float64) float64 {
	switch {
	case a > 50:
		return 0.1102 * (a - 8.7)
	case a >= 21:
		return 0.5842*math.Pow(a-21, 0.4) + 0.07886*(a-21)
	}
	return 0
}

// besselI0 is the zeroth-order modified Bessel function of the first kind.
func besselI0(x float64) float64 {
	sum, term := 1.0, 1.0
	h := x * x / 4
	for k := 1; k < 500; k++ {
		term *= h / float64(k*k)
		sum += term
		if term < sum*1e-18 {
			break
		}
	}
	return sum
}

// design builds the table for reduced ratio l/m at quality q.
func design(l, m int, q Quality) (*table, error) {
	sp, ok := specFor(q)
	if !ok {
		return nil, ErrInvalidQuality
	}
	if m == 1 && sp.sharpUp > 0 && !sp.precise && l%2 == 0 && l >= 4 && l <= maxFastFactor {
		return designCascade(l, q, sp)
	}
	t := &table{l: l, m: m, quality: q, spec: sp, precise: sp.precise}
	if l == 1 && m == 1 {
		t.taps = 1
		t.coef = []float32{1}
		t.phases = []phase{{off: 0, n: 1, back: 0, pass: true}}
		return t, nil
	}
	r := max(l, m)
	// Normalised to the prototype rate L*inRate: lower Nyquist is 1/(2r).
	nyq := 1 / (2 * float64(r))
	pass, stop := sp.pass, sp.stop
	atten := sp.atten
	down := m > l
	sharp := m == 1 && sp.precise && sp.sharpUp > 0
	switch {
	case down:
		// Down-sampling: the stopband starts at the output Nyquist
		// frequency, so nothing above it can alias into the output.
		stop = 1
		if sp.attenDown > 0 {
			atten = sp.attenDown
		}
	case sharp:
		// Integer up-sampling, precise: flat to upPass, stopped from
		// sharpUp (see spec.sharpUp).
		pass, stop = sp.upPass(), sp.sharpUp
	case sp.attenUp > 0:
		atten = sp.attenUp
	}
	cut := 1.0 // cutoff, fraction of the lower Nyquist: half-way between the edges
	if down || sharp {
		cut = (pass + stop) / 2
	}
	df := (stop - pass) * nyq
	n := kaiserLength(atten, df)
	half := r == 2 && min(l, m) == 1 && cut == 1
	if half && (n-1)%4 != 2 {
		n += 2 // half-band: make the outermost taps non-zero
	}
	// special: a prototype that is not a Kaiser-windowed sinc.
	var special []float64
	specialDelay := 0
	if half && l == 2 && sp.lowDelay {
		special, specialDelay = lowDelayHalfband()
		n = len(special)
	}
	if n > MaxTaps {
		return nil, fmt.Errorf("%w: needs %d filter taps (max %d)", ErrUnsupportedRatio, n, MaxTaps)
	}
	d := (n - 1) / 2
	t.taps, t.delay = n, d
	var h []float64
	if special != nil {
		h, t.delay = special, specialDelay
	} else {
		h = kaiserSinc(n, r, cut, atten)
	}
	if err := t.split(h); err != nil {
		return nil, err
	}
	return t, nil
}

// split fills t's phases, coefficients and kernel layout from the
// prototype h (at the rate L*inRate; t.l, t.m set).
func (t *table) split(h []float64) error {
	l, m, n := t.l, t.m, len(h)
	// Split into L phases: phase p holds h[k*L+p], k = 0.. ; reverse each so
	// the inner product runs forward over the input window.
	t.phases = make([]phase, l)
	for p := range l {
		k0, k1 := -1, -1
		sum := 0.0
		for k := 0; k*l+p < n; k++ {
			if v := h[k*l+p]; v != 0 {
				if k0 < 0 {
					k0 = k
				}
				k1 = k + 1
				sum += v
			}
		}
		if k0 < 0 || sum == 0 {
			return fmt.Errorf("%w: empty filter phase", ErrUnsupportedRatio)
		}
		// Each phase sums to exactly 1 at DC: DC gain 1, no DC images.
		g := 1 / sum
		off := len(t.coef)
		for k := k1 - 1; k >= k0; k-- {
			t.coef = append(t.coef, float32(h[k*l+p]*g))
			if t.precise {
				t.coef64 = append(t.coef64, h[k*l+p]*g)
			}
		}
		ph := phase{off: off, n: k1 - k0, back: k1 - 1}
		ph.pass = ph.n == 1 && t.coef[off] == 1
		t.phases[p] = ph
		t.hist = max(t.hist, ph.back)
	}
	switch {
	case t.precise && m == 1 && l <= maxFastFactor:
		// fir64, or the float64 pair kernel where every phase is
		// symmetric (L = 2).
		t.mode = modeUp
		t.buildUpPairs()
	case t.precise && l == 1 && m <= maxFastFactor:
		// Integer down-sampling: the float64 pair kernel (runPair64) on
		// the de-interleaved streams; without pairs, mode generic.
		if t.buildPairs() {
			t.mode = modeDown
		} else {
			t.pairs = nil
		}
	case t.precise:
		// one float64 inner product per output (mode generic, dot64)
	case m == 1 && l <= maxFastFactor:
		t.mode = modeUp
	case l == 1 && m <= maxFastFactor:
		t.mode = modeDown
		t.buildSub()
		if !t.buildPairs() {
			t.pairs = nil
		}
	}
	return nil
}

// kaiserSinc returns the n-tap (n odd) Kaiser-windowed sinc with cutoff
// cut (fraction of 1/(2r) cycles per sample) for attenuation atten dB,
// exactly symmetric. Its gain is not normalised (split does that per
// phase).
func kaiserSinc(n, r int, cut, atten float64) []float64 {
	d := (n - 1) / 2
	beta := kaiserBeta(atten)
	i0b := besselI0(beta)
	h := make([]float64, n)
	for i := range h {
		k := i - d // offset from centre; zero crossings every r/cut samples
		var s float64
		switch {
		case k == 0:
			s = 1
		case cut == 1 && k%r == 0:
			s = 0 // exact zero: Nyquist (r-th band) filter
		default:
			x := math.Pi * float64(k) * cut / float64(r)
			s = math.Sin(x) / x
		}
		u := float64(k) / float64(d)
		w := besselI0(beta*math.Sqrt(max(0, 1-u*u))) / i0b
		h[i] = s * w
	}
	for i := range d { // exactly linear phase: mirror pairs equal
		h[n-1-i] = h[i]
	}
	return h
}

// buildSub splits the single phase of an integer decimator into its M
// polyphase sub-filters, trimming exact zeros (half of them for 2:1).
func (t *table) buildSub() {
	ph := t.phases[0]
	c := t.coef[ph.off : ph.off+ph.n]
	m := t.m
	t.sub = make([][]float32, m)
	t.subStart = make([]int, m)
	for b := range m {
		var taps []float32
		for j := b; j < len(c); j += m {
			taps = append(taps, c[j])
		}
		a0, a1 := 0, len(taps)
		for a0 < a1 && taps[a0] == 0 {
			a0++
		}
		for a1 > a0 && taps[a1-1] == 0 {
			a1--
		}
		t.sub[b] = taps[a0:a1]
		t.subStart[b] = a0
	}
}

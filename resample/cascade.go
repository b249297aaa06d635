package resample

import "fmt"

// Integer up-sampling by an even factor L >= 4 at High runs as a cascade of
// two interpolators (spec.sharpUp):
//
//  1. 2x with a sharp transition band, flat to pass and stopped from
//     sharpUp (1.06 of the input Nyquist frequency), a Kaiser-windowed sinc of
//     odd length. It is not a half-band filter (its cutoff is below the
//     input Nyquist frequency), so both phases are computed, but with an
//     odd length each phase is itself symmetric: its mirror-image taps are
//     paired (one addition and one multiply-add per pair) and it runs on
//     the pair kernel of the decimators (kernel_pair.go).
//  2. L/2 with a wide transition band: the first stage's output holds
//     nothing above sharpUp of the input Nyquist frequency, so its images
//     start at 2-sharpUp/2 of the second stage's input Nyquist frequency:
//     a short Nyquist filter (every L/2-th output is a copy) passes
//     everything up to sharpUp/2 and stops from there.
//
// A single-stage filter with the same edges would need about twice the
// taps of the single 130 dB filter that straddles the input Nyquist
// frequency (flat to 0.85, stopped from 1.15), for every one of its L
// phases, and no phase would be a copy. The
// stages are exact in themselves (streaming, Flush length), so the cascade
// is too, and each is time-aligned, so the cascade is too. Between the
// stages samples stay in float32 (int16 scale), unrounded.

// designCascade builds the two-stage table for up-sampling by l.
func designCascade(l int, q Quality, sp spec) (*table, error) {
	atten := sp.attenSharp
	// Stage 1: 2x, sharp. Normalised to twice the input rate the input
	// Nyquist frequency is 1/4.
	n1 := kaiserLength(atten, (sp.sharpUp-sp.pass)/4)
	t1 := &table{l: 2, m: 1, quality: q, spec: sp, taps: n1, delay: (n1 - 1) / 2}
	if err := t1.split(kaiserSinc(n1, 2, (sp.pass+sp.sharpUp)/2, atten)); err != nil {
		return nil, err
	}
	if !t1.buildUpPairs() {
		return nil, fmt.Errorf("%w: sharp 2x stage not symmetric", ErrUnsupportedRatio)
	}
	// Stage 2: l/2, a Nyquist filter from pass2 to stop2 (fractions of
	// its input Nyquist frequency, twice the original one).
	l2 := l / 2
	pass2, stop2 := sp.sharpUp/2, 2-sp.sharpUp/2
	n2 := kaiserLength(atten, (stop2-pass2)/(2*float64(l2)))
	if l2 == 2 && (n2-1)%4 != 2 {
		n2 += 2 // half-band: make the outermost taps non-zero
	}
	t2 := &table{l: l2, m: 1, quality: q, spec: sp, taps: n2, delay: (n2 - 1) / 2}
	if err := t2.split(kaiserSinc(n2, l2, 1, atten)); err != nil {
		return nil, err
	}
	if n1 > MaxTaps || n2 > MaxTaps {
		return nil, fmt.Errorf("%w: needs %d filter taps (max %d)", ErrUnsupportedRatio, max(n1, n2), MaxTaps)
	}
	return &table{
		l: l, m: 1, quality: q, spec: sp,
		taps:   n1,
		delay:  t1.delay*l2 + t2.delay,
		mode:   modeCascade,
		stages: []*table{t1, t2},
	}, nil
}

// buildUpPairs sets t.upPairs when every phase of the interpolator t is
// symmetric (a linear-phase prototype of odd length at L = 2). It reports
// whether it did.
func (t *table) buildUpPairs() bool {
	ups := make([]upPair, len(t.phases))
	for p, ph := range t.phases {
		if ph.pass {
			return false
		}
		c := t.coef[ph.off : ph.off+ph.n]
		n := len(c)
		for j := range n / 2 {
			if c[j] != c[n-1-j] {
				return false
			}
		}
		k := (n + 1) / 2
		pc := make([]float32, k)
		copy(pc, c[:k])
		if n%2 == 1 {
			pc[k-1] /= 2 // the centre tap adds its sample to itself (exact)
		}
		ups[p] = upPair{y0: n - k, c: pc}
		if t.precise {
			c64 := t.coef64[ph.off : ph.off+ph.n]
			for j := range n / 2 {
				if c64[j] != c64[n-1-j] {
					return false
				}
			}
			pc64 := make([]float64, k)
			copy(pc64, c64[:k])
			if n%2 == 1 {
				pc64[k-1] /= 2
			}
			ups[p].c64 = pc64
		}
	}
	t.upPairs = ups
	return true
}

// newCascade builds the Resampler of a cascade table: one Resampler per
// stage, and scratch for the second stage's output.
func newCascade(inRate, outRate int, t *table, cfg config) *Resampler {
	r := &Resampler{inRate: inRate, outRate: outRate, t: t}
	r.fir = firKernel{asm: cfg.useAsm()}
	mid := inRate * t.stages[0].l
	r.st = []*Resampler{
		newStage(inRate, mid, t.stages[0], cfg),
		newStage(mid, outRate, t.stages[1], cfg),
	}
	s1, s2 := r.st[0], r.st[1]
	// One run of the first stage yields at most cap(s1.out) samples; the
	// second stage turns them, and the history it held, into at most this.
	r.mid = make([]float32, 0, s2.t.l*(cap(s1.out)+s2.t.hist+2)+cap(s2.out))
	r.Reset()
	return r
}

// step runs the stages on what the first stage holds and returns the raw
// (int16-scale) output of the last run.
func (r *Resampler) step() []float32 {
	if r.st == nil {
		return r.run(-1)
	}
	r.mid = r.st[1].processRaw(r.mid[:0], r.st[0].run(-1))
	return r.mid
}

// head returns the Resampler whose history receives the input.
func (r *Resampler) head() *Resampler {
	if r.st != nil {
		return r.st[0]
	}
	return r
}

// processRaw feeds raw (int16-scale) samples and appends the raw output.
func (r *Resampler) processRaw(dst, src []float32) []float32 {
	for len(src) > 0 {
		n := min(len(src), r.block)
		r.buf = append(r.buf, src[:n]...) // within capacity: never allocates
		r.fresh += n
		r.nIn += int64(n)
		src = src[n:]
		dst = append(dst, r.run(-1)...)
		for r.more {
			dst = append(dst, r.run(-1)...)
		}
	}
	return dst
}

// flushNext runs one step of Flush and returns its raw output; it reports
// false when the stream is complete.
func (r *Resampler) flushNext() ([]float32, bool) {
	if r.st == nil {
		if !r.flushStep() {
			return nil, false
		}
		return r.out, true
	}
	s1, s2 := r.st[0], r.st[1]
	if s1.flushStep() {
		r.mid = s2.processRaw(r.mid[:0], s1.out)
		return r.mid, true
	}
	if s2.flushStep() {
		return s2.out, true
	}
	return nil, false
}

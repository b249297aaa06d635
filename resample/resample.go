package resample

import (
	"errors"
	"fmt"
	"slices"
)

// Resampler converts one mono stream from InRate to OutRate. It is not safe
// for concurrent use; create one per stream (they share coefficient
// tables, so a Resampler costs a few kilobytes of state).
type Resampler struct {
	inRate, outRate int
	t               *table
	mq, mr          int // M/L and M%L: exact rational phase step

	buf    []float32 // input history in int16 scale; buf[qrel] is x[q]
	qrel   int       // index in buf of the row of the next output
	p      int       // phase of the next output
	out    []float32 // scratch outputs of one block
	out64  []float64 // precise pair kernels: the float64 sums of out or of a row
	block  int       // input samples handled per inner step
	nIn    int64     // input samples accepted since the start or Reset
	nOut   int64     // output samples produced since the start or Reset
	sw     int       // down: stride of the de-interleaved streams in tmp
	so     int       // down: start of the streams' live samples in their stride
	minv   uint64    // down: floor(2^32/M)+1 (see divm)
	sd     int       // down: samples de-interleaved from the window start
	fresh  int       // down: samples at the end of buf not yet de-interleaved
	more   bool      // the last run stopped at the scratch size, not the input
	capped int       // output limit of the last run

	fir  firKernel // FIR kernel: assembly or firGo
	tmp  []float32 // per-phase rows (up) or one stream (down)
	rows int       // outputs per phase (up) or per run (down)
	qmax []int
	ibuf []int16 // ProcessIntBuffer scratch

	// A cascade (t.mode == modeCascade) runs its stages in series: st[0]
	// takes the input, st[1] its output; mid holds st[1]'s raw output of
	// one step (cascade.go). The fields above are then unused but for
	// inRate, outRate, t, fir.asm and ibuf.
	st  []*Resampler
	mid []float32
}

const maxBlockOut = 1024

// New returns a Resampler from inRate to outRate Hz. The rates are reduced
// by their gcd; any pair in [1, MaxRate] whose reduced ratio fits MaxPhases
// and MaxTaps is accepted. Errors wrap ErrInvalidRate, ErrUnsupportedRatio
// or ErrInvalidQuality inside a *RateError.
func New(inRate, outRate int, opts ...Option) (*Resampler, error) {
	cfg := config{quality: High}
	for _, o := range opts {
		if o != nil {
			o(&cfg)
		}
	}
	rerr := func(reason string, err error) error {
		return &RateError{InRate: inRate, OutRate: outRate, Reason: reason, Err: err}
	}
	if inRate < 1 || inRate > MaxRate || outRate < 1 || outRate > MaxRate {
		return nil, rerr(fmt.Sprintf("rates must be between 1 and %d Hz", MaxRate), ErrInvalidRate)
	}
	if _, ok := specFor(cfg.quality); !ok {
		return nil, rerr(fmt.Sprintf("quality %v", cfg.quality), ErrInvalidQuality)
	}
	g := gcd(inRate, outRate)
	l, m := outRate/g, inRate/g
	if l > MaxPhases {
		return nil, rerr(fmt.Sprintf("reduced ratio %d/%d needs %d filter phases (max %d)", l, m, l, MaxPhases), ErrUnsupportedRatio)
	}
	tabs := cfg.tables
	if tabs == nil {
		tabs = defaultTables
	}
	t, err := tabs.get(l, m, cfg.quality)
	if err != nil {
		if errors.Is(err, ErrUnsupportedRatio) {
			return nil, rerr(fmt.Sprintf("reduced ratio %d/%d: %v", l, m, err), ErrUnsupportedRatio)
		}
		return nil, rerr(err.Error(), err)
	}
	if t.mode == modeCascade {
		return newCascade(inRate, outRate, t, cfg), nil
	}
	return newStage(inRate, outRate, t, cfg), nil
}

// newStage builds a single-stage Resampler on table t.
func newStage(inRate, outRate int, t *table, cfg config) *Resampler {
	l, m := t.l, t.m
	r := &Resampler{inRate: inRate, outRate: outRate, t: t, mq: m / l, mr: m % l}
	// Bound the outputs of one block so the scratch never grows.
	r.block = max(1, min(256, (maxBlockOut-2)*m/l))
	// After a run the history holds at most hist samples plus the
	// look-behind gap of the phase that stopped it (a phase whose newest tap
	// lies before its row, like the pass-through phase of an interpolator).
	gap := 0
	for _, ph := range t.phases {
		gap = max(gap, ph.back-(ph.n-1))
	}
	r.buf = make([]float32, 0, t.hist+gap+r.block+1)
	r.out = make([]float32, 0, maxBlockOut)
	maxN := 1
	for _, ph := range t.phases {
		maxN = max(maxN, ph.n)
	}
	r.fir = newFIRKernel(cfg.useAsm(), maxN)
	switch t.mode {
	case modeUp:
		r.rows = r.block + 2
		r.qmax = make([]int, l)
		if t.upPairs != nil {
			// Slack past the last phase lets the pair kernel run a padded
			// block in place (kernel_pair.go).
			r.tmp = make([]float32, l*r.rows+128)
			r.fir.withPairs(maxN)
			if t.precise {
				r.out64 = make([]float64, r.rows+16)
			}
		} else {
			r.tmp = make([]float32, l*r.rows)
		}
	case modeDown:
		r.rows = maxBlockOut
		// Twice the room the streams need, so that they are moved back
		// to the start only every few runs.
		r.sw = 2 * ((t.phases[0].n+m+r.block)/m + 2)
		r.minv = 1<<32/uint64(m) + 1
		// Slack past the last stream lets the pair kernel run a padded
		// block in place (kernel_pair.go).
		r.tmp = make([]float32, m*r.sw+128+maxN)
		if len(t.pairs) > 0 {
			r.fir.withPairs(maxN)
		}
		if t.precise {
			// Slack for a padded block run in place (runPair64).
			r.out64 = make([]float64, maxBlockOut+16)
		}
	}
	r.Reset()
	return r
}

func gcd(a, b int) int {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}

// InRate returns the input sample rate in Hz.
func (r *Resampler) InRate() int { return r.inRate }

// OutRate returns the output sample rate in Hz.
func (r *Resampler) OutRate() int { return r.outRate }

// Quality returns the filter quality in use.
func (r *Resampler) Quality() Quality { return r.t.quality }

// Delay returns the algorithmic delay in output samples (rounded): how far
// the output lags the input it could otherwise already describe. Process
// returns every output sample whose filter window is covered by the input
// so far, so at most Delay()+1 output samples are held back between calls.
// The output itself is time-aligned: output sample n describes input time
// n/OutRate.
func (r *Resampler) Delay() int {
	return (r.t.delay + r.t.m/2) / r.t.m
}

// Reset discards all history and starts a new stream, keeping the table.
func (r *Resampler) Reset() {
	for _, s := range r.st {
		s.Reset()
	}
	if r.st != nil {
		return
	}
	t := r.t
	r.buf = r.buf[:t.hist]
	clear(r.buf)
	q0 := t.delay / t.l
	r.p = t.delay % t.l
	r.qrel = t.hist + q0
	r.nIn, r.nOut = 0, 0
	r.more = false
	r.sd = 0
	r.so = 0
	r.fresh = len(r.buf) - (r.qrel - t.phases[0].back) // from the first window start
}

// Process resamples src, appends the result to dst and returns the extended
// slice. Every output sample that src (together with earlier input) allows
// is returned: nothing is buffered beyond the filter's look-ahead. Chunking
// does not matter: any split of a stream gives bit-identical output. After
// the first call Process does not allocate, except to grow dst.
func (r *Resampler) Process(dst, src []int16) []int16 {
	h := r.head()
	for len(src) > 0 {
		n := min(len(src), h.block)
		int16ToF32(h.buf[len(h.buf):len(h.buf)+n], src[:n], r.fir.asm)
		h.buf = h.buf[:len(h.buf)+n]
		h.fresh += n
		h.nIn += int64(n)
		src = src[n:]
		dst = r.appendInt16(dst, r.step())
		for h.more {
			dst = r.appendInt16(dst, r.step())
		}
	}
	return dst
}

// ProcessFloat32 is Process for float samples in [-1, 1) (int16 full scale
// is 1.0). Values outside are filtered as they are, not clipped. A stream
// should use one of Process and ProcessFloat32; mixing them is allowed and
// scales consistently (x/32768).
func (r *Resampler) ProcessFloat32(dst, src []float32) []float32 {
	h := r.head()
	for len(src) > 0 {
		n := min(len(src), h.block)
		scale(h.buf[len(h.buf):len(h.buf)+n], src[:n], 32768, r.fir.asm)
		h.buf = h.buf[:len(h.buf)+n]
		h.fresh += n
		h.nIn += int64(n)
		src = src[n:]
		dst = r.appendFloat32(dst, r.step())
		for h.more {
			dst = r.appendFloat32(dst, r.step())
		}
	}
	return dst
}

// Flush appends the rest of the stream (the samples held back by the
// filter's look-ahead, computed against silence) to dst, so that the whole
// stream yields exactly round(inputSamples * OutRate / InRate) samples
// (halves round up), and resets the Resampler for a new stream.
func (r *Resampler) Flush(dst []int16) []int16 {
	for ys, ok := r.flushNext(); ok; ys, ok = r.flushNext() {
		dst = r.appendInt16(dst, ys)
	}
	r.Reset()
	return dst
}

// FlushFloat32 is Flush for float output.
func (r *Resampler) FlushFloat32(dst []float32) []float32 {
	for ys, ok := r.flushNext(); ok; ys, ok = r.flushNext() {
		dst = r.appendFloat32(dst, ys)
	}
	r.Reset()
	return dst
}

// Total returns how many output samples a stream of n input samples yields
// in total with Flush: round(n*OutRate/InRate), halves rounding up.
func (r *Resampler) Total(n int64) int64 {
	l, m := int64(r.t.l), int64(r.t.m)
	return (2*n*l + m) / (2 * m)
}

// flushStep feeds one block of silence and leaves the outputs in r.out. It
// reports false when the stream is complete.
func (r *Resampler) flushStep() bool {
	want := r.Total(r.nIn) - r.nOut
	if want <= 0 {
		return false
	}
	if !r.more { // history drained: feed another block of silence
		n := r.block
		b := r.buf[len(r.buf) : len(r.buf)+n]
		clear(b)
		r.buf = r.buf[:len(r.buf)+n]
		r.fresh += n
	}
	r.run(want)
	return true
}

// appendInt16 appends ys rounded to nearest (ties to even), saturated to
// the int16 range.
func (r *Resampler) appendInt16(dst []int16, ys []float32) []int16 {
	dst = slices.Grow(dst, len(ys))
	f32ToInt16(dst[len(dst):len(dst)+len(ys)], ys, r.fir.asm)
	return dst[:len(dst)+len(ys)]
}

// f32ToInt16Go is the portable conversion; it matches the assembly for
// every finite input (NaN becomes 0 here).
func f32ToInt16Go(dst []int16, src []float32) {
	const magic = 12582912 // 1.5 * 2^23: float32 addition rounds to an integer
	dst = dst[:len(src)]
	for i, y := range src {
		if y > 32767 {
			y = 32767
		} else if y < -32768 {
			y = -32768
		}
		y = (y + magic) - magic
		if y != y { // NaN
			y = 0
		}
		dst[i] = int16(y)
	}
}

func int16ToF32Go(dst []float32, src []int16) {
	dst = dst[:len(src)]
	for i, v := range src {
		dst[i] = float32(v)
	}
}

func (r *Resampler) appendFloat32(dst []float32, ys []float32) []float32 {
	dst = slices.Grow(dst, len(ys))
	scale(dst[len(dst):len(dst)+len(ys)], ys, 1.0/32768, r.fir.asm)
	return dst[:len(dst)+len(ys)]
}

// scaleGo is the portable scale; scaling by a power of two is exact, so it
// matches the assembly bit for bit.
func scaleGo(dst, src []float32, k float32) {
	dst = dst[:len(src)]
	for i, v := range src {
		dst[i] = v * k
	}
}

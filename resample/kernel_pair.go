package resample

import "math"

// A linear-phase decimator's taps come in equal pairs, h[j] = h[N-1-j]. In
// the de-interleaved form of runDown the two taps of a pair multiply
// samples of two streams (or two samples of one stream), so each pair
// costs one addition and one multiply-add instead of two multiply-adds:
// half the multiplies and, with the adds on their own execution ports,
// nearly half the time.

// subPair is one group of tap pairs of an integer decimator: output i gets
// sum_k c[k] * (sx[i+x0+k] + sy[i+y0+K-1-k]), sx and sy the de-interleaved
// streams bx and by, K = len(c). A tap that is its own mirror (the centre)
// appears with half its value and both indices on the same sample.
type subPair struct {
	bx, by int
	x0, y0 int
	c      []float32
	c64    []float64 // the same taps in float64 (precise tables)
}

// buildPairs groups the taps of a symmetric single-phase decimation filter
// into subPairs. It reports false when the filter is not symmetric or the
// pairs do not form contiguous runs (the plain sub-filters are used then).
func (t *table) buildPairs() bool {
	ph := t.phases[0]
	c := t.coef[ph.off : ph.off+ph.n]
	var c64 []float64
	if t.precise {
		c64 = t.coef64[ph.off : ph.off+ph.n]
	}
	n, m := len(c), t.m
	for j := range n {
		if c[j] != c[n-1-j] || c64 != nil && c64[j] != c64[n-1-j] {
			return false
		}
	}
	type key struct{ bx, by int }
	type group struct {
		lo, hi int // a range of the x side, inclusive
		sum    int // a + a' (constant within a group)
		taps   map[int]float32
		taps64 map[int]float64
	}
	groups := map[key]*group{}
	var order []key
	for j := range n {
		jj := n - 1 - j
		if c[j] == 0 || j > jj {
			continue
		}
		v := c[j]
		var v64 float64
		if c64 != nil {
			v64 = c64[j]
		}
		if j == jj {
			v /= 2 // exact: the pair adds the sample to itself
			v64 /= 2
		}
		bx, ax, by, ay := j%m, j/m, jj%m, jj/m
		if bx > by {
			bx, ax, by, ay = by, ay, bx, ax
		}
		k := key{bx, by}
		g := groups[k]
		if g == nil {
			g = &group{lo: ax, hi: ax, sum: ax + ay, taps: map[int]float32{}, taps64: map[int]float64{}}
			groups[k] = g
			order = append(order, k)
		}
		if g.sum != ax+ay {
			return false
		}
		if _, dup := g.taps[ax]; dup {
			return false
		}
		g.taps[ax] = v
		g.taps64[ax] = v64
		g.lo, g.hi = min(g.lo, ax), max(g.hi, ax)
	}
	// A fixed order (by stream pair) keeps the summation order fixed.
	for i := 1; i < len(order); i++ {
		for j := i; j > 0 && (order[j].bx < order[j-1].bx || order[j].bx == order[j-1].bx && order[j].by < order[j-1].by); j-- {
			order[j], order[j-1] = order[j-1], order[j]
		}
	}
	t.pairs = t.pairs[:0]
	for _, k := range order {
		g := groups[k]
		kk := g.hi - g.lo + 1
		cs := make([]float32, kk)
		for a, v := range g.taps {
			cs[a-g.lo] = v
		}
		y0 := g.sum - g.lo - (kk - 1)
		if y0 < 0 {
			return false
		}
		sp := subPair{bx: k.bx, by: k.by, x0: g.lo, y0: y0, c: cs}
		if c64 != nil {
			sp.c64 = make([]float64, kk)
			for a, v := range g.taps64 {
				sp.c64[a-g.lo] = v
			}
		}
		t.pairs = append(t.pairs, sp)
	}
	return len(t.pairs) > 0
}

// firPairGo is the portable pair kernel: for r = 0..15,
//
//	dst[i] += sum of c[k]*(x[i+k]+y[i+K-1-k]) for k = r, r+16, r+32, ... (k < K)
//
// each partial sum taken from zero in order of k (the order of the AVX-512
// kernel's register-blocked walk over the taps; the AVX2 kernels walk in
// strides of 8, with 8 partial sums; either way several partial sums keep
// the rounding error of long filters small, which matters for DC). It
// needs len(x), len(y) >= len(dst)+len(c)-1, len(c) >= 1.
func firPairGo(dst, x, y, c []float32) {
	kk := len(c)
	n := len(dst)
	x = x[:n+kk-1]
	y = y[:n+kk-1]
	for i := range dst {
		a := dst[i]
		xs := x[i : i+kk]
		ys := y[i : i+kk]
		for r := range min(kk, 16) {
			var p float32
			for k := r; k < kk; k += 16 {
				p += c[k] * (xs[k] + ys[kk-1-k])
			}
			a += p
		}
		dst[i] = a
	}
}

// runPair computes the pair sum of firPairGo into dst, with the assembly
// when available: AVX-512 blocks of up to 128 outputs sized to the outputs
// at hand (a remainder padded to a multiple of 16), or AVX2 blocks of 32
// and one of 8, 16 or 24 for the remainder (padded to a multiple of 8), in
// place when there is room or else in scratch. Every output is the same chain
// of operations whatever block it falls in.
func (k *firKernel) runPair(dst, x, y, c []float32) {
	if !k.asm {
		firPairGo(dst, x, y, c)
		return
	}
	n := len(dst)
	full, blk := 0, 32
	if k.avx512 {
		for ; n-full >= 128; full += 128 {
			firPair512Asm(dst[full:full+128], x[full:], y[full:], c)
		}
		if rest := n - full; rest&15 == 0 {
			if rest > 0 {
				firPair512Asm(dst[full:], x[full:], y[full:], c)
			}
			return
		}
		// One block for the whole tail, padded to a multiple of 16: a
		// block of V < 4 vectors takes as long as one of 4.
		blk = (n - full + 15) &^ 15
	} else if rest := n &^ 31; rest > 0 {
		firPairAsm(dst[:rest], x, y, c)
		full = rest
	}
	rem := n - full
	if rem == 0 {
		return
	}
	if !k.avx512 {
		// One block of 1..4 AVX2 vectors for the tail (firPairVAsm).
		blk = (rem + 7) &^ 7
	}
	tail := firPairVAsm
	if k.avx512 {
		tail = firPair512Asm
	}
	runTail(dst[full:], x[full:], y[full:], c, blk, k.px, k.py, k.pd, tail)
}

// runTail runs kernel on the last outputs of a pair sum, dst (len(dst) <=
// blk), as one block of blk outputs: in place when the slices have room for
// the padding (the extra outputs, computed from whatever lies beyond the
// inputs, are written past len(dst) and never read: each output is
// independent), or else in the scratch px, py and pd, zero-padded.
func runTail[D float32 | float64, C float32 | float64](dst []D, x, y []float32, c []C, blk int, px, py []float32, pd []D, kernel func(d []D, x, y []float32, c []C)) {
	rem := len(dst)
	if w := blk + len(c) - 1; cap(dst) >= blk && cap(x) >= w && cap(y) >= w {
		kernel(dst[:blk], x[:w], y[:w], c)
		return
	}
	need := rem + len(c) - 1
	xs := px[:blk+len(c)-1]
	ys := py[:blk+len(c)-1]
	copy(xs, x[:need])
	clear(xs[need:])
	copy(ys, y[:need])
	clear(ys[need:])
	ds := pd[:blk]
	copy(ds, dst)
	clear(ds[rem:])
	kernel(ds, xs, ys, c)
	copy(dst, ds[:rem])
}

// firPair64Go is the portable float64 pair kernel of the precise tables
// (VeryHigh): for r = 0..3,
//
//	dst[i] += sum of c[k]*(float64(x[i+k])+float64(y[i+K-1-k])) for k = r, r+4, ... (k < K)
//
// each partial sum a chain of fused multiply-adds (math.FMA) from zero in
// order of k, the partial sums added to dst[i] in order of r: the same
// operations as firPair64Asm, so the two agree bit for bit. It needs
// len(x), len(y) >= len(dst)+len(c)-1, len(c) >= 1.
func firPair64Go(dst []float64, x, y []float32, c []float64) {
	kk := len(c)
	n := len(dst)
	x = x[:n+kk-1]
	y = y[:n+kk-1]
	for i := range dst {
		a := dst[i]
		xs := x[i : i+kk]
		ys := y[i : i+kk]
		for r := range min(kk, 4) {
			var p float64
			for k := r; k < kk; k += 4 {
				p = math.FMA(c[k], float64(xs[k])+float64(ys[kk-1-k]), p)
			}
			a += p
		}
		dst[i] = a
	}
}

// runPair64 computes the float64 pair sum of firPair64Go into dst, with the
// assembly when available: blocks of 16 outputs, and one of 4, 8 or 12 for
// the remainder (padded to a multiple of 4), in place when there is room or
// else in scratch. Every output is the same chain of operations whatever
// block it falls in.
func (k *firKernel) runPair64(dst []float64, x, y []float32, c []float64) {
	if !k.asm {
		firPair64Go(dst, x, y, c)
		return
	}
	n := len(dst)
	full := n &^ 15
	if full > 0 {
		firPair64Asm(dst[:full], x, y, c)
	}
	rem := n - full
	if rem == 0 {
		return
	}
	blk := (rem + 3) &^ 3
	runTail(dst[full:], x[full:], y[full:], c, blk, k.px, k.py, k.pd64, firPair64VAsm)
}

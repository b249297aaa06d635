package resample

import "math"

// run computes every output whose input window is available (at most limit
// when limit >= 0) into r.out, then drops history no longer needed.
func (r *Resampler) run(limit int64) []float32 {
	t := r.t
	maxOut := cap(r.out)
	if limit >= 0 && limit < int64(maxOut) {
		maxOut = int(limit)
	}
	var out []float32
	switch t.mode {
	case modeUp:
		out = r.runUp(maxOut)
	case modeDown:
		out = r.runDown(maxOut)
	default:
		out = r.runGeneric(maxOut)
	}
	r.nOut += int64(len(out))
	r.out = out
	r.more = len(out) > 0 && len(out) == r.capped
	if t.mode == modeDown {
		// runDown has de-interleaved every sample; it keeps its own
		// history in the streams.
		r.buf = r.buf[:0]
		return out
	}
	// Keep only the history the next output can reach back to.
	buf := r.buf
	drop := min(r.qrel-t.hist, len(buf))
	if drop > 0 {
		n := copy(buf, buf[drop:])
		r.buf = buf[:n]
		r.qrel -= drop
	}
	return out
}

// runGeneric: any ratio, one inner product per output.
func (r *Resampler) runGeneric(maxOut int) []float32 {
	t := r.t
	out := r.out[:0]
	buf := r.buf
	qrel, p := r.qrel, r.p
	l, mq, mr := t.l, r.mq, r.mr
	r.capped = maxOut
	for len(out) < maxOut {
		ph := &t.phases[p]
		s := qrel - ph.back
		if s+ph.n > len(buf) {
			break
		}
		var y float32
		if ph.pass {
			y = buf[s]
		} else if t.precise {
			c := t.coef64[ph.off : ph.off+ph.n]
			if r.fir.asm {
				y = float32(dot64Asm(c, buf[s:s+ph.n]))
			} else {
				y = float32(dot64(c, buf[s:s+ph.n]))
			}
		} else {
			c := t.coef[ph.off : ph.off+ph.n]
			if r.fir.asm {
				y = dotAsm(c, buf[s:s+ph.n])
			} else {
				y = dot(c, buf[s:s+ph.n])
			}
		}
		out = append(out, y)
		p += mr
		qrel += mq
		if p >= l {
			p -= l
			qrel++
		}
	}
	r.qrel, r.p = qrel, p
	return out
}

// runUp: integer interpolation by L. Each phase is a FIR over consecutive
// inputs, computed for all available rows at once, then interleaved.
func (r *Resampler) runUp(maxOut int) []float32 {
	t := r.t
	l := t.l
	buf := r.buf
	qrel, p := r.qrel, r.p
	last := len(buf) - 1
	// qmax[ph]: last row whose phase-ph output is available.
	qmax := r.qmax[:l]
	qlim := int(^uint(0) >> 1)
	for ph := range l {
		x := &t.phases[ph]
		qmax[ph] = last - (x.n - 1 - x.back)
		qlim = min(qlim, qmax[ph])
	}
	maxOut = min(maxOut, r.rows*l)
	r.capped = maxOut
	a := 0
	q, ph := qrel, p
	if qlim >= qrel {
		a = (l - p) + (qlim-qrel)*l
		q, ph = qlim+1, 0
	}
	for a < maxOut && q <= qmax[ph] {
		a++
		ph++
		if ph == l {
			ph = 0
			q++
		}
	}
	a = min(a, maxOut)
	out := r.out[:a]
	if a == 0 {
		return out
	}
	rows := r.rows
	for ph := range l {
		d := (ph - p + l) % l
		if a <= d {
			continue
		}
		cnt := (a - d + l - 1) / l
		q0 := qrel
		if ph < p {
			q0++
		}
		x := &t.phases[ph]
		s := q0 - x.back
		tmp := r.tmp[ph*rows : ph*rows+cnt]
		if x.pass {
			copy(tmp, buf[s:s+cnt])
		} else if t.precise && t.upPairs != nil {
			o := r.out64[:cnt]
			clear(o)
			up := &t.upPairs[ph]
			e := s + cnt + x.n - 1
			r.fir.runPair64(o, buf[s:e], buf[s+up.y0:e], up.c64)
			for i, v := range o {
				tmp[i] = float32(v)
			}
		} else if t.precise {
			fir64(tmp, buf[s:s+cnt+x.n-1], t.coef64[x.off:x.off+x.n], r.fir.asm)
		} else if t.upPairs != nil {
			clear(tmp)
			up := &t.upPairs[ph]
			e := s + cnt + x.n - 1
			r.fir.runPair(tmp, buf[s:e], buf[s+up.y0:e], up.c)
		} else {
			clear(tmp)
			r.fir.run(tmp, buf[s:s+cnt+x.n-1], t.coef[x.off:x.off+x.n])
		}
	}
	// Interleave: output k is phase (p+k)%L, so phase ph fills
	// out[d], out[d+L], ... with d = (ph-p) mod L.
	// Equivalently out[k] = row (p+k)%L at k/L: written in order.
	switch l {
	case 2:
		interleave2(out, r.tmp[p*rows:p*rows+(a+1)/2], r.tmp[(1-p)*rows:(1-p)*rows+a/2], r.fir.asm)
	case 3:
		interleave3(out, r.tmp[p*rows:p*rows+(a+2)/3], r.tmp[(p+1)%3*rows:(p+1)%3*rows+(a+1)/3],
			r.tmp[(p+2)%3*rows:(p+2)%3*rows+a/3], r.fir.asm)
	default:
		for ph := range l {
			d := (ph - p + l) % l
			if a <= d {
				continue
			}
			cnt := (a - d + l - 1) / l
			src := r.tmp[ph*rows : ph*rows+cnt]
			dst := out[d:]
			for i, v := range src {
				dst[i*l] = v
			}
		}
	}
	r.qrel = qrel + (p+a)/l
	r.p = (p + a) % l
	return out
}

// runDown: integer decimation by M. The input is kept de-interleaved in M
// streams (stream b, element i = x[s+i*M+b], s the next window start), each
// sample copied once when it arrives; sub-filter b runs as a FIR over
// stream b and the M partial results are summed in a fixed order.
func (r *Resampler) runDown(maxOut int) []float32 {
	t := r.t
	m := t.m
	ph := &t.phases[0]
	n := ph.n
	w := r.sw
	// De-interleave the samples that arrived since the last run: a partial
	// row, whole rows, a partial row. The streams' live samples start at
	// r.so in their stride; consumed rows are dropped by advancing it.
	if r.fresh > 0 {
		src := r.buf[len(r.buf)-r.fresh:]
		if need, _ := r.divm(r.sd + len(src) + m - 1); r.so+need > w {
			// Out of room: move the streams back to the start of their
			// stride (every few runs, not every run).
			live, _ := r.divm(r.sd + m - 1)
			for b := range m {
				copy(r.tmp[b*w:b*w+live], r.tmp[b*w+r.so:b*w+r.so+live])
			}
			r.so = 0
		}
		o := r.so
		row, b := r.divm(r.sd) // stream b, element row takes x[s+row*m+b]
		row += o
		j := 0
		for ; b > 0 && b < m && j < len(src); b++ {
			r.tmp[b*w+row] = src[j]
			j++
		}
		if b == m {
			row++
		}
		rows, _ := r.divm(len(src) - j)
		if rows > 0 && (b == 0 || b == m) {
			deinterleave(r.tmp, w, row, src[j:j+rows*m], m, r.fir.asm)
			j += rows * m
			row += rows
		}
		for b = 0; j < len(src); b++ {
			r.tmp[b*w+row] = src[j]
			j++
		}
		r.sd += r.fresh
		r.fresh = 0
	}
	a := 0
	if r.sd >= n {
		q, _ := r.divm(r.sd - n)
		a = q + 1
	}
	r.capped = min(maxOut, r.rows)
	a = min(a, r.capped)
	out := r.out[:a]
	if a == 0 {
		return out
	}
	if t.precise {
		r.downPrecise(out)
	} else {
		r.downFloat32(out)
	}
	// Drop the a consumed rows from every stream.
	r.so += a
	r.sd -= a * m
	r.qrel += a * m
	return out
}

// downPrecise computes the outputs of a precise (VeryHigh) decimator:
// float64 sums of the pair kernel, rounded to float32 once.
func (r *Resampler) downPrecise(out []float32) {
	a, w := len(out), r.sw
	o64 := r.out64[:a]
	clear(o64)
	for i := range r.t.pairs {
		sp := &r.t.pairs[i]
		kk := len(sp.c64)
		x0, y0 := sp.bx*w+r.so+sp.x0, sp.by*w+r.so+sp.y0
		r.fir.runPair64(o64, r.tmp[x0:x0+a+kk-1], r.tmp[y0:y0+a+kk-1], sp.c64)
	}
	for i, v := range o64 {
		out[i] = float32(v)
	}
}

// downFloat32 computes the outputs of a float32 decimator: the pair
// kernel, or the plain sub-filters when the taps do not pair.
func (r *Resampler) downFloat32(out []float32) {
	t, a, w, m := r.t, len(out), r.sw, r.t.m
	clear(out)
	for i := range t.pairs {
		sp := &t.pairs[i]
		kk := len(sp.c)
		x0, y0 := sp.bx*w+r.so+sp.x0, sp.by*w+r.so+sp.y0
		x := r.tmp[x0 : x0+a+kk-1]
		y := r.tmp[y0 : y0+a+kk-1]
		r.fir.runPair(out, x, y, sp.c)
	}
	if len(t.pairs) > 0 {
		return
	}
	for b := range m {
		sub := t.sub[b]
		if len(sub) == 0 {
			continue
		}
		a0 := b*w + r.so + t.subStart[b]
		r.fir.run(out, r.tmp[a0:a0+a+len(sub)-1], sub)
	}
}

// divm returns x/m and x%m for the decimator's m (0 <= x < 2^20, m <=
// maxFastFactor), by a multiplication with the reciprocal r.minv =
// floor(2^32/m)+1: exact there, and integer division is slow.
func (r *Resampler) divm(x int) (int, int) {
	q := int((uint64(x) * r.minv) >> 32)
	return q, x - q*r.t.m
}

// interleave2 sets out[2i] = s0[i] and out[2i+1] = s1[i]; len(s0) is
// len(out)/2 rounded up, len(s1) rounded down. Eight pairs a step run in
// assembly when asm is set (unpack and 128-bit lane shuffles).
func interleave2(out, s0, s1 []float32, asm bool) {
	n := len(s1)
	s0 = s0[:len(out)-n]
	k := 0
	if asm {
		k = n &^ 7
		interleave2Asm(out[:2*k], s0[:k], s1[:k])
	}
	for ; k < n; k++ {
		o := out[2*k : 2*k+2 : 2*k+2]
		o[0], o[1] = s0[k], s1[k]
	}
	if len(s0) > n {
		out[2*n] = s0[n]
	}
}

// interleave3 sets out[3i], out[3i+1], out[3i+2] = s0[i], s1[i], s2[i];
// len(s0), len(s1) and len(s2) are len(out)/3 rounded so that they fill
// out in that order. Eight triples a step run in assembly when asm is set.
func interleave3(out, s0, s1, s2 []float32, asm bool) {
	n := len(s2)
	rem := len(out) - 3*n
	s0, s1 = s0[:n+(rem+1)/2], s1[:n+rem/2]
	k := 0
	if asm {
		k = n &^ 7
		interleave3Asm(out[:3*k], s0[:k], s1[:k], s2[:k])
	}
	for ; k < n; k++ {
		o := out[3*k : 3*k+3 : 3*k+3]
		o[0], o[1], o[2] = s0[k], s1[k], s2[k]
	}
	if len(s0) > n {
		out[3*n] = s0[n]
	}
	if len(s1) > n {
		out[3*n+1] = s1[n]
	}
}

// deinterleave stores whole rows of m samples: src[k*m+b] goes to
// tmp[b*w+row+k]. Strides 2 and 3 run in assembly (eight rows a step,
// shuffled in registers) when asm is set, and as one pass with constant
// offsets otherwise (no bounds checks in the loop); both copy exactly.
func deinterleave(tmp []float32, w, row int, src []float32, m int, asm bool) {
	rows := len(src) / m
	if rows == 0 {
		return
	}
	switch m {
	case 2:
		s0 := tmp[row : row+rows]
		s1 := tmp[w+row : w+row+rows]
		s1 = s1[:len(s0)]
		src = src[:2*len(s0)]
		k := 0
		if asm {
			deinterleave2Asm(s0, s1, src)
			k = len(s0) &^ 7
		}
		for ; k < len(s0); k++ {
			p := src[2*k : 2*k+2 : 2*k+2]
			s0[k], s1[k] = p[0], p[1]
		}
	case 3:
		s0 := tmp[row : row+rows]
		s1 := tmp[w+row : w+row+rows]
		s2 := tmp[2*w+row : 2*w+row+rows]
		s1, s2 = s1[:len(s0)], s2[:len(s0)]
		src = src[:3*len(s0)]
		k := 0
		if asm {
			deinterleave3Asm(s0, s1, s2, src)
			k = len(s0) &^ 7
		}
		for ; k < len(s0); k++ {
			p := src[3*k : 3*k+3 : 3*k+3]
			s0[k], s1[k], s2[k] = p[0], p[1], p[2]
		}
	default:
		for b := range m {
			gatherStride(tmp[b*w+row:b*w+row+rows], src[b:], m)
		}
	}
}

// gatherStride sets dst[i] = src[i*m]; len(src) > (len(dst)-1)*m (the
// de-interleaving of strides other than 2 and 3). Stride 6 is unrolled with
// constant offsets, which lets the compiler drop the bounds checks.
func gatherStride(dst, src []float32, m int) {
	i := 0
	if m == 6 {
		for ; i+2 <= len(dst) && 6*i+12 <= len(src); i += 2 {
			s := src[6*i : 6*i+12 : 6*i+12]
			d := dst[i : i+2 : i+2]
			d[0], d[1] = s[0], s[6]
		}
	}
	for j := i * m; i < len(dst); i++ {
		dst[i] = src[j]
		j += m
	}
}

// firKernel runs the FIR primitive, in assembly when available. The
// assembly handles blocks of 64 outputs at full speed; a shorter remainder
// is padded to 64 in scratch so it runs at the same speed. Padding changes
// no result: each output is the same chain of fused multiply-adds whether
// it is computed in a block, a padded block or a scalar tail.
type firKernel struct {
	asm bool
	xs  []float32 // 64 + longest filter - 1
	ds  [64]float32
	// pair kernel (kernel_pair.go): AVX-512 blocks, and scratch for a
	// padded block of up to 128 outputs.
	avx512 bool
	px, py []float32 // 128 + longest filter - 1 each
	pd     []float32 // 128
	pd64   []float64 // 16: float64 pair kernel (precise tables)
}

func newFIRKernel(asm bool, maxTaps int) firKernel {
	k := firKernel{asm: asm, avx512: asm && hasAVX512()}
	if asm {
		k.xs = make([]float32, 64+maxTaps)
	}
	return k
}

// withPairs adds the scratch of the pair kernel (down-sampling only).
func (k *firKernel) withPairs(maxTaps int) {
	if k.asm {
		k.px = make([]float32, 128+maxTaps)
		k.py = make([]float32, 128+maxTaps)
		k.pd = make([]float32, 128)
		k.pd64 = make([]float64, 16)
	}
}

// run computes dst[i] += sum_k c[k]*x[i+k]; len(x) >= len(dst)+len(c)-1.
func (k *firKernel) run(dst, x, c []float32) {
	if !k.asm {
		firGo(dst, x, c)
		return
	}
	n := len(dst)
	full := n &^ 63
	if full > 0 {
		firAsm(dst[:full], x, c)
	}
	rem := n - full
	if rem == 0 {
		return
	}
	need := rem + len(c) - 1
	xs := k.xs[:64+len(c)-1]
	copy(xs, x[full:full+need])
	clear(xs[need:])
	ds := k.ds[:]
	copy(ds, dst[full:])
	clear(ds[rem:])
	firAsm(ds, xs, c)
	copy(dst[full:], ds[:rem])
}

// dot returns sum c[i]*x[i]; len(x) >= len(c).
func dot(c, x []float32) float32 {
	x = x[:len(c)]
	var s0, s1, s2, s3 float32
	i := 0
	for ; i+4 <= len(c); i += 4 {
		cc, xx := c[i:i+4:i+4], x[i:i+4:i+4]
		s0 += cc[0] * xx[0]
		s1 += cc[1] * xx[1]
		s2 += cc[2] * xx[2]
		s3 += cc[3] * xx[3]
	}
	for ; i < len(c); i++ {
		s0 += c[i] * x[i]
	}
	return (s0 + s1) + (s2 + s3)
}

// dot64 returns sum c[k]*x[k] in float64; len(x) >= len(c). It is the
// inner product of the precise tables (VeryHigh): with float64
// coefficients and sums the filter's stopband is not limited by float32
// rounding (float32 input samples are exact in float64). The order of
// operations is that of dot64Asm, so the two agree bit for bit: 32 partial
// sums s[k%32] over k < len(c)&^3, each a chain of fused multiply-adds,
// one more chain for the last len(c)%4 terms, and a fixed reduction.
func dot64(c []float64, x []float32) float64 {
	x = x[:len(c)]
	var s [32]float64
	n4 := len(c) &^ 3
	for k := 0; k < n4; k += 32 {
		cc, xx, ss := c[k:min(k+32, n4)], x[k:], s[:]
		for j, v := range cc {
			ss[j] = math.FMA(v, float64(xx[j]), ss[j])
		}
	}
	var t float64
	for k := n4; k < len(c); k++ {
		t = math.FMA(c[k], float64(x[k]), t)
	}
	var a [4]float64
	for l := range a {
		a[l] = ((s[l] + s[4+l]) + (s[8+l] + s[12+l])) + ((s[16+l] + s[20+l]) + (s[24+l] + s[28+l]))
	}
	return ((a[0] + a[2]) + (a[1] + a[3])) + t
}

// fir64 sets dst[i] = float32(sum_k c[k]*x[i+k]), the sum in float64 (the
// FIR of the precise tables, VeryHigh, for integer up-sampling), in
// assembly when asm is set; len(x) >= len(dst)+len(c)-1, len(c) >= 1.
func fir64(dst, x []float32, c []float64, asm bool) {
	if asm {
		n := len(dst) &^ 15
		fir64Asm(dst[:n], x, c)
		dst, x = dst[n:], x[n:]
	}
	fir64Go(dst, x, c)
}

// fir64Go is the portable fir64: each output one chain of fused
// multiply-adds from zero in order of k, rounded to float32 at the end
// (what the assembly computes for every output, so the two agree bit for
// bit).
func fir64Go(dst, x []float32, c []float64) {
	for i := range dst {
		xs := x[i : i+len(c)]
		var a float64
		for k, ck := range c {
			a = math.FMA(ck, float64(xs[k]), a)
		}
		dst[i] = float32(a)
	}
}

// firGo is the portable FIR kernel: dst[i] += sum_k c[k]*x[i+k], the sum
// taken in order of k. It needs len(x) >= len(dst)+len(c)-1, len(c) >= 1.
func firGo(dst, x, c []float32) {
	n := len(dst)
	x = x[:n+len(c)-1]
	i := 0
	for ; i+4 <= n; i += 4 {
		a0, a1, a2, a3 := dst[i], dst[i+1], dst[i+2], dst[i+3]
		xs := x[i:]
		for k, ck := range c {
			w := xs[k : k+4 : k+4]
			a0 += ck * w[0]
			a1 += ck * w[1]
			a2 += ck * w[2]
			a3 += ck * w[3]
		}
		dst[i], dst[i+1], dst[i+2], dst[i+3] = a0, a1, a2, a3
	}
	for ; i < n; i++ {
		a := dst[i]
		xs := x[i : i+len(c)]
		for k, ck := range c {
			a += ck * xs[k]
		}
		dst[i] = a
	}
}

package resample

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
		} else {
			clear(tmp)
			r.fir.run(tmp, buf[s:s+cnt+x.n-1], t.coef[x.off:x.off+x.n])
		}
	}
	// Interleave: output k is phase (p+k)%L, so phase ph fills
	// out[d], out[d+L], ... with d = (ph-p) mod L.
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
	// De-interleave the samples that arrived since the last run.
	if r.fresh > 0 {
		src := r.buf[len(r.buf)-r.fresh:]
		d := r.sd
		for b := range m {
			first := (b - d%m + m) % m // first j with (d+j)%m == b
			if first >= len(src) {
				continue
			}
			cnt := (len(src) - first + m - 1) / m
			dst := r.tmp[b*w+(d+first)/m : b*w+(d+first)/m+cnt]
			sr := src[first:]
			for i := range dst {
				dst[i] = sr[i*m]
			}
		}
		r.sd += r.fresh
		r.fresh = 0
	}
	a := 0
	if r.sd >= n {
		a = (r.sd-n)/m + 1
	}
	r.capped = min(maxOut, r.rows)
	a = min(a, r.capped)
	out := r.out[:a]
	if a == 0 {
		return out
	}
	clear(out)
	for i := range t.pairs {
		sp := &t.pairs[i]
		kk := len(sp.c)
		x := r.tmp[sp.bx*w+sp.x0 : sp.bx*w+sp.x0+a+kk-1]
		y := r.tmp[sp.by*w+sp.y0 : sp.by*w+sp.y0+a+kk-1]
		r.fir.runPair(out, x, y, sp.c)
	}
	for b := range m {
		if len(t.pairs) > 0 {
			break
		}
		sub := t.sub[b]
		if len(sub) == 0 {
			continue
		}
		a0 := b*w + t.subStart[b]
		r.fir.run(out, r.tmp[a0:a0+a+len(sub)-1], sub)
	}
	// Drop the a consumed rows from every stream.
	for b := range m {
		have := (r.sd - b + m - 1) / m
		if have > a {
			copy(r.tmp[b*w:], r.tmp[b*w+a:b*w+have])
		}
	}
	r.sd -= a * m
	r.qrel += a * m
	return out
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

package resample

import (
	"bytes"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"
)

func TestFIRAsmMatchesGo(t *testing.T) {
	if !hasFIRAsm() {
		t.Skip("no assembly kernel on this CPU/build")
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for _, n := range []int{0, 1, 7, 8, 9, 31, 32, 33, 63, 64, 65, 100, 129, 300} {
		for _, taps := range []int{1, 2, 5, 48, 95} {
			x := make([]float32, n+taps-1)
			c := make([]float32, taps)
			for i := range x {
				x[i] = float32(rng.NormFloat64() * 10000)
			}
			for i := range c {
				c[i] = float32(rng.NormFloat64())
			}
			a := make([]float32, n)
			b := make([]float32, n)
			for i := range a {
				a[i] = float32(i)
				b[i] = float32(i)
			}
			firAsm(a, x, c)
			firGo(b, x, c)
			for i := range a {
				scale := 0.0
				for k := range c {
					scale += math.Abs(float64(c[k] * x[i+k]))
				}
				if d := math.Abs(float64(a[i] - b[i])); d > 1e-5*scale+1e-3 {
					t.Fatalf("n=%d taps=%d: dst[%d] asm %g, go %g", n, taps, i, a[i], b[i])
				}
			}
			// The padded kernel must give the very same values as the
			// plain assembly on every output.
			k := newFIRKernel(true, taps)
			p := make([]float32, n)
			for i := range p {
				p[i] = float32(i)
			}
			k.run(p, x, c)
			if !slices.Equal(p, a) {
				t.Fatalf("n=%d taps=%d: padded kernel differs from assembly", n, taps)
			}
		}
	}
}

func TestDotAsmMatchesGo(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, n := range []int{0, 1, 7, 8, 9, 31, 32, 33, 47, 64, 100} {
		c := make([]float32, n)
		x := make([]float32, n+3)
		scale := 0.0
		for i := range c {
			c[i] = float32(rng.NormFloat64())
			x[i] = float32(rng.NormFloat64() * 10000)
			scale += math.Abs(float64(c[i] * x[i]))
		}
		a, b := dotAsm(c, x), dot(c, x)
		if d := math.Abs(float64(a - b)); d > 1e-5*scale+1e-3 {
			t.Errorf("n=%d: asm %g, go %g", n, a, b)
		}
	}
}

func TestConvertAsmMatchesGo(t *testing.T) {
	src := []float32{0, 0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 32766.5, 32767.4, 32768, 1e6, -32768.4, -32769, -1e6, 123.49, -123.51}
	for len(src) < 40 {
		src = append(src, float32(len(src))*1000.25-20000)
	}
	a := make([]int16, len(src))
	b := make([]int16, len(src))
	f32ToInt16(a, src, hasFIRAsm())
	f32ToInt16Go(b, src)
	if !slices.Equal(a, b) {
		t.Errorf("float32->int16: asm %v, go %v", a, b)
	}
	want := []int16{0, 0, 2, 2, 0, -2, -2, 32766, 32767, 32767, 32767, -32768, -32768, -32768, 123, -124}
	if !slices.Equal(b[:len(want)], want) {
		t.Errorf("rounding: got %v, want %v", b[:len(want)], want)
	}
	in := noise(37, 3)
	fa := make([]float32, len(in))
	fb := make([]float32, len(in))
	int16ToF32(fa, in, hasFIRAsm())
	int16ToF32Go(fb, in)
	if !slices.Equal(fa, fb) {
		t.Error("int16->float32: asm and go differ")
	}
	sa := make([]float32, len(src))
	sb := make([]float32, len(src))
	scale(sa, src, 1.0/32768, hasFIRAsm())
	scaleGo(sb, src, 1.0/32768)
	if !slices.Equal(sa, sb) {
		t.Error("scale: asm and go differ")
	}
}

// TestPortableKernel runs the pure-Go path: streaming exactness holds there
// too, and it agrees with the assembly path to within rounding.
func TestPortableKernel(t *testing.T) {
	x := noise(3000, 11)
	for i := range x {
		x[i] /= 2
	}
	for _, c := range testConversions {
		t.Run(fmt.Sprintf("%d-%d", c[0], c[1]), func(t *testing.T) {
			p, _ := New(c[0], c[1], withPortableKernel())
			want := p.Flush(p.Process(nil, x))
			if got := chunked(p, x, func() int { return 37 }); !slices.Equal(got, want) {
				t.Error("portable kernel: chunked output differs")
			}
			a, _ := New(c[0], c[1])
			fast := a.Flush(a.Process(nil, x))
			if len(fast) != len(want) {
				t.Fatalf("lengths %d vs %d", len(fast), len(want))
			}
			for i := range fast {
				if d := int(fast[i]) - int(want[i]); d < -1 || d > 1 {
					t.Fatalf("sample %d: assembly %d, portable %d", i, fast[i], want[i])
				}
			}
		})
	}
}

// TestFIRPairAsmMatchesGo checks the pair kernels (AVX2 blocks of 32,
// AVX-512 blocks of 16..128, padded tails, in place or in scratch) against
// firPairGo: bit for bit on data whose sums are exact, and to rounding on
// random data.
func TestFIRPairAsmMatchesGo(t *testing.T) {
	if !hasFIRAsm() {
		t.Skip("no assembly kernel on this CPU/build")
	}
	rng := rand.New(rand.NewPCG(5, 6))
	for _, exact := range []bool{true, false} {
		for _, n := range []int{1, 5, 16, 31, 32, 33, 53, 64, 80, 96, 127, 128, 131, 200, 300} {
			for _, taps := range []int{1, 2, 8, 15, 16, 17, 55, 110, 165} {
				x := make([]float32, n+taps-1+160)
				y := make([]float32, n+taps-1+160)
				c := make([]float32, taps)
				for i := range x {
					if exact {
						x[i], y[i] = float32(rng.IntN(64)-32), float32(rng.IntN(64)-32)
					} else {
						x[i], y[i] = float32(rng.NormFloat64()*10000), float32(rng.NormFloat64()*10000)
					}
				}
				for i := range c {
					if exact {
						c[i] = float32(rng.IntN(16) - 8)
					} else {
						c[i] = float32(rng.NormFloat64())
					}
				}
				want := make([]float32, n)
				for i := range want {
					want[i] = float32(i)
				}
				firPairGo(want, x, y, c)
				for _, avx512 := range []bool{false, true} {
					if avx512 && !hasAVX512() {
						continue
					}
					for _, inPlace := range []bool{false, true} {
						k := newFIRKernel(true, taps)
						k.withPairs(taps)
						k.avx512 = avx512
						got := make([]float32, n, n+128)
						xs, ys := x[:n+taps-1:n+taps-1], y[:n+taps-1:n+taps-1]
						if inPlace {
							got = got[:n:cap(got)]
							xs, ys = x[:n+taps-1], y[:n+taps-1]
						} else {
							got = got[:n:n]
						}
						for i := range got {
							got[i] = float32(i)
						}
						k.runPair(got, xs, ys, c)
						for i := range got {
							scale := 0.0
							for j := range c {
								scale += math.Abs(float64(c[j] * (x[i+j] + y[i+taps-1-j])))
							}
							if d := math.Abs(float64(got[i] - want[i])); (exact && d != 0) || d > 1e-5*scale+1e-3 {
								t.Fatalf("exact=%v n=%d taps=%d avx512=%v inPlace=%v: dst[%d] asm %g, go %g", exact, n, taps, avx512, inPlace, i, got[i], want[i])
							}
						}
					}
				}
			}
		}
	}
}

// TestFIRPairBlocksIdentical: the pair kernels of one instruction set, in
// blocks of every size, give the very same value for every output (one
// order of operations per instruction set), so a stream is bit-identical
// whichever block sizes its chunking produces. (The AVX2 kernels walk the
// taps in strides of 8, the AVX-512 kernel in strides of 16: a machine
// runs one or the other for all its blocks.)
func TestFIRPairBlocksIdentical(t *testing.T) {
	if !hasFIRAsm() {
		t.Skip("no assembly kernel on this CPU/build")
	}
	rng := rand.New(rand.NewPCG(7, 8))
	for _, taps := range []int{3, 8, 9, 55, 110} {
		n := 128
		x, y, c := randomPairData(rng, n, taps)
		a := make([]float32, n)
		firPairAsm(a, x, y, c)
		if blk := firstBlockMismatch(a, x, y, c, 8, 4, firPairVAsm); blk > 0 {
			t.Fatalf("taps=%d: AVX2 blocks of %d differ from blocks of 32", taps, blk)
		}
		if !hasAVX512() {
			continue
		}
		a512 := make([]float32, n)
		firPair512Asm(a512, x, y, c)
		if blk := firstBlockMismatch(a512, x, y, c, 16, 8, firPair512Asm); blk > 0 {
			t.Fatalf("taps=%d: AVX-512 blocks of %d differ from a block of 128", taps, blk)
		}
	}
}

// firstBlockMismatch runs kernel over x and y in blocks of lanes*v outputs,
// for v = 1..maxV, and returns the first block size whose outputs differ
// from want (over the outputs the blocks cover), or 0.
func firstBlockMismatch(want, x, y, c []float32, lanes, maxV int, kernel func(dst, x, y, c []float32)) int {
	n := len(want)
	for v := 1; v <= maxV; v++ {
		blk := lanes * v
		b := make([]float32, n)
		for s := 0; s+blk <= n; s += blk {
			kernel(b[s:s+blk], x[s:], y[s:], c)
		}
		if m := n / blk * blk; !slices.Equal(want[:m], b[:m]) {
			return blk
		}
	}
	return 0
}

// randomPairData returns inputs for n outputs of a taps-long pair kernel:
// x and y of n+taps-1 samples (σ = 10000), c of taps coefficients (σ = 1).
func randomPairData(rng *rand.Rand, n, taps int) (x, y, c []float32) {
	x = make([]float32, n+taps-1)
	y = make([]float32, n+taps-1)
	c = make([]float32, taps)
	for i := range x {
		x[i], y[i] = float32(rng.NormFloat64()*10000), float32(rng.NormFloat64()*10000)
	}
	for i := range c {
		c[i] = float32(rng.NormFloat64())
	}
	return x, y, c
}

// firPairStrideModel computes what the pair kernels compute, in their
// order, with the fused multiply-add of each step emulated in float64
// (exact product, one rounding to float64 and one to float32; the two
// roundings differ from a single float32 rounding only when the first
// lands exactly on a float32 tie, which random data does not produce):
// stride 8 is the AVX2 kernels' order, 16 the AVX-512 kernel's and
// firPairGo's.
func firPairStrideModel(dst, x, y, c []float32, stride int) {
	kk := len(c)
	for i := range dst {
		a := dst[i]
		for r := range min(kk, stride) {
			var p float32
			for k := r; k < kk; k += stride {
				p = float32(math.FMA(float64(c[k]), float64(x[i+k]+y[i+kk-1-k]), float64(p)))
			}
			a += p
		}
		dst[i] = a
	}
}

// TestFIRPairOrder checks every assembly pair kernel bit for bit against
// the order its documentation gives (firPairStrideModel), on random data
// whose sums round.
func TestFIRPairOrder(t *testing.T) {
	if !hasFIRAsm() {
		t.Skip("no assembly kernel on this CPU/build")
	}
	rng := rand.New(rand.NewPCG(9, 10))
	for _, taps := range []int{1, 2, 7, 8, 9, 15, 16, 17, 55, 62, 123, 185} {
		n := 256
		x, y, c := randomPairData(rng, n, taps)
		init := func() []float32 {
			d := make([]float32, n)
			for i := range d {
				d[i] = float32(rng.NormFloat64())
			}
			return d
		}
		d0 := init()
		want := slices.Clone(d0)
		firPairStrideModel(want, x, y, c, 8)
		got := slices.Clone(d0)
		firPairAsm(got, x, y, c)
		if !slices.Equal(got, want) {
			t.Fatalf("taps=%d: AVX2 pair kernel differs from the stride-8 order", taps)
		}
		if !hasAVX512() {
			continue
		}
		want = slices.Clone(d0)
		firPairStrideModel(want, x, y, c, 16)
		got = slices.Clone(d0)
		firPair512Asm(got[:128], x, y, c)
		firPair512Asm(got[128:], x[128:], y[128:], c)
		if !slices.Equal(got, want) {
			t.Fatalf("taps=%d: AVX-512 pair kernel differs from the stride-16 order", taps)
		}
	}
}

// TestStreamingExactFloat32 checks bit-exact streaming on float output,
// where int16 rounding cannot hide a difference: chunkings give the pair
// kernel blocks of every size (1 to 8 vectors, padded in place or in
// scratch), and each output must still come out the same.
func TestStreamingExactFloat32(t *testing.T) {
	x := make([]float32, 6000)
	for i, v := range noise(len(x), 9) {
		x[i] = float32(v) / 32768
	}
	for _, c := range [][2]int{{16000, 8000}, {48000, 16000}, {48000, 8000}, {32000, 8000}, {7, 3}, {8000, 48000}, {8000, 32000}, {8000, 16000}} {
		for _, q := range []Quality{High, VeryHigh} {
			for _, portable := range []bool{false, true} {
				t.Run(fmt.Sprintf("%v/%d-%d/portable=%v", q, c[0], c[1], portable), func(t *testing.T) {
					opts := []Option{WithQuality(q)}
					if portable {
						opts = append(opts, withPortableKernel())
					}
					r, err := New(c[0], c[1], opts...)
					if err != nil {
						t.Fatal(err)
					}
					want := r.FlushFloat32(r.ProcessFloat32(nil, x))
					rng := rand.New(rand.NewPCG(4, 5))
					for name, size := range map[string]func() int{
						"1":      func() int { return 1 },
						"160":    func() int { return 160 },
						"random": func() int { return 1 + rng.IntN(1500) },
					} {
						var got []float32
						for rest := x; len(rest) > 0; {
							n := min(size(), len(rest))
							got = r.ProcessFloat32(got, rest[:n])
							rest = rest[n:]
						}
						got = r.FlushFloat32(got)
						if !slices.Equal(got, want) {
							t.Errorf("chunks of %s: float output differs from one call", name)
						}
					}
				})
			}
		}
	}
}

// TestDot64AsmMatchesGo: the float64 inner product of the precise
// (VeryHigh) tables gives the same bits in assembly and in Go, for every
// length (each tail case of the assembly), and is accurate to float64.
func TestDot64AsmMatchesGo(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	for n := range 140 {
		c := make([]float64, n)
		x := make([]float32, n+5)
		exact := 0.0
		for i := range c {
			c[i] = rng.NormFloat64()
			x[i] = float32(rng.IntN(65536) - 32768)
		}
		scale := 0.0
		for i := range c {
			exact += c[i] * float64(x[i])
			scale += math.Abs(c[i] * float64(x[i]))
		}
		a, b := dot64Asm(c, x), dot64(c, x)
		if a != b {
			t.Fatalf("n=%d: asm %v, go %v", n, a, b)
		}
		if d := math.Abs(b - exact); d > 1e-13*scale {
			t.Fatalf("n=%d: %v, want %v", n, b, exact)
		}
	}
}

// TestDeinterleave checks the de-interleaving of the decimators, assembly
// and Go, for strides 2, 3 and others, at every length.
func TestDeinterleave(t *testing.T) {
	for _, asm := range []bool{false, hasFIRAsm()} {
		for _, m := range []int{2, 3, 4, 6} {
			for rows := range 40 {
				src := make([]float32, rows*m)
				for i := range src {
					src[i] = float32(i + 1)
				}
				const w, row = 64, 3
				tmp := make([]float32, m*w)
				deinterleave(tmp, w, row, src, m, asm)
				for b := range m {
					for k := range w {
						want := float32(0)
						if k >= row && k < row+rows {
							want = src[(k-row)*m+b]
						}
						if tmp[b*w+k] != want {
							t.Fatalf("asm=%v m=%d rows=%d: stream %d [%d] = %v, want %v", asm, m, rows, b, k, tmp[b*w+k], want)
						}
					}
				}
			}
		}
	}
}

// TestDivm checks the decimator's division by multiplication.
func TestDivm(t *testing.T) {
	for m := 1; m <= maxFastFactor; m++ {
		r := &Resampler{t: &table{m: m}, minv: 1<<32/uint64(m) + 1}
		for x := range 1 << 20 {
			if q, rem := r.divm(x); q != x/m || rem != x%m {
				t.Fatalf("divm(%d) by %d = %d, %d", x, m, q, rem)
			}
		}
	}
}

// TestFIR64AsmMatchesGo: the float64 FIR of VeryHigh's interpolators gives
// the same bits in assembly and Go, for every block/tail split.
func TestFIR64AsmMatchesGo(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	for _, n := range []int{0, 1, 15, 16, 17, 33, 100} {
		for _, taps := range []int{1, 2, 7, 141} {
			x := make([]float32, n+taps-1)
			c := make([]float64, taps)
			for i := range x {
				x[i] = float32(rng.IntN(65536) - 32768)
			}
			for i := range c {
				c[i] = rng.NormFloat64()
			}
			a := make([]float32, n)
			b := make([]float32, n)
			fir64(a, x, c, hasFIRAsm())
			fir64Go(b, x, c)
			if !slices.Equal(a, b) {
				t.Fatalf("n=%d taps=%d: assembly and Go differ", n, taps)
			}
		}
	}
}

// TestPairKernelGenerated checks that kernel_pair_amd64.s is what
// pairgen.go writes (it is generated, not edited by hand).
func TestPairKernelGenerated(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the go tool")
	}
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go tool in PATH")
	}
	out := filepath.Join(t.TempDir(), "pair.s")
	if b, err := exec.Command(goTool, "run", "pairgen.go", "-o", out).CombinedOutput(); err != nil {
		t.Fatalf("go run pairgen.go: %v\n%s", err, b)
	}
	want, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile("kernel_pair_amd64.s")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatal("kernel_pair_amd64.s differs from pairgen.go's output: run go generate")
	}
}

// TestFIRPair64AsmMatchesGo checks the float64 pair kernels (blocks of 16,
// padded tails of 4 to 12, in place or in scratch) bit for bit against
// firPair64Go, which performs the same fused operations in the same order.
func TestFIRPair64AsmMatchesGo(t *testing.T) {
	if !hasFIRAsm() {
		t.Skip("no assembly kernel on this CPU/build")
	}
	rng := rand.New(rand.NewPCG(11, 12))
	for _, n := range []int{1, 3, 4, 5, 15, 16, 17, 31, 40, 64, 77, 128, 131} {
		for _, taps := range []int{1, 2, 3, 4, 5, 8, 67, 134, 135} {
			x := make([]float32, n+taps-1+32)
			y := make([]float32, n+taps-1+32)
			c := make([]float64, taps)
			for i := range x {
				x[i], y[i] = float32(rng.NormFloat64()*10000), float32(rng.NormFloat64()*10000)
			}
			for i := range c {
				c[i] = rng.NormFloat64()
			}
			d0 := make([]float64, n)
			for i := range d0 {
				d0[i] = rng.NormFloat64()
			}
			want := slices.Clone(d0)
			firPair64Go(want, x, y, c)
			for _, inPlace := range []bool{false, true} {
				k := newFIRKernel(true, taps)
				k.withPairs(taps)
				got := make([]float64, n, n+16)
				copy(got, d0)
				xs, ys := x[:n+taps-1:n+taps-1], y[:n+taps-1:n+taps-1]
				if inPlace {
					xs, ys = x[:n+taps-1], y[:n+taps-1]
				} else {
					got = got[:n:n]
				}
				k.runPair64(got, xs, ys, c)
				if !slices.Equal(got, want) {
					t.Fatalf("n=%d taps=%d inPlace=%v: assembly differs from firPair64Go", n, taps, inPlace)
				}
			}
		}
	}
}

// TestInterleave checks interleave2 and interleave3, assembly and
// portable, against the definition out[k] = row k%L at k/L, for every
// length up to 60 (full assembly steps, partial rows and the rows' ragged
// ends).
func TestInterleave(t *testing.T) {
	for _, l := range []int{2, 3} {
		for a := 0; a <= 60; a++ {
			rows := make([][]float32, l)
			want := make([]float32, a)
			for j := range l {
				rows[j] = make([]float32, (a+l-1-j)/l)
				for i := range rows[j] {
					rows[j][i] = float32(100*j + i + 1)
					want[i*l+j] = rows[j][i]
				}
			}
			for _, asm := range []bool{false, hasFIRAsm()} {
				got := make([]float32, a)
				if l == 2 {
					interleave2(got, rows[0], rows[1], asm)
				} else {
					interleave3(got, rows[0], rows[1], rows[2], asm)
				}
				if !slices.Equal(got, want) {
					t.Fatalf("L=%d a=%d asm=%v: got %v, want %v", l, a, asm, got, want)
				}
			}
		}
	}
}

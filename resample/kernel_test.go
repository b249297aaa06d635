package resample

import (
	"fmt"
	"math"
	"math/rand/v2"
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

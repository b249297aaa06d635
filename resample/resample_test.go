package resample

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

var testConversions = [][2]int{
	{8000, 16000}, {16000, 8000}, {8000, 48000}, {48000, 16000}, {8000, 8000},
	{44100, 48000}, {48000, 44100}, {8000, 44100}, {22050, 8000}, {8000, 24000},
	{16000, 48000}, {48000, 8000}, {11025, 16000}, {3, 7}, {7, 3},
}

func noise(n int, seed uint64) []int16 {
	rng := rand.New(rand.NewPCG(seed, 1))
	s := make([]int16, n)
	for i := range s {
		s[i] = int16(rng.IntN(65536) - 32768)
	}
	return s
}

func oneShot(t testing.TB, in, out int, q Quality, x []int16) []int16 {
	r, err := New(in, out, WithQuality(q))
	if err != nil {
		t.Fatal(err)
	}
	return r.Flush(r.Process(nil, x))
}

func chunked(r *Resampler, x []int16, sizes func() int) []int16 {
	var y []int16
	for len(x) > 0 {
		n := min(sizes(), len(x))
		y = r.Process(y, x[:n])
		x = x[n:]
	}
	return r.Flush(y)
}

func TestStreamingExact(t *testing.T) {
	x := noise(5000, 1)
	for _, q := range []Quality{Quick, Medium, High, VeryHigh} {
		for _, c := range testConversions {
			t.Run(fmt.Sprintf("%v/%d-%d", q, c[0], c[1]), func(t *testing.T) {
				if raceEnabled && q != High && q != Quick {
					t.Skip("race mode: Quick and High only")
				}
				want := oneShot(t, c[0], c[1], q, x)
				r, _ := New(c[0], c[1], WithQuality(q))
				rng := rand.New(rand.NewPCG(2, 3))
				for name, sizes := range map[string]func() int{
					"1":      func() int { return 1 },
					"160":    func() int { return 160 },
					"random": func() int { return rng.IntN(700) },
					"3000":   func() int { return 3000 },
				} {
					if got := chunked(r, x, sizes); !slices.Equal(got, want) {
						t.Errorf("chunks of %s: output differs from one call (len %d vs %d)", name, len(got), len(want))
					}
				}
			})
		}
	}
}

func TestFlushLength(t *testing.T) {
	for _, c := range append(testConversions, [2]int{1, 2}, [2]int{2, 1}, [2]int{1, 3}, [2]int{384000, 8000}) {
		r, err := New(c[0], c[1])
		if err != nil {
			t.Fatal(err)
		}
		for _, n := range []int{0, 1, 2, 3, 5, 79, 160, 161, 1001} {
			got := len(r.Flush(r.Process(nil, noise(n, uint64(n)))))
			want := int(math.Floor(float64(n)*float64(c[1])/float64(c[0]) + 0.5))
			if got != want {
				t.Errorf("%d->%d, %d samples in: %d out, want %d", c[0], c[1], n, got, want)
			}
		}
	}
}

func TestDCGain(t *testing.T) {
	for _, q := range []Quality{Quick, Medium, High, VeryHigh} {
		for _, c := range testConversions {
			r, _ := New(c[0], c[1], WithQuality(q))
			x := make([]int16, 4000)
			for i := range x {
				x[i] = 20000
			}
			y := r.Process(nil, x)
			for i, v := range y[len(y)/4:] {
				if v != 20000 {
					t.Fatalf("%v %d->%d: DC output[%d] = %d, want 20000", q, c[0], c[1], i+len(y)/4, v)
				}
			}
			// A new stream: the step from 20000 to 0.25 would otherwise
			// still ring through the longest filters a quarter in.
			r.Reset()
			xf := make([]float32, 4000)
			for i := range xf {
				xf[i] = 0.25
			}
			yf := r.ProcessFloat32(nil, xf)
			for _, v := range yf[len(yf)/4:] {
				if math.Abs(float64(v)-0.25) > 2e-6 {
					t.Fatalf("%v %d->%d: float DC output %g, want 0.25", q, c[0], c[1], v)
				}
			}
		}
	}
}

// TestAlignment checks that output sample n describes input time n/out:
// a slow sine comes out as the same sine sampled at the new rate.
func TestAlignment(t *testing.T) {
	for _, c := range testConversions {
		in, out := float64(c[0]), float64(c[1])
		f := 0.05 * min(in, out)
		x := make([]float32, int(in)/2+2000)
		for i := range x {
			x[i] = float32(0.5 * math.Sin(2*math.Pi*f*float64(i)/in))
		}
		r, _ := New(c[0], c[1])
		y := r.FlushFloat32(r.ProcessFloat32(nil, x))
		worst := 0.0
		for n := len(y) / 4; n < 3*len(y)/4; n++ {
			ideal := 0.5 * math.Sin(2*math.Pi*f*float64(n)/out)
			worst = max(worst, math.Abs(float64(y[n])-ideal))
		}
		if worst > 1e-4 {
			t.Errorf("%v: output deviates from the time-aligned sine by %g", c, worst)
		}
	}
}

func TestDelay(t *testing.T) {
	r, _ := New(8000, 16000)
	if d := r.Delay(); d > 48 {
		t.Errorf("High 8k->16k Delay() = %d output samples, want <= 48 (3 ms)", d)
	}
	for _, q := range []Quality{Quick, Medium, High, VeryHigh} {
		for _, c := range testConversions {
			r, _ := New(c[0], c[1], WithQuality(q))
			x := noise(20*c[0]/1000, 9) // 20 ms frames
			var got int64
			for k := 1; k <= 10; k++ {
				got += int64(len(r.Process(nil, x)))
				due := r.Total(int64(k * len(x)))
				held := due - got
				if held < 0 || held > int64(r.Delay())+1 {
					t.Fatalf("%v %v: after %d frames %d samples held back, Delay() = %d", q, c, k, held, r.Delay())
				}
			}
		}
	}
}

func TestNoAllocs(t *testing.T) {
	for _, c := range testConversions {
		r, _ := New(c[0], c[1])
		x := noise(160, 4)
		xf := make([]float32, 160)
		dst := make([]int16, 0, 4096)
		dstf := make([]float32, 0, 4096)
		dst = r.Process(dst[:0], x)
		allocs := testing.AllocsPerRun(50, func() {
			dst = r.Process(dst[:0], x)
			dstf = r.ProcessFloat32(dstf[:0], xf)
		})
		if allocs != 0 {
			t.Errorf("%v: %v allocations per Process", c, allocs)
		}
	}
}

func TestReset(t *testing.T) {
	x := noise(3000, 5)
	r, _ := New(8000, 44100)
	want := r.Flush(r.Process(nil, x)) // Flush resets
	r.Process(nil, noise(777, 6))
	r.Reset()
	if got := r.Flush(r.Process(nil, x)); !slices.Equal(got, want) {
		t.Error("output after Reset differs from a fresh stream")
	}
	if got := r.Flush(r.Process(nil, x)); !slices.Equal(got, want) {
		t.Error("output after Flush differs from a fresh stream")
	}
}

func TestSharedTables(t *testing.T) {
	var tabs Tables
	a, _ := New(8000, 16000, WithTables(&tabs))
	b, _ := New(16000, 32000, WithTables(&tabs)) // same reduced ratio
	if a.t != b.t || tabs.Len() != 1 {
		t.Errorf("tables not shared: %d cached", tabs.Len())
	}
	c, _ := New(8000, 16000, WithTables(&tabs), WithQuality(Quick))
	if c.t == a.t || tabs.Len() != 2 {
		t.Error("quality not part of the table key")
	}
	small := Tables{MaxEntries: 1}
	New(8000, 16000, WithTables(&small))
	d, err := New(8000, 48000, WithTables(&small))
	if err != nil || small.Len() != 1 || d == nil {
		t.Errorf("full cache: %v, %d entries", err, small.Len())
	}
}

func TestRates(t *testing.T) {
	rates := []int{1, 2, 3, 7, 100, 1000, 4000, 8000, 11025, 16000, 22050, 32000, 44100, 48000, 88200, 96000, 176400, 192000, 352800, 384000}
	for _, in := range rates {
		for _, out := range rates {
			r, err := New(in, out)
			if err != nil {
				if !errors.Is(err, ErrUnsupportedRatio) {
					t.Errorf("New(%d, %d): %v, want ErrUnsupportedRatio", in, out, err)
				}
				var re *RateError
				if !errors.As(err, &re) || re.InRate != in || re.OutRate != out {
					t.Errorf("New(%d, %d): error %v is not a *RateError with the rates", in, out, err)
				}
				continue
			}
			if (testing.Short() || raceEnabled) && in != 8000 && out != 8000 {
				continue
			}
			n := 50
			y := r.Flush(r.Process(nil, noise(n, 1)))
			if want := r.Total(int64(n)); int64(len(y)) != want {
				t.Errorf("%d->%d: %d samples, want %d", in, out, len(y), want)
			}
		}
	}
	for _, c := range [][2]int{{0, 8000}, {8000, 0}, {-1, 8000}, {8000, MaxRate + 1}, {math.MaxInt, 8000}} {
		if _, err := New(c[0], c[1]); !errors.Is(err, ErrInvalidRate) {
			t.Errorf("New(%d, %d) = %v, want ErrInvalidRate", c[0], c[1], err)
		}
	}
	for _, q := range []Quality{0, VeryHigh + 1, -3} {
		if _, err := New(8000, 16000, WithQuality(q)); !errors.Is(err, ErrInvalidQuality) {
			t.Errorf("quality %v: %v, want ErrInvalidQuality", q, err)
		}
	}
	// Common telephony/audio conversions must be supported at every quality.
	for _, q := range []Quality{Quick, Medium, High, VeryHigh} {
		for _, c := range testConversions {
			if _, err := New(c[0], c[1], WithQuality(q)); err != nil {
				t.Errorf("%v %v: %v", q, c, err)
			}
		}
	}
}

func TestPassthroughIsExact(t *testing.T) {
	// Integer upsampling with a Nyquist filter keeps every input sample
	// bit for bit (even factors from 4 up run the cascade, whose first
	// stage is not a Nyquist filter).
	for _, l := range []int{2, 3, 5} {
		x := noise(1000, 7)
		y := oneShot(t, 8000, 8000*l, High, x)
		for i, v := range x {
			if y[i*l] != v {
				t.Fatalf("x%d: output[%d] = %d, want input[%d] = %d", l, i*l, y[i*l], i, v)
			}
		}
	}
}

func TestSaturationAndNaN(t *testing.T) {
	r, _ := New(8000, 16000)
	x := make([]int16, 400)
	for i := range x {
		if i%2 == 0 {
			x[i] = math.MaxInt16
		} else {
			x[i] = math.MinInt16
		}
	}
	y := r.Flush(r.Process(nil, x)) // must clip, not wrap
	if len(y) != 800 {
		t.Fatalf("len %d", len(y))
	}
	xf := []float32{float32(math.NaN()), float32(math.Inf(1)), 0.5}
	yf := r.FlushFloat32(r.ProcessFloat32(nil, xf))
	if len(yf) != 6 {
		t.Fatalf("len %d", len(yf))
	}
	r.Reset()
	r.Process(nil, []int16{1, 2, 3})
}

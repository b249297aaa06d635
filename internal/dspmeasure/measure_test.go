package dspmeasure

import (
	"math"
	"math/cmplx"
	"testing"
)

func tone(n int, f, amp, dc float64) []float64 {
	y := make([]float64, n)
	for i := range y {
		y[i] = amp*math.Sin(2*math.Pi*f*float64(i)+0.3) + dc
	}
	return y
}

func TestSineFitRecoversToneAndNoise(t *testing.T) {
	const f, amp = 0.0371, 1234.5
	y := tone(4096, f, amp, 17)
	got, resid := SineFit(y, 2*math.Pi*f)
	if math.Abs(got-amp) > 1e-6 {
		t.Fatalf("amplitude = %v, want %v", got, amp)
	}
	if p := Power(resid); p > 1e-12 {
		t.Fatalf("residual power of a pure tone = %g, want ~0", p)
	}

	// A second tone is not part of the fit: it stays in the residual.
	const amp2 = 10.0
	other := tone(4096, 0.21, amp2, 0)
	for i := range y {
		y[i] += other[i]
	}
	_, resid = SineFit(y, 2*math.Pi*f)
	if p, want := Power(resid), amp2*amp2/2; math.Abs(p-want)/want > 0.01 {
		t.Fatalf("residual power = %v, want about %v", p, want)
	}
}

func TestPowerAndDB(t *testing.T) {
	if p := Power([]float64{3, -3, 3, -3}); p != 9 {
		t.Fatalf("Power = %v, want 9", p)
	}
	if d := DB(100); math.Abs(d-20) > 1e-12 {
		t.Fatalf("DB(100) = %v, want 20", d)
	}
	if d := DB(0.5); math.Abs(d+3.0103) > 1e-4 {
		t.Fatalf("DB(0.5) = %v, want -3.0103", d)
	}
}

func TestBandPowerFindsTone(t *testing.T) {
	const f, amp = 0.125, 1000.0
	y := tone(5000, f, amp, 0) // uses the 4096-sample prefix
	in := BandPower(y, f-0.01, f+0.01)
	if want := amp * amp / 2; math.Abs(in-want)/want > 0.01 {
		t.Fatalf("power in band = %v, want about %v", in, want)
	}
	if out := BandPower(y, 0.3, 0.5); out > in*1e-9 {
		t.Fatalf("power outside the tone's band = %g, want < %g", out, in*1e-9)
	}
}

func TestFFTMatchesDFT(t *testing.T) {
	const n = 64
	x := make([]complex128, n)
	for i := range x {
		x[i] = complex(math.Sin(float64(i)*0.7)+float64(i%5), math.Cos(float64(i)*1.3))
	}
	want := make([]complex128, n)
	for k := range want {
		for i, v := range x {
			want[k] += v * cmplx.Exp(complex(0, -2*math.Pi*float64(k*i)/n))
		}
	}
	fft(x)
	for k := range x {
		if cmplx.Abs(x[k]-want[k]) > 1e-9 {
			t.Fatalf("bin %d = %v, want %v", k, x[k], want[k])
		}
	}
}

func TestInt16sToFloat(t *testing.T) {
	got := Int16sToFloat([]int16{-32768, 0, 32767})
	want := []float64{-32768, 0, 32767}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("Int16sToFloat = %v, want %v", got, want)
		}
	}
}

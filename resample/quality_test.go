package resample

import (
	"fmt"
	"math"
	"testing"

	"github.com/callguard/callguard/internal/dspmeasure"
)

type figures struct {
	ripple    float64 // max |gain| deviation in dB, tones up to 0.85 lower Nyquist
	sinad     float64 // worst SINAD over the passband tones, dB
	reject    float64 // worst image (up) or alias (down) rejection, dB
	rejectF32 float64 // same with float32 I/O
}

// measure runs pure tones at -6 dBFS through a fresh resampler (whole
// stream, then Flush) and returns the worst figures over the tones.
func measure(t *testing.T, in, out int, q Quality) figures {
	t.Helper()
	nIn := max(in/2, 8000)
	fN := float64(min(in, out)) / 2
	fig := figures{sinad: math.Inf(1), reject: math.Inf(1), rejectF32: math.Inf(1)}
	r, err := New(in, out, WithQuality(q))
	if err != nil {
		t.Fatal(err)
	}
	trim := 2*r.Delay() + 64
	const amp = 16384
	sp, _ := specFor(q)
	top := min(0.85, sp.pass)
	for _, frac := range []float64{0.05, 0.15, 0.25, 0.35, 0.45, 0.55, 0.65, 0.75, 0.85} {
		f := frac * fN * 0.99731
		if frac >= top {
			f = top * fN * 0.99973 // not a short-period rational tone
		}
		if frac > top {
			break
		}
		y := r.Flush(r.Process(nil, toneInt16(nIn, f/float64(in), amp)))
		y = y[trim : len(y)-trim]
		a, res := dspmeasure.SineFit(dspmeasure.Int16sToFloat(y), 2*math.Pi*f/float64(out))
		fig.ripple = max(fig.ripple, math.Abs(20*math.Log10(a/amp)))
		fig.sinad = min(fig.sinad, dspmeasure.DB(a*a/2/dspmeasure.Power(res)))
		if out > in {
			// Images of the measured passband (tones up to top*fN) land
			// at or above (2-top)*fN.
			lo := (2 - top) * fN / float64(out)
			fig.reject = min(fig.reject, dspmeasure.DB(a*a/2/dspmeasure.BandPower(res, lo, 0.5)))
			yf := r.FlushFloat32(r.ProcessFloat32(nil, toneFloat32(nIn, f/float64(in), 0.5)))
			yf = yf[trim : len(yf)-trim]
			af, resf := dspmeasure.SineFit(float32sToFloat(yf), 2*math.Pi*f/float64(out))
			fig.rejectF32 = min(fig.rejectF32, dspmeasure.DB(af*af/2/dspmeasure.BandPower(resf, lo, 0.5)))
		}
	}
	if in > out {
		// Alias rejection: tones above the output Nyquist that would fold
		// into the passband.
		for f := (2 - top) * fN; f < 0.95*float64(in)/2; f += 0.1 * fN {
			y := r.Flush(r.Process(nil, toneInt16(nIn, f/float64(in), amp)))
			y = y[trim : len(y)-trim]
			fig.reject = min(fig.reject, dspmeasure.DB(amp*amp/2/dspmeasure.Power(dspmeasure.Int16sToFloat(y))))
			yf := r.FlushFloat32(r.ProcessFloat32(nil, toneFloat32(nIn, f/float64(in), 0.5)))
			yf = yf[trim : len(yf)-trim]
			fig.rejectF32 = min(fig.rejectF32, dspmeasure.DB(0.5*0.5/2/dspmeasure.Power(float32sToFloat(yf))))
		}
	}
	return fig
}

// qualityWant holds the thresholds of one conversion at one quality. The
// int16 figures are capped by rounding (input and output): SINAD near
// 90-92 dB at -6 dBFS, so they are checked against that cap, while the
// float32 rejection shows the filter's own stopband.
type qualityWant struct {
	in, out                          int
	ripple, sinad, reject, rejectF32 float64
}

func TestQuality(t *testing.T) {
	wants := map[Quality][]qualityWant{
		Quick: {
			{8000, 16000, 0.005, 66, 66, 66}, {8000, 48000, 0.005, 66, 66, 66},
			{16000, 8000, 0.005, 85, 65, 65}, {48000, 16000, 0.005, 85, 65, 65},
			{44100, 48000, 0.005, 66, 66, 66}, {48000, 44100, 0.005, 66, 66, 66},
		},
		Medium: {
			{8000, 16000, 0.0005, 86, 86, 86}, {8000, 48000, 0.0005, 86, 86, 86},
			{16000, 8000, 0.0005, 89, 86, 86}, {48000, 16000, 0.0005, 89, 86, 86},
			{44100, 48000, 0.0005, 86, 86, 86}, {48000, 44100, 0.0005, 86, 86, 86},
		},
		// soxr HQ measures 90.3/97.8, 89.5/93.6, 91.9/98.9, 91.9/105.9.
		// 2x up uses the low-delay interpolator (146 dB), even factors
		// from 4 the 2x + L/2 cascade (two 140 dB stages, stopband from
		// 1.06 of the input Nyquist frequency), other up-sampling a
		// 130 dB Kaiser design, down-sampling a 140 dB one with its
		// stopband from the output Nyquist frequency (see also
		// TestAliasRejection), 44.1k <-> 48k 120 dB. VeryHigh computes in
		// float64 (200 dB designs): its float32 figures are the float32
		// output's own rounding, as soxr VHQ's (152-160 dB).
		High: {
			{8000, 16000, 0.0005, 90.2, 97.8, 135}, {8000, 48000, 0.0005, 89.45, 93.6, 135},
			{16000, 8000, 0.0005, 91.7, 99, 135}, {48000, 16000, 0.0005, 91.7, 106, 135},
			{44100, 48000, 0.0005, 88.8, 97, 105}, {48000, 44100, 0.0005, 88.8, 97, 105},
		},
		VeryHigh: {
			{8000, 16000, 0.0001, 90.2, 98.5, 155}, {8000, 48000, 0.0001, 89.45, 93.6, 152},
			{16000, 8000, 0.0001, 91.7, 99, 152}, {48000, 16000, 0.0001, 91.7, 106, 152},
			{44100, 48000, 0.0001, 88.8, 97, 125}, {48000, 44100, 0.0001, 88.8, 97, 125},
		},
	}
	for _, q := range []Quality{Quick, Medium, High, VeryHigh} {
		for _, w := range wants[q] {
			name := fmt.Sprintf("%v/%d-%d", q, w.in, w.out)
			t.Run(name, func(t *testing.T) {
				if (testing.Short() || raceEnabled) && q != High {
					t.Skip("short or race mode: High only")
				}
				fig := measure(t, w.in, w.out, q)
				t.Logf("ripple %.6f dB, SINAD %.2f dB, rejection %.2f dB (float32 %.1f dB)", fig.ripple, fig.sinad, fig.reject, fig.rejectF32)
				if fig.ripple > w.ripple {
					t.Errorf("ripple %.6f dB > %.6f dB", fig.ripple, w.ripple)
				}
				if fig.sinad < w.sinad {
					t.Errorf("SINAD %.2f dB < %.2f dB", fig.sinad, w.sinad)
				}
				if fig.reject < w.reject {
					t.Errorf("int16 rejection %.2f dB < %.2f dB", fig.reject, w.reject)
				}
				if fig.rejectF32 < w.rejectF32 {
					t.Errorf("float32 rejection %.2f dB < %.2f dB", fig.rejectF32, w.rejectF32)
				}
			})
		}
	}
}

package resample

import (
	"fmt"
	"math"
	"testing"
)

// prototype reassembles the prototype filter from a table's phases.
func prototype(t *table) []float64 {
	h := make([]float64, t.taps+t.l)
	for p, ph := range t.phases {
		for j, v := range t.coef[ph.off : ph.off+ph.n] {
			h[(ph.back-j)*t.l+p] = float64(v)
		}
	}
	return h
}

func gainAt(h []float64, f float64) float64 {
	var re, im float64
	for i, v := range h {
		s, c := math.Sincos(2 * math.Pi * f * float64(i))
		re += v * c
		im += v * s
	}
	return math.Hypot(re, im)
}

// TestDesign checks each table's prototype directly: stopband attenuation
// from the stopband edge to the prototype Nyquist frequency and passband
// ripple up to the passband edge, against the documented numbers.
func TestDesign(t *testing.T) {
	minStop := map[Quality]float64{Quick: 66, Medium: 86, High: 114, VeryHigh: 134}
	maxRipple := map[Quality]float64{Quick: 0.005, Medium: 0.0005, High: 0.0001, VeryHigh: 0.00001}
	for _, q := range []Quality{Quick, Medium, High, VeryHigh} {
		for _, lm := range [][2]int{{2, 1}, {1, 2}, {3, 1}, {6, 1}, {1, 3}, {1, 6}, {7, 5}} {
			t.Run(fmt.Sprintf("%v/%d:%d", q, lm[0], lm[1]), func(t *testing.T) {
				tb, err := design(lm[0], lm[1], q)
				if err != nil {
					t.Fatal(err)
				}
				h := prototype(tb)
				r := float64(max(lm[0], lm[1]))
				nyq := 0.5 / r
				g := float64(lm[0])
				sp := tb.spec
				worstStop, worstRipple := 0.0, 0.0
				const grid = 300
				stop := sp.stop
				if lm[1] > lm[0] {
					stop = 1 // down-sampling: stopband from the output Nyquist
				}
				for i := 0; i <= grid; i++ {
					f := nyq*stop + (0.5-nyq*stop)*float64(i)/grid
					worstStop = max(worstStop, gainAt(h, f)/g)
					fp := nyq * sp.pass * float64(i) / grid
					worstRipple = max(worstRipple, math.Abs(20*math.Log10(gainAt(h, fp)/g)))
				}
				att := -20 * math.Log10(worstStop)
				want := minStop[q]
				switch {
				case q == High && lm == [2]int{2, 1}:
					want = 138 // low-delay interpolator
				case q == High && lm[1] > lm[0]:
					want = 136 // 140 dB Kaiser design from the output Nyquist
				}
				t.Logf("%d taps, delay %d, stopband %.1f dB, ripple %.6f dB", tb.taps, tb.delay, att, worstRipple)
				if att < want {
					t.Errorf("stopband %.1f dB < %.1f dB", att, want)
				}
				if worstRipple > maxRipple[q] {
					t.Errorf("ripple %.6f dB > %.6f dB", worstRipple, maxRipple[q])
				}
			})
		}
	}
}

func TestMinimaxHalfband(t *testing.T) {
	if _, peak := minimaxHalfband(119, 0.2875); -20*math.Log10(peak) < 139 {
		t.Errorf("119-tap minimax half-band: %.2f dB, want >= 139 dB", -20*math.Log10(peak))
	}
	h, peak := minimaxHalfband(95, 0.2875)
	if att := -20 * math.Log10(peak); att < 115 {
		t.Errorf("95-tap minimax half-band: %.2f dB, want >= 115 dB", att)
	}
	dc := 0.0
	for _, v := range h {
		dc += v
	}
	if math.Abs(dc-1) > 1e-12 {
		t.Errorf("DC gain %v, want 1", dc)
	}
	for k := 2; k < 48; k += 2 {
		if h[47+k] != 0 || h[47-k] != 0 {
			t.Fatalf("even tap %d not zero", k)
		}
	}
}

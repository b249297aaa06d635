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

// prototype64 is prototype from the float64 coefficients of a precise
// table.
func prototype64(t *table) []float64 {
	h := make([]float64, t.taps+t.l)
	for p, ph := range t.phases {
		for j, v := range t.coef64[ph.off : ph.off+ph.n] {
			h[(ph.back-j)*t.l+p] = v
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
	minStop := map[Quality]float64{Quick: 66, Medium: 86, High: 114, VeryHigh: 165}
	maxRipple := map[Quality]float64{Quick: 0.005, Medium: 0.0005, High: 0.0001, VeryHigh: 0.00001}
	for _, q := range []Quality{Quick, Medium, High, VeryHigh} {
		for _, lm := range [][2]int{{2, 1}, {1, 2}, {3, 1}, {6, 1}, {1, 3}, {1, 6}, {7, 5}} {
			t.Run(fmt.Sprintf("%v/%d:%d", q, lm[0], lm[1]), func(t *testing.T) {
				tb, err := design(lm[0], lm[1], q)
				if err != nil {
					t.Fatal(err)
				}
				h := prototype(tb)
				if tb.precise {
					h = prototype64(tb)
				}
				gain := func(f float64) float64 { return gainAt(h, f) }
				if tb.mode == modeCascade {
					// The cascade's response at L*inRate: the first
					// stage runs at 2*inRate, the second at L*inRate.
					h1, h2 := prototype(tb.stages[0]), prototype(tb.stages[1])
					half := float64(lm[0]) / 2
					gain = func(f float64) float64 { return gainAt(h1, f*half) * gainAt(h2, f) }
				}
				r := float64(max(lm[0], lm[1]))
				nyq := 0.5 / r
				g := float64(lm[0])
				sp := tb.spec
				worstStop, worstRipple := 0.0, 0.0
				const grid = 300
				pass, stop := sp.pass, sp.stop
				if lm[1] > lm[0] {
					stop = 1 // down-sampling: stopband from the output Nyquist
				}
				if lm[1] == 1 && sp.precise && sp.sharpUp > 0 {
					pass, stop = sp.upPass(), sp.sharpUp // integer up-sampling
				}
				for i := 0; i <= grid; i++ {
					f := nyq*stop + (0.5-nyq*stop)*float64(i)/grid
					worstStop = max(worstStop, gain(f)/g)
					fp := nyq * pass * float64(i) / grid
					worstRipple = max(worstRipple, math.Abs(20*math.Log10(gain(fp)/g)))
				}
				att := -20 * math.Log10(worstStop)
				want := minStop[q]
				switch {
				case q == High && lm == [2]int{2, 1}:
					want = 138 // low-delay interpolator
				case q == High && lm[1] > lm[0]:
					want = 136 // 140 dB Kaiser design from the output Nyquist
				case q == High && tb.mode == modeCascade:
					want = 136 // two 140 dB Kaiser stages
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

// TestCascade checks the 2x + L/2 cascade of even up-sampling factors at
// High: its first stage stops at sharpUp of the input Nyquist frequency
// (which is what keeps the input's own noise out), both its phases are
// symmetric (pair form), and the delay adds up.
func TestCascade(t *testing.T) {
	for _, l := range []int{4, 6, 8, 16} {
		tb, err := design(l, 1, High)
		if err != nil {
			t.Fatal(err)
		}
		if tb.mode != modeCascade || len(tb.stages) != 2 {
			t.Fatalf("x%d: not a cascade", l)
		}
		s1, s2 := tb.stages[0], tb.stages[1]
		if s1.upPairs == nil || s1.l != 2 || s2.l != l/2 {
			t.Fatalf("x%d: stages %d (pairs %v) and %d", l, s1.l, s1.upPairs != nil, s2.l)
		}
		h1 := prototype(s1)
		worst := 0.0
		for i := 0; i <= 200; i++ {
			f := 0.25*s1.spec.sharpUp + (0.5-0.25*s1.spec.sharpUp)*float64(i)/200
			worst = max(worst, gainAt(h1, f)/2)
		}
		if att := -20 * math.Log10(worst); att < 136 {
			t.Errorf("x%d: first stage stopband from %.2f: %.1f dB < 136 dB", l, s1.spec.sharpUp, att)
		}
		if want := s1.delay*(l/2) + s2.delay; tb.delay != want {
			t.Errorf("x%d: delay %d, want %d", l, tb.delay, want)
		}
		r, _ := New(8000, 8000*l)
		if r.Delay() != tb.delay {
			t.Errorf("x%d: Delay() %d, want %d", l, r.Delay(), tb.delay)
		}
	}
	// Odd factors and Quick/Medium stay single-stage.
	for _, k := range []struct {
		l int
		q Quality
	}{{3, High}, {6, Medium}, {6, Quick}, {2, High}} {
		if tb, _ := design(k.l, 1, k.q); tb.mode == modeCascade {
			t.Errorf("x%d %v: unexpected cascade", k.l, k.q)
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

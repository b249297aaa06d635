package resample

import (
	"flag"
	"fmt"
	"math"
	"strings"
	"testing"
)

var regenLowDelay = flag.Bool("regen-lowdelay", false, "print the low-delay interpolator coefficients (lowdelay.go)")

// designLowDelay is the design behind lowDelayOdd: the k taps g of the
// interpolating branch of a 2x interpolator whose other branch copies the
// input, approximating a delay of tau input samples, minimax complex error
// over [0, fp] cycles per sample (Lawson's iteratively reweighted least
// squares), with a weighted bound (weight wt) on |G| over [tz, 1/2] so the
// transition band passes no more input noise than a half-band would, and
// DC gain 1.
func designLowDelay(k int, tau, fp, tz, wt float64, iters int) []float64 {
	np, nt := 16*k, 4*k
	n := np + nt
	om := make([]float64, n)
	tg := make([]float64, n)
	wgt := make([]float64, n)
	for i := range np {
		om[i], tg[i], wgt[i] = 2*math.Pi*fp*float64(i)/float64(np-1), 1, 1
	}
	for i := range nt {
		f := fp + (0.5-fp)*float64(i+1)/float64(nt)
		om[np+i] = 2 * math.Pi * f
		if f >= tz {
			wgt[np+i] = wt
		}
	}
	basis := make([][]float64, 2*n) // rows: real and imaginary parts
	for i := range n {
		basis[2*i], basis[2*i+1] = make([]float64, k), make([]float64, k)
		for j := range k {
			s, c := math.Sincos(om[i] * (float64(j) - tau))
			basis[2*i][j], basis[2*i+1][j] = c, -s
		}
	}
	w := make([]float64, n)
	for i := range w {
		w[i] = 1
	}
	e := make([]float64, n)
	var best []float64
	bestErr := math.Inf(1)
	for range iters {
		a := make([][]float64, 2*n+1)
		b := make([]float64, 2*n+1)
		for i := range n {
			s := math.Sqrt(w[i]) * wgt[i]
			a[2*i], a[2*i+1] = make([]float64, k), make([]float64, k)
			for j := range k {
				a[2*i][j] = s * basis[2*i][j]
				a[2*i+1][j] = s * basis[2*i+1][j]
			}
			b[2*i] = s * tg[i]
		}
		a[2*n] = make([]float64, k) // DC gain 1, heavily weighted
		for j := range k {
			a[2*n][j] = 1e3
		}
		b[2*n] = 1e3
		g := lstsq(a, b)
		peak, sum := 0.0, 0.0
		for i := range n {
			var re, im float64
			for j, v := range g {
				re += v * basis[2*i][j]
				im += v * basis[2*i+1][j]
			}
			e[i] = wgt[i] * math.Hypot(re-tg[i], im)
			peak = max(peak, e[i])
		}
		if peak < bestErr {
			bestErr, best = peak, g
		}
		for i := range n {
			w[i] *= e[i] + 1e-300
			sum += w[i]
		}
		for i := range n {
			w[i] /= sum
		}
	}
	return best
}

// lowDelayFigures returns the interpolating branch's worst complex error
// over [0, fp] (dB) and the mean of (1+|G|^2)/2 over (fp, 1/2], the share
// of input noise a transition-band frequency leaves in the output.
func lowDelayFigures(g []float64, tau, fp float64) (errDB, noise float64) {
	pe, tn, cnt := 0.0, 0.0, 0
	for i := 0; i <= 4000; i++ {
		f := 0.5 * float64(i) / 4000
		var re, im float64
		for j, v := range g {
			s, c := math.Sincos(2 * math.Pi * f * (float64(j) - tau))
			re += v * c
			im -= v * s
		}
		if f <= fp {
			pe = max(pe, math.Hypot(re-1, im))
		} else {
			tn += (1 + re*re + im*im) / 2
			cnt++
		}
	}
	return 20 * math.Log10(pe), tn / float64(cnt)
}

// TestLowDelayInterpolator checks the shipped coefficients: passband error
// (image rejection = error + 6 dB), transition noise no worse than the
// 95-tap linear-phase half-band's, DC gain 1, and the 3 ms budget.
func TestLowDelayInterpolator(t *testing.T) {
	g := lowDelayOdd()
	if len(g) != lowDelayTaps {
		t.Fatalf("%d taps, want %d", len(g), lowDelayTaps)
	}
	tau := float64(lowDelayFuture) - 0.5
	errDB, noise := lowDelayFigures(g, tau, 0.425)
	// The linear-phase 95-tap half-band's interpolating branch, for comparison.
	hb, _ := minimaxHalfband(95, 0.2875)
	var sym []float64
	for i := 0; i < len(hb); i += 2 {
		sym = append(sym, 2*hb[i])
	}
	symErr, symNoise := lowDelayFigures(sym, 23.5, 0.425)
	t.Logf("low-delay %d taps: error %.1f dB (image rejection %.1f dB), transition noise %.4f; linear-phase 48 taps: %.1f dB, %.4f",
		len(g), errDB, 6.02-errDB, noise, symErr, symNoise)
	if errDB > -139 {
		t.Errorf("passband error %.1f dB, want <= -139 dB", errDB)
	}
	if noise > symNoise {
		t.Errorf("transition noise %.4f above the half-band's %.4f", noise, symNoise)
	}
	dc := 0.0
	for _, v := range g {
		dc += v
	}
	if math.Abs(dc-1) > 1e-9 {
		t.Errorf("DC gain %v", dc)
	}
	if *regenLowDelay {
		if testing.Short() {
			t.Skip("-short")
		}
		g := designLowDelay(lowDelayTaps, tau, 0.425, 0.48, 5e-7, 80)
		e, n := lowDelayFigures(g, tau, 0.425)
		var sb strings.Builder
		for i, v := range g {
			fmt.Fprintf(&sb, "%.17g,", v)
			if i%4 == 3 {
				sb.WriteString("\n")
			} else {
				sb.WriteString(" ")
			}
		}
		t.Logf("regenerated: error %.2f dB, noise %.5f\n%s", e, n, sb.String())
	}
}

package resample

import "math"

// Design tools used by the tests only: lstsq for the low-delay
// interpolator's design (lowdelay_test.go), and minimaxHalfband, the best
// linear-phase 2x filter within a length, which the low-delay interpolator
// is compared against.

// minimaxHalfband designs an n-tap half-band prototype (n = 4J-1, centre
// tap 1/2, even offsets zero) whose stopband [stop, 1/2] (cycles per
// sample) has minimal peak gain, by Lawson's iteratively reweighted least
// squares started from uniform weights. Half-band symmetry, H(f) +
// H(1/2-f) = 1, gives the passband [0, 1/2-stop] the same ripple. The DC
// gain is constrained to exactly 1 (the last coefficient is eliminated), so
// both polyphase branches have unit DC gain and need no renormalisation,
// which would otherwise cost up to 6 dB of stopband. It returns the taps
// and the peak stopband gain.
func minimaxHalfband(n int, stop float64) ([]float64, float64) {
	j := (n + 1) / 4
	grid := 20 * j
	w := make([]float64, grid)
	om := make([]float64, grid)
	for i := range grid {
		om[i] = 2 * math.Pi * (stop + (0.5-stop)*float64(i)/float64(grid-1))
		w[i] = 1
	}
	basis := make([][]float64, grid) // basis[i][k] = 2cos((2k+1)om_i)
	for i := range grid {
		basis[i] = make([]float64, j)
		for k := range j {
			basis[i][k] = 2 * math.Cos(float64(2*k+1)*om[i])
		}
	}
	// Unknowns g[0..j-2]; g[j-1] = 1/4 - sum(g[:j-1]) makes H(0) = 1.
	a := make([][]float64, grid)
	for i := range a {
		a[i] = make([]float64, j-1)
	}
	b := make([]float64, grid)
	var best []float64
	bestErr := math.Inf(1)
	e := make([]float64, grid)
	for range 50 {
		for i := range grid {
			s := math.Sqrt(w[i])
			last := basis[i][j-1]
			for k := range j - 1 {
				a[i][k] = s * (basis[i][k] - last)
			}
			b[i] = -s * (0.5 + last/4)
		}
		g := lstsq(a, b)
		rest := 0.25
		for _, v := range g {
			rest -= v
		}
		g = append(g, rest)
		peak, sum := 0.0, 0.0
		for i := range grid {
			v := 0.5
			for k := range j {
				v += g[k] * basis[i][k]
			}
			e[i] = math.Abs(v)
			peak = max(peak, e[i])
		}
		if peak < bestErr {
			bestErr, best = peak, g
		}
		for i := range grid {
			w[i] *= e[i]
			sum += w[i]
		}
		for i := range grid {
			w[i] /= sum
		}
	}
	d := (n - 1) / 2
	h := make([]float64, n)
	h[d] = 0.5
	for k, v := range best {
		h[d-(2*k+1)] = v
		h[d+(2*k+1)] = v
	}
	return h, bestErr
}

// lstsq solves min |a x - b| by Householder QR; a is overwritten.
func lstsq(a [][]float64, b []float64) []float64 {
	m, n := len(a), len(a[0])
	b = append([]float64(nil), b...)
	for k := range n {
		norm := 0.0
		for i := k; i < m; i++ {
			norm += a[i][k] * a[i][k]
		}
		norm = math.Sqrt(norm)
		if norm == 0 {
			continue
		}
		alpha := -norm
		if a[k][k] < 0 {
			alpha = norm
		}
		// v = a[k:,k] - alpha e1, stored in place.
		a[k][k] -= alpha
		vnorm2 := 0.0
		for i := k; i < m; i++ {
			vnorm2 += a[i][k] * a[i][k]
		}
		if vnorm2 == 0 {
			a[k][k] = alpha
			continue
		}
		for c := k + 1; c < n; c++ {
			dot := 0.0
			for i := k; i < m; i++ {
				dot += a[i][k] * a[i][c]
			}
			f := 2 * dot / vnorm2
			for i := k; i < m; i++ {
				a[i][c] -= f * a[i][k]
			}
		}
		dot := 0.0
		for i := k; i < m; i++ {
			dot += a[i][k] * b[i]
		}
		f := 2 * dot / vnorm2
		for i := k; i < m; i++ {
			b[i] -= f * a[i][k]
		}
		a[k][k] = alpha
	}
	x := make([]float64, n)
	for k := n - 1; k >= 0; k-- {
		s := b[k]
		for c := k + 1; c < n; c++ {
			s -= a[k][c] * x[c]
		}
		if a[k][k] != 0 {
			x[k] = s / a[k][k]
		}
	}
	return x
}

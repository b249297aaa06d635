package dspmeasure

import (
	"math"
	"math/cmplx"
)

// SineFit fits a*cos(wn)+b*sin(wn)+c to y by least squares (w in radians
// per sample) and returns the fitted amplitude and the residual.
func SineFit(y []float64, w float64) (amp float64, resid []float64) {
	var m [3][3]float64
	var v [3]float64
	for i, yy := range y {
		b := [3]float64{math.Cos(w * float64(i)), math.Sin(w * float64(i)), 1}
		for r := range 3 {
			for c := range 3 {
				m[r][c] += b[r] * b[c]
			}
			v[r] += b[r] * yy
		}
	}
	x := solve3(m, v)
	resid = make([]float64, len(y))
	for i, yy := range y {
		resid[i] = yy - (x[0]*math.Cos(w*float64(i)) + x[1]*math.Sin(w*float64(i)) + x[2])
	}
	return math.Hypot(x[0], x[1]), resid
}

// solve3 solves the 3x3 system m*x = v by Gaussian elimination with
// partial pivoting.
func solve3(m [3][3]float64, v [3]float64) [3]float64 {
	for c := range 3 {
		p := c
		for r := c + 1; r < 3; r++ {
			if math.Abs(m[r][c]) > math.Abs(m[p][c]) {
				p = r
			}
		}
		m[c], m[p] = m[p], m[c]
		v[c], v[p] = v[p], v[c]
		for r := c + 1; r < 3; r++ {
			f := m[r][c] / m[c][c]
			for k := c; k < 3; k++ {
				m[r][k] -= f * m[c][k]
			}
			v[r] -= f * v[c]
		}
	}
	var x [3]float64
	for r := 2; r >= 0; r-- {
		s := v[r]
		for k := r + 1; k < 3; k++ {
			s -= m[r][k] * x[k]
		}
		x[r] = s / m[r][r]
	}
	return x
}

// Power returns the mean square of y.
func Power(y []float64) float64 {
	s := 0.0
	for _, v := range y {
		s += v * v
	}
	return s / float64(len(y))
}

// BandPower returns the mean power of y in the band [lo, hi] (cycles per
// sample) using a Hann-windowed FFT of a power-of-two prefix.
func BandPower(y []float64, lo, hi float64) float64 {
	n := 1
	for n*2 <= len(y) {
		n *= 2
	}
	x := make([]complex128, n)
	wsum := 0.0
	for i := range n {
		w := 0.5 - 0.5*math.Cos(2*math.Pi*float64(i)/float64(n))
		x[i] = complex(y[i]*w, 0)
		wsum += w * w
	}
	fft(x)
	tot := 0.0
	for k := 0; k <= n/2; k++ {
		f := float64(k) / float64(n)
		if f < lo || f > hi {
			continue
		}
		a := cmplx.Abs(x[k])
		e := a * a
		if k != 0 && k != n/2 {
			e *= 2
		}
		tot += e
	}
	return tot / (wsum * float64(n))
}

// fft transforms x in place (radix-2, len(x) a power of two).
func fft(x []complex128) {
	n := len(x)
	for i, j := 1, 0; i < n; i++ {
		bit := n >> 1
		for ; j&bit != 0; bit >>= 1 {
			j ^= bit
		}
		j ^= bit
		if i < j {
			x[i], x[j] = x[j], x[i]
		}
	}
	for size := 2; size <= n; size <<= 1 {
		w := cmplx.Exp(complex(0, -2*math.Pi/float64(size)))
		for start := 0; start < n; start += size {
			wk := complex(1, 0)
			for k := range size / 2 {
				a, b := x[start+k], x[start+k+size/2]*wk
				x[start+k], x[start+k+size/2] = a+b, a-b
				wk *= w
			}
		}
	}
}

// DB returns the power ratio x in decibels.
func DB(x float64) float64 { return 10 * math.Log10(x) }

// Int16sToFloat converts samples to float64 without scaling.
func Int16sToFloat(s []int16) []float64 {
	y := make([]float64, len(s))
	for i, v := range s {
		y[i] = float64(v)
	}
	return y
}

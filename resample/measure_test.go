package resample

import "math"

// Test signals for the quality tests; the measurements themselves
// (sine fit, power, band power, dB) are in internal/dspmeasure, shared with
// bench/resample.

// toneInt16 returns n samples of amp*sin(2*pi*f*i) rounded to int16 (f in
// cycles per sample).
func toneInt16(n int, f, amp float64) []int16 {
	s := make([]int16, n)
	for i := range s {
		s[i] = int16(math.Round(amp * math.Sin(2*math.Pi*f*float64(i))))
	}
	return s
}

func toneFloat32(n int, f, amp float64) []float32 {
	s := make([]float32, n)
	for i := range s {
		s[i] = float32(amp * math.Sin(2*math.Pi*f*float64(i)))
	}
	return s
}

func float32sToFloat(s []float32) []float64 {
	y := make([]float64, len(s))
	for i, v := range s {
		y[i] = float64(v)
	}
	return y
}

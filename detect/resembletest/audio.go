package resembletest

import (
	"math"
)

// MarkerFrequency is the marker tone, in Hz: audio in which a sinusoid at
// this frequency carries at least MarkerRatio of the energy of a chunk is
// judged fake by the default verdict (Analyze).
const MarkerFrequency = 1000.0

// MarkerRatio is the share of a chunk's energy the marker tone must carry for
// the chunk to be scored fake.
const MarkerRatio = 0.5

// Tone returns n samples of a sinusoid at freq Hz and the given peak
// amplitude, sampled at sampleRate.
func Tone(n, sampleRate int, freq float64, amplitude int16) []int16 {
	out := make([]int16, max(n, 0))
	if sampleRate <= 0 {
		return out
	}
	w := 2 * math.Pi * freq / float64(sampleRate)
	for i := range out {
		out[i] = int16(float64(amplitude) * math.Sin(w*float64(i)))
	}
	return out
}

// MarkerTone returns n samples of the marker tone (MarkerFrequency, about
// -12 dBFS) at sampleRate: audio the fake judges "fake". It passes the
// energy VAD of package detect.
func MarkerTone(n, sampleRate int) []int16 {
	return Tone(n, sampleRate, MarkerFrequency, 8000)
}

// Voice returns n samples of a deterministic voice-like signal (a 120 Hz
// glottal-like harmonic series under a 4 Hz syllable envelope, plus a little
// noise) at sampleRate: loud enough for the energy VAD, with no marker tone,
// so the fake judges it "real". seed varies the noise.
func Voice(n, sampleRate int, seed uint64) []int16 {
	out := make([]int16, max(n, 0))
	if sampleRate <= 0 {
		return out
	}
	x := seed*2654435761 + 1
	f0 := 120.0
	for i := range out {
		t := float64(i) / float64(sampleRate)
		env := 0.6 + 0.4*math.Sin(2*math.Pi*4*t)
		var v float64
		for h := 1; h <= 6; h++ {
			v += math.Sin(2*math.Pi*f0*float64(h)*t) / float64(h)
		}
		x ^= x << 13
		x ^= x >> 7
		x ^= x << 17
		noise := float64(int64(x%2001)-1000) / 1000
		out[i] = int16(env * (5000*v + 300*noise))
	}
	return out
}

// markerShare returns the share of pcm's energy carried by the marker
// frequency, 0..1, using the Goertzel algorithm. The input is cut into four
// contiguous quarters filtered side by side (four independent recurrences
// keep the CPU's pipelines full; one is latency-bound), and their results
// are phase-aligned and summed into the whole block's DFT bin.
func markerShare(pcm []int16, sampleRate int) float64 {
	if len(pcm) == 0 || sampleRate <= 0 {
		return 0
	}
	w := 2 * math.Pi * MarkerFrequency / float64(sampleRate)
	sinW, cosW := math.Sincos(w)
	coeff := 2 * cosW
	q := len(pcm) / 4
	a, b, c, d := pcm[:q], pcm[q:2*q], pcm[2*q:3*q], pcm[3*q:]
	var s1, s2 [4]float64
	var e0, e1, e2, e3 float64
	for i := range q {
		v0, v1, v2, v3 := float64(a[i]), float64(b[i]), float64(c[i]), float64(d[i])
		e0 += v0 * v0
		e1 += v1 * v1
		e2 += v2 * v2
		e3 += v3 * v3
		s1[0], s2[0] = v0+coeff*s1[0]-s2[0], s1[0]
		s1[1], s2[1] = v1+coeff*s1[1]-s2[1], s1[1]
		s1[2], s2[2] = v2+coeff*s1[2]-s2[2], s1[2]
		s1[3], s2[3] = v3+coeff*s1[3]-s2[3], s1[3]
	}
	for _, x := range d[q:] { // the last quarter's remainder
		v := float64(x)
		e3 += v * v
		s1[3], s2[3] = v+coeff*s1[3]-s2[3], s1[3]
	}
	energy := e0 + e1 + e2 + e3
	if energy == 0 {
		return 0
	}
	// Quarter k (start o, length n) leaves y = s1 - e^{-jw}·s2 =
	// e^{jw(o+n-1)} · Σ x[t]e^{-jwt} over its samples.
	var re, im float64
	for k := range 4 {
		o, n := k*q, q
		if k == 3 {
			n = len(pcm) - 3*q
		}
		yr, yi := s1[k]-cosW*s2[k], sinW*s2[k]
		sn, cs := math.Sincos(-w * float64(o+n-1))
		re += yr*cs - yi*sn
		im += yr*sn + yi*cs
	}
	power := re*re + im*im
	share := 2 * power / (float64(len(pcm)) * energy)
	return min(max(share, 0), 1)
}

// Analyze is the default verdict: pcm is cut into frameSeconds chunks (the
// request's frame_length, default 2; a shorter remainder is its own chunk),
// each chunk is scored from the share r of its energy in the marker tone —
// 0.80+0.19·r when r ≥ MarkerRatio, else 0.02+0.30·r — and the label is
// "fake" when the mean score is at least 0.5.
func Analyze(pcm []int16, sampleRate, frameSeconds int) Result {
	if frameSeconds <= 0 {
		frameSeconds = 2
	}
	chunk := max(sampleRate*frameSeconds, 1)
	var r Result
	for off := 0; off < len(pcm); off += chunk {
		share := markerShare(pcm[off:min(off+chunk, len(pcm))], sampleRate)
		score := 0.02 + 0.30*share
		if share >= MarkerRatio {
			score = 0.80 + 0.19*share
		}
		r.Scores = append(r.Scores, round4(score))
	}
	if len(r.Scores) == 0 {
		r.Scores = []float64{0.02}
	}
	r.Label = "real"
	if mean(r.Scores) >= 0.5 {
		r.Label = "fake"
	}
	return r
}

func mean(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	var s float64
	for _, x := range v {
		s += x
	}
	return s / float64(len(v))
}

func round4(v float64) float64 { return math.Round(v*1e4) / 1e4 }

package resembletest

import (
	"math"
	"testing"
)

// TestMarkerShareMatchesDFT checks the four-way Goertzel against the DFT
// bin computed directly, for lengths that do and do not split evenly.
func TestMarkerShareMatchesDFT(t *testing.T) {
	const rate = 16000
	w := 2 * math.Pi * MarkerFrequency / rate
	for _, n := range []int{1, 3, 7, 100, 1001, 32000, 64003} {
		for seed := range uint64(3) {
			pcm := Voice(n, rate, seed)
			tone := MarkerTone(n, rate)
			for i := range pcm {
				pcm[i] = pcm[i]/3 + tone[i]/2
			}
			var re, im, energy float64
			for i, x := range pcm {
				v := float64(x)
				re += v * math.Cos(w*float64(i))
				im -= v * math.Sin(w*float64(i))
				energy += v * v
			}
			want := 0.0
			if energy > 0 {
				want = min(max(2*(re*re+im*im)/(float64(n)*energy), 0), 1)
			}
			if got := markerShare(pcm, rate); math.Abs(got-want) > 1e-9 {
				t.Errorf("n=%d seed=%d: markerShare %v, DFT %v", n, seed, got, want)
			}
		}
	}
}

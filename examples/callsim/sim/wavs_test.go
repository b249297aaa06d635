package sim

import (
	"os"
	"testing"

	"github.com/callguard/callguard/detect/resembletest"
)

// The bundled WAVs play their parts against detect/resembletest: the
// marker file is judged fake window by window, plain speech real.
func TestBundledWAVsAgainstResembletest(t *testing.T) {
	for _, c := range []struct {
		file, want string
	}{
		{"hello-16k.wav", "real"},
		{"hello-8k.wav", "real"},
		{"marker-16k.wav", "fake"},
	} {
		b, err := os.ReadFile("../audio/" + c.file)
		if err != nil {
			t.Fatal(err)
		}
		a, err := DecodeWAV(c.file, b)
		if err != nil {
			t.Fatal(err)
		}
		win := 3 * TwilioRate
		for off := 0; off+win <= len(a.Samples); off += win {
			r := resembletest.Analyze(a.Samples[off:off+win], TwilioRate, 2)
			if r.Label != c.want {
				t.Errorf("%s window at %.1fs: %s (scores %v), want %s", c.file, float64(off)/TwilioRate, r.Label, r.Scores, c.want)
			}
		}
	}
}

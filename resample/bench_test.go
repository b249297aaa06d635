package resample

import (
	"fmt"
	"testing"
)

// BenchmarkProcess feeds 160-sample frames (one Twilio frame) and reports
// ns per input sample.
func BenchmarkProcess(b *testing.B) {
	for _, q := range []Quality{High, VeryHigh} {
		for _, c := range [][2]int{{8000, 16000}, {8000, 48000}, {16000, 8000}, {48000, 16000}, {44100, 48000}} {
			b.Run(fmt.Sprintf("%v/%d-%d", q, c[0], c[1]), func(b *testing.B) {
				r, err := New(c[0], c[1], WithQuality(q))
				if err != nil {
					b.Fatal(err)
				}
				x := noise(160, 1)
				dst := make([]int16, 0, 4096)
				b.ReportAllocs()
				b.SetBytes(2 * 160)
				for b.Loop() {
					dst = r.Process(dst[:0], x)
				}
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*160), "ns/sample")
			})
		}
	}
}

func BenchmarkProcessFloat32(b *testing.B) {
	r, _ := New(8000, 16000)
	x := make([]float32, 160)
	for i, v := range noise(160, 2) {
		x[i] = float32(v) / 32768
	}
	dst := make([]float32, 0, 4096)
	b.ReportAllocs()
	for b.Loop() {
		dst = r.ProcessFloat32(dst[:0], x)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*160), "ns/sample")
}

// BenchmarkNew measures creating a resampler whose table is cached.
func BenchmarkNew(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := New(8000, 16000); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDesign measures computing a table (once per ratio and quality).
func BenchmarkDesign(b *testing.B) {
	for b.Loop() {
		if _, err := design(2, 1, High); err != nil {
			b.Fatal(err)
		}
	}
}

package store

import (
	"testing"
	"time"
)

// BenchmarkInsertVerdict measures storing one window's verdict, the
// store's hot path (one per window per live track), on each backend.
func BenchmarkInsertVerdict(b *testing.B) {
	for name, open := range backends() {
		b.Run(string(name), func(b *testing.B) {
			s := open(b, nil)
			d, err := s.CreateDetection(ctx, Detection{CallSid: "CAbench", Track: "inbound"})
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				if _, _, err := s.InsertVerdict(ctx, Verdict{DetectionID: d.ID, WindowStart: time.Duration(i) * time.Second,
					WindowEnd: time.Duration(i+2) * time.Second, Label: "real", Score: 0.1, Vendor: "resemble"}); err != nil {
					b.Fatal(err)
				}
				i++
			}
		})
	}
}

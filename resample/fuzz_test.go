package resample

import (
	"errors"
	"math/rand/v2"
	"slices"
	"testing"
)

// FuzzChunking checks, for arbitrary rates and chunkings, that New either
// fails with a typed error or streams exactly: any chunking gives the same
// samples as one call, never more than the final total before Flush, and
// exactly the total after.
func FuzzChunking(f *testing.F) {
	f.Add(8000, 16000, uint8(3), uint64(1), uint16(1000))
	f.Add(16000, 8000, uint8(2), uint64(2), uint16(333))
	f.Add(44100, 48000, uint8(4), uint64(3), uint16(2000))
	f.Add(7, 3, uint8(1), uint64(4), uint16(50))
	f.Add(1, 384000, uint8(3), uint64(5), uint16(10))
	f.Add(48000, 8000, uint8(3), uint64(6), uint16(161))
	f.Add(8000, 48000, uint8(3), uint64(7), uint16(1234)) // cascade
	f.Add(8000, 32000, uint8(4), uint64(8), uint16(777))  // VeryHigh, float64
	f.Fuzz(func(t *testing.T, in, out int, q uint8, seed uint64, n uint16) {
		r, err := New(in, out, WithQuality(Quality(q)))
		if err != nil {
			var re *RateError
			if !errors.As(err, &re) {
				t.Fatalf("New(%d, %d, %d): untyped error %v", in, out, q, err)
			}
			return
		}
		x := noise(int(n)%4000, seed)
		want := r.Flush(r.Process(nil, x))
		if int64(len(want)) != r.Total(int64(len(x))) {
			t.Fatalf("%d->%d: %d samples, want %d", in, out, len(want), r.Total(int64(len(x))))
		}
		rng := rand.New(rand.NewPCG(seed, 9))
		var got []int16
		rest := x
		for len(rest) > 0 {
			k := min(rng.IntN(400), len(rest))
			got = r.Process(got, rest[:k])
			rest = rest[k:]
			if int64(len(got)) > r.Total(int64(len(x))) {
				t.Fatalf("%d->%d: Process produced %d samples, more than the total %d", in, out, len(got), r.Total(int64(len(x))))
			}
		}
		got = r.Flush(got)
		if !slices.Equal(got, want) {
			t.Fatalf("%d->%d q%d: chunked output differs from one call", in, out, q)
		}
	})
}

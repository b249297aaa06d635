// Package resample converts mono audio between sample rates, in streaming
// form, with libsoxr-class quality and a few milliseconds of delay. It is
// pure Go (AVX2/FMA assembly on amd64 with a portable fallback chosen at run
// time; build tag purego forces the fallback) and has no cgo.
//
//	r, err := resample.New(8000, 16000) // Twilio 8 kHz -> 16 kHz model input
//	for frame := range frames {
//		out = r.Process(out[:0], frame) // appends; every sample the input allows
//		detector.Write(out)
//	}
//	out = r.Flush(out[:0]) // the tail: total = round(in * 16000 / 8000)
//
// Process and ProcessFloat32 append to dst (strconv.Append style) and do not
// allocate once dst has room. Output is time-aligned (output sample n
// describes input time n/OutRate) and held back only by the filter's
// look-ahead, reported by Delay. Streaming is exact: any chunking of a
// stream, from one sample to all of it, gives bit-identical output. Flush
// completes the stream against silence and resets the Resampler. Writer
// wraps a Resampler as a SampleWriter (the shape of detect.Session.Write);
// ProcessIntBuffer and ProcessFloat32Buffer adapt go-audio buffers.
//
// # Design
//
// Rates are reduced by their gcd to L/M. The filter is a polyphase FIR with
// its cutoff at the lower Nyquist frequency (so integer up-sampling keeps
// every input sample bit for bit, and 2:1 filters are half-band with every
// other tap zero), a linear-phase windowed sinc with a Kaiser window, except
// for the factor-2 conversions at High. 16 kHz -> 8 kHz uses a 119-tap
// minimax half-band (Lawson's iteratively reweighted least squares, DC gain
// exactly 1): 140 dB. 8 kHz -> 16 kHz must fit 3 ms, where the best
// linear-phase filter (a 95-tap half-band) reaches only 116 dB; it uses a
// low-delay interpolator instead: the copy branch as before, and an 88-tap
// interpolating branch with the same 24 taps of look-ahead but 64 behind,
// designed for a complex error (gain and phase) under -140 dB over the
// passband: 146 dB image rejection, a group delay flat to the same
// accuracy, and no more transition-band noise than the half-band (see
// lowdelay.go). Phases are stepped with integers (no drift, ever). The
// transition band straddles the lower Nyquist frequency: speech up to 0.85
// of it (3.4 kHz of a 4 kHz telephone band) is flat, and
// only the top of the band, above the passband edge, may alias into itself.
// Samples are filtered in float32 (int16 full scale = 32768) with fused
// multiply-adds, eight outputs per vector, for integer ratios up to 16 each
// way; other ratios (44.1k <-> 48k) use one inner product per output.
// int16 output is rounded to nearest (ties to even) and saturated.
//
// # Quality levels
//
// Edges are fractions of the lower Nyquist frequency; attenuation is the
// Kaiser design target (measured with float32 I/O in bench/resample).
// Taps is the prototype length; delay is Delay() in output samples.
//
//	Quality   passband  stopband  atten   8k->16k           16k->8k           8k->48k            48k->16k
//	Quick     0.75      1.25       70 dB   39 taps 19 (1.2 ms)  39 taps 10 (1.3 ms)  105 taps  52 (1.1 ms)   53 taps  9 (0.6 ms)
//	Medium    0.80      1.20       90 dB   59 taps 29 (1.8 ms)  59 taps 15 (1.9 ms)  173 taps  86 (1.8 ms)   87 taps 14 (0.9 ms)
//	High      0.85      1.15      120 dB* 175 taps 47 (2.9 ms) 119 taps 30 (3.8 ms)  343 taps 171 (3.6 ms)  159 taps 26 (1.6 ms)
//	VeryHigh  0.90      1.10      140 dB  187 taps 93 (5.8 ms) 187 taps 47 (5.9 ms)  553 taps 276 (5.8 ms)  277 taps 46 (2.9 ms)
//
// (*) 8k->16k at High uses the low-delay interpolator (89 non-zero taps of
// a 175-tap prototype, 146 dB image rejection), 16k->8k the 119-tap minimax
// half-band (140 dB); both have 0.000001 dB ripple. Other up-sampling
// ratios at High use a 130 dB Kaiser design. Passband ripple is
// below 0.0001 dB at High
// and VeryHigh, 0.001 dB at Medium and 0.005 dB at Quick. With 16-bit
// output, rounding limits SINAD of a -6 dBFS tone to about 90-92 dB at every
// level from Medium up; ProcessFloat32 shows the filter itself.
//
// # Shared tables
//
// Coefficient tables are computed once per (L, M, quality) and shared
// read-only by every Resampler, so thousands of calls hold one table. They
// live in a Tables cache. A package-level default cache is used unless
// WithTables supplies another; this is the one piece of package-level state,
// and it is deliberately so: it memoises a pure function (a table depends
// only on its key), so no caller can observe it except through speed and
// memory; the pointer is never reassigned; it is safe for concurrent use
// (a mutex for the map, a sync.Once per entry); and it is bounded
// (DefaultMaxTables entries; further ratios get private tables). Pass your
// own Tables to isolate or bound memory differently.
//
// # Limits
//
// Rates must be in [1, MaxRate]. A reduced ratio needing more than
// MaxPhases phases (for example 1 Hz -> 384 kHz) or a prototype longer than
// MaxTaps is rejected; errors are *RateError values wrapping ErrInvalidRate,
// ErrUnsupportedRatio or ErrInvalidQuality. A Resampler is mono and not
// safe for concurrent use; it costs about 9 KB beyond the shared table.
package resample

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
// Rates are reduced by their gcd to L/M. The filter is a polyphase FIR, a
// linear-phase windowed sinc with a Kaiser window, except for 8 kHz ->
// 16 kHz at High. Up-sampling at Quick and Medium, and by odd or
// non-integer factors at High, puts the cutoff at the input Nyquist
// frequency, with the transition band straddling it (flat to 0.85 of it,
// stopband from 1.15 at High): integer up-sampling then keeps every input
// sample bit for bit, 2:1 filters are half-band with every other tap zero,
// and what lies between 0.85 and 1.15 is only the images of the top of the
// band, attenuated. 8 kHz -> 16 kHz must fit 3 ms, where the best
// linear-phase filter (a 95-tap half-band) reaches only 116 dB; it uses a
// low-delay interpolator instead: the copy branch as before, and an 88-tap
// interpolating branch with the same 24 taps of look-ahead but 64 behind,
// designed for a complex error (gain and phase) under -140 dB over the
// passband: 146 dB image rejection, a group delay flat to the same
// accuracy, and no more transition-band noise than the half-band (see
// lowdelay.go).
//
// Up-sampling by an even factor from 4 (8 kHz -> 32 or 48 kHz) at High
// stops at 1.06 of the input Nyquist frequency instead, so that the input's
// own 16-bit noise between 0.85 and 1.0 of it, which a filter straddling
// the Nyquist frequency passes, stays out: that noise is what limits the
// SINAD of 16-bit audio. A single filter that sharp would need about twice
// the taps, for every one of its L phases, so it runs as a cascade
// (cascade.go): a sharp 2x interpolator (177 taps, 140 dB), whose two
// phases are each symmetric and run on the decimators' pair kernel (one
// multiply-add per mirror pair), then a short L/2 Nyquist interpolator
// (61 taps at 8k -> 48k, 140 dB) for the wide gap between the band and its
// images at twice the rate. Between the stages samples stay in float32.
// (Where the stopband starts is a trade that 16-bit rounding imposes: a
// filter that is not a Nyquist filter no longer reproduces the input at
// the input's sample instants, rounding snaps those samples back, and what
// the filter removed near the Nyquist frequency reappears above it. 1.06
// keeps both the SINAD and the energy above the input Nyquist frequency at
// least soxr HQ's; see bench/resample/README.md.)
//
// Down-sampling puts the stopband edge at the output Nyquist frequency, so
// no tone above it can alias: flat to 0.85 of it at High (0.9 at
// VeryHigh), transition up to 1.0, 140 dB from there on. That filter is
// longer than an up-sampler's, so the decimator works hard to be cheap:
// only the kept outputs are computed (the input is kept de-interleaved into
// M streams, one per polyphase branch, by AVX2 shuffles for M = 2 and 3);
// the filter's mirror-image taps are paired, so each pair costs an
// addition and one multiply-add (kernel_pair.go); and the inner loop holds
// a block of up to 128 outputs in registers (AVX-512, sized to the outputs
// at hand; AVX2 blocks of 32 and one of 8 to 24 for the rest otherwise, or
// with build tag resample_noavx512), walking the taps in strides of one
// vector (16 lanes with AVX-512, 8 with AVX2) so that each step reuses all
// but one of its input vectors, rotating register names rather than moving
// them. Each output is a sum of one partial sum per stride residue (16 or
// 8), which keeps float32 rounding of a
// 250-600-tap sum near 140 dB below the signal.
//
// VeryHigh computes in float64: float64 coefficients of a 200 dB Kaiser
// design and float64 sums of fused multiply-adds, AVX2 with bit-identical
// Go fallbacks: its decimators and 2x interpolators pair mirror-image taps
// like High's decimators (firPair64Asm, 4 lanes, the input converted from
// float32 as it loads), other integer interpolators run a float64 FIR per
// phase (fir64), other ratios one inner product per output (dot64).
// float32 rounding then limits nothing but the float32 output itself, as
// with soxr's VHQ. Its up-sampling filters stop at 1.07 of the input
// Nyquist frequency (flat to 0.85), like High's cascade; its
// down-sampling filters are flat to 0.9 and stop at the output Nyquist
// frequency.
//
// Phases are stepped with integers (no drift, ever). At Quick, Medium and
// High samples are filtered in float32 (int16 full scale = 32768) with
// fused multiply-adds, a block of outputs per vector instruction, for
// integer ratios up to 16 each way; other ratios (44.1k <-> 48k) use one
// inner product per output. Every output is computed by the same
// operations in the same order whatever block or call it falls in, which
// is what makes streaming exact. int16 output is rounded to nearest (ties
// to even) and saturated.
//
// # Quality levels
//
// Edges are fractions of the lower Nyquist frequency; attenuation is the
// Kaiser design target (measured with float32 I/O in bench/resample). For
// down-sampling the stopband edge is 1.0 at every level. Taps is the
// prototype length (for a cascade, first + second stage); delay is Delay()
// in output samples.
//
//	Quality   pass  stop up/down  atten up/down  8k->16k               16k->8k                8k->48k                  48k->16k
//	Quick     0.75  1.25 / 1.0     70 /  70 dB    39 taps 19 (1.2 ms)   71 taps 18 (2.2 ms)   105 taps  52 (1.1 ms)    105 taps 17 (1.1 ms)
//	Medium    0.80  1.20 / 1.0     90 /  90 dB    59 taps 29 (1.8 ms)  117 taps 29 (3.6 ms)   173 taps  86 (1.8 ms)    173 taps 29 (1.8 ms)
//	High      0.85  1.15*/ 1.0    130*/ 140 dB   175 taps 47 (2.9 ms)  247 taps 62 (7.8 ms)   177+61 taps 294 (6.1 ms) 369 taps 61 (3.8 ms)
//	VeryHigh  0.90  1.07*/ 1.0    200 / 200 dB   245 taps 122 (7.6 ms) 537 taps 134 (16.8 ms) 731 taps 365 (7.6 ms)    805 taps 134 (8.4 ms)
//
// (*) 8k->16k at High uses the low-delay interpolator (89 non-zero taps of
// a 175-tap prototype, 146 dB image rejection); even factors from 4 at
// High the 2x + L/2 cascade (pass 0.85, stop 1.06, two 140 dB stages);
// other up-sampling ratios at High a 130 dB Kaiser design (stop 1.15), and
// 44.1k <-> 48k 120 dB. VeryHigh up-sampling by an integer factor is flat
// to 0.85 and stops at 1.07 (other ratios 0.9 and 1.1). Down-sampling at
// High measures 144 dB (16k->8k) and 145 dB (48k->16k) alias rejection for
// tones above the output Nyquist frequency with float32 I/O, VeryHigh
// 157-159 dB (the float32 output's own rounding, as soxr VHQ), and both are
// held at the 16-bit noise floor (104 and 113 dB) with int16 I/O
// (TestAliasRejection). Passband ripple is below 0.0001 dB at High and
// VeryHigh, 0.001 dB at Medium and 0.005 dB at Quick. With 16-bit output,
// rounding limits SINAD of a -6 dBFS tone to about 90-92 dB at every level
// from Medium up; ProcessFloat32 shows the filter itself.
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
// safe for concurrent use; beyond the shared table it costs about 9 KB at
// 8k->16k, 18 KB at 16k->8k, 22 KB at 48k->16k and 40 KB at 8k->48k.
package resample

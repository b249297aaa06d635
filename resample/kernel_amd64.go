//go:build amd64 && !purego

package resample

import "golang.org/x/sys/cpu"

// hasFIRAsm reports whether the AVX2/FMA kernel can run on this CPU.
func hasFIRAsm() bool { return cpu.X86.HasAVX2 && cpu.X86.HasFMA }

// firAsm is firGo with AVX2/FMA: 8 outputs per vector, each output's sum
// taken in order of k with fused multiply-adds (the scalar tail uses the
// same fused operations, so every output is computed identically wherever
// it falls in a call). Same contract as firGo.
//
//go:noescape
func firAsm(dst, x, c []float32)

// hasAVX512 reports whether the AVX-512 pair kernel can run.
// Build tag resample_noavx512 turns it off (the AVX2 blocks of 32 run
// instead), to measure or test that path on an AVX-512 machine.
func hasAVX512() bool { return hasFIRAsm() && cpu.X86.HasAVX512F && !noAVX512 }

// firPair512Asm is firPairAsm for one block of len(dst) = 16*V outputs,
// V in 1..8 (other lengths do nothing), bit-identical per output.
//
//go:noescape
func firPair512Asm(dst, x, y, c []float32)

//go:generate go run pairgen.go

// firPairAsm is firPairGo with AVX2/FMA (fused) for the first
// len(dst)&^31 outputs, 32 per block (see runPair), with 8 partial sums
// (taps in strides of 8) instead of 16: on the same data its sums round
// differently from firPairGo's and firPair512Asm's, so a machine runs
// it (with firPairVAsm) or firPair512Asm for all its blocks.
//
//go:noescape
func firPairAsm(dst, x, y, c []float32)

// firPairVAsm is firPairAsm for one block of len(dst) = 8*V outputs, V in
// 1..4 (other lengths do nothing), bit-identical per output.
//
//go:noescape
func firPairVAsm(dst, x, y, c []float32)

// firPair64Asm is firPair64Go with AVX2/FMA for the first len(dst)&^15
// outputs, 16 per block (see runPair64), bit-identical to it.
//
//go:noescape
func firPair64Asm(dst []float64, x, y []float32, c []float64)

// firPair64VAsm is firPair64Asm for one block of len(dst) = 4*V outputs, V
// in 1..4 (other lengths do nothing), bit-identical per output.
//
//go:noescape
func firPair64VAsm(dst []float64, x, y []float32, c []float64)

// f32ToInt16Asm converts the first len(src)&^15 samples with
// round-to-nearest-even and int16 saturation (VCVTPS2DQ, VPACKSSDW).
//
//go:noescape
func f32ToInt16Asm(dst []int16, src []float32)

// int16ToF32Asm converts the first len(src)&^7 samples.
//
//go:noescape
func int16ToF32Asm(dst []float32, src []int16)

func f32ToInt16(dst []int16, src []float32, asm bool) {
	if asm {
		n := len(src) &^ 15
		f32ToInt16Asm(dst[:n], src[:n])
		dst, src = dst[n:], src[n:]
	}
	f32ToInt16Go(dst, src)
}

func int16ToF32(dst []float32, src []int16, asm bool) {
	if asm {
		n := len(src) &^ 7
		int16ToF32Asm(dst[:n], src[:n])
		dst, src = dst[n:], src[n:]
	}
	int16ToF32Go(dst, src)
}

// dotAsm returns sum c[k]*x[k] (AVX2/FMA, four 8-lane partial sums);
// len(x) >= len(c).
//
//go:noescape
func dotAsm(c, x []float32) float32

// scaleAsm sets dst[i] = src[i]*k for the first len(src)&^7 samples.
//
//go:noescape
func scaleAsm(dst, src []float32, k float32)

func scale(dst, src []float32, k float32, asm bool) {
	if asm {
		n := len(src) &^ 7
		scaleAsm(dst[:n], src[:n], k)
		dst, src = dst[n:], src[n:]
	}
	scaleGo(dst, src, k)
}

// dot64Asm is dot64 with AVX2/FMA, bit-identical to it.
//
//go:noescape
func dot64Asm(c []float64, x []float32) float64

// deinterleave2Asm sets s0[k], s1[k] = src[2k], src[2k+1] for k <
// len(s0)&^7 (AVX2).
//
//go:noescape
func deinterleave2Asm(s0, s1, src []float32)

// interleave2Asm sets dst[2k], dst[2k+1] = s0[k], s1[k] for k <
// len(s0)&^7 (AVX2).
//
//go:noescape
func interleave2Asm(dst, s0, s1 []float32)

// interleave3Asm sets dst[3k], dst[3k+1], dst[3k+2] = s0[k], s1[k], s2[k]
// for k < len(s0)&^7 (AVX2).
//
//go:noescape
func interleave3Asm(dst, s0, s1, s2 []float32)

// deinterleave3Asm sets s0[k], s1[k], s2[k] = src[3k], src[3k+1],
// src[3k+2] for k < len(s0)&^7 (AVX2).
//
//go:noescape
func deinterleave3Asm(s0, s1, s2, src []float32)

// fir64Asm is fir64Go with AVX2/FMA for the first len(dst)&^15 outputs,
// bit-identical to it.
//
//go:noescape
func fir64Asm(dst, x []float32, c []float64)

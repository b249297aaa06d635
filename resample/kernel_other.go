//go:build !amd64 || purego

package resample

func hasFIRAsm() bool { return false }

func firAsm(dst, x, c []float32) { firGo(dst, x, c) }

func firPairAsm(dst, x, y, c []float32) { firPairGo(dst[:len(dst)&^31], x, y, c) }

func firPairVAsm(dst, x, y, c []float32) { firPairGo(dst, x, y, c) }

func hasAVX512() bool { return false }

func firPair64Asm(dst []float64, x, y []float32, c []float64) {
	firPair64Go(dst[:len(dst)&^15], x, y, c)
}

func firPair64VAsm(dst []float64, x, y []float32, c []float64) { firPair64Go(dst, x, y, c) }

func firPair512Asm(dst, x, y, c []float32) { firPairGo(dst, x, y, c) }

func f32ToInt16(dst []int16, src []float32, asm bool) { f32ToInt16Go(dst, src) }

func int16ToF32(dst []float32, src []int16, asm bool) { int16ToF32Go(dst, src) }

func dotAsm(c, x []float32) float32 { return dot(c, x) }

func scale(dst, src []float32, k float32, asm bool) { scaleGo(dst, src, k) }

func dot64Asm(c []float64, x []float32) float64 { return dot64(c, x) }

func deinterleave2Asm(s0, s1, src []float32) {}

func deinterleave3Asm(s0, s1, s2, src []float32) {}

func interleave2Asm(dst, s0, s1 []float32) {}

func interleave3Asm(dst, s0, s1, s2 []float32) {}

func fir64Asm(dst, x []float32, c []float64) { fir64Go(dst[:len(dst)&^15], x, c) }

package media

import (
	"math/bits"
	"slices"
)

// ulawToLinear maps every μ-law code to its 16-bit linear value (ITU-T G.711,
// with the usual 0x84 bias). It is computed from the G.711 expansion formula
// and never written: the package holds no mutable state.
var ulawToLinear = [256]int16{
	-32124, -31100, -30076, -29052, -28028, -27004, -25980, -24956,
	-23932, -22908, -21884, -20860, -19836, -18812, -17788, -16764,
	-15996, -15484, -14972, -14460, -13948, -13436, -12924, -12412,
	-11900, -11388, -10876, -10364, -9852, -9340, -8828, -8316,
	-7932, -7676, -7420, -7164, -6908, -6652, -6396, -6140,
	-5884, -5628, -5372, -5116, -4860, -4604, -4348, -4092,
	-3900, -3772, -3644, -3516, -3388, -3260, -3132, -3004,
	-2876, -2748, -2620, -2492, -2364, -2236, -2108, -1980,
	-1884, -1820, -1756, -1692, -1628, -1564, -1500, -1436,
	-1372, -1308, -1244, -1180, -1116, -1052, -988, -924,
	-876, -844, -812, -780, -748, -716, -684, -652,
	-620, -588, -556, -524, -492, -460, -428, -396,
	-372, -356, -340, -324, -308, -292, -276, -260,
	-244, -228, -212, -196, -180, -164, -148, -132,
	-120, -112, -104, -96, -88, -80, -72, -64,
	-56, -48, -40, -32, -24, -16, -8, 0,
	32124, 31100, 30076, 29052, 28028, 27004, 25980, 24956,
	23932, 22908, 21884, 20860, 19836, 18812, 17788, 16764,
	15996, 15484, 14972, 14460, 13948, 13436, 12924, 12412,
	11900, 11388, 10876, 10364, 9852, 9340, 8828, 8316,
	7932, 7676, 7420, 7164, 6908, 6652, 6396, 6140,
	5884, 5628, 5372, 5116, 4860, 4604, 4348, 4092,
	3900, 3772, 3644, 3516, 3388, 3260, 3132, 3004,
	2876, 2748, 2620, 2492, 2364, 2236, 2108, 1980,
	1884, 1820, 1756, 1692, 1628, 1564, 1500, 1436,
	1372, 1308, 1244, 1180, 1116, 1052, 988, 924,
	876, 844, 812, 780, 748, 716, 684, 652,
	620, 588, 556, 524, 492, 460, 428, 396,
	372, 356, 340, 324, 308, 292, 276, 260,
	244, 228, 212, 196, 180, 164, 148, 132,
	120, 112, 104, 96, 88, 80, 72, 64,
	56, 48, 40, 32, 24, 16, 8, 0,
}

// DecodeUlaw appends to dst the 16-bit linear PCM samples for the μ-law bytes
// in src and returns the extended slice. It does not allocate when dst has
// capacity for len(src) more samples. The result is bit-exact with
// github.com/zaf/g711.
func DecodeUlaw(dst []int16, src []byte) []int16 {
	n := len(dst)
	dst = extend(dst, len(src))
	out := dst[n : n+len(src)]
	for i, c := range src {
		out[i] = ulawToLinear[c]
	}
	return dst
}

// EncodeUlaw appends to dst the μ-law bytes for the 16-bit linear PCM samples
// in src and returns the extended slice. It does not allocate when dst has
// capacity for len(src) more bytes. The result is bit-exact with
// github.com/zaf/g711 for every int16 value.
func EncodeUlaw(dst []byte, src []int16) []byte {
	n := len(dst)
	dst = extend(dst, len(src))
	out := dst[n : n+len(src)]
	for i, s := range src {
		out[i] = EncodeUlawSample(s)
	}
	return dst
}

// DecodeUlawSample returns the linear value of one μ-law code.
func DecodeUlawSample(c byte) int16 { return ulawToLinear[c] }

// EncodeUlawSample returns the μ-law code for one linear sample.
//
// Negative samples take their magnitude as the one's complement (-s-1), as
// github.com/zaf/g711 does, so both encoders agree on all 65536 inputs.
func EncodeUlawSample(s int16) byte {
	const (
		bias = 0x21   // 33: the G.711 bias on the 14-bit magnitude
		clip = 0x1FFF // largest biased magnitude
	)
	mask := byte(0xFF)
	v := int32(s)
	if v < 0 {
		v = ^v
		mask = 0x7F
	}
	v = v>>2 + bias
	if v > clip {
		v = clip
	}
	exp := bits.Len32(uint32(v>>6)) & 7 // segment 0..7
	mant := (v >> (exp + 1)) & 0x0F
	return (byte(exp)<<4 | byte(mant)) ^ mask
}

// extend returns s lengthened by n elements, reallocating only when its
// capacity is short.
func extend[S ~[]E, E any](s S, n int) S {
	return slices.Grow(s, n)[:len(s)+n]
}

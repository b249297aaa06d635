//go:build amd64 && !purego && resample_noavx512

package resample

// noAVX512 is set by build tag resample_noavx512 (see hasAVX512).
const noAVX512 = true

package resample

import (
	"fmt"

	"github.com/go-audio/audio"
)

// checkFormat validates a mono buffer at the resampler's input rate. A nil
// Format or a zero SampleRate/NumChannels is accepted as "as configured".
func (r *Resampler) checkFormat(f *audio.Format) error {
	if f == nil {
		return nil
	}
	if f.NumChannels > 1 {
		return fmt.Errorf("%w: %d channels (the resampler is mono; use one Resampler per channel)", ErrFormat, f.NumChannels)
	}
	if f.SampleRate != 0 && f.SampleRate != r.inRate {
		return fmt.Errorf("%w: buffer is %d Hz, resampler expects %d Hz", ErrFormat, f.SampleRate, r.inRate)
	}
	return nil
}

func (r *Resampler) outFormat(f **audio.Format) {
	if *f == nil || (*f).SampleRate != r.outRate || (*f).NumChannels != 1 {
		*f = &audio.Format{NumChannels: 1, SampleRate: r.outRate}
	}
}

// ProcessIntBuffer resamples a mono 16-bit *audio.IntBuffer (SourceBitDepth
// 16, or 0 meaning 16) and appends the result to dst.Data, setting
// dst.Format to mono at OutRate and dst.SourceBitDepth to 16. Samples
// outside the int16 range are clipped. An internal scratch buffer is reused,
// so after the first call only dst.Data may grow. A buffer with several
// channels, another sample rate or another bit depth is rejected with an
// error wrapping ErrFormat, and nothing is consumed.
func (r *Resampler) ProcessIntBuffer(dst, src *audio.IntBuffer) error {
	if err := r.checkFormat(src.Format); err != nil {
		return err
	}
	if src.SourceBitDepth != 0 && src.SourceBitDepth != 16 {
		return fmt.Errorf("%w: %d-bit samples (want 16; use Float32Buffer for other depths)", ErrFormat, src.SourceBitDepth)
	}
	in := r.ibuf[:0]
	for _, v := range src.Data {
		in = append(in, int16(max(-32768, min(32767, v))))
	}
	n := len(in)
	out := r.Process(in, in) // outputs appended after the inputs
	for _, v := range out[n:] {
		dst.Data = append(dst.Data, int(v))
	}
	r.ibuf = out[:0]
	r.outFormat(&dst.Format)
	dst.SourceBitDepth = 16
	return nil
}

// ProcessFloat32Buffer resamples a mono *audio.Float32Buffer (full scale
// ±1.0) and appends the result to dst.Data, setting dst.Format to mono at
// OutRate. Errors wrap ErrFormat; nothing is consumed on error.
func (r *Resampler) ProcessFloat32Buffer(dst, src *audio.Float32Buffer) error {
	if err := r.checkFormat(src.Format); err != nil {
		return err
	}
	dst.Data = r.ProcessFloat32(dst.Data, src.Data)
	r.outFormat(&dst.Format)
	if dst.SourceBitDepth == 0 {
		dst.SourceBitDepth = src.SourceBitDepth
	}
	return nil
}

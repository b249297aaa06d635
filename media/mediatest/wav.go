package mediatest

import (
	"errors"
	"fmt"
	"io"

	"github.com/go-audio/wav"
)

// ErrSampleRate is returned by StreamWAV for a file whose sample rate
// package resample cannot convert to 8 kHz (DialOptions.Resample unset).
var ErrSampleRate = errors.New("mediatest: WAV sample rate cannot be converted to 8 kHz")

// DecodeWAV reads a PCM WAV file (8, 16, 24 or 32 bits, any channel count)
// and returns its samples as 16-bit mono (channels averaged) with the file's
// sample rate.
func DecodeWAV(r io.ReadSeeker) (pcm []int16, sampleRate int, err error) {
	d := wav.NewDecoder(r)
	if !d.IsValidFile() {
		return nil, 0, errors.New("mediatest: not a valid WAV file")
	}
	if d.WavAudioFormat != 1 {
		return nil, 0, fmt.Errorf("mediatest: WAV audio format %d is not integer PCM", d.WavAudioFormat)
	}
	buf, err := d.FullPCMBuffer()
	if err != nil {
		return nil, 0, fmt.Errorf("mediatest: read WAV: %w", err)
	}
	ch := buf.Format.NumChannels
	if ch < 1 {
		return nil, 0, errors.New("mediatest: WAV has no channels")
	}
	depth := buf.SourceBitDepth
	conv := func(v int) int { return v }
	switch depth {
	case 8:
		conv = func(v int) int { return (v - 128) << 8 }
	case 16:
	case 24:
		conv = func(v int) int { return v >> 8 }
	case 32:
		conv = func(v int) int { return v >> 16 }
	default:
		return nil, 0, fmt.Errorf("mediatest: WAV bit depth %d not supported", depth)
	}
	n := len(buf.Data) / ch
	pcm = make([]int16, n)
	for i := range n {
		sum := 0
		for c := range ch {
			sum += conv(buf.Data[i*ch+c])
		}
		pcm[i] = int16(sum / ch)
	}
	return pcm, buf.Format.SampleRate, nil
}

package mediatest

import (
	"bytes"
	"errors"
	"fmt"
	"io"

	"github.com/go-audio/wav"

	"github.com/callguard/callguard/internal/riff"
)

// ErrSampleRate is returned by StreamWAV for a file whose sample rate
// package resample cannot convert to 8 kHz (DialOptions.Resample unset).
var ErrSampleRate = errors.New("mediatest: WAV sample rate cannot be converted to 8 kHz")

// ErrInvalidWAV is wrapped by every DecodeWAV (and StreamWAV) error about
// the file itself: not RIFF/WAVE, chunk sizes that run past the end, a
// format other than integer PCM, an unsupported bit depth.
var ErrInvalidWAV = errors.New("mediatest: invalid WAV file")

// DecodeWAV reads a PCM WAV file (8, 16, 24 or 32 bits, any channel count)
// and returns its samples as 16-bit mono (channels averaged) with the file's
// sample rate. The whole file is read into memory and its chunk sizes are
// checked before decoding, so a corrupt file gives an error wrapping
// ErrInvalidWAV rather than a huge allocation.
func DecodeWAV(r io.ReadSeeker) (pcm []int16, sampleRate int, err error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, 0, fmt.Errorf("mediatest: read WAV: %w", err)
	}
	if err := riff.Walk(data, nil); err != nil {
		return nil, 0, fmt.Errorf("%w: %w", ErrInvalidWAV, err)
	}
	d := wav.NewDecoder(bytes.NewReader(data))
	if !d.IsValidFile() {
		return nil, 0, fmt.Errorf("%w: bad header", ErrInvalidWAV)
	}
	if d.WavAudioFormat != 1 {
		return nil, 0, fmt.Errorf("%w: audio format %d is not integer PCM", ErrInvalidWAV, d.WavAudioFormat)
	}
	buf, err := d.FullPCMBuffer()
	if err != nil {
		return nil, 0, fmt.Errorf("%w: %w", ErrInvalidWAV, err)
	}
	ch := buf.Format.NumChannels
	if ch < 1 || buf.Format.SampleRate <= 0 {
		return nil, 0, fmt.Errorf("%w: %d channels at %d Hz", ErrInvalidWAV, ch, buf.Format.SampleRate)
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
		return nil, 0, fmt.Errorf("%w: bit depth %d not supported", ErrInvalidWAV, depth)
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

package sim

import (
	"bytes"
	"fmt"
	"time"

	"github.com/callguard/callguard/media"
	"github.com/callguard/callguard/media/mediatest"
	"github.com/callguard/callguard/resample"
)

// TwilioRate is the sample rate of Twilio Media Streams audio.
const TwilioRate = media.SampleRate

// FrameSamples is one 20 ms frame at 8 kHz.
const FrameSamples = mediatest.FrameSamples

// Audio is mono 16-bit PCM at 8 kHz, ready to be μ-law encoded and sent.
type Audio struct {
	// Name says where the audio came from (a file name).
	Name string
	// Samples are 8 kHz mono.
	Samples []int16
	// SourceRate is the rate of the file before resampling.
	SourceRate int
}

// Duration is the audio's length.
func (a Audio) Duration() time.Duration {
	return time.Duration(len(a.Samples)) * time.Second / TwilioRate
}

// DecodeWAV reads a PCM WAV file of any rate, bit depth (8, 16, 24 or 32)
// and channel count (mixed down to mono, by mediatest.DecodeWAV) and
// converts it to 8 kHz with callguard's resampler at full quality.
func DecodeWAV(name string, data []byte) (Audio, error) {
	pcm, rate, err := mediatest.DecodeWAV(bytes.NewReader(data))
	if err != nil {
		return Audio{}, fmt.Errorf("sim: %s: %w", name, err)
	}
	if len(pcm) == 0 {
		return Audio{}, fmt.Errorf("sim: %s: no samples", name)
	}
	out := Audio{Name: name, SourceRate: rate, Samples: pcm}
	if rate == TwilioRate {
		return out, nil
	}
	rs, err := resample.New(rate, TwilioRate, resample.WithQuality(resample.VeryHigh))
	if err != nil {
		return Audio{}, fmt.Errorf("sim: %s: resampling %d Hz: %w", name, rate, err)
	}
	res := rs.Process(make([]int16, 0, int(rs.Total(int64(len(pcm))))+1), pcm)
	out.Samples = rs.Flush(res)
	return out, nil
}

// SilentFrames marks which 20 ms frames of pcm Twilio would leave out as
// silence: every sample, after μ-law quantization, within threshold of 0.
// It is how callsim counts the frames -skip-silence leaves out; mediatest
// makes the same decision when it sends.
func SilentFrames(pcm []int16, threshold int16) []bool {
	n := len(pcm) / FrameSamples
	out := make([]bool, n)
	var enc []byte
	for f := range n {
		enc = media.EncodeUlaw(enc[:0], pcm[f*FrameSamples:(f+1)*FrameSamples])
		silent := true
		for _, b := range enc {
			v := media.DecodeUlawSample(b)
			if v > threshold || v < -threshold {
				silent = false
				break
			}
		}
		out[f] = silent
	}
	return out
}

package detect

import "math"

// vadFrame is the analysis frame of the energy voice-activity detector.
const vadFrameMillis = 20

// DefaultSpeechThreshold is the frame RMS level, in dBFS, at or above which
// a 20 ms frame counts as voiced when SessionOptions.SpeechThreshold is 0.
const DefaultSpeechThreshold = -40.0

// VoicedSamples returns how many samples of pcm lie in 20 ms frames whose RMS
// level is at least thresholdDBFS (e.g. -40). A trailing short frame is judged
// on its own. It is the energy VAD a Session uses for MinSpeech.
func VoicedSamples(pcm []int16, sampleRate int, thresholdDBFS float64) int {
	if sampleRate <= 0 || len(pcm) == 0 {
		return 0
	}
	frame := sampleRate * vadFrameMillis / 1000
	if frame < 1 {
		frame = 1
	}
	// Compare mean square against the threshold's mean square: no sqrt/log per frame.
	ref := 32768 * math.Pow(10, thresholdDBFS/20)
	refSq := ref * ref
	voiced := 0
	for off := 0; off < len(pcm); off += frame {
		end := min(off+frame, len(pcm))
		var sum int64
		for _, s := range pcm[off:end] {
			v := int64(s)
			sum += v * v
		}
		if float64(sum)/float64(end-off) >= refSq {
			voiced += end - off
		}
	}
	return voiced
}

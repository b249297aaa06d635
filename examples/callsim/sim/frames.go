package sim

import (
	"encoding/base64"
	"strconv"
	"time"

	"github.com/callguard/callguard/media"
)

// Payloads returns the base64 μ-law payload of every whole 20 ms frame of
// pcm: computed once per run and shared, read-only, by every call, so a
// thousand calls do not each encode the same audio.
func Payloads(pcm []int16) [][]byte {
	n := len(pcm) / FrameSamples
	out := make([][]byte, n)
	ulaw := make([]byte, 0, FrameSamples)
	for f := range n {
		ulaw = media.EncodeUlaw(ulaw[:0], pcm[f*FrameSamples:(f+1)*FrameSamples])
		out[f] = base64.StdEncoding.AppendEncode(nil, ulaw)
	}
	return out
}

// AppendMedia appends one media message in Twilio's wire format, the same
// bytes media.Message.MarshalJSON produces for it (numbers as decimal
// strings, timestamp in milliseconds), with a payload already in base64.
// Track names and SIDs are plain ASCII identifiers and need no escaping.
func AppendMedia(dst []byte, streamSid string, seq int64, track string, chunk int64, ts time.Duration, payloadB64 []byte) []byte {
	dst = append(dst, `{"event":"media","sequenceNumber":"`...)
	dst = strconv.AppendInt(dst, seq, 10)
	dst = append(dst, `","streamSid":"`...)
	dst = append(dst, streamSid...)
	dst = append(dst, `","media":{"track":"`...)
	dst = append(dst, track...)
	dst = append(dst, `","chunk":"`...)
	dst = strconv.AppendInt(dst, chunk, 10)
	dst = append(dst, `","timestamp":"`...)
	dst = strconv.AppendInt(dst, int64(ts/time.Millisecond), 10)
	dst = append(dst, `","payload":"`...)
	dst = append(dst, payloadB64...)
	dst = append(dst, `"}}`...)
	return dst
}

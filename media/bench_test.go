package media

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"testing"

	"github.com/zaf/g711"
)

// benchFrames returns n Twilio media frames of 20 ms (160 μ-law bytes) with
// increasing chunk and timestamp.
func benchFrames(n int) [][]byte {
	ulaw := make([]byte, 160)
	for i := range ulaw {
		ulaw[i] = EncodeUlawSample(int16(8000 * math.Sin(float64(i)/5)))
	}
	payload := base64.StdEncoding.EncodeToString(ulaw)
	frames := make([][]byte, n)
	for i := range frames {
		frames[i] = fmt.Appendf(nil, `{"event":"media","sequenceNumber":"%d","media":{"track":"inbound","chunk":"%d","timestamp":"%d","payload":"%s"},"streamSid":"MZ18ad3ab5a668481ce02b83e7395059f0"}`,
			i+2, i+1, i*20, payload)
	}
	return frames
}

func benchStream() *Stream {
	s := newStream(nil, AcceptOptions{})
	s.sid = "MZ18ad3ab5a668481ce02b83e7395059f0"
	s.start.Store(&Start{StreamSid: s.sid, Tracks: []string{TrackInbound}})
	return s
}

// BenchmarkFrame is the per-frame path of ReadFrame once the WebSocket
// message is read: parse, base64 and μ-law into reused buffers.
func BenchmarkFrame(b *testing.B) {
	frames := benchFrames(4096)
	s := benchStream()
	b.SetBytes(int64(len(frames[0])))
	b.ReportAllocs()
	i := 0
	cpu := startCPU()
	for b.Loop() {
		if i == len(frames) {
			i = 0
			s.tracks[0].started = false // chunks start over
		}
		f, ok, err := s.handle(frames[i])
		if err != nil || !ok || len(f.Samples) != 160 {
			b.Fatalf("frame %d: ok=%v err=%v samples=%d", i, ok, err, len(f.Samples))
		}
		i++
	}
	cpu.report(b)
}

// BenchmarkFrameNaive is the baseline: encoding/json into a struct,
// base64.StdEncoding.DecodeString and g711.DecodeUlaw.
func BenchmarkFrameNaive(b *testing.B) {
	frames := benchFrames(4096)
	type naive struct {
		Event          string `json:"event"`
		SequenceNumber string `json:"sequenceNumber"`
		StreamSid      string `json:"streamSid"`
		Media          struct {
			Track     string `json:"track"`
			Chunk     string `json:"chunk"`
			Timestamp string `json:"timestamp"`
			Payload   string `json:"payload"`
		} `json:"media"`
	}
	b.SetBytes(int64(len(frames[0])))
	b.ReportAllocs()
	i := 0
	cpu := startCPU()
	for b.Loop() {
		var m naive
		if err := json.Unmarshal(frames[i%len(frames)], &m); err != nil {
			b.Fatal(err)
		}
		if _, err := strconv.ParseInt(m.Media.Chunk, 10, 64); err != nil {
			b.Fatal(err)
		}
		if _, err := strconv.ParseInt(m.Media.Timestamp, 10, 64); err != nil {
			b.Fatal(err)
		}
		ulaw, err := base64.StdEncoding.DecodeString(m.Media.Payload)
		if err != nil {
			b.Fatal(err)
		}
		if pcm := g711.DecodeUlaw(ulaw); len(pcm) != 320 {
			b.Fatal("short frame")
		}
		i++
	}
	cpu.report(b)
}

// BenchmarkParseMessage is the general decoder on a media frame, for
// comparison.
func BenchmarkParseMessage(b *testing.B) {
	frame := benchFrames(1)[0]
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseMessage(frame); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDecodeUlaw(b *testing.B) {
	src := make([]byte, 160)
	dst := make([]int16, 0, 160)
	b.SetBytes(160)
	b.ReportAllocs()
	for b.Loop() {
		dst = DecodeUlaw(dst[:0], src)
	}
}

func BenchmarkEncodeUlaw(b *testing.B) {
	src := make([]int16, 160)
	dst := make([]byte, 0, 160)
	b.SetBytes(320)
	b.ReportAllocs()
	for b.Loop() {
		dst = EncodeUlaw(dst[:0], src)
	}
}

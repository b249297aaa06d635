package sim

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/callguard/callguard/media"
	"github.com/google/go-cmp/cmp"
)

// AppendMedia writes what media.Message.MarshalJSON writes, and parses back
// to the same message.
func TestAppendMediaMatchesMessage(t *testing.T) {
	pcm := make([]int16, 3*FrameSamples)
	for i := range pcm {
		pcm[i] = int16(i*97%4000 - 2000)
	}
	payloads := Payloads(pcm)
	if len(payloads) != 3 {
		t.Fatalf("%d payloads", len(payloads))
	}
	for f := range 3 {
		want := media.Message{Event: media.EventMedia, SequenceNumber: int64(f + 2), StreamSid: "MZ0123",
			Media: &media.Media{Track: "outbound", Chunk: int64(f + 1), Timestamp: time.Duration(f) * 20 * time.Millisecond,
				Payload: media.EncodeUlaw(nil, pcm[f*FrameSamples:(f+1)*FrameSamples])}}
		got := AppendMedia(nil, "MZ0123", int64(f+2), "outbound", int64(f+1), time.Duration(f)*20*time.Millisecond, payloads[f])
		ref, err := json.Marshal(want)
		if err != nil {
			t.Fatal(err)
		}
		var a, b any
		if err := json.Unmarshal(got, &a); err != nil {
			t.Fatalf("frame %d: not JSON: %v: %s", f, err, got)
		}
		_ = json.Unmarshal(ref, &b)
		if d := cmp.Diff(b, a); d != "" {
			t.Errorf("frame %d differs from MarshalJSON (-want +got):\n%s", f, d)
		}
		m, err := media.ParseMessage(got)
		if err != nil {
			t.Fatalf("frame %d: media.ParseMessage: %v", f, err)
		}
		if d := cmp.Diff(&want, m); d != "" {
			t.Errorf("frame %d parses differently (-want +got):\n%s", f, d)
		}
	}
}

func BenchmarkAppendMedia(b *testing.B) {
	p := Payloads(make([]int16, FrameSamples))[0]
	buf := make([]byte, 0, 512)
	for i := range b.N {
		buf = AppendMedia(buf[:0], "MZ0123456789abcdef0123456789abcdef", int64(i), "inbound", int64(i), time.Duration(i)*20*time.Millisecond, p)
	}
}

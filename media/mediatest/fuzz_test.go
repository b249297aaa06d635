package mediatest_test

import (
	"bytes"
	"testing"

	"github.com/callguard/callguard/media/mediatest"
	"github.com/go-audio/audio"
	"github.com/go-audio/wav"
)

// wavBytes encodes data as a PCM WAV file in memory.
func wavBytes(tb testing.TB, rate, depth, channels int, data []int) []byte {
	tb.Helper()
	var ws memFile
	enc := wav.NewEncoder(&ws, rate, depth, channels, 1)
	if err := enc.Write(&audio.IntBuffer{Data: data, Format: &audio.Format{SampleRate: rate, NumChannels: channels}, SourceBitDepth: depth}); err != nil {
		tb.Fatal(err)
	}
	if err := enc.Close(); err != nil {
		tb.Fatal(err)
	}
	return ws.b
}

// memFile is an in-memory io.WriteSeeker.
type memFile struct {
	b   []byte
	pos int
}

func (m *memFile) Write(p []byte) (int, error) {
	if need := m.pos + len(p); need > len(m.b) {
		m.b = append(m.b, make([]byte, need-len(m.b))...)
	}
	copy(m.b[m.pos:], p)
	m.pos += len(p)
	return len(p), nil
}

func (m *memFile) Seek(off int64, whence int) (int64, error) {
	switch whence {
	case 1:
		off += int64(m.pos)
	case 2:
		off += int64(len(m.b))
	}
	m.pos = int(off)
	return off, nil
}

// FuzzDecodeWAV checks that DecodeWAV never panics and never reports more
// samples than the file can hold.
func FuzzDecodeWAV(f *testing.F) {
	f.Add(wavBytes(f, 8000, 16, 1, []int{0, 1000, -1000, 32767, -32768}))
	f.Add(wavBytes(f, 16000, 16, 2, []int{1, 2, 3, 4}))
	f.Add(wavBytes(f, 8000, 8, 1, []int{0, 128, 255}))
	f.Add(wavBytes(f, 44100, 24, 1, []int{1 << 20, -1 << 20}))
	f.Add([]byte("RIFF\x24\x00\x00\x00WAVEfmt \x10\x00\x00\x00"))
	f.Add([]byte("RIFF not really a wave file"))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		pcm, rate, err := mediatest.DecodeWAV(bytes.NewReader(b))
		if err != nil {
			return
		}
		if rate <= 0 {
			t.Fatalf("accepted a WAV with sample rate %d", rate)
		}
		if len(pcm) > len(b) {
			t.Fatalf("%d samples from a %d-byte file", len(pcm), len(b))
		}
	})
}

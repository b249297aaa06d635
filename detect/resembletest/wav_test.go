package resembletest

import (
	"testing"

	"github.com/callguard/callguard/detect/resemble"
)

func TestDecodeWAVRoundTrip(t *testing.T) {
	pcm := Voice(1000, 8000, 5)
	data, err := resemble.AppendWAV(nil, pcm, 8000)
	if err != nil {
		t.Fatal(err)
	}
	got, rate, err := decodeWAV(data)
	if err != nil || rate != 8000 || len(got) != len(pcm) {
		t.Fatalf("decode: %v rate %d len %d", err, rate, len(got))
	}
	for i := range pcm {
		if got[i] != pcm[i] {
			t.Fatalf("sample %d: %d != %d", i, got[i], pcm[i])
		}
	}
	for _, bad := range [][]byte{nil, []byte("RIFF"), data[:44], append([]byte("RIFX"), data[4:]...)} {
		if _, _, err := decodeWAV(bad); err == nil {
			t.Errorf("decodeWAV(%q...) accepted", bad[:min(len(bad), 8)])
		}
	}
}

func FuzzDecodeWAV(f *testing.F) {
	good, _ := resemble.AppendWAV(nil, MarkerTone(64, 8000), 8000)
	f.Add(good)
	f.Add(good[:50])
	f.Add([]byte("RIFF\x24\x00\x00\x00WAVEfmt \x10\x00\x00\x00"))
	f.Fuzz(func(t *testing.T, b []byte) {
		pcm, rate, err := decodeWAV(b)
		if err == nil && (rate <= 0 || len(pcm) == 0) {
			t.Fatalf("accepted a WAV with rate %d and %d samples", rate, len(pcm))
		}
	})
}

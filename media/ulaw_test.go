package media_test

import (
	"encoding/binary"
	"math"
	"slices"
	"testing"

	"github.com/callguard/callguard/media"
	"github.com/zaf/g711"
)

func TestDecodeUlawMatchesG711(t *testing.T) {
	src := make([]byte, 256)
	for i := range src {
		src[i] = byte(i)
	}
	got := media.DecodeUlaw(nil, src)
	ref := g711.DecodeUlaw(src)
	if len(got) != 256 {
		t.Fatalf("len = %d, want 256", len(got))
	}
	for i := range 256 {
		want := int16(binary.LittleEndian.Uint16(ref[2*i:]))
		if got[i] != want {
			t.Errorf("code %#02x: got %d, want %d", i, got[i], want)
		}
		if s := media.DecodeUlawSample(byte(i)); s != want {
			t.Errorf("DecodeUlawSample(%#02x) = %d, want %d", i, s, want)
		}
	}
}

func TestEncodeUlawMatchesG711(t *testing.T) {
	src := make([]int16, 0, 65536)
	for v := math.MinInt16; v <= math.MaxInt16; v++ {
		src = append(src, int16(v))
	}
	got := media.EncodeUlaw(nil, src)
	for i, s := range src {
		if want := g711.EncodeUlawFrame(s); got[i] != want {
			t.Fatalf("sample %d: got %#02x, want %#02x", s, got[i], want)
		}
	}
}

func TestUlawAppendSemantics(t *testing.T) {
	dst := []int16{7}
	dst = media.DecodeUlaw(dst, []byte{0xFF, 0x00})
	if want := []int16{7, 0, -32124}; !slices.Equal(dst, want) {
		t.Fatalf("DecodeUlaw append = %v, want %v", dst, want)
	}
	b := media.EncodeUlaw([]byte{1}, []int16{0, -32124})
	if len(b) != 3 || b[0] != 1 || b[1] != 0xFF || b[2] != 0x00 {
		t.Fatalf("EncodeUlaw append = %v", b)
	}
}

func TestUlawZeroAllocs(t *testing.T) {
	src := make([]byte, 160)
	pcm := make([]int16, 0, 160)
	out := make([]byte, 0, 160)
	allocs := testing.AllocsPerRun(100, func() {
		pcm = media.DecodeUlaw(pcm[:0], src)
		out = media.EncodeUlaw(out[:0], pcm)
	})
	if allocs != 0 {
		t.Fatalf("allocs per run = %v, want 0", allocs)
	}
}

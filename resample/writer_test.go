package resample

import (
	"errors"
	"slices"
	"testing"

	"github.com/go-audio/audio"
)

func TestWriter(t *testing.T) {
	x := noise(1234, 8)
	want := oneShot(t, 8000, 16000, High, x)
	var got []int16
	sink := SampleWriterFunc(func(s []int16) error {
		got = append(got, s...)
		return nil
	})
	w, err := NewWriter(sink, 8000, 16000)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < len(x); i += 160 {
		if err := w.Write(x[i:min(i+160, len(x))]); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got, want) {
		t.Errorf("writer output differs from Process+Flush (%d vs %d samples)", len(got), len(want))
	}
	if err := w.Write(x); !errors.Is(err, ErrClosed) {
		t.Errorf("Write after Close: %v, want ErrClosed", err)
	}
	if err := w.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if w.Resampler().OutRate() != 16000 {
		t.Error("Resampler() rates")
	}
}

func TestWriterChainAndErrors(t *testing.T) {
	// 8k -> 48k -> 16k through two writers equals the conversion 8k -> 16k
	// in length, and downstream errors come back.
	var n int
	sink := SampleWriterFunc(func(s []int16) error { n += len(s); return nil })
	w2, _ := NewWriter(sink, 48000, 16000)
	w1, _ := NewWriter(w2, 8000, 48000)
	for range 50 {
		w1.Write(make([]int16, 160))
	}
	w1.Close()
	w2.Close()
	if n != 16000 {
		t.Errorf("chained writers gave %d samples, want 16000", n)
	}
	boom := errors.New("boom")
	bad, _ := NewWriter(SampleWriterFunc(func([]int16) error { return boom }), 8000, 16000)
	if err := bad.Write(make([]int16, 160)); !errors.Is(err, boom) {
		t.Errorf("downstream error: %v", err)
	}
	if _, err := NewWriter(sink, 0, 1); !errors.Is(err, ErrInvalidRate) {
		t.Errorf("NewWriter bad rate: %v", err)
	}
}

func TestAudioBuffers(t *testing.T) {
	x := noise(800, 9)
	want := oneShot(t, 8000, 16000, High, x)
	r, _ := New(8000, 16000)
	src := &audio.IntBuffer{Format: &audio.Format{NumChannels: 1, SampleRate: 8000}, SourceBitDepth: 16}
	for _, v := range x {
		src.Data = append(src.Data, int(v))
	}
	dst := &audio.IntBuffer{}
	if err := r.ProcessIntBuffer(dst, src); err != nil {
		t.Fatal(err)
	}
	tail := r.Flush(nil)
	got := make([]int16, 0, len(dst.Data)+len(tail))
	for _, v := range dst.Data {
		got = append(got, int16(v))
	}
	got = append(got, tail...)
	if !slices.Equal(got, want) {
		t.Error("IntBuffer output differs from Process")
	}
	if dst.Format.SampleRate != 16000 || dst.Format.NumChannels != 1 || dst.SourceBitDepth != 16 {
		t.Errorf("dst format %+v depth %d", *dst.Format, dst.SourceBitDepth)
	}
	// Steady state: no allocation beyond dst growth.
	if allocs := testing.AllocsPerRun(20, func() {
		dst.Data = dst.Data[:0]
		r.ProcessIntBuffer(dst, src)
	}); allocs != 0 {
		t.Errorf("ProcessIntBuffer: %v allocations per call", allocs)
	}
	r.Reset()

	for _, bad := range []*audio.IntBuffer{
		{Format: &audio.Format{NumChannels: 2, SampleRate: 8000}, Data: []int{1, 2}},
		{Format: &audio.Format{NumChannels: 1, SampleRate: 44100}, Data: []int{1, 2}},
		{Format: &audio.Format{NumChannels: 1, SampleRate: 8000}, Data: []int{1, 2}, SourceBitDepth: 24},
	} {
		before := len(dst.Data)
		if err := r.ProcessIntBuffer(dst, bad); !errors.Is(err, ErrFormat) {
			t.Errorf("%+v: %v, want ErrFormat", bad.Format, err)
		}
		if len(dst.Data) != before {
			t.Error("rejected buffer changed dst")
		}
	}

	fsrc := &audio.Float32Buffer{Format: &audio.Format{NumChannels: 1, SampleRate: 8000}, Data: make([]float32, 160), SourceBitDepth: 32}
	fdst := &audio.Float32Buffer{}
	r.Reset()
	if err := r.ProcessFloat32Buffer(fdst, fsrc); err != nil {
		t.Fatal(err)
	}
	if len(fdst.Data) != 320-r.Delay() || fdst.Format.SampleRate != 16000 {
		t.Errorf("float buffer: %d samples at %d Hz", len(fdst.Data), fdst.Format.SampleRate)
	}
	fsrc.Format.NumChannels = 2
	if err := r.ProcessFloat32Buffer(fdst, fsrc); !errors.Is(err, ErrFormat) {
		t.Errorf("stereo float buffer: %v", err)
	}
}

// TestConcurrentNew builds resamplers for the same and different ratios from
// many goroutines; under -race this checks the shared table cache.
func TestConcurrentNew(t *testing.T) {
	var tabs Tables
	x := noise(500, 12)
	want := oneShot(t, 8000, 16000, High, x)
	done := make(chan []int16)
	for i := range 16 {
		go func() {
			r, err := New(8000, 16000, WithTables(&tabs))
			if err != nil {
				t.Error(err)
				done <- nil
				return
			}
			if _, err := New(16000, 8000*(1+i%3), WithTables(&tabs)); err != nil {
				t.Error(err)
			}
			done <- r.Flush(r.Process(nil, x))
		}()
	}
	for range 16 {
		if got := <-done; !slices.Equal(got, want) {
			t.Error("concurrent resampler output differs")
		}
	}
	if n := tabs.Len(); n != 4 {
		t.Errorf("%d tables cached, want 4 (2:1, 1:2, 1:1 and 3:2)", n)
	}
}

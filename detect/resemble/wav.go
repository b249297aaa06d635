package resemble

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"slices"
	"unsafe"

	"github.com/go-audio/audio"
	"github.com/go-audio/wav"

	"github.com/callguard/callguard/detect"
)

// wavHeaderLen is the length of a canonical 16-bit PCM mono WAV header.
const wavHeaderLen = 44

// WAVHeader returns the 44-byte header of a 16-bit PCM mono WAV file holding
// n samples at sampleRate. The header layout is produced by go-audio/wav's
// Encoder (and checked); only the two size fields depend on n.
func WAVHeader(sampleRate, n int) ([]byte, error) {
	h, err := headerTemplate(sampleRate)
	if err != nil {
		return nil, err
	}
	patchHeader(h, n)
	return h, nil
}

// headerTemplate encodes an empty 16-bit mono file with go-audio/wav.
func headerTemplate(sampleRate int) ([]byte, error) {
	if sampleRate <= 0 {
		return nil, fmt.Errorf("%w: sample rate %d must be positive", detect.ErrInvalidClip, sampleRate)
	}
	var ws memWriteSeeker
	enc := wav.NewEncoder(&ws, sampleRate, 16, 1, 1)
	buf := &audio.IntBuffer{Format: &audio.Format{NumChannels: 1, SampleRate: sampleRate}, SourceBitDepth: 16}
	if err := enc.Write(buf); err != nil {
		return nil, fmt.Errorf("resemble: wav header: %w", err)
	}
	if err := enc.Close(); err != nil {
		return nil, fmt.Errorf("resemble: wav header: %w", err)
	}
	h := ws.buf
	if len(h) != wavHeaderLen || !bytes.Equal(h[0:4], []byte("RIFF")) || !bytes.Equal(h[36:40], []byte("data")) {
		return nil, errors.New("resemble: unexpected wav header layout from go-audio/wav")
	}
	return h, nil
}

// patchHeader sets the RIFF and data chunk sizes for n 16-bit samples.
func patchHeader(h []byte, n int) {
	data := uint32(2 * n)
	binary.LittleEndian.PutUint32(h[4:8], 36+data)
	binary.LittleEndian.PutUint32(h[40:44], data)
}

// AppendWAV appends a complete 16-bit PCM mono WAV file holding pcm to dst
// and returns the extended slice. The result decodes with go-audio/wav.
func AppendWAV(dst []byte, pcm []int16, sampleRate int) ([]byte, error) {
	h, err := WAVHeader(sampleRate, len(pcm))
	if err != nil {
		return dst, err
	}
	dst = append(dst, h...)
	return appendPCM(dst, pcm), nil
}

// appendPCM appends pcm as little-endian 16-bit samples. On little-endian
// hosts (WAV's byte order) this is a single copy of the samples' memory.
func appendPCM(dst []byte, pcm []int16) []byte {
	if len(pcm) == 0 {
		return dst
	}
	if binary.NativeEndian.Uint16([]byte{1, 0}) == 1 {
		return append(dst, unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(pcm))), 2*len(pcm))...)
	}
	return appendPCMPortable(dst, pcm)
}

// appendPCMPortable is appendPCM for any host byte order.
func appendPCMPortable(dst []byte, pcm []int16) []byte {
	n := len(dst)
	dst = slices.Grow(dst, 2*len(pcm))[:n+2*len(pcm)]
	out := dst[n:]
	for i, s := range pcm {
		binary.LittleEndian.PutUint16(out[2*i:], uint16(s))
	}
	return dst
}

// memWriteSeeker is the in-memory io.WriteSeeker go-audio/wav needs.
type memWriteSeeker struct {
	buf []byte
	pos int
}

func (m *memWriteSeeker) Write(p []byte) (int, error) {
	if need := m.pos + len(p); need > len(m.buf) {
		m.buf = append(m.buf, make([]byte, need-len(m.buf))...)
	}
	copy(m.buf[m.pos:], p)
	m.pos += len(p)
	return len(p), nil
}

func (m *memWriteSeeker) Seek(off int64, whence int) (int64, error) {
	var p int64
	switch whence {
	case io.SeekStart:
		p = off
	case io.SeekCurrent:
		p = int64(m.pos) + off
	case io.SeekEnd:
		p = int64(len(m.buf)) + off
	}
	if p < 0 {
		return 0, errors.New("resemble: negative seek")
	}
	m.pos = int(p)
	return p, nil
}

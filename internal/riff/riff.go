// Package riff walks the chunks of a RIFF/WAVE file, checking that every
// chunk lies within the file. go-audio/wav trusts the sizes a file states
// and allocates or reads what they say; the WAV decoders of mediatest and
// resembletest walk a file with Walk before handing it to go-audio/wav.
package riff

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// ErrNotWAVE is returned by Walk for data that does not start with a
// RIFF/WAVE header.
var ErrNotWAVE = errors.New("not a RIFF/WAVE file")

// Walk calls visit (if not nil) with the ID and body of each chunk of the
// RIFF/WAVE file b, in order, and returns visit's first error. It returns
// ErrNotWAVE for a file without a RIFF/WAVE header, and an error naming
// the chunk for a chunk whose size runs past the end of b. Trailing bytes
// too short for a chunk header are ignored.
func Walk(b []byte, visit func(id string, body []byte) error) error {
	if len(b) < 12 || string(b[0:4]) != "RIFF" || string(b[8:12]) != "WAVE" {
		return ErrNotWAVE
	}
	for off := 12; off+8 <= len(b); {
		id := string(b[off : off+4])
		size := uint64(binary.LittleEndian.Uint32(b[off+4 : off+8]))
		body := off + 8
		if size > uint64(len(b)-body) {
			return fmt.Errorf("chunk %q of %d bytes runs past the end of the file", id, size)
		}
		if visit != nil {
			if err := visit(id, b[body:body+int(size)]); err != nil {
				return err
			}
		}
		off = body + int(size) + int(size&1) // chunks are padded to even sizes
	}
	return nil
}

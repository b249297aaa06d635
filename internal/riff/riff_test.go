package riff

import (
	"encoding/binary"
	"errors"
	"strconv"
	"strings"
	"testing"
)

func chunk(id string, body []byte) []byte {
	b := append([]byte(id), 0, 0, 0, 0)
	binary.LittleEndian.PutUint32(b[4:], uint32(len(body)))
	b = append(b, body...)
	if len(body)%2 == 1 {
		b = append(b, 0)
	}
	return b
}

func file(chunks ...[]byte) []byte {
	b := []byte("RIFF\x00\x00\x00\x00WAVE")
	for _, c := range chunks {
		b = append(b, c...)
	}
	binary.LittleEndian.PutUint32(b[4:], uint32(len(b)-8))
	return b
}

func TestWalk(t *testing.T) {
	good := file(chunk("fmt ", make([]byte, 16)), chunk("LIST", []byte("odd")), chunk("data", []byte{1, 2, 3, 4}))
	var ids []string
	if err := Walk(good, func(id string, body []byte) error {
		ids = append(ids, id+":"+strconv.Itoa(len(body)))
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(ids, ","); got != "fmt :16,LIST:3,data:4" {
		t.Errorf("visited %s", got)
	}
	if err := Walk(good, nil); err != nil {
		t.Errorf("nil visit: %v", err)
	}
	stop := errors.New("stop")
	if err := Walk(good, func(string, []byte) error { return stop }); err != stop {
		t.Errorf("visit error not returned: %v", err)
	}
	for name, b := range map[string][]byte{
		"empty":     nil,
		"not riff":  append([]byte("RIFX"), good[4:]...),
		"not wave":  append(append([]byte{}, good[:8]...), append([]byte("AVI "), good[12:]...)...),
		"too short": good[:11],
	} {
		if err := Walk(b, nil); !errors.Is(err, ErrNotWAVE) {
			t.Errorf("%s: %v, want ErrNotWAVE", name, err)
		}
	}
	cut := good[:len(good)-2] // the data chunk now runs past the end
	if err := Walk(cut, nil); err == nil || !strings.Contains(err.Error(), `"data"`) {
		t.Errorf("truncated chunk: %v", err)
	}
}

func FuzzWalk(f *testing.F) {
	f.Add(file(chunk("fmt ", make([]byte, 16)), chunk("data", []byte{1, 2})))
	f.Add([]byte("RIFF\x04\x00\x00\x00WAVEdata\xff\xff\xff\xff"))
	f.Fuzz(func(t *testing.T, b []byte) {
		total := 0
		_ = Walk(b, func(id string, body []byte) error {
			total += len(body)
			if len(id) != 4 || total > len(b) {
				t.Fatalf("chunk %q of %d bytes from a %d-byte file", id, len(body), len(b))
			}
			return nil
		})
	})
}

package sim

import (
	"errors"
	"io"
	"strings"
	"testing"
)

func TestSSEReader(t *testing.T) {
	in := ":ok\n\nretry: 1000\n\n" +
		"id: 1\nevent: verdict\ndata: {\"a\":1}\n\n" +
		": ping\n\n" +
		"event: multi\r\ndata: line1\r\ndata:line2\r\n\r\n" +
		"id: 7\rdata: cr\r\r" +
		"data: unterminated"
	r := NewSSEReader(strings.NewReader(in))
	want := []SSEEvent{
		{ID: "1", Type: "verdict", Data: []byte(`{"a":1}`)},
		{ID: "1", Type: "multi", Data: []byte("line1\nline2")},
		{ID: "7", Data: []byte("cr")},
	}
	for i, w := range want {
		got, err := r.Next()
		if err != nil {
			t.Fatalf("event %d: %v", i, err)
		}
		if got.ID != w.ID || got.Type != w.Type || string(got.Data) != string(w.Data) {
			t.Errorf("event %d = %v, want %v", i, got, w)
		}
	}
	if _, err := r.Next(); err != io.EOF {
		t.Errorf("after last event: err = %v, want io.EOF", err)
	}
}

func TestSSEReaderLineTooLong(t *testing.T) {
	in := "data: " + strings.Repeat("x", MaxSSELine+10) + "\n\n"
	_, err := NewSSEReader(strings.NewReader(in)).Next()
	if !errors.Is(err, ErrSSELineTooLong) {
		t.Fatalf("err = %v, want ErrSSELineTooLong", err)
	}
}

func FuzzSSEReader(f *testing.F) {
	f.Add([]byte("id: 1\nevent: verdict\ndata: {}\n\n"))
	f.Add([]byte(":ok\n\ndata: a\r\ndata: b\r\n\r\n"))
	f.Add([]byte("data\n\nid\x00: x\rdata:\r\r"))
	f.Fuzz(func(t *testing.T, b []byte) {
		r := NewSSEReader(strings.NewReader(string(b)))
		for range 1000 {
			ev, err := r.Next()
			if err != nil {
				return
			}
			if strings.ContainsAny(ev.Type, "\r\n") || strings.ContainsAny(ev.ID, "\r\n\x00") {
				t.Fatalf("field with line break: %v", ev)
			}
		}
	})
}

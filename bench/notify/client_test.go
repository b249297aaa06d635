package main

import (
	"bytes"
	"fmt"
	"testing"
	"time"
)

// chunk frames p as one HTTP/1.1 chunk.
func chunk(p string) string { return fmt.Sprintf("%x\r\n%s\r\n", len(p), p) }

func frame(t int64, seq int) string {
	return fmt.Sprintf("id: %d\nevent: verdict\ndata: {\"id\":\"%d\",\"type\":\"verdict\",\"call_sid\":\"CA0\",\"time\":\"2026-01-01T00:00:00Z\",\"data\":{\"t\":%d,\"seq\":%d}}\n\n", seq+1, seq+1, t, seq)
}

// feed gives s the bytes of wire in pieces of size step, the way reads
// may cut them, and returns the parse error.
func feed(s *stream, wire string, step int) error {
	for len(wire) > 0 {
		k := min(step, len(wire))
		s.raw = append(s.raw, wire[:k]...)
		wire = wire[k:]
		if err := s.parse(time.Unix(0, 5000), 1<<30); err != nil {
			return err
		}
	}
	return nil
}

func TestStreamParse(t *testing.T) {
	// Two events in one chunk, one event split over two chunks, a
	// heartbeat comment between them.
	f0, f1, f2 := frame(1000, 0), frame(2000, 1), frame(3000, 2)
	wire := chunk(f0+f1) + chunk(": ping\n\n") + chunk(f2[:20]) + chunk(f2[20:])
	for step := 1; step <= len(wire); step++ {
		s := &stream{chunked: true, left: -1}
		if err := feed(s, wire, step); err != nil {
			t.Fatalf("step %d: %v", step, err)
		}
		want := []time.Duration{4000, 3000, 2000}
		if s.events != 3 || fmt.Sprint(s.lats) != fmt.Sprint(want) {
			t.Fatalf("step %d: %d events, latencies %v, want 3, %v", step, s.events, s.lats, want)
		}
		if len(s.raw) != 0 || len(s.body) != 0 {
			t.Fatalf("step %d: left raw %q body %q", step, s.raw, s.body)
		}
	}
}

func TestStreamErrors(t *testing.T) {
	for name, wire := range map[string]string{
		"bad size":      "zz\r\n" + frame(1, 0),
		"no crlf":       "3\r\nabcXY",
		"end of body":   chunk(frame(1, 0)) + "0\r\n\r\n",
		"no time":       chunk("data: {\"x\":1}\n\n"),
		"bad time":      chunk("data: {\"data\":{\"t\":x}}\n\n"),
		"too long size": "1234567890123456789012345678901234567890123456789012345678901234567890",
	} {
		s := &stream{chunked: true, left: -1}
		if err := feed(s, wire, len(wire)); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

func TestHeader(t *testing.T) {
	for head, ok := range map[string]bool{
		"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n": true,
		"HTTP/1.1 200 OK\r\ncontent-type: Text/Event-Stream; charset=utf-8\r\n":                true,
		"HTTP/1.1 403 Forbidden\r\nContent-Type: text/event-stream\r\n":                        false,
		"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n":                                      false,
		"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nContent-Length: 10\r\n":         false,
		"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n":                                    false,
		"HTTP/1.0 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n": false,
	} {
		s := &stream{}
		if err := s.header([]byte(head)); (err == nil) != ok {
			t.Errorf("%q: err %v, want ok %v", head, err, ok)
		}
	}
}

// FuzzStreamParse checks that no input makes the parser panic, and that
// what it parses survives any cut into reads.
func FuzzStreamParse(f *testing.F) {
	f.Add(chunk(frame(1000, 0)+frame(2000, 1)), 7)
	f.Add(chunk(": ok\n\n")+chunk("data: {\"data\":{\"t\":9}}\n\n"), 1)
	f.Add("5\r\nabc", 2)
	f.Fuzz(func(t *testing.T, wire string, step int) {
		if step <= 0 || step > len(wire) {
			step = max(1, len(wire))
		}
		whole := &stream{chunked: true, left: -1}
		errWhole := feed(whole, wire, len(wire)+1)
		cut := &stream{chunked: true, left: -1}
		errCut := feed(cut, wire, step)
		if errWhole == nil && errCut == nil && (whole.events != cut.events || !bytes.Equal(whole.body, cut.body)) {
			t.Fatalf("whole: %d events, body %q; cut by %d: %d events, body %q", whole.events, whole.body, step, cut.events, cut.body)
		}
	})
}

package media

import (
	"bufio"
	"encoding/binary"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/coder/websocket"
)

// loopConn is a net.Conn that plays a fixed byte stream of client frames
// over and over and discards what is written: the WebSocket without the
// kernel.
type loopConn struct {
	data []byte
	off  int
}

func (c *loopConn) Read(p []byte) (int, error) {
	if c.off == len(c.data) {
		c.off = 0
	}
	n := copy(p, c.data[c.off:])
	c.off += n
	return n, nil
}
func (c *loopConn) Write(p []byte) (int, error)      { return len(p), nil }
func (c *loopConn) Close() error                     { return nil }
func (c *loopConn) LocalAddr() net.Addr              { return &net.TCPAddr{} }
func (c *loopConn) RemoteAddr() net.Addr             { return &net.TCPAddr{} }
func (c *loopConn) SetDeadline(time.Time) error      { return nil }
func (c *loopConn) SetReadDeadline(time.Time) error  { return nil }
func (c *loopConn) SetWriteDeadline(time.Time) error { return nil }

type hijackWriter struct {
	http.ResponseWriter
	conn net.Conn
}

func (w hijackWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	return w.conn, bufio.NewReadWriter(bufio.NewReader(w.conn), bufio.NewWriter(w.conn)), nil
}

// maskedTextFrame encodes payload as a client text frame with a zero mask.
func maskedTextFrame(payload []byte) []byte {
	b := []byte{0x81}
	switch n := len(payload); {
	case n < 126:
		b = append(b, 0x80|byte(n))
	default:
		b = append(b, 0x80|126)
		b = binary.BigEndian.AppendUint16(b, uint16(n))
	}
	b = append(b, 0, 0, 0, 0) // mask key
	return append(b, payload...)
}

// BenchmarkReadFrameWebSocket is ReadFrame end to end through
// coder/websocket's frame reader, with the socket replaced by memory: what a
// core spends per frame apart from the read system call.
func BenchmarkReadFrameWebSocket(b *testing.B) {
	const k = 4096
	frames := benchFrames(k)
	var stream []byte
	for _, f := range frames {
		stream = append(stream, maskedTextFrame(f)...)
	}
	r := httptest.NewRequest(http.MethodGet, "/stream", nil)
	r.Header.Set("Connection", "Upgrade")
	r.Header.Set("Upgrade", "websocket")
	r.Header.Set("Sec-WebSocket-Version", "13")
	r.Header.Set("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ==")
	conn, err := websocket.Accept(hijackWriter{httptest.NewRecorder(), &loopConn{data: stream}}, r, nil)
	if err != nil {
		b.Fatal(err)
	}
	s := newStream(conn, AcceptOptions{})
	s.sid = "MZ18ad3ab5a668481ce02b83e7395059f0"
	s.start.Store(&Start{StreamSid: s.sid, Tracks: []string{TrackInbound}})
	ctx := b.Context()
	b.ReportAllocs()
	i := 0
	cpu := startCPU()
	for b.Loop() {
		if i == k {
			i = 0
			s.tracks[0].started = false // the byte stream starts over
		}
		f, err := s.ReadFrame(ctx)
		if err != nil || len(f.Samples) != 160 {
			b.Fatalf("frame %d: %v", i, err)
		}
		i++
	}
	cpu.report(b)
}

package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"slices"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/callguard/callguard/internal/selfcpu"
)

// The client process opens every stream as a real TCP connection with a
// real HTTP/1.1 GET, checks once per connection that the answer is 200
// with Content-Type text/event-stream, and reads the ":ok" comment that
// says the Hub registered it. Then it takes the socket away from Go's
// network poller and reads all of them from -loops epoll loops: one
// read(2) per readiness, no EAGAIN read after it, no goroutine per
// stream. Each stream's bytes are de-chunked (HTTP/1.1 chunked encoding,
// when the server uses it) and split into SSE frames at the blank line;
// an event counts as delivered when its data line has been parsed for
// the publish time it carries.

// stream is one subscriber's connection and parse state.
type stream struct {
	fd      int
	chunked bool
	left    int    // bytes left in the current chunk; -1: chunk-size line next; -2: CRLF after the chunk
	raw     []byte // bytes read and not yet de-chunked
	body    []byte // SSE bytes not yet split into frames
	events  int    // events parsed
	lats    []time.Duration
}

var errBodyEnd = errors.New("stream ended")

// decode moves what it can of s.raw into s.body, removing chunk framing.
func (s *stream) decode() error {
	if !s.chunked {
		s.body = append(s.body, s.raw...)
		s.raw = s.raw[:0]
		return nil
	}
	p := s.raw
	for len(p) > 0 {
		switch {
		case s.left == -1:
			i := bytes.Index(p, []byte("\r\n"))
			if i < 0 {
				if len(p) > 64 {
					return fmt.Errorf("bad chunk-size line %q", p)
				}
				goto out
			}
			line := p[:i]
			if j := bytes.IndexByte(line, ';'); j >= 0 {
				line = line[:j]
			}
			n, err := strconv.ParseUint(string(bytes.TrimSpace(line)), 16, 31)
			if err != nil {
				return fmt.Errorf("bad chunk size %q", line)
			}
			if n == 0 {
				return errBodyEnd
			}
			s.left = int(n)
			p = p[i+2:]
		case s.left == -2:
			if len(p) < 2 {
				goto out
			}
			if p[0] != '\r' || p[1] != '\n' {
				return fmt.Errorf("no CRLF after chunk: %q", p[:2])
			}
			s.left = -1
			p = p[2:]
		default:
			k := min(s.left, len(p))
			s.body = append(s.body, p[:k]...)
			s.left -= k
			p = p[k:]
			if s.left == 0 {
				s.left = -2
			}
		}
	}
out:
	s.raw = s.raw[:copy(s.raw, p)]
	return nil
}

// frames splits complete SSE frames off s.body and calls f for each,
// without its terminating blank line.
func (s *stream) frames(f func(frame []byte) error) error {
	b := s.body
	for {
		i := bytes.Index(b, []byte("\n\n"))
		if i < 0 {
			break
		}
		if err := f(b[:i+1]); err != nil {
			return err
		}
		b = b[i+2:]
	}
	s.body = s.body[:copy(s.body, b)]
	return nil
}

var timeKey = []byte(`"data":{"t":`)

// publishTime returns the publish time carried by an event frame's data
// line, and false for a frame without data (a comment).
func publishTime(frame []byte) (int64, bool, error) {
	for len(frame) > 0 {
		line := frame
		if i := bytes.IndexByte(frame, '\n'); i >= 0 {
			line, frame = frame[:i], frame[i+1:]
		} else {
			frame = nil
		}
		if !bytes.HasPrefix(line, []byte("data: ")) {
			continue
		}
		i := bytes.Index(line, timeKey)
		if i < 0 {
			return 0, false, fmt.Errorf("no publish time in %q", line)
		}
		var t int64
		digits := 0
		for _, c := range line[i+len(timeKey):] {
			if c < '0' || c > '9' || digits == 19 {
				break
			}
			t = t*10 + int64(c-'0')
			digits++
		}
		if digits == 0 || t < 0 {
			return 0, false, fmt.Errorf("bad publish time in %q", line)
		}
		return t, true, nil
	}
	return 0, false, nil
}

// subscribe opens one SSE stream and returns it, with its socket
// duplicated out of Go's poller, after the ":ok" comment.
func subscribe(addr string) (*stream, error) {
	conn, err := net.DialTimeout("tcp", addr, 30*time.Second)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(30 * time.Second))
	req := "GET /events HTTP/1.1\r\nHost: " + addr + "\r\nAccept: text/event-stream\r\n\r\n"
	if _, err := conn.Write([]byte(req)); err != nil {
		return nil, err
	}
	buf := make([]byte, 0, 2048)
	var head []byte
	for {
		if len(buf) == cap(buf) {
			return nil, fmt.Errorf("subscribe: response header too long")
		}
		n, err := conn.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if i := bytes.Index(buf, []byte("\r\n\r\n")); i >= 0 {
			head = buf[:i+2]
			buf = buf[i+4:]
			break
		}
		if err != nil {
			return nil, fmt.Errorf("subscribe: reading header: %w", err)
		}
	}
	s := &stream{left: -1, raw: make([]byte, 0, 2048), body: make([]byte, 0, 1024)}
	if err := s.header(head); err != nil {
		return nil, err
	}
	s.raw = append(s.raw, buf...)
	for {
		if err := s.decode(); err != nil {
			return nil, fmt.Errorf("subscribe: %w", err)
		}
		if i := bytes.Index(s.body, []byte("\n\n")); i >= 0 {
			if string(s.body[:i]) != ":ok" {
				return nil, fmt.Errorf("subscribe: first frame %q", s.body[:i])
			}
			s.body = s.body[:copy(s.body, s.body[i+2:])]
			break
		}
		if len(s.raw) == cap(s.raw) {
			return nil, fmt.Errorf("subscribe: no :ok comment")
		}
		n, err := conn.Read(s.raw[len(s.raw):cap(s.raw)])
		s.raw = s.raw[:len(s.raw)+n]
		if err != nil && n == 0 {
			return nil, fmt.Errorf("subscribe: reading :ok: %w", err)
		}
	}
	sc, err := conn.(*net.TCPConn).SyscallConn()
	if err != nil {
		return nil, err
	}
	var dupErr error
	if err := sc.Control(func(fd uintptr) {
		s.fd, dupErr = syscall.Dup(int(fd))
	}); err != nil {
		return nil, err
	}
	if dupErr != nil {
		return nil, dupErr
	}
	syscall.CloseOnExec(s.fd)
	// The socket stays non-blocking (the flag belongs to the open file,
	// shared by the duplicate); closing conn removes the original
	// descriptor from Go's poller.
	return s, nil
}

// header checks the status line and headers once per connection.
func (s *stream) header(head []byte) error {
	lines := bytes.Split(head, []byte("\r\n"))
	if !bytes.HasPrefix(lines[0], []byte("HTTP/1.1 200 ")) {
		return fmt.Errorf("subscribe: %q", lines[0])
	}
	sse := false
	for _, l := range lines[1:] {
		k, v, ok := bytes.Cut(l, []byte(":"))
		if !ok {
			continue
		}
		v = bytes.TrimSpace(v)
		switch string(bytes.ToLower(bytes.TrimSpace(k))) {
		case "content-type":
			sse = bytes.HasPrefix(bytes.ToLower(v), []byte("text/event-stream"))
		case "transfer-encoding":
			s.chunked = bytes.EqualFold(v, []byte("chunked"))
		case "content-length":
			return fmt.Errorf("subscribe: stream has Content-Length %s", v)
		}
	}
	if !sse {
		return fmt.Errorf("subscribe: not text/event-stream: %q", head)
	}
	return nil
}

// loop reads its streams until each has delivered want events or ended.
func loop(streams []*stream, want int) (ended int, err error) {
	epfd, err := syscall.EpollCreate1(syscall.EPOLL_CLOEXEC)
	if err != nil {
		return 0, err
	}
	defer syscall.Close(epfd)
	maxFD := 0
	for _, s := range streams {
		maxFD = max(maxFD, s.fd)
	}
	byFD := make([]*stream, maxFD+1) // by descriptor; nil once done
	active := 0
	for _, s := range streams {
		ev := syscall.EpollEvent{Events: syscall.EPOLLIN | syscall.EPOLLRDHUP, Fd: int32(s.fd)}
		if err := syscall.EpollCtl(epfd, syscall.EPOLL_CTL_ADD, s.fd, &ev); err != nil {
			return 0, err
		}
		byFD[s.fd] = s
		active++
	}
	// A stream that is done leaves the loop but stays open: closing
	// 10,000 sockets while others still wait for the last event would
	// make the server tear connections down during the measurement. The
	// process exits after reporting.
	finish := func(s *stream) {
		syscall.EpollCtl(epfd, syscall.EPOLL_CTL_DEL, s.fd, nil)
		byFD[s.fd] = nil
		active--
	}
	// Streams that got data before the loop started (with the ":ok").
	for _, s := range streams {
		if err := s.parse(time.Now(), want); err != nil || s.events >= want {
			if s.events < want {
				ended++
			}
			finish(s)
		}
	}
	events := make([]syscall.EpollEvent, 256)
	for active > 0 {
		n, err := syscall.EpollWait(epfd, events, -1)
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			return ended, err
		}
		for _, ev := range events[:n] {
			s := byFD[ev.Fd]
			if s == nil {
				continue
			}
			if len(s.raw) == cap(s.raw) {
				s.raw = append(s.raw, make([]byte, cap(s.raw))...)[:len(s.raw)]
			}
			m, err := syscall.Read(s.fd, s.raw[len(s.raw):cap(s.raw)])
			if err == syscall.EAGAIN || err == syscall.EINTR {
				continue
			}
			now := time.Now()
			if m <= 0 {
				ended++
				finish(s)
				continue
			}
			s.raw = s.raw[:len(s.raw)+m]
			perr := s.parse(now, want)
			if perr != nil || s.events >= want {
				if s.events < want {
					ended++
				}
				finish(s)
			}
		}
	}
	return ended, nil
}

// parse decodes what s has read and records the events in it, read at
// now.
func (s *stream) parse(now time.Time, want int) error {
	if err := s.decode(); err != nil {
		return err
	}
	return s.frames(func(frame []byte) error {
		t, ok, err := publishTime(frame)
		if err != nil || !ok {
			return err
		}
		if s.events < want {
			s.lats = append(s.lats, time.Duration(now.UnixNano()-t))
			s.events++
		}
		return nil
	})
}

func runClients(c config) error {
	start := time.Now()
	streams := make([]*stream, c.n)
	sem := make(chan struct{}, 128)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var firstErr error
	for i := range c.n {
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			s, err := subscribe(c.addr)
			if err != nil {
				mu.Lock()
				if firstErr == nil {
					firstErr = err
				}
				mu.Unlock()
				return
			}
			streams[i] = s
		}()
	}
	wg.Wait()
	if firstErr != nil {
		return firstErr
	}
	dial := time.Since(start)
	loops := max(1, min(c.loops, c.n))
	cpu0 := selfcpu.Used()
	fmt.Println("READY")
	var ended int
	var errs []error
	var rmu sync.Mutex
	for l := range loops {
		var part []*stream
		for i := l; i < len(streams); i += loops {
			part = append(part, streams[i])
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			e, err := loop(part, c.events)
			rmu.Lock()
			ended += e
			if err != nil {
				errs = append(errs, err)
			}
			rmu.Unlock()
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return err
	}
	r := result{CPU: selfcpu.Used() - cpu0, Subscribers: c.n, Expected: c.n * c.events, Ended: ended, DialTime: dial}
	perEvent := make([][]time.Duration, c.events)
	for _, s := range streams {
		r.Received += s.events
		r.Latencies = append(r.Latencies, s.lats...)
		for i, l := range s.lats {
			perEvent[i] = append(perEvent[i], l)
		}
	}
	for _, l := range perEvent {
		slices.Sort(l)
		r.PerEvent = append(r.PerEvent, [3]time.Duration{pct(l, 50), pct(l, 99), pct(l, 100)})
	}
	return json.NewEncoder(os.Stdout).Encode(r)
}

package testlog

import (
	"bytes"
	"sync"
)

// SyncBuffer is a bytes.Buffer safe for concurrent use by writers and
// readers. The zero value is an empty buffer ready to use.
type SyncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
	ch chan struct{} // closed by the next Write; nil until Changed asks
}

// Write appends p to the buffer.
func (s *SyncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ch != nil {
		close(s.ch)
		s.ch = nil
	}
	return s.b.Write(p)
}

// Changed returns a channel that is closed by the next Write. To wait for
// some output without polling, take the channel before looking:
//
//	for {
//		changed := buf.Changed()
//		if strings.Contains(buf.String(), "ready") {
//			break
//		}
//		<-changed // or select with a timeout
//	}
func (s *SyncBuffer) Changed() <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ch == nil {
		s.ch = make(chan struct{})
	}
	return s.ch
}

// String returns everything written so far.
func (s *SyncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

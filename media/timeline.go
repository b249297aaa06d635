package media

import (
	"sync/atomic"
	"time"

	"github.com/coder/websocket"
)

// Stats counts what a Stream has read, per track.
type Stats struct {
	// Messages is the number of WebSocket messages read, of any event.
	Messages int64
	// Tracks maps a track name ("inbound", "outbound") to its counters.
	Tracks map[string]TrackStats
}

// TrackStats counts one track's media.
type TrackStats struct {
	Frames  int64         // media messages accepted
	Bytes   int64         // μ-law payload bytes accepted
	Gaps    int64         // timestamp jumps filled with silence
	Silence time.Duration // total silence inserted
	Dropped int64         // duplicate or out-of-order chunks dropped
}

// trackState is one track's timeline. Fields other than the counters belong
// to the reader goroutine.
type trackState struct {
	name      string
	started   bool
	lastChunk int64
	lastTS    int64 // ms
	next      int64 // timeline position of the next sample

	frames, bytes, gaps, silence, dropped atomic.Int64
}

// Stats returns a snapshot of the counters. It may be called from any
// goroutine.
func (s *Stream) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := Stats{Messages: s.messages.Load(), Tracks: make(map[string]TrackStats, len(s.tracks))}
	for _, t := range s.tracks {
		st.Tracks[t.name] = TrackStats{
			Frames:  t.frames.Load(),
			Bytes:   t.bytes.Load(),
			Gaps:    t.gaps.Load(),
			Silence: samplesToDuration(t.silence.Load()),
			Dropped: t.dropped.Load(),
		}
	}
	return st
}

// track finds or creates the state of the named track.
func (s *Stream) track(name []byte) *trackState {
	if len(name) == 0 {
		name = []byte(TrackInbound)
	}
	for _, t := range s.tracks {
		if t.name == string(name) {
			return t
		}
	}
	t := &trackState{name: string(name)}
	s.mu.Lock()
	s.tracks = append(s.tracks, t)
	s.mu.Unlock()
	return t
}

// media places one chunk of μ-law audio on its track's timeline. ok is false
// when the chunk was dropped.
func (s *Stream) media(track, sid []byte, chunk, ts int64, ulaw []byte) (Frame, bool, error) {
	if s.start.Load() == nil {
		return Frame{}, false, &ProtocolError{Event: EventMedia, Reason: "media before start", Status: websocket.StatusPolicyViolation}
	}
	if s.stopped {
		return Frame{}, false, &ProtocolError{Event: EventMedia, Reason: "media after stop", Status: websocket.StatusPolicyViolation}
	}
	if len(sid) != 0 && string(sid) != s.sid {
		return Frame{}, false, &ProtocolError{Event: EventMedia, Reason: "streamSid " + string(sid) + " does not match " + s.sid, Status: websocket.StatusPolicyViolation}
	}
	t := s.track(track)
	pos := ts * (SampleRate / 1000)
	var gap int64
	if !t.started {
		t.started = true
		t.next = pos
	} else {
		if (chunk != 0 && chunk <= t.lastChunk) || ts < t.lastTS || (chunk == 0 && ts == t.lastTS) {
			t.dropped.Add(1)
			return Frame{}, false, nil
		}
		if d := pos - t.next; d >= jitterSamples {
			if d > s.maxGap {
				return Frame{}, false, &ProtocolError{Event: EventMedia, Reason: "timestamp jumps by " + samplesToDuration(d).String(), Status: websocket.StatusPolicyViolation}
			}
			gap = d
		}
	}
	t.lastChunk, t.lastTS = chunk, ts
	t.frames.Add(1)
	t.bytes.Add(int64(len(ulaw)))
	if gap > 0 {
		t.gaps.Add(1)
		t.silence.Add(gap)
	}
	if gap > maxSilenceFrame {
		s.pendTrack, s.pendGap = t, gap
		s.pendUlaw = append(s.pendUlaw[:0], ulaw...)
		return s.emitPending(), true, nil
	}
	return s.emit(t, gap, ulaw), true, nil
}

// emitPending returns the next piece of a long gap: silence-only frames of at
// most maxSilenceFrame, then the remaining silence with the audio.
func (s *Stream) emitPending() Frame {
	t := s.pendTrack
	if s.pendGap > maxSilenceFrame {
		s.pendGap -= maxSilenceFrame
		return s.emit(t, maxSilenceFrame, nil)
	}
	gap := s.pendGap
	s.pendGap, s.pendTrack = 0, nil
	return s.emit(t, gap, s.pendUlaw)
}

// emit builds a frame of gap samples of silence followed by ulaw, at the
// track's next position, into the reused sample buffer.
func (s *Stream) emit(t *trackState, gap int64, ulaw []byte) Frame {
	s.pcm = extend(s.pcm[:0], int(gap))
	clear(s.pcm)
	s.pcm = DecodeUlaw(s.pcm, ulaw)
	f := Frame{
		Track:     t.name,
		Timestamp: samplesToDuration(t.next),
		Samples:   s.pcm,
		Gap:       samplesToDuration(gap),
	}
	t.next += int64(len(s.pcm))
	return f
}

func samplesToDuration(n int64) time.Duration {
	return time.Duration(n) * (time.Second / SampleRate)
}

func durationToSamples(d time.Duration) int64 {
	return int64(d / (time.Second / SampleRate))
}

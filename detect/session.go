package detect

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sync"
	"time"
)

// Summary is the call-level result of a Session, returned by Close.
type Summary struct {
	// Windows is the number of windows cut, including the flushed partial.
	Windows int `json:"windows"`
	// Speech is the number of windows with enough voiced audio (every window
	// not labelled NoSpeech).
	Speech int `json:"speech"`
	// Judged is the number of windows the detector answered (Real or Fake).
	Judged int `json:"judged"`
	// Fake is the number of windows labelled Fake.
	Fake int `json:"fake"`
	// MaxScore is the highest score of the judged windows.
	MaxScore float64 `json:"max_score"`
	// MeanScore is the mean score of the judged windows.
	MeanScore float64 `json:"mean_score"`
	// Decision is the Policy's call-level conclusion.
	Decision Decision `json:"decision"`
	// Alerted reports whether the Policy raised an alert.
	Alerted bool `json:"alerted"`
	// Errors is the number of Unknown verdicts (vendor errors, skips,
	// cancellations).
	Errors int `json:"errors"`
	// Skipped is the part of Errors skipped under back-pressure
	// (MaxQueued reached).
	Skipped int `json:"skipped"`
}

// A Session cuts a live PCM stream into windows, asks a Detector about each
// speech window, and delivers verdicts in window order through
// SessionOptions.OnVerdict. Write and Close may be called from different
// goroutines; Write never waits for the detector.
type Session struct {
	d    Detector
	opts SessionOptions
	win  int // window length in samples
	hop  int // hop in samples
	// minVoiced is the voiced sample count a window needs; -1 disables the VAD.
	minVoiced int

	ctx    context.Context // cancelled when Close gives up waiting
	cancel context.CancelFunc
	wg     sync.WaitGroup // detector goroutines
	notify chan struct{}  // wakes the delivery goroutine (capacity 1)
	done   chan struct{}  // closed when the delivery goroutine returns

	mu        sync.Mutex
	closing   bool // Close called: Write refuses
	closed    bool // no more windows will be cut
	buf       []int16
	bufStart  int64 // absolute sample index of buf[0]
	nextStart int64 // absolute sample index where the next window starts
	cutEnd    int64 // end of the last window cut
	nextIndex int   // index the next cut window gets
	inFlight  int
	queue     []job
	results   map[int]Verdict // finished, awaiting delivery
	summary   Summary
	scoreSum  float64
}

type job struct {
	index int
	clip  Clip
	cut   time.Time
}

// NewSession starts a session that judges audio with d. It starts one
// delivery goroutine; Close stops it.
func NewSession(d Detector, opts SessionOptions) *Session {
	opts = opts.withDefaults()
	s := &Session{
		d:       d,
		opts:    opts,
		win:     samples(opts.Window, opts.SampleRate),
		hop:     samples(opts.Hop, opts.SampleRate),
		notify:  make(chan struct{}, 1),
		done:    make(chan struct{}),
		results: make(map[int]Verdict),
	}
	if opts.MinSpeech < 0 {
		s.minVoiced = -1
	} else {
		s.minVoiced = int(int64(opts.MinSpeech) * int64(opts.SampleRate) / int64(time.Second))
	}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	go s.deliverLoop()
	return s
}

// Write appends PCM (mono, SessionOptions.SampleRate) to the stream. Chunks
// may be any size. Every completed window is judged in the background; Write
// itself only copies samples and never waits for the detector. It returns
// ErrClosed after Close.
func (s *Session) Write(pcm []int16) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closing {
		return ErrClosed
	}
	// With Hop > Window, samples between windows are not needed.
	if end := s.bufStart + int64(len(s.buf)); end < s.nextStart {
		drop := min(s.nextStart-end, int64(len(pcm)))
		pcm = pcm[drop:]
		s.bufStart += drop
	}
	s.buf = append(s.buf, pcm...)
	for s.bufStart+int64(len(s.buf)) >= s.nextStart+int64(s.win) {
		off := int(s.nextStart - s.bufStart)
		s.cutLocked(s.buf[off:off+s.win], s.nextStart)
		s.nextStart += int64(s.hop)
	}
	if drop := s.nextStart - s.bufStart; drop > 0 {
		if drop >= int64(len(s.buf)) {
			s.bufStart += int64(len(s.buf))
			s.buf = s.buf[:0]
		} else {
			n := copy(s.buf, s.buf[drop:])
			s.buf = s.buf[:n]
			s.bufStart += drop
		}
	}
	return nil
}

// cutLocked turns pcm, starting at absolute sample pos, into a window.
func (s *Session) cutLocked(pcm []int16, pos int64) {
	idx := s.nextIndex
	s.nextIndex++
	s.cutEnd = pos + int64(len(pcm))
	rate := s.opts.SampleRate
	start, end := at(pos, rate), at(s.cutEnd, rate)
	if s.minVoiced >= 0 {
		if v := VoicedSamples(pcm, rate, s.opts.SpeechThreshold); v < s.minVoiced || v == 0 {
			s.finishLocked(Verdict{Index: idx, Start: start, End: end, Label: NoSpeech})
			return
		}
	}
	j := job{index: idx, cut: time.Now(), clip: Clip{
		CallSid: s.opts.CallSid, Track: s.opts.Track, Start: start,
		SampleRate: rate, Samples: append([]int16(nil), pcm...),
	}}
	switch {
	case s.inFlight < s.opts.MaxInFlight:
		s.inFlight++
		s.wg.Add(1)
		go s.work(j)
	case len(s.queue) < s.opts.MaxQueued:
		s.queue = append(s.queue, j)
	default:
		reason := fmt.Sprintf("skipped: detector backlog full (%d in flight, %d queued; MaxQueued %d)",
			s.inFlight, len(s.queue), s.opts.MaxQueued)
		s.opts.Logger.Warn("detect: window skipped", "call_sid", s.opts.CallSid, "track", s.opts.Track,
			"window", idx, "start", start, "reason", reason)
		s.summary.Skipped++
		s.finishLocked(Verdict{Index: idx, Start: start, End: end, Label: Unknown, Err: reason})
	}
}

// finishLocked stores a finished verdict for delivery.
func (s *Session) finishLocked(v Verdict) {
	v.CallSid, v.Track = s.opts.CallSid, s.opts.Track
	if v.Decided.IsZero() {
		v.Decided = time.Now()
	}
	s.results[v.Index] = v
	select {
	case s.notify <- struct{}{}:
	default:
	}
}

// work judges j, then keeps taking queued windows until the queue is empty.
func (s *Session) work(j job) {
	defer s.wg.Done()
	for {
		v := s.judge(j)
		s.mu.Lock()
		s.finishLocked(v)
		if len(s.queue) == 0 {
			s.inFlight--
			s.mu.Unlock()
			return
		}
		j = s.queue[0]
		s.queue[0] = job{}
		s.queue = s.queue[1:]
		s.mu.Unlock()
	}
}

// judge asks the detector about one window and normalises the answer.
func (s *Session) judge(j job) (v Verdict) {
	c := j.clip
	end := c.Start + c.Duration()
	unknown := func(err error) Verdict {
		return Verdict{Index: j.index, Start: c.Start, End: end, Label: Unknown, Err: err.Error(),
			Latency: time.Since(j.cut)}
	}
	if err := s.ctx.Err(); err != nil {
		return unknown(errors.New("session closed before the window was judged"))
	}
	ctx, cancel := context.WithTimeout(s.ctx, s.opts.Timeout)
	defer cancel()
	t0 := time.Now()
	v, err := s.safeDetect(ctx, c)
	lat := time.Since(t0)
	if v.Decided.IsZero() {
		v.Decided = t0.Add(lat)
	}
	if err == nil && !v.Label.Valid() {
		err = fmt.Errorf("detect: detector returned label %q, want %q or %q", v.Label, Real, Fake)
	}
	if err == nil && v.Label == Unknown && v.Err == "" {
		v.Err = "detector answered unknown"
	}
	if err != nil {
		s.opts.Logger.Warn("detect: window not judged", "call_sid", s.opts.CallSid, "track", s.opts.Track,
			"window", j.index, "start", c.Start, "err", err)
		u := unknown(err)
		u.Vendor, u.ID, u.Raw, u.Decided = v.Vendor, v.ID, v.Raw, v.Decided
		return u
	}
	v.Index, v.Start, v.End = j.index, c.Start, end
	if math.IsNaN(v.Score) {
		v.Score = 0
	}
	v.Score = min(max(v.Score, 0), 1)
	if v.Label != Real && v.Label != Fake {
		v.Score = 0
	}
	if v.Latency == 0 {
		v.Latency = lat
	}
	if v.Label != Unknown {
		v.Err = ""
	}
	return v
}

func (s *Session) safeDetect(ctx context.Context, c Clip) (v Verdict, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("detect: detector panicked: %v", r)
		}
	}()
	if s.d == nil {
		return Verdict{}, errors.New("detect: nil Detector")
	}
	return s.d.Detect(ctx, c)
}

// deliverLoop hands finished verdicts to the callbacks in window order.
func (s *Session) deliverLoop() {
	defer close(s.done)
	next := 0
	alerted := false
	history := make([]Verdict, 0, MaxHistory)
	var batch []Verdict
	for {
		s.mu.Lock()
		batch = batch[:0]
		for {
			v, ok := s.results[next]
			if !ok {
				break
			}
			delete(s.results, next)
			next++
			batch = append(batch, v)
			s.countLocked(v)
		}
		finished := s.closed && next == s.nextIndex
		s.mu.Unlock()

		for _, v := range batch {
			s.call(func() {
				if s.opts.OnVerdict != nil {
					s.opts.OnVerdict(v)
				}
			})
			if alerted || (v.Label != Real && v.Label != Fake) {
				continue
			}
			if len(history) == MaxHistory {
				copy(history, history[1:])
				history = history[:MaxHistory-1]
			}
			history = append(history, v)
			reason, fire := s.opts.Policy.Check(history)
			if !fire {
				continue
			}
			alerted = true
			s.mu.Lock()
			s.summary.Alerted = true
			s.mu.Unlock()
			a := Alert{CallSid: s.opts.CallSid, Track: s.opts.Track, Index: v.Index, Start: v.Start, End: v.End,
				Score: v.Score, Reason: reason, Evidence: append([]Verdict(nil), history...)}
			s.opts.Logger.Info("detect: alert", "call_sid", a.CallSid, "track", a.Track, "window", a.Index, "reason", reason)
			s.call(func() {
				if s.opts.OnAlert != nil {
					s.opts.OnAlert(a)
				}
			})
		}
		if finished {
			return
		}
		if len(batch) == 0 {
			<-s.notify
		}
	}
}

// call runs a user callback; a panic is logged rather than killing the
// delivery goroutine (which Close waits for).
func (s *Session) call(f func()) {
	defer func() {
		if r := recover(); r != nil {
			s.opts.Logger.Error("detect: callback panicked", "call_sid", s.opts.CallSid, "panic", r)
		}
	}()
	f()
}

func (s *Session) countLocked(v Verdict) {
	sm := &s.summary
	sm.Windows++
	if v.Label != NoSpeech {
		sm.Speech++
	}
	switch v.Label {
	case Real, Fake:
		sm.Judged++
		if v.Label == Fake {
			sm.Fake++
		}
		s.scoreSum += v.Score
		sm.MeanScore = s.scoreSum / float64(sm.Judged)
		sm.MaxScore = max(sm.MaxScore, v.Score)
	case Unknown:
		sm.Errors++
	}
}

// Summary returns a snapshot of the verdicts delivered so far. Its Decision
// is the Policy's view of the session so far.
func (s *Session) Summary() Summary {
	s.mu.Lock()
	sm := s.summary
	s.mu.Unlock()
	sm.Decision = s.opts.Policy.Decide(sm, sm.Alerted)
	return sm
}

// Close ends the stream: it cuts the last partial window (judged if it
// holds at least MinSpeech of voiced audio, otherwise labelled NoSpeech),
// waits for every outstanding answer, delivers every verdict, and returns the
// Summary. If ctx ends first, outstanding Detect calls are cancelled (their
// windows get Unknown verdicts, still delivered) and ctx's error is returned
// with the summary. No goroutine started by the session outlives Close; a
// Detector that ignores context cancellation keeps Close waiting for it.
// Calling Close again returns the summary and ErrClosed.
func (s *Session) Close(ctx context.Context) (Summary, error) {
	s.mu.Lock()
	if s.closing {
		s.mu.Unlock()
		<-s.done
		return s.Summary(), ErrClosed
	}
	s.closing = true
	if end := s.bufStart + int64(len(s.buf)); end > s.cutEnd && end > s.nextStart {
		off := int(s.nextStart - s.bufStart)
		s.cutLocked(s.buf[off:], s.nextStart)
	}
	s.buf = nil
	s.closed = true
	s.mu.Unlock()
	select {
	case s.notify <- struct{}{}:
	default:
	}

	var err error
	select {
	case <-s.done:
	case <-ctx.Done():
		err = ctx.Err()
		s.cancel()
		<-s.done
	}
	s.cancel()
	s.wg.Wait()
	return s.Summary(), err
}

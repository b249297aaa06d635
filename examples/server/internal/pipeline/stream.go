package pipeline

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/callguard/callguard/detect"
	"github.com/callguard/callguard/examples/server/internal/store"
	"github.com/callguard/callguard/examples/server/internal/view"
	"github.com/callguard/callguard/media"
	"github.com/callguard/callguard/notify"
)

// Serve runs one accepted stream to its end: it reads the start message,
// records the call and stream, opens a detection per track, and feeds the
// audio through until Twilio stops the stream, the peer goes away, ctx is
// cancelled or the manager shuts down. It closes st. log (nil: the
// manager's logger) is the request's logger; call_sid and stream_sid are
// added to it.
func (m *Manager) Serve(ctx context.Context, st *media.Stream, log *slog.Logger) error {
	if log == nil {
		log = m.o.Logger
	}
	m.mu.Lock()
	if m.closing {
		m.mu.Unlock()
		_ = st.CloseWithError(ErrShuttingDown)
		return ErrShuttingDown
	}
	rctx, cancel := context.WithCancelCause(ctx)
	r := &run{cancel: cancel, done: make(chan struct{})}
	m.streams[r] = struct{}{}
	m.wg.Add(1)
	m.mu.Unlock()
	defer func() {
		m.mu.Lock()
		delete(m.streams, r)
		m.mu.Unlock()
		close(r.done)
		cancel(nil)
		m.wg.Done()
	}()
	if m.o.Metrics != nil {
		m.o.Metrics.ActiveStreams.Inc()
		defer m.o.Metrics.ActiveStreams.Dec()
	}
	err := m.serve(rctx, st, log)
	if m.o.Metrics != nil {
		result := "ok"
		if err != nil {
			result = "error"
		}
		m.o.Metrics.Streams.WithLabelValues(result).Inc()
	}
	return err
}

func (m *Manager) serve(ctx context.Context, st *media.Stream, log *slog.Logger) error {
	start, err := st.ReadStart(ctx)
	if err != nil {
		_ = st.CloseWithError(err)
		if errors.Is(err, io.EOF) {
			return nil
		}
		m.countErr("stream_start")
		log.Warn("media stream ended before start", "err", err)
		return fmt.Errorf("pipeline: read start: %w", err)
	}
	// base is the wall time of the stream's timeline origin, for the frame
	// lag metric (a monotonic reading, unlike startedAt).
	base := time.Now()
	log = log.With("call_sid", start.CallSid, "stream_sid", start.StreamSid)
	startedAt := base.UTC()
	tracks := start.Tracks
	if len(tracks) == 0 {
		tracks = []string{"inbound"}
	}

	pctx, pcancel := m.persistCtx(ctx)
	defer pcancel()
	call, err := m.o.Store.UpsertCall(pctx, store.Call{Sid: start.CallSid, AccountSid: start.AccountSid, Status: "in-progress"})
	if err == nil {
		_, err = m.o.Store.UpsertStream(pctx, store.Stream{Sid: start.StreamSid, CallSid: start.CallSid,
			AccountSid: start.AccountSid, Tracks: tracks, Status: store.StreamStarted, StartedAt: startedAt})
	}
	if err != nil {
		m.countErr("store")
		log.Error("recording stream failed", "err", err)
		_ = st.CloseWithError(err)
		return fmt.Errorf("pipeline: record stream: %w", err)
	}

	trs := map[string]*track{}
	var ids []string
	for _, name := range tracks {
		tr, err := m.openTrack(pctx, start, name, log)
		if err != nil {
			m.countErr("store")
			log.Error("opening detection failed", "track", name, "err", err)
			for _, t := range trs {
				m.finishTrack(ctx, t, store.DetectionFailed, "could not open all tracks")
			}
			_ = st.CloseWithError(err)
			return err
		}
		trs[name] = tr
		ids = append(ids, tr.detection.ID)
	}
	m.o.Publish(pctx, notify.TypeStreamStarted, start.CallSid, view.StreamStarted{
		StreamSid: start.StreamSid, Tracks: tracks, From: call.From, To: call.To, DetectionIDs: ids, Simulated: m.o.Simulated})
	log.Info("stream started", "tracks", tracks, "detections", ids)

	readErr := m.pump(ctx, st, trs, base)

	status, reason := store.DetectionStopped, ""
	switch {
	case readErr == nil:
	case errors.Is(context.Cause(ctx), errShutdown):
		reason = "server shutdown"
	case ctx.Err() != nil:
		reason = "cancelled"
	default:
		status, reason = store.DetectionFailed, readErr.Error()
	}
	for _, tr := range trs {
		m.finishTrack(ctx, tr, status, reason)
	}

	stats := st.Stats()
	m.recordStats(stats)
	sj, _ := json.Marshal(stats)
	sst := store.StreamStopped
	if status == store.DetectionFailed {
		sst = store.StreamFailed
	}
	pctx2, pcancel2 := m.persistCtx(ctx)
	defer pcancel2()
	if _, err := m.o.Store.UpsertStream(pctx2, store.Stream{Sid: start.StreamSid, CallSid: start.CallSid, Status: sst,
		Error: reason, EndedAt: time.Now().UTC(), Stats: sj}); err != nil {
		m.countErr("store")
		log.Error("recording stream end failed", "err", err)
	}
	if readErr != nil && ctx.Err() == nil {
		m.countErr("stream")
		log.Warn("media stream failed", "err", readErr)
		_ = st.CloseWithError(readErr)
		return readErr
	}
	if ctx.Err() != nil {
		_ = st.CloseWithError(context.Cause(ctx))
	} else {
		_ = st.Close()
	}
	log.Info("stream ended", "reason", reason, "messages", stats.Messages)
	return nil
}

// pump feeds frames to the tracks until the stream ends; nil means a clean
// stop from Twilio. base is the wall time of the stream timeline's origin
// (when the start message was read).
func (m *Manager) pump(ctx context.Context, st *media.Stream, trs map[string]*track, base time.Time) error {
	for {
		f, err := st.ReadFrame(ctx)
		// media.Stream does not report when a frame's message arrived: the
		// processing time starts as ReadFrame hands it over, and the lag
		// metric shows time spent waiting before that.
		t0 := time.Now()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		tr := trs[f.Track]
		if tr == nil {
			continue
		}
		if tr.frames != nil {
			tr.frames.Inc()
			if f.Gap > 0 {
				tr.gaps.Inc()
				tr.gapSeconds.Add(f.Gap.Seconds())
			}
		}
		tr.mu.Lock()
		if !tr.finished {
			tr.buf = tr.rs.Process(tr.buf[:0], f.Samples)
			if err := tr.sess.Write(tr.buf); err != nil && !errors.Is(err, detect.ErrClosed) {
				tr.log.Warn("session write failed", "err", err)
			}
		}
		tr.mu.Unlock()
		if m.o.Metrics != nil {
			now := time.Now()
			m.o.Metrics.FrameLatency.Observe(now.Sub(t0).Seconds())
			m.o.Metrics.FrameLag.Observe(max(0, now.Sub(base.Add(f.Timestamp+f.Duration())).Seconds()))
		}
	}
}

func (m *Manager) recordStats(s media.Stats) {
	if m.o.Metrics == nil {
		return
	}
	for _, t := range s.Tracks {
		if t.Dropped > 0 {
			m.o.Metrics.Dropped.WithLabelValues("duplicate_or_late_chunk").Add(float64(t.Dropped))
		}
	}
}

// Live reports whether detection id has a live session in this process.
func (m *Manager) Live(id string) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.tracks[id] != nil
}

// StopDetection ends the live session of detection id on this replica,
// persisting its last window and summary. It reports false when the
// detection is not live here.
func (m *Manager) StopDetection(ctx context.Context, id string) bool {
	return m.EndDetection(ctx, id, "stopped through the API")
}

// EndDetection is StopDetection with the reason recorded in the call.ended
// event, e.g. "call completed" when Twilio reports the call over.
func (m *Manager) EndDetection(ctx context.Context, id, reason string) bool {
	m.mu.Lock()
	tr := m.tracks[id]
	m.mu.Unlock()
	if tr == nil {
		return false
	}
	m.finishTrack(ctx, tr, store.DetectionStopped, reason)
	return true
}

// Shutdown stops accepting streams, ends every live stream (each track's
// current window is judged and stored) and waits for them, or for ctx.
func (m *Manager) Shutdown(ctx context.Context) error {
	m.mu.Lock()
	m.closing = true
	runs := make([]*run, 0, len(m.streams))
	for r := range m.streams {
		runs = append(runs, r)
	}
	m.mu.Unlock()
	for _, r := range runs {
		r.cancel(errShutdown)
	}
	done := make(chan struct{})
	go func() { m.wg.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("pipeline: %d streams still finishing: %w", m.Active(), ctx.Err())
	}
}

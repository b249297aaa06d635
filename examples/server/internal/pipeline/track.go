package pipeline

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"sync"

	"github.com/callguard/callguard/detect"
	"github.com/callguard/callguard/examples/server/internal/store"
	"github.com/callguard/callguard/examples/server/internal/view"
	"github.com/callguard/callguard/media"
	"github.com/callguard/callguard/notify"
	"github.com/callguard/callguard/resample"
	"github.com/prometheus/client_golang/prometheus"
)

// track is one media track of a stream: its detection row, resampler,
// session and the IDs of the verdicts stored so far.
type track struct {
	name      string
	detection store.Detection
	rs        *resample.Resampler
	buf       []int16
	log       *slog.Logger
	// Per-track counters, resolved once so the frame loop does no label
	// lookups; nil without metrics.
	frames, gaps, gapSeconds prometheus.Counter

	mu       sync.Mutex // guards sess use and finished
	sess     *detect.Session
	finished bool

	idsMu sync.Mutex
	ids   map[int]int64 // window index → stored verdict ID
}

// detectionFor returns the starting or active detection of the call's
// track (started through the API) or creates one (streams started by the
// voice webhook's TwiML), and marks it active on this stream.
func (m *Manager) detectionFor(ctx context.Context, start *media.Start, name string) (store.Detection, error) {
	d, err := m.o.Store.ActiveDetection(ctx, start.CallSid, name)
	if errors.Is(err, store.ErrNotFound) {
		d, err = m.o.Store.CreateDetection(ctx, store.Detection{CallSid: start.CallSid, Track: name,
			StreamSid: start.StreamSid, Status: store.DetectionActive, Simulated: m.o.Simulated,
			Window: m.o.Window, Hop: m.hop()})
		if errors.Is(err, store.ErrConflict) {
			d, err = m.o.Store.ActiveDetection(ctx, start.CallSid, name)
		}
	}
	if err != nil {
		return d, err
	}
	return m.o.Store.UpdateDetection(ctx, d.ID, store.DetectionUpdate{Status: store.DetectionActive, StreamSid: start.StreamSid})
}

func (m *Manager) openTrack(ctx context.Context, start *media.Start, name string, log *slog.Logger) (*track, error) {
	d, err := m.detectionFor(ctx, start, name)
	if err != nil {
		return nil, err
	}
	rs, err := resample.New(8000, 16000)
	if err != nil {
		return nil, err
	}
	tr := &track{name: name, detection: d, rs: rs, ids: map[int]int64{},
		log: log.With("track", name, "detection_id", d.ID)}
	if m.o.Metrics != nil {
		tr.frames = m.o.Metrics.Frames.WithLabelValues(name)
		tr.gaps = m.o.Metrics.Gaps.WithLabelValues(name)
		tr.gapSeconds = m.o.Metrics.GapSeconds.WithLabelValues(name)
	}
	tr.sess = detect.NewSession(m.o.Detector, detect.SessionOptions{
		CallSid: start.CallSid, Track: name,
		Window: m.o.Window, Hop: m.o.Hop, SampleRate: 16000, MinSpeech: m.o.MinSpeech,
		MaxInFlight: m.o.MaxInFlight, MaxQueued: m.o.MaxQueued, Policy: m.o.Policy,
		OnVerdict: func(v detect.Verdict) { m.onVerdict(ctx, tr, v) },
		OnAlert:   func(a detect.Alert) { m.onAlert(ctx, tr, a) },
		Logger:    tr.log,
	})
	m.mu.Lock()
	m.tracks[d.ID] = tr
	m.mu.Unlock()
	return tr, nil
}

// Summary is the JSON stored as a detection's summary: detect.Summary
// (snake_case fields: windows, speech, judged, fake, max_score, mean_score,
// decision, alerted, errors, skipped) and whether the verdicts are
// simulated.
type Summary struct {
	detect.Summary
	Simulated bool `json:"simulated"` // verdicts come from the simulated detector
}

// finishTrack closes the track's session once: the resampler's tail and the
// partial window are flushed and judged, every verdict delivered, and the
// summary stored.
func (m *Manager) finishTrack(ctx context.Context, tr *track, status store.DetectionStatus, reason string) {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	if tr.finished {
		return
	}
	tr.finished = true
	// The track stays listed (Live) until its summary is stored.
	defer func() {
		m.mu.Lock()
		delete(m.tracks, tr.detection.ID)
		m.mu.Unlock()
	}()

	cctx, cancel := m.persistCtx(ctx)
	defer cancel()
	tr.buf = tr.rs.Flush(tr.buf[:0])
	if len(tr.buf) > 0 {
		_ = tr.sess.Write(tr.buf)
	}
	sum, err := tr.sess.Close(cctx)
	if err != nil && !errors.Is(err, detect.ErrClosed) {
		tr.log.Warn("closing detection session", "err", err)
	}
	cancel()
	// Closing may have used up cctx (a vendor request that never returned
	// holds Close until the deadline): the final writes get a fresh bounded
	// context so the summary, the status and call.ended are still recorded.
	wctx, wcancel := m.persistCtx(ctx)
	defer wcancel()
	s := Summary{Summary: sum, Simulated: m.o.Simulated}
	sj, _ := json.Marshal(s)
	u := store.DetectionUpdate{Status: status, Summary: sj}
	if status == store.DetectionFailed {
		u.Error = reason
	}
	_, err = m.o.Store.UpdateDetection(wctx, tr.detection.ID, u)
	var te *store.TransitionError
	if errors.As(err, &te) {
		// Ended elsewhere: stopped through the API on a replica that does not
		// hold this stream, or by a stream status callback. This replica
		// holds the audio, so its summary is the final one.
		tr.log.Info("detection already ended elsewhere; storing its final summary", "stored_status", string(te.From))
		var d store.Detection
		if d, err = m.o.Store.SetDetectionSummary(wctx, tr.detection.ID, sj); err == nil {
			status = d.Status
		}
	}
	if err != nil {
		m.countErr("store")
		tr.log.Error("storing summary failed", "err", err)
	}
	tr.log.Info("detection ended", "status", string(status), "reason", reason, "windows", s.Windows,
		"decision", string(s.Decision))
	m.o.Publish(wctx, notify.TypeCallEnded, tr.detection.CallSid, view.CallEnded{DetectionID: tr.detection.ID,
		Track: tr.name, StreamSid: tr.detection.StreamSid, Status: string(status), Decision: string(s.Decision),
		Summary: sj, Reason: reason})
}

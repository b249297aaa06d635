package pipeline

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/callguard/callguard/detect"
	"github.com/callguard/callguard/examples/server/internal/metrics"
	"github.com/callguard/callguard/examples/server/internal/store"
)

// Publisher publishes an event about a call (stored and fanned out).
type Publisher func(ctx context.Context, typ, callSid string, data any)

// Actor takes the action configured for an alert and reports which action
// it took and how it went.
type Actor func(ctx context.Context, callSid string) (store.Action, error)

// Options configure a Manager.
type Options struct {
	// Store records calls, streams, detections, verdicts and actions.
	Store store.Store
	// Detector judges windows (shared by every session).
	Detector detect.Detector
	// Simulated labels every verdict and detection as simulated.
	Simulated bool
	// Window, Hop and MinSpeech shape detection windows.
	Window, Hop, MinSpeech time.Duration
	// MaxInFlight bounds concurrent detector calls per track.
	MaxInFlight int
	// MaxQueued bounds speech windows waiting for the detector per track
	// (0: the detect default; negative: none).
	MaxQueued int
	// Policy raises alerts; nil is detect.DefaultPolicy().
	Policy detect.Policy
	// Publish receives events; nil drops them.
	Publish Publisher
	// Act runs on an alert; nil records a notify-only action.
	Act Actor
	// Metrics, when set, is updated.
	Metrics *metrics.Metrics
	// FinishTimeout bounds flushing a track's last window when a stream
	// ends (default 30 s; shutdown passes its own deadline).
	FinishTimeout time.Duration
	// Logger is the fallback logger; nil discards.
	Logger *slog.Logger
}

// Manager runs and tracks live streams.
type Manager struct {
	o Options

	mu      sync.Mutex
	streams map[*run]struct{}
	tracks  map[string]*track // by detection ID
	closing bool
	wg      sync.WaitGroup
}

// ErrShuttingDown is returned by Serve when the manager no longer accepts
// streams.
var ErrShuttingDown = errors.New("pipeline: shutting down")

// New returns a Manager.
func New(o Options) *Manager {
	if o.Policy == nil {
		o.Policy = detect.DefaultPolicy()
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.FinishTimeout <= 0 {
		o.FinishTimeout = 30 * time.Second
	}
	if o.Publish == nil {
		o.Publish = func(context.Context, string, string, any) {}
	}
	return &Manager{o: o, streams: map[*run]struct{}{}, tracks: map[string]*track{}}
}

// Active returns the number of live streams.
func (m *Manager) Active() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.streams)
}

type run struct {
	cancel context.CancelCauseFunc
	done   chan struct{}
}

// errShutdown is the cancel cause used by Shutdown.
var errShutdown = errors.New("server shutting down")

// persistCtx returns a context for writes that must survive the stream's
// cancellation (the last window, the summary), bounded by FinishTimeout.
func (m *Manager) persistCtx(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(ctx), m.o.FinishTimeout)
}

func (m *Manager) countErr(kind string) {
	if m.o.Metrics != nil {
		m.o.Metrics.Errors.WithLabelValues(kind).Inc()
	}
}

func (m *Manager) hop() time.Duration {
	if m.o.Hop > 0 {
		return m.o.Hop
	}
	return m.o.Window
}

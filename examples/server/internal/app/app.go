package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	twilio "github.com/twilio/twilio-go"

	"github.com/callguard/callguard/detect"
	"github.com/callguard/callguard/detect/resembletest"
	"github.com/callguard/callguard/examples/server/internal/api"
	"github.com/callguard/callguard/examples/server/internal/auth"
	"github.com/callguard/callguard/examples/server/internal/config"
	"github.com/callguard/callguard/examples/server/internal/metrics"
	"github.com/callguard/callguard/examples/server/internal/pipeline"
	"github.com/callguard/callguard/examples/server/internal/store"
	"github.com/callguard/callguard/notify"
	"github.com/callguard/callguard/twiml"
)

// Fanout delivers published events to watchers. The default is this
// replica's Hub; a multi-replica deployment passes a bridge (package
// notify/pgnotify) that delivers to every replica's Hub.
type Fanout interface {
	notify.Notifier
}

// FanoutFunc builds the fan-out for a server from its local Hub, e.g. a
// pgnotify bridge feeding hub on every replica. It is called once by New.
type FanoutFunc func(ctx context.Context, hub *notify.Hub) (Fanout, func(context.Context) error, error)

// Options are the inputs of New. Config and Store are required.
type Options struct {
	// Config is the resolved configuration.
	Config *config.Config
	// Store is the open, migrated store. The Server does not close it.
	Store store.Store
	// Detector overrides the detector chosen from Config (Resemble when
	// RESEMBLE_API_KEY is set, the in-process simulation otherwise).
	Detector detect.Detector
	// Twilio overrides the REST client built from Config (nil and no
	// credentials: starting streams and acting on calls answer 503).
	Twilio *twilio.RestClient
	// Fanout, when set, replaces direct delivery to the local Hub.
	Fanout FanoutFunc
	// Logger receives the server's logs; nil discards them.
	Logger *slog.Logger
	// Metrics, when nil, is created.
	Metrics *metrics.Metrics
}

// Server is the composed callguard service.
type Server struct {
	cfg      *config.Config
	store    store.Store
	log      *slog.Logger
	metrics  *metrics.Metrics
	hub      *notify.Hub
	fanout   notify.Notifier
	closeFan func(context.Context) error
	webhook  *notify.Webhook
	pipe     *pipeline.Manager
	api      *api.API
	auth     *auth.Authenticator
	calls    *twiml.Calls
	streams  *twiml.Streams
	detector detect.Detector
	sim      *resembletest.Handler
	handler  http.Handler
	mediaURL string

	draining atomic.Bool
	shutOnce sync.Once
	shutErr  error
}

// MediaPath, VoicePath and StatusPath are the Twilio endpoints.
const (
	MediaPath  = "/twilio/media"
	VoicePath  = "/twilio/voice"
	StatusPath = "/twilio/stream-status"
)

// New builds the server.
func New(ctx context.Context, o Options) (*Server, error) {
	if o.Config == nil || o.Store == nil {
		return nil, errors.New("app: Config and Store are required")
	}
	cfg := o.Config
	log := o.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	m := o.Metrics
	if m == nil {
		m = metrics.New()
	}
	s := &Server{cfg: cfg, store: o.Store, log: log, metrics: m}

	mediaURL, err := MediaURL(cfg.PublicURL)
	if err != nil {
		return nil, &config.InvalidError{Env: "CALLGUARD_PUBLIC_URL", Source: cfg.Sources["CALLGUARD_PUBLIC_URL"], Err: err}
	}
	s.mediaURL = mediaURL

	s.detector = o.Detector
	if s.detector == nil {
		s.detector, s.sim = buildDetector(cfg, log)
	}

	tw := o.Twilio
	if tw == nil {
		if tw, err = NewTwilioClient(cfg); err != nil {
			return nil, err
		}
	}
	if tw != nil {
		s.streams = &twiml.Streams{Client: tw}
		s.calls = &twiml.Calls{Client: tw}
	}

	s.auth = auth.New(cfg.APITokens, func(ctx context.Context, hash []byte) (string, error) {
		t, err := o.Store.APITokenByHash(ctx, hash)
		if err != nil {
			return "", err
		}
		go func() {
			tctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			_ = o.Store.TouchAPIToken(tctx, t.ID)
		}()
		return t.ID, nil
	})

	s.hub = notify.NewHub(notify.HubOptions{Logger: log.With("component", "hub"), Retry: 2 * time.Second})
	s.fanout = s.hub
	if o.Fanout != nil {
		f, closeFn, err := o.Fanout(ctx, s.hub)
		if err != nil {
			s.hub.Close()
			return nil, fmt.Errorf("app: event fan-out: %w", err)
		}
		s.fanout, s.closeFan = f, closeFn
	}
	if cfg.WebhookURL != "" {
		wh, err := notify.NewWebhook(notify.WebhookOptions{URLs: []string{cfg.WebhookURL}, Secret: cfg.WebhookSecret,
			Logger: log.With("component", "webhook")})
		if err != nil {
			s.hub.Close()
			return nil, fmt.Errorf("app: webhook: %w", err)
		}
		s.webhook = wh
	}

	hop := cfg.Hop
	s.pipe = pipeline.New(pipeline.Options{
		Store: o.Store, Detector: s.detector, Simulated: cfg.Simulated(),
		Window: cfg.Window, Hop: hop, MinSpeech: cfg.MinSpeech, MaxInFlight: cfg.MaxInFlight, MaxQueued: cfg.MaxQueued,
		Policy:  detect.KOfN{K: cfg.AlertK, N: cfg.AlertN, MinScore: cfg.AlertMinScore},
		Publish: s.Publish, Act: s.act, Metrics: m, FinishTimeout: cfg.ShutdownTimeout, Logger: log,
	})
	streamCtl := api.StreamControl(nil)
	if s.streams != nil {
		streamCtl = s.streams
	}
	s.api = api.New(api.Options{Store: o.Store, Auth: s.auth, Streams: streamCtl, Live: s.pipe,
		MediaURL: mediaURL, StatusURL: strings.TrimRight(cfg.PublicURL, "/") + StatusPath,
		Simulated: cfg.Simulated(), Window: cfg.Window, Hop: hopOrWindow(cfg), MaxBody: cfg.MaxBody, Logger: log})
	s.handler = s.routes()
	return s, nil
}

func hopOrWindow(cfg *config.Config) time.Duration {
	if cfg.Hop > 0 {
		return cfg.Hop
	}
	return cfg.Window
}

// MediaURL derives the WebSocket URL Twilio streams to from the public base
// URL: wss:// on the same host and path prefix, with MediaPath appended.
// It is always wss, the only scheme Twilio streams to (and what TwiML
// validation accepts); a local http base still gets a wss URL, which
// callsim rewrites to the server it dials while signing the URL as given.
// The media signature is checked against exactly this URL.
func MediaURL(public string) (string, error) {
	u, err := url.Parse(public)
	if err != nil || u.Host == "" {
		return "", fmt.Errorf("%q is not an absolute URL", public)
	}
	switch u.Scheme {
	case "https", "http":
		u.Scheme = "wss"
	default:
		return "", fmt.Errorf("%q: scheme must be http or https", public)
	}
	u.Path = strings.TrimRight(u.Path, "/") + MediaPath
	u.RawQuery, u.Fragment = "", ""
	return u.String(), nil
}

// Handler returns the server's HTTP handler.
func (s *Server) Handler() http.Handler { return s.handler }

// Metrics returns the server's metrics.
func (s *Server) Metrics() *metrics.Metrics { return s.metrics }

// Hub returns the server's local event hub.
func (s *Server) Hub() *notify.Hub { return s.hub }

// MediaURLString returns the wss:// URL Twilio streams to (see MediaURL).
func (s *Server) MediaURLString() string { return s.mediaURL }

// Simulator returns the in-process fake Resemble handler in simulated mode,
// or nil.
func (s *Server) Simulator() *resembletest.Handler { return s.sim }

// ActiveStreams returns the number of live media streams.
func (s *Server) ActiveStreams() int { return s.pipe.Active() }

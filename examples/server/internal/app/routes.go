package app

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/callguard/callguard/examples/server/internal/api"
	"github.com/callguard/callguard/examples/server/internal/dashboard"
	"github.com/callguard/callguard/examples/server/internal/httpx"
)

// routes builds the HTTP surface:
//
//	GET  /                          dashboard
//	     /v1/...                    detection API (bearer token)
//	GET  /v1/events                 SSE (token in header or access_token query)
//	GET  /v1/events/ws              WebSocket events
//	POST /twilio/voice              voice webhook (Twilio signature)
//	POST /twilio/stream-status      stream status callback (Twilio signature)
//	POST /twilio/call-status        call status callback (Twilio signature)
//	GET  /twilio/media              media stream WebSocket (Twilio signature)
//	GET  /healthz, /readyz, /metrics
func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /{$}", dashboard.Handler(dashboard.Options{Simulated: s.cfg.Simulated(), MinScore: s.cfg.AlertMinScore}))
	s.api.Register(mux)
	mux.Handle("GET /v1/events", s.api.RequireToken(http.HandlerFunc(s.hub.ServeSSE), true))
	mux.Handle("GET /v1/events/ws", s.api.RequireToken(http.HandlerFunc(s.hub.ServeWS), true))
	mux.HandleFunc("/v1/events", api.MethodNotAllowed)
	mux.HandleFunc("/v1/events/ws", api.MethodNotAllowed)

	mux.Handle("POST "+VoicePath, s.twilioSigned(s.voiceHandler()))
	mux.Handle("POST "+StatusPath, s.twilioSigned(s.statusHandler()))
	mux.Handle("POST "+CallStatusPath, s.twilioSigned(http.HandlerFunc(s.callStatus)))
	mux.HandleFunc("GET "+MediaPath, s.serveMedia)
	for _, p := range []string{VoicePath, StatusPath, CallStatusPath, MediaPath} {
		mux.HandleFunc(p, api.MethodNotAllowed)
	}

	mux.HandleFunc("GET /healthz", s.healthz)
	mux.HandleFunc("GET /readyz", s.readyz)
	mux.Handle("GET /metrics", s.metrics.Handler())
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		httpx.Error(w, r, http.StatusNotFound, httpx.CodeNotFound, "no route for "+r.Method+" "+r.URL.Path)
	})

	var h http.Handler = mux
	h = httpx.Recover(s.log, h)
	h = httpx.AccessLog(s.log, s.observe(mux), h)
	h = httpx.WithRequestID(h)
	return h
}

// observe counts requests by route pattern (never by raw path, which would
// explode label cardinality).
func (s *Server) observe(mux *http.ServeMux) func(*http.Request, int) {
	return func(r *http.Request, status int) {
		_, pattern := mux.Handler(r)
		if i := strings.IndexByte(pattern, ' '); i >= 0 {
			pattern = pattern[i+1:]
		}
		if pattern == "" || pattern == "/" {
			pattern = "other"
		}
		s.metrics.HTTPRequests.WithLabelValues(pattern, strconv.Itoa(status)).Inc()
	}
}

func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	httpx.WriteJSON(w, http.StatusOK, map[string]any{"status": "ok"})
}

// readyz answers 200 when the database is reachable, migrations are
// current and the server is not draining; 503 problem+json otherwise.
func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	if s.draining.Load() {
		httpx.Error(w, r, http.StatusServiceUnavailable, httpx.CodeUnavailable, "shutting down")
		return
	}
	if err := s.store.Ping(r.Context()); err != nil {
		httpx.Error(w, r, http.StatusServiceUnavailable, httpx.CodeUnavailable, "database unreachable")
		return
	}
	if err := s.store.CheckMigrations(r.Context()); err != nil {
		httpx.Error(w, r, http.StatusServiceUnavailable, httpx.CodeUnavailable, "database migrations are not current: run the migrate up subcommand")
		return
	}
	httpx.WriteJSON(w, http.StatusOK, map[string]any{"status": "ready", "backend": s.store.Backend(),
		"simulated": s.cfg.Simulated(), "active_streams": s.pipe.Active()})
}

package metrics

import (
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Metrics are the server's instruments.
type Metrics struct {
	// Registry holds every metric below plus the Go and process collectors.
	Registry *prometheus.Registry

	ActiveStreams  prometheus.Gauge         // live media streams
	Streams        *prometheus.CounterVec   // by result: ok, error, rejected
	Frames         *prometheus.CounterVec   // by track
	Gaps           *prometheus.CounterVec   // by track
	GapSeconds     *prometheus.CounterVec   // by track
	Dropped        *prometheus.CounterVec   // by reason
	VendorLatency  *prometheus.HistogramVec // by vendor
	FrameLatency   prometheus.Histogram     // from ReadFrame's return to the frame handed to its session
	FrameLag       prometheus.Histogram     // how far behind real time each frame is handled
	Verdicts       *prometheus.CounterVec   // by label
	Alerts         prometheus.Counter       // sessions that alerted
	Actions        *prometheus.CounterVec   // by action and status
	Errors         *prometheus.CounterVec   // by kind
	HTTPRequests   *prometheus.CounterVec   // by route and code
	EventsNotified *prometheus.CounterVec   // by type
}

// New builds the metrics on a fresh registry.
func New() *Metrics {
	r := prometheus.NewRegistry()
	m := &Metrics{
		Registry: r,
		ActiveStreams: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "callguard_active_streams", Help: "Media streams currently connected."}),
		Streams: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "callguard_streams_total", Help: "Media streams handled, by result."}, []string{"result"}),
		Frames: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "callguard_frames_total", Help: "Audio frames received, by track."}, []string{"track"}),
		Gaps: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "callguard_gaps_total", Help: "Timestamp gaps filled with silence, by track."}, []string{"track"}),
		GapSeconds: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "callguard_gap_seconds_total", Help: "Audio missing from streams and filled with silence, by track."}, []string{"track"}),
		Dropped: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "callguard_dropped_total", Help: "Frames or windows dropped, by reason."}, []string{"reason"}),
		VendorLatency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "callguard_vendor_latency_seconds",
			Help:    "Time the detection vendor took to answer one window.",
			Buckets: []float64{.05, .1, .25, .5, 1, 2, 4, 8, 16},
		}, []string{"vendor"}),
		FrameLatency: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "callguard_frame_processing_seconds",
			Help: "Time from a received audio frame leaving the media stream's reader (media.Stream.ReadFrame " +
				"returning) to it being resampled and handed to its detection session, metric updates included.",
			Buckets: []float64{5e-6, 1e-5, 2.5e-5, 5e-5, 1e-4, 2.5e-4, 5e-4, 1e-3, 5e-3, 2e-2},
		}),
		FrameLag: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "callguard_frame_lag_seconds",
			Help: "How far behind real time each audio frame is handled: wall clock when it is handed to its " +
				"session minus (wall clock at the stream's start message + the end of the frame's audio on the " +
				"stream timeline), 0 when ahead. It grows when the server falls behind the calls.",
			Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
		}),
		Verdicts: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "callguard_verdicts_total", Help: "Window verdicts, by label."}, []string{"label"}),
		Alerts: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "callguard_alerts_total", Help: "Detection sessions that alerted."}),
		Actions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "callguard_actions_total", Help: "Actions taken on alerts, by action and status."}, []string{"action", "status"}),
		Errors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "callguard_errors_total", Help: "Errors, by kind."}, []string{"kind"}),
		HTTPRequests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "callguard_http_requests_total", Help: "HTTP requests, by route and status code."}, []string{"route", "code"}),
		EventsNotified: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "callguard_events_total", Help: "Events published, by type."}, []string{"type"}),
	}
	r.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		m.ActiveStreams, m.Streams, m.Frames, m.Gaps, m.GapSeconds, m.Dropped, m.VendorLatency, m.FrameLatency, m.FrameLag,
		m.Verdicts, m.Alerts, m.Actions, m.Errors, m.HTTPRequests, m.EventsNotified,
	)
	return m
}

// Handler serves the registry in the Prometheus exposition format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.Registry, promhttp.HandlerOpts{Registry: m.Registry})
}

package sim

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"sort"
	"strings"
	"time"
)

// Report is what a run measured. It encodes as JSON for -json; durations
// are nanoseconds, and the _ms fields repeat them in milliseconds.
type Report struct {
	Server   string `json:"server"`
	Audio    string `json:"audio"`
	Tracks   string `json:"tracks"`
	Realtime bool   `json:"realtime"`
	// Calls is how many calls were started; CallsStreamed how many got a
	// media stream open; CallsFailed how many ended with an error.
	Calls         int `json:"calls"`
	CallsStreamed int `json:"calls_streamed"`
	CallsFailed   int `json:"calls_failed"`
	// CallAudio is the audio each call streams; Wall is the run's length.
	CallAudio time.Duration `json:"call_audio_ns"`
	Wall      time.Duration `json:"wall_ns"`
	// CallsWall is from the first call's start to the last call's end.
	CallsWall time.Duration `json:"calls_wall_ns"`

	// FramesSent counts media messages sent (all tracks); FramesSkipped
	// those left out by -skip-silence.
	FramesSent    int64 `json:"frames_sent"`
	FramesSkipped int64 `json:"frames_skipped"`

	// SendLag is, per frame in real-time mode, how late it was written to
	// the socket after it was due: a server that falls behind pushes back
	// through TCP and shows here (as does an overloaded callsim).
	SendLag Summary `json:"send_lag"`

	// Server-side figures from /metrics (deltas over the run); negative
	// when the server does not expose them.
	FramesProcessed float64 `json:"frames_processed"`
	DroppedFrames   float64 `json:"dropped_frames"`
	// FrameLatencyP50/P99 are frame-processing latency quantiles from the
	// server's histogram, in milliseconds (NaN encodes as null: absent).
	FrameLatencyP50Ms *float64 `json:"frame_latency_p50_ms"`
	FrameLatencyP99Ms *float64 `json:"frame_latency_p99_ms"`
	// FrameLagP50/P99 are quantiles of how far behind real time the
	// server handled frames (callguard_frame_lag_seconds: wall clock when a
	// frame reached its session minus the end of its audio on the call's
	// timeline), in milliseconds; it grows when the server falls behind.
	FrameLagP50Ms *float64 `json:"frame_lag_p50_ms"`
	FrameLagP99Ms *float64 `json:"frame_lag_p99_ms"`
	// VendorLatencyServerP50/P99 come from the server's vendor histogram.
	VendorLatencyServerP50Ms *float64 `json:"vendor_latency_server_p50_ms"`
	VendorLatencyServerP99Ms *float64 `json:"vendor_latency_server_p99_ms"`

	// Verdicts counts verdict events the watcher received, by label.
	Verdicts        int            `json:"verdicts"`
	VerdictsByLabel map[string]int `json:"verdicts_by_label"`
	Alerts          int            `json:"alerts"`
	CallsEnded      int            `json:"calls_ended"`
	// VerdictLatency is window end (when the last frame of the window was
	// sent) → verdict received by the watcher.
	VerdictLatency Summary `json:"verdict_latency"`
	// DeliveryLatency is the vendor answering (the verdict's decided_at)
	// → the verdict received by the watcher: storing the verdict, storing
	// and publishing its event and the SSE delivery. For servers that do
	// not report decided_at it starts at the event's timestamp (published).
	DeliveryLatency Summary `json:"delivery_latency"`
	// VendorLatency is the vendor latency each verdict reports.
	VendorLatency Summary `json:"vendor_latency"`

	// Server resources over the run: CPU seconds used, RSS at the end and
	// its peak; Source says where they were read ("proc", "metrics" or "").
	ServerCPU     time.Duration `json:"server_cpu_ns"`
	ServerRSS     int64         `json:"server_rss_bytes"`
	ServerPeakRSS int64         `json:"server_peak_rss_bytes"`
	ServerSource  string        `json:"server_source"`
	// CallsPerCore is real-time calls per core: calls × call seconds ÷
	// server CPU seconds.
	CallsPerCore float64 `json:"calls_per_core"`
	// CallsimCPU is the CPU time callsim itself used.
	CallsimCPU time.Duration `json:"callsim_cpu_ns"`

	// Errors counts failures by kind; ErrorSamples keeps a few messages.
	Errors       map[string]int `json:"errors"`
	ErrorSamples []string       `json:"error_samples,omitempty"`
}

// ptr returns &v, or nil for NaN (unknown).
func ptr(v float64) *float64 {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return nil
	}
	return &v
}

// WriteJSON writes r as indented JSON.
func (r *Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

// WriteText writes r for people.
func (r *Report) WriteText(w io.Writer) error {
	var b strings.Builder
	p := func(format string, a ...any) { fmt.Fprintf(&b, format+"\n", a...) }
	mode := "real time"
	if !r.Realtime {
		mode = "fast (no pacing)"
	}
	p("callsim report — %s", r.Server)
	p("  calls            %d started, %d streamed, %d failed (%s, %s, %s audio each, tracks %s)",
		r.Calls, r.CallsStreamed, r.CallsFailed, r.Audio, mode, r.CallAudio.Round(time.Millisecond), r.Tracks)
	p("  wall time        %s", r.Wall.Round(time.Millisecond))
	p("  frames sent      %d (%d skipped as silence)", r.FramesSent, r.FramesSkipped)
	if r.Realtime {
		p("  send lag         %s (frame due → written)", r.SendLag)
	}
	p("  frames processed %s", orUnknown(r.FramesProcessed, "%.0f"))
	p("  dropped frames   %s", orUnknown(r.DroppedFrames, "%.0f"))
	p("  frame latency    p50 %s  p99 %s (server histogram)", msOr(r.FrameLatencyP50Ms), msOr(r.FrameLatencyP99Ms))
	p("  frame lag        p50 %s  p99 %s (behind real time, server histogram)", msOr(r.FrameLagP50Ms), msOr(r.FrameLagP99Ms))
	labels := make([]string, 0, len(r.VerdictsByLabel))
	for l := range r.VerdictsByLabel {
		labels = append(labels, l)
	}
	sort.Strings(labels)
	var lb []string
	for _, l := range labels {
		lb = append(lb, fmt.Sprintf("%s %d", l, r.VerdictsByLabel[l]))
	}
	p("  verdicts         %d (%s), %d alerts, %d calls ended", r.Verdicts, strings.Join(lb, ", "), r.Alerts, r.CallsEnded)
	p("  verdict latency  %s (window end → watcher)", r.VerdictLatency)
	p("  delivery latency %s (vendor answered → watcher)", r.DeliveryLatency)
	p("  vendor latency   %s (per verdict); server histogram p50 %s p99 %s",
		r.VendorLatency, msOr(r.VendorLatencyServerP50Ms), msOr(r.VendorLatencyServerP99Ms))
	if r.ServerSource != "" {
		p("  server           CPU %.2fs, RSS %s (peak %s) [%s]; %.0f real-time calls per core",
			r.ServerCPU.Seconds(), mib(r.ServerRSS), mib(r.ServerPeakRSS), r.ServerSource, r.CallsPerCore)
	} else {
		p("  server           CPU and RSS unknown (no -server-pid and no process metrics)")
	}
	p("  callsim          CPU %.2fs", r.CallsimCPU.Seconds())
	if len(r.Errors) > 0 {
		kinds := make([]string, 0, len(r.Errors))
		for k := range r.Errors {
			kinds = append(kinds, k)
		}
		sort.Strings(kinds)
		var eb []string
		for _, k := range kinds {
			eb = append(eb, fmt.Sprintf("%s %d", k, r.Errors[k]))
		}
		p("  errors           %s", strings.Join(eb, ", "))
		for _, s := range r.ErrorSamples {
			p("    %s", s)
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// String formats a Summary as "n=… p50 … p99 … max …".
func (s Summary) String() string {
	if s.Count == 0 {
		return "n=0"
	}
	return fmt.Sprintf("n=%d p50 %s p99 %s max %s", s.Count, fmtDur(s.P50), fmtDur(s.P99), fmtDur(s.Max))
}

func fmtDur(d time.Duration) string {
	switch {
	case d >= time.Second:
		return d.Round(time.Millisecond).String()
	case d >= time.Millisecond:
		return d.Round(10 * time.Microsecond).String()
	default:
		return d.Round(time.Microsecond).String()
	}
}

func orUnknown(v float64, format string) string {
	if v < 0 || math.IsNaN(v) {
		return "unknown (not in server metrics)"
	}
	return fmt.Sprintf(format, v)
}

func msOr(v *float64) string {
	if v == nil {
		return "n/a"
	}
	if *v < 1 {
		return fmt.Sprintf("%.1fµs", *v*1000)
	}
	return fmt.Sprintf("%.2fms", *v)
}

func mib(n int64) string { return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20)) }

package sim

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// callState is what the runner knows about one call.
type callState struct {
	sid       string
	streamSid string
	// start is the wall time of the stream's first frame (timestamp 0).
	start time.Time
	// sent holds, per 20 ms frame, when it was sent (or skipped), as a
	// time.Duration since start.
	sent     []atomic.Int64
	verdicts int
	// expect is how many call.ended events close the call (one per track
	// the TwiML asked for); endedN counts them.
	expect, endedN int
	ended          bool
}

// windowEnd returns the wall time the frame ending at end (a stream
// offset) was sent.
func (c *callState) windowEnd(end time.Duration) (time.Time, bool) {
	idx := int(end/(20*time.Millisecond)) - 1
	if c.start.IsZero() || idx < 0 || len(c.sent) == 0 {
		return time.Time{}, false
	}
	idx = min(idx, len(c.sent)-1)
	return c.start.Add(time.Duration(c.sent[idx].Load())), true
}

// runner holds one run's shared state.
type runner struct {
	cfg    Config
	client *http.Client
	// dialer opens media WebSockets, each on a fresh connection (as Twilio
	// does): an upgrade must not reuse a keep-alive connection the server
	// may be closing.
	dialer   *http.Client
	log      *slog.Logger
	pcm      []int16
	payloads [][]byte // per frame, base64 μ-law (Payloads)
	silent   []bool   // per frame, when skipping silence

	mu    sync.Mutex
	calls map[string]*callState
	// byLabel counts verdicts by label; alerts and ended count events.
	byLabel map[string]int
	alerts  int
	ended   int
	errs    map[string]int
	samples []string

	started, streamed, failed, active atomic.Int64
	framesSent, framesSkipped         atomic.Int64
	verdicts                          atomic.Int64

	verdictLat, deliveryLat, vendorLat Latencies
	sendLag                            Latencies
	bg                                 sync.WaitGroup // stream status callbacks
	watchGone                          atomic.Bool    // the server refused the event stream
	endedCh                            chan struct{}
}

// Run places cfg.Calls calls against the server and returns what it
// measured. It returns an error only for an unusable Config or when no
// call could be placed at all; per-call failures are counted in the
// Report. The event watcher and metrics scrapes are best effort: their
// failures show as errors in the Report.
func Run(ctx context.Context, cfg Config) (*Report, error) {
	if err := cfg.check(); err != nil {
		return nil, err
	}
	if cfg.PublicURL == "" {
		cfg.PublicURL = cfg.Server
	}
	cfg.Server = strings.TrimRight(cfg.Server, "/")
	cfg.PublicURL = strings.TrimRight(cfg.PublicURL, "/")
	if cfg.AccountSid == "" {
		cfg.AccountSid = NewSid("AC")
	}
	if cfg.From == "" {
		cfg.From = "+15005550006"
	}
	if cfg.To == "" {
		cfg.To = "+15005550001"
	}
	if cfg.Settle == 0 {
		cfg.Settle = 10 * time.Second
	}
	if cfg.ProgressEvery <= 0 {
		cfg.ProgressEvery = time.Second
	}
	switch {
	case cfg.ServerPID == 0:
		cfg.ServerPID = localServerPID(cfg.Server)
	case cfg.ServerPID < 0:
		cfg.ServerPID = 0
	}
	r := &runner{
		cfg:     cfg,
		client:  cfg.HTTPClient,
		log:     cfg.Logger,
		pcm:     Loop(cfg.Audio.Samples, cfg.CallDuration),
		calls:   map[string]*callState{},
		byLabel: map[string]int{},
		errs:    map[string]int{},
		endedCh: make(chan struct{}, 1),
	}
	r.payloads = Payloads(r.pcm)
	if cfg.SkipSilence {
		r.silent = SilentFrames(r.pcm, 0)
	}
	if r.client == nil {
		r.client = newHTTPClient(cfg.Calls)
	}
	r.dialer = &http.Client{Transport: &http.Transport{
		Proxy:             nil,
		DialContext:       (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		DisableKeepAlives: true,
	}}
	if tr, ok := r.client.Transport.(*http.Transport); ok {
		tr = tr.Clone()
		tr.DisableKeepAlives = true
		r.dialer = &http.Client{Transport: tr}
	}
	if r.log == nil {
		r.log = slog.New(slog.DiscardHandler)
	}
	return r.run(ctx)
}

func newHTTPClient(calls int) *http.Client {
	tr := &http.Transport{
		Proxy:               nil,
		DialContext:         (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:        calls + 16,
		MaxIdleConnsPerHost: calls + 16,
		IdleConnTimeout:     30 * time.Second,
	}
	return &http.Client{Transport: tr}
}

func (r *runner) run(ctx context.Context) (*Report, error) {
	t0 := time.Now()
	cpu0 := SelfCPU()
	before, err := r.scrape(ctx)
	if err != nil {
		r.fail("metrics", err)
	}
	var proc0 ProcUsage
	if r.cfg.ServerPID != 0 {
		var err error
		if proc0, err = ReadProc(r.cfg.ServerPID); err != nil {
			r.fail("proc", err)
		}
	}

	watchCtx, stopWatch := context.WithCancel(ctx)
	defer stopWatch()
	var watchWG sync.WaitGroup
	if r.cfg.Watch {
		ready := make(chan struct{})
		watchWG.Go(func() { r.watch(watchCtx, ready) })
		select {
		case <-ready:
		case <-time.After(5 * time.Second):
			r.fail("events", errors.New("event stream not open after 5s"))
		case <-ctx.Done():
		}
	}

	progCtx, stopProg := context.WithCancel(ctx)
	var progWG sync.WaitGroup
	if r.cfg.Progress != nil {
		progWG.Go(func() { r.progress(progCtx, t0) })
	}

	Ramp(ctx, r.cfg.Calls, r.cfg.Ramp, func(ctx context.Context, i int) {
		r.started.Add(1)
		r.call(ctx, i)
	})
	callsDone := time.Now()
	r.bg.Wait()

	if r.cfg.Watch {
		r.settle(ctx)
	}
	stopProg()
	progWG.Wait()
	if r.cfg.Progress != nil {
		fmt.Fprintln(r.cfg.Progress)
	}
	stopWatch()
	watchWG.Wait()

	after, scrapeErr := r.scrape(context.WithoutCancel(ctx))
	rep := r.report(before, after, scrapeErr, proc0, t0)
	rep.CallsWall = callsDone.Sub(t0)
	rep.CallsimCPU = SelfCPU() - cpu0
	if rep.CallsStreamed == 0 && rep.Calls > 0 {
		return rep, fmt.Errorf("sim: no call could be streamed: %s", strings.Join(rep.ErrorSamples, "; "))
	}
	return rep, nil
}

// fail counts an error of the given kind and keeps the first few messages.
func (r *runner) fail(kind string, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.errs[kind]++
	if len(r.samples) < 5 {
		r.samples = append(r.samples, kind+": "+err.Error())
	}
}

// settle waits until every streamed call has ended (per the events), or
// Settle passes without a new call ending.
func (r *runner) settle(ctx context.Context) {
	timer := time.NewTimer(r.cfg.Settle)
	defer timer.Stop()
	for {
		r.mu.Lock()
		done := r.ended >= int(r.streamed.Load()) || r.watchGone.Load()
		r.mu.Unlock()
		if done {
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-timer.C:
			return
		case <-r.endedCh:
			if !timer.Stop() {
				select {
				case <-timer.C:
				default:
				}
			}
			timer.Reset(r.cfg.Settle)
		}
	}
}

// watch follows the event stream until ctx is done, resuming with
// Last-Event-ID after the server cuts it off, so no event is missed while
// the server's history still holds it.
func (r *runner) watch(ctx context.Context, ready chan struct{}) {
	var once sync.Once
	signal := func() { once.Do(func() { close(ready) }) }
	w := &Watcher{Client: r.client, URL: r.cfg.Server + "/v1/events", Token: r.cfg.APIToken,
		OnReady: signal, OnEvent: r.onEvent}
	for ctx.Err() == nil {
		err := w.Run(ctx)
		if ctx.Err() != nil {
			return
		}
		if errors.Is(err, io.ErrUnexpectedEOF) {
			r.fail("events_cut_off", err)
		} else {
			r.fail("events", err)
		}
		var he *HTTPError
		if errors.As(err, &he) && (he.Status == http.StatusUnauthorized || he.Status == http.StatusForbidden || he.Status == http.StatusNotFound) {
			r.watchGone.Store(true) // nothing to wait for in settle
			signal()
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(100 * time.Millisecond):
		}
	}
}

func (r *runner) onEvent(e Event) {
	if e.Type == "gap" {
		r.fail("events_gap", fmt.Errorf("events may have been missed: %s", e.Data))
		return
	}
	callSid := e.CallSid
	var v VerdictInfo
	isVerdict := e.Type == "verdict"
	if isVerdict {
		var err error
		v, err = DecodeVerdict(e.Data)
		if err != nil {
			r.fail("event", err)
			return
		}
		if callSid == "" {
			callSid = v.CallSid
		}
	}
	r.mu.Lock()
	c := r.calls[callSid]
	if c == nil {
		r.mu.Unlock()
		return // another client's call
	}
	switch {
	case isVerdict:
		c.verdicts++
		r.byLabel[v.Label]++
		r.verdicts.Add(1)
		if end, ok := c.windowEnd(v.End); ok {
			r.verdictLat.Add(e.Received.Sub(end))
		}
		switch {
		case !v.Decided.IsZero(): // the vendor answered → this watcher
			r.deliveryLat.Add(e.Received.Sub(v.Decided))
		case !e.Time.IsZero(): // published → this watcher
			r.deliveryLat.Add(e.Received.Sub(e.Time))
		}
		if v.Latency > 0 && (v.Label == "real" || v.Label == "fake") {
			r.vendorLat.Add(v.Latency)
		}
	case e.Type == "alert":
		r.alerts++
	case e.Type == "call.ended":
		c.endedN++
		if !c.ended && c.endedN >= max(c.expect, 1) {
			c.ended = true
			r.ended++
			select {
			case r.endedCh <- struct{}{}:
			default:
			}
		}
	}
	r.mu.Unlock()
	if r.cfg.OnEvent != nil {
		r.cfg.OnEvent(e)
	}
}

func (r *runner) progress(ctx context.Context, t0 time.Time) {
	t := time.NewTicker(r.cfg.ProgressEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			fmt.Fprintf(r.cfg.Progress, "\r%6.1fs  calls %d/%d  active %d  failed %d  frames %d  verdicts %d   ",
				time.Since(t0).Seconds(), r.started.Load(), r.cfg.Calls, r.active.Load(), r.failed.Load(),
				r.framesSent.Load(), r.verdicts.Load())
		}
	}
}

// scrape reads the server's /metrics; a server without them returns nil.
func (r *runner) scrape(ctx context.Context) (*Metrics, error) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, r.cfg.Server+"/metrics", nil)
	if err != nil {
		return nil, err
	}
	resp, err := r.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("sim: metrics: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, &HTTPError{Op: "metrics", Status: resp.StatusCode}
	}
	m, err := ParseMetrics(resp.Body)
	if err != nil {
		return nil, err
	}
	return &m, nil
}

// Metric names read from the server's /metrics.
const (
	MetricFrames        = "callguard_frames_total"
	MetricDropped       = "callguard_dropped_total"
	MetricFrameLatency  = "callguard_frame_processing_seconds"
	MetricFrameLag      = "callguard_frame_lag_seconds"
	MetricVendorLatency = "callguard_vendor_latency_seconds"
	MetricProcessCPU    = "process_cpu_seconds_total"
	MetricProcessRSS    = "process_resident_memory_bytes"
	MetricProcessMaxRSS = "process_max_resident_memory_bytes"
)

const metricUnknown = -1.0

func (r *runner) report(before, after *Metrics, scrapeErr error, proc0 ProcUsage, t0 time.Time) *Report {
	rep := &Report{
		Server:          r.cfg.Server,
		Audio:           r.cfg.Audio.Name,
		Tracks:          orDefault(r.cfg.Tracks, "as TwiML says"),
		Realtime:        r.cfg.Realtime,
		Calls:           int(r.started.Load()),
		CallsStreamed:   int(r.streamed.Load()),
		CallsFailed:     int(r.failed.Load()),
		CallAudio:       time.Duration(len(r.pcm)) * time.Second / TwilioRate,
		Wall:            time.Since(t0),
		FramesSent:      r.framesSent.Load(),
		FramesSkipped:   r.framesSkipped.Load(),
		FramesProcessed: metricUnknown,
		DroppedFrames:   metricUnknown,
		VerdictLatency:  r.verdictLat.Summary(),
		DeliveryLatency: r.deliveryLat.Summary(),
		VendorLatency:   r.vendorLat.Summary(),
		SendLag:         r.sendLag.Summary(),
	}
	if scrapeErr != nil {
		r.fail("metrics", scrapeErr)
	}
	if before == nil {
		before = &Metrics{}
	}
	if after != nil {
		if after.Has(MetricFrames) {
			rep.FramesProcessed = after.Sum(MetricFrames, nil) - before.Sum(MetricFrames, nil)
		}
		if after.Has(MetricDropped) || after.Has(MetricFrames) {
			rep.DroppedFrames = after.Sum(MetricDropped, nil) - before.Sum(MetricDropped, nil)
		}
		// p50 and p99 in milliseconds of a histogram's change over the run.
		msQuantiles := func(name string) (p50, p99 *float64) {
			d := DeltaBuckets(before.Histogram(name), after.Histogram(name))
			return ptr(BucketQuantile(0.50, d) * 1000), ptr(BucketQuantile(0.99, d) * 1000)
		}
		rep.FrameLatencyP50Ms, rep.FrameLatencyP99Ms = msQuantiles(MetricFrameLatency)
		rep.FrameLagP50Ms, rep.FrameLagP99Ms = msQuantiles(MetricFrameLag)
		rep.VendorLatencyServerP50Ms, rep.VendorLatencyServerP99Ms = msQuantiles(MetricVendorLatency)
	}
	switch {
	case r.cfg.ServerPID != 0:
		if p1, err := ReadProc(r.cfg.ServerPID); err == nil {
			rep.ServerCPU = p1.CPU - proc0.CPU
			rep.ServerRSS, rep.ServerPeakRSS = p1.RSS, p1.PeakRSS
			rep.ServerSource = "proc"
		} else {
			r.fail("proc", err)
		}
	case after != nil && after.Has(MetricProcessCPU):
		cpu := after.Sum(MetricProcessCPU, nil) - before.Sum(MetricProcessCPU, nil)
		rep.ServerCPU = time.Duration(cpu * float64(time.Second))
		rep.ServerRSS = int64(after.Sum(MetricProcessRSS, nil))
		rep.ServerPeakRSS = int64(math.Max(after.Sum(MetricProcessMaxRSS, nil), float64(rep.ServerRSS)))
		rep.ServerSource = "metrics"
	}
	if rep.ServerCPU > 0 {
		rep.CallsPerCore = float64(rep.CallsStreamed) * rep.CallAudio.Seconds() / rep.ServerCPU.Seconds()
	}
	r.mu.Lock()
	rep.Verdicts = int(r.verdicts.Load())
	rep.VerdictsByLabel = r.byLabel
	rep.Alerts = r.alerts
	rep.CallsEnded = r.ended
	rep.Errors = r.errs
	rep.ErrorSamples = r.samples
	r.mu.Unlock()
	return rep
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// localServerPID finds the process serving server when it is on this
// machine (a loopback host), or returns 0.
func localServerPID(server string) int {
	u, err := url.Parse(server)
	if err != nil {
		return 0
	}
	host := u.Hostname()
	if ip := net.ParseIP(host); !(host == "localhost" || (ip != nil && ip.IsLoopback())) {
		return 0
	}
	port, err := strconv.Atoi(u.Port())
	if err != nil {
		if u.Scheme == "https" {
			port = 443
		} else {
			port = 80
		}
	}
	pid, err := FindListener(port)
	if err != nil {
		return 0
	}
	return pid
}

//go:build linux

// Command e2e is callguard's end-to-end load benchmark: it builds and
// starts examples/server on loopback (SQLite or PostgreSQL), points it at
// a fake Resemble (detect/resembletest) that answers after -vendor-latency,
// places -calls real-time calls with callsim's engine, profiles the server,
// and checks the targets:
//
//   - zero dropped frames and frame-processing p99 ≤ 20 ms;
//   - verdict reaches a watcher ≤ 50 ms (p99) after the vendor answers;
//   - server RSS ≤ 1 GiB;
//   - real-time calls per core (N × call seconds ÷ server CPU seconds).
//
// -sweep 50,100,200,… runs increasing N and reports the largest that holds
// every load target (all but calls per core, which is reported per run). -ci runs the small correctness version for CI (exit status
// 1 when a call fails, a frame is lost or a call gets no verdict).
//
//	go run ./bench/e2e -calls 50 -duration 10s -ci
//	go run ./bench/e2e -sweep 100,200,400,700,1000 -duration 30s
//	go run ./bench/e2e -db postgres -calls 200 -duration 30s
//
// "e2e path" measures the media → resample → detect-windowing path alone,
// and under it the cost of merely receiving the calls' messages on this
// machine (see path.go):
//
//	go run ./bench/e2e path -calls 400 -duration 15s
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/pprof"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/callguard/callguard/examples/callsim/sim"
)

// Targets from the issue.
const (
	targetFrameP99    = 20 * time.Millisecond
	targetDeliveryP99 = 50 * time.Millisecond
	targetRSS         = 1 << 30
	targetPerCore     = 2000
)

type options struct {
	calls         int
	sweep         []int
	duration      time.Duration
	ramp          time.Duration
	db            string
	vendorLatency time.Duration
	wav           string
	settle        time.Duration
	profile       bool
	outDir        string
	jsonOut       string
	ci            bool
	enforce       bool
	serverBin     string
	serverEnv     []string
	tracks        string
	verbose       bool
	selfProfile   string
	keepGoing     bool
}

func main() {
	if len(os.Args) > 1 {
		switch os.Args[1] {
		case "vendor":
			os.Exit(vendorMain(os.Args[2:], os.Stdin, os.Stdout, os.Stderr))
		case "path":
			os.Exit(pathMain(os.Args[2:], os.Stdout, os.Stderr))
		case "path-send":
			os.Exit(pathSendMain(os.Args[2:], os.Stderr))
		}
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

func parse(args []string, stderr io.Writer) (*options, error) {
	o := &options{}
	fs := flag.NewFlagSet("e2e", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.IntVar(&o.calls, "calls", 50, "concurrent real-time calls")
	sweep := fs.String("sweep", "", "comma-separated call counts to run in turn, stopping at the first that misses a target")
	fs.DurationVar(&o.duration, "duration", 10*time.Second, "length of each call (the speech WAV loops)")
	fs.DurationVar(&o.ramp, "ramp", -1, "spread call starts over this long (default: 5 ms per call, at most 10 s)")
	fs.StringVar(&o.db, "db", "sqlite", "sqlite, postgres (CALLGUARD_TEST_DATABASE_URL or the local default) or a postgres:// URL; a fresh database per run")
	fs.DurationVar(&o.vendorLatency, "vendor-latency", 300*time.Millisecond, "latency of the fake Resemble")
	fs.StringVar(&o.wav, "wav", "hello-16k.wav", "speech WAV from examples/callsim/audio (or a path)")
	fs.DurationVar(&o.settle, "settle", 10*time.Second, "wait for trailing verdicts after the last call")
	fs.BoolVar(&o.profile, "profile", true, "profile the server's CPU during the steady part of each run")
	fs.StringVar(&o.outDir, "out", "", "directory for the server binary, profiles and logs (default: a temporary one)")
	fs.StringVar(&o.jsonOut, "json", "", "also write every run's results as JSON to this file")
	fs.BoolVar(&o.ci, "ci", false, "exit 1 unless every call streamed, every frame was processed, none dropped, and every call got verdicts and ended")
	fs.BoolVar(&o.keepGoing, "keep-going", false, "with -sweep, run every count even after one misses a load target")
	fs.BoolVar(&o.enforce, "enforce", false, "exit 1 unless the last run meets every target, calls per core included")
	fs.StringVar(&o.serverBin, "server-bin", "", "use this server binary instead of building one (profiling needs one that knows CALLGUARD_PPROF_ADDR)")
	env := fs.String("server-env", "", "extra server settings, comma-separated KEY=value (e.g. CALLGUARD_WINDOW=2s)")
	fs.StringVar(&o.tracks, "tracks", "", "inbound or both (default: what the server's TwiML asks for)")
	fs.StringVar(&o.selfProfile, "self-profile", "", "write a CPU profile of this process (callsim's engine and the fake vendor) to this file")
	fs.BoolVar(&o.verbose, "v", false, "show the server's output and callsim's progress line")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if *sweep != "" {
		for _, s := range strings.Split(*sweep, ",") {
			n, err := strconv.Atoi(strings.TrimSpace(s))
			if err != nil || n < 1 {
				return nil, fmt.Errorf("-sweep: %q is not a positive count", s)
			}
			o.sweep = append(o.sweep, n)
		}
	} else {
		if o.calls < 1 {
			return nil, errors.New("-calls must be at least 1")
		}
		o.sweep = []int{o.calls}
	}
	if *env != "" {
		for _, kv := range strings.Split(*env, ",") {
			if !strings.Contains(kv, "=") {
				return nil, fmt.Errorf("-server-env: %q is not KEY=value", kv)
			}
			o.serverEnv = append(o.serverEnv, strings.TrimSpace(kv))
		}
	}
	return o, nil
}

// Result is one run of the benchmark.
type Result struct {
	Calls     int           `json:"calls"`
	Database  string        `json:"database"`
	Duration  time.Duration `json:"call_duration_ns"`
	VendorLat time.Duration `json:"vendor_latency_ns"`
	Report    *sim.Report   `json:"report"`
	Targets   []Target      `json:"targets"`
	// Pass is true when the run was correct and met every load target
	// (all but calls per core); Efficient when it also met calls per core.
	Pass       bool   `json:"pass"`
	Efficient  bool   `json:"efficient"`
	ProfileTop string `json:"profile_top,omitempty"`
	ProfileCum string `json:"profile_cum,omitempty"`
	Profile    string `json:"profile_file,omitempty"`
	// HeapTop lists the allocation sites holding the most memory at the
	// end of the steady part (HeapProfile is the file).
	HeapTop     string `json:"heap_top,omitempty"`
	HeapProfile string `json:"heap_file,omitempty"`
	// VendorCPU is the CPU the fake Resemble (a child process) used.
	VendorCPU time.Duration `json:"vendor_cpu_ns"`
	Problems  []string      `json:"problems,omitempty"`
}

// Target is one checked goal.
type Target struct {
	Name  string `json:"name"`
	Value string `json:"value"`
	Goal  string `json:"goal"`
	Pass  bool   `json:"pass"`
	// Known is false when the figure was not available (e.g. a metric the
	// server does not expose); such a target neither passes nor fails.
	Known bool `json:"known"`
	// Efficiency marks the calls-per-core target: it does not depend on N,
	// so it is reported but does not stop a sweep.
	Efficiency bool `json:"efficiency,omitempty"`
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	o, err := parse(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintln(stderr, "e2e:", err)
		return 2
	}
	if o.outDir == "" {
		d, err := os.MkdirTemp("", "callguard-e2e-")
		if err != nil {
			fmt.Fprintln(stderr, "e2e:", err)
			return 1
		}
		defer os.RemoveAll(d)
		o.outDir = d
	} else if err := os.MkdirAll(o.outDir, 0o755); err != nil {
		fmt.Fprintln(stderr, "e2e:", err)
		return 1
	}
	if o.selfProfile != "" {
		f, err := os.Create(o.selfProfile)
		if err != nil {
			fmt.Fprintln(stderr, "e2e:", err)
			return 1
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			fmt.Fprintln(stderr, "e2e:", err)
			return 1
		}
		defer pprof.StopCPUProfile()
	}
	audio, err := loadWAV(ctx, o.wav)
	if err != nil {
		fmt.Fprintln(stderr, "e2e:", err)
		return 2
	}
	bin := o.serverBin
	if bin == "" {
		fmt.Fprintln(stderr, "e2e: building ./examples/server …")
		if bin, err = BuildServer(ctx, BuildOptions{Dir: o.outDir}); err != nil {
			fmt.Fprintln(stderr, "e2e:", err)
			return 1
		}
	}
	var results []Result
	largest := 0
	prefixPass := true // every run so far met the load targets
	exit := 0
	for _, n := range o.sweep {
		if ctx.Err() != nil {
			break
		}
		res, err := runOnce(ctx, o, bin, audio, n, stderr)
		if err != nil {
			fmt.Fprintf(stderr, "e2e: %d calls: %v\n", n, err)
			exit = 1
			break
		}
		results = append(results, *res)
		printResult(stdout, res)
		if o.ci && len(res.Problems) > 0 {
			fmt.Fprintln(stderr, "e2e: -ci:", strings.Join(res.Problems, "; "))
			exit = 1
		}
		if res.Pass && prefixPass {
			largest = n
		} else {
			prefixPass = false
		}
		if !res.Pass && !o.keepGoing {
			break
		}
	}
	if len(o.sweep) > 1 {
		fmt.Fprintf(stdout, "\nlargest N meeting every load target: %d\n", largest)
	}
	if o.enforce && (len(results) == 0 || !results[len(results)-1].Pass || !results[len(results)-1].Efficient) {
		exit = 1
	}
	if o.jsonOut != "" {
		b, _ := json.MarshalIndent(map[string]any{"results": results, "largest_passing": largest}, "", "  ")
		if err := os.WriteFile(o.jsonOut, b, 0o644); err != nil {
			fmt.Fprintln(stderr, "e2e:", err)
			exit = 1
		}
	}
	return exit
}

func loadWAV(ctx context.Context, name string) (sim.Audio, error) {
	path := name
	if !strings.ContainsRune(name, os.PathSeparator) {
		root, err := moduleRoot(ctx)
		if err != nil {
			return sim.Audio{}, err
		}
		path = filepath.Join(root, "examples", "callsim", "audio", name)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return sim.Audio{}, err
	}
	return sim.DecodeWAV(filepath.Base(path), b)
}

// runOnce starts a fresh fake vendor, database and server, places n calls
// and stops everything.
func runOnce(ctx context.Context, o *options, bin string, audio sim.Audio, n int, stderr io.Writer) (*Result, error) {
	vendor, err := startVendor(o.vendorLatency)
	if err != nil {
		return nil, err
	}
	defer vendor.Close()

	dbURL, dbName := "", "sqlite"
	switch {
	case o.db == "sqlite":
		dbURL = filepath.Join(o.outDir, fmt.Sprintf("bench-%d-%s.db", n, randomHex(3)))
	case o.db == "postgres" || isPostgres(o.db):
		admin := o.db
		if admin == "postgres" {
			admin = os.Getenv("CALLGUARD_TEST_DATABASE_URL")
			if admin == "" {
				admin = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
			}
		}
		u, drop, err := tempDatabase(ctx, admin, "callguard_bench")
		if err != nil {
			return nil, err
		}
		defer drop()
		dbURL, dbName = u, "postgres"
	default:
		return nil, fmt.Errorf("-db %q: want sqlite, postgres or a postgres:// URL", o.db)
	}

	var serverOut io.Writer
	if o.verbose {
		serverOut = stderr
	}
	srv, err := StartServer(ctx, ServerOptions{Bin: bin, DatabaseURL: dbURL, ResembleURL: vendor.URL,
		Pprof: o.profile, Env: o.serverEnv, Stdout: serverOut})
	if err != nil {
		return nil, err
	}
	defer func() {
		if err := srv.Terminate(60 * time.Second); err != nil && o.verbose {
			fmt.Fprintln(stderr, "e2e: server exit:", err)
		}
	}()

	ramp := o.ramp
	if ramp < 0 {
		ramp = min(time.Duration(n)*5*time.Millisecond, 10*time.Second)
	}
	cfg := sim.Config{
		Server: srv.URL, PublicURL: srv.PublicURL, AuthToken: srv.AuthToken, APIToken: srv.APIToken,
		Audio: audio, CallDuration: o.duration, Tracks: o.tracks, Realtime: true,
		Calls: n, Ramp: ramp, Watch: true, Settle: o.settle, ServerPID: srv.PID(),
	}
	if o.verbose {
		cfg.Progress = stderr
	}
	res := &Result{Calls: n, Database: dbName, Duration: o.duration, VendorLat: o.vendorLatency}

	profDone := make(chan error, 1)
	profFile := filepath.Join(o.outDir, fmt.Sprintf("cpu-%s-%d.pprof", dbName, n))
	heapFile := filepath.Join(o.outDir, fmt.Sprintf("heap-%s-%d.pprof", dbName, n))
	if srv.PprofURL != "" {
		// Profile the steady part: after the ramp, for most of a call.
		go func() {
			wait := ramp + 2*time.Second
			length := max(o.duration-3*time.Second, time.Second)
			select {
			case <-time.After(wait):
			case <-ctx.Done():
				profDone <- ctx.Err()
				return
			}
			err := captureProfile(ctx, srv.PprofURL, length, profFile)
			// The heap at the end of the steady part, every call live.
			if herr := captureHeap(ctx, srv.PprofURL, heapFile); herr != nil && err == nil {
				err = herr
			}
			profDone <- err
		}()
	} else {
		profDone <- errors.New("profiling off (-profile=false)")
	}

	fmt.Fprintf(stderr, "e2e: %d calls × %v on %s (vendor latency %v, ramp %v)…\n", n, o.duration, dbName, o.vendorLatency, ramp)
	v0, _ := sim.ReadProc(vendor.PID())
	rep, runErr := sim.Run(ctx, cfg)
	if v1, err := sim.ReadProc(vendor.PID()); err == nil {
		res.VendorCPU = v1.CPU - v0.CPU
	}
	res.Report = rep
	if perr := <-profDone; perr == nil {
		res.Profile = profFile
		if top, err := topFunctions(ctx, bin, profFile, 25); err == nil {
			res.ProfileTop = top
		}
		if cum, err := topCumulative(ctx, bin, profFile, 30); err == nil {
			res.ProfileCum = cum
		}
		if heap, err := topHeap(ctx, bin, heapFile, 15); err == nil {
			res.HeapTop, res.HeapProfile = heap, heapFile
		}
	} else if o.verbose {
		fmt.Fprintln(stderr, "e2e: profile:", perr)
	}
	if runErr != nil {
		if rep == nil {
			return nil, runErr
		}
		res.Problems = append(res.Problems, runErr.Error())
	}
	res.Targets = targets(rep)
	res.Pass = runErr == nil
	res.Efficient = true
	for _, t := range res.Targets {
		switch {
		case t.Efficiency:
			res.Efficient = t.Known && t.Pass
		case t.Known && !t.Pass:
			res.Pass = false
		}
	}
	res.Problems = append(res.Problems, correctness(rep)...)
	if len(res.Problems) > 0 {
		res.Pass = false
	}
	return res, nil
}

// targets checks the performance targets.
func targets(r *sim.Report) []Target {
	var ts []Target
	add := func(name, value, goal string, known, pass bool) {
		ts = append(ts, Target{Name: name, Value: value, Goal: goal, Known: known, Pass: known && pass})
	}
	add("dropped frames", fmt.Sprintf("%.0f", r.DroppedFrames), "0", r.DroppedFrames >= 0, r.DroppedFrames == 0)
	if r.FrameLatencyP99Ms != nil {
		add("frame-processing p99 (server histogram)", fmt.Sprintf("%.3fms", *r.FrameLatencyP99Ms), "≤ 20ms", true,
			*r.FrameLatencyP99Ms <= float64(targetFrameP99.Milliseconds()))
	} else {
		add("frame-processing p99", "n/a (no server histogram)", "≤ 20ms", false, false)
	}
	// The client's view of back-pressure stands in for the server's
	// frame-processing histogram only when the server has none; otherwise
	// it is shown for information (it also grows when callsim itself is
	// starved of CPU).
	add("send lag p99 (client view of back-pressure)", r.SendLag.P99.Round(10*time.Microsecond).String(), "≤ 20ms",
		r.SendLag.Count > 0 && r.FrameLatencyP99Ms == nil, r.SendLag.P99 <= targetFrameP99)
	add("verdict vendor answered → watcher p99", r.DeliveryLatency.P99.Round(10*time.Microsecond).String(), "≤ 50ms",
		r.DeliveryLatency.Count > 0, r.DeliveryLatency.P99 <= targetDeliveryP99)
	add("server peak RSS", fmt.Sprintf("%.0f MiB", float64(r.ServerPeakRSS)/(1<<20)), "≤ 1024 MiB",
		r.ServerPeakRSS > 0, r.ServerPeakRSS <= targetRSS)
	add("real-time calls per core", fmt.Sprintf("%.0f", r.CallsPerCore), "≥ 2000", r.CallsPerCore > 0, r.CallsPerCore >= targetPerCore)
	ts[len(ts)-1].Efficiency = true
	return ts
}

// correctness lists what makes a run wrong regardless of speed.
func correctness(r *sim.Report) []string {
	var p []string
	if r.CallsFailed > 0 {
		p = append(p, fmt.Sprintf("%d of %d calls failed: %v", r.CallsFailed, r.Calls, r.ErrorSamples))
	}
	if r.FramesProcessed >= 0 && r.FramesProcessed < float64(r.FramesSent) {
		p = append(p, fmt.Sprintf("server processed %.0f of %d frames sent", r.FramesProcessed, r.FramesSent))
	}
	if r.DroppedFrames > 0 {
		p = append(p, fmt.Sprintf("%.0f frames dropped", r.DroppedFrames))
	}
	if r.CallsEnded < r.CallsStreamed {
		p = append(p, fmt.Sprintf("%d of %d calls did not end with a summary event", r.CallsStreamed-r.CallsEnded, r.CallsStreamed))
	}
	if r.CallsStreamed > 0 && r.Verdicts < r.CallsStreamed {
		p = append(p, fmt.Sprintf("%d verdicts for %d calls", r.Verdicts, r.CallsStreamed))
	}
	return p
}

func printResult(w io.Writer, res *Result) {
	eff := "calls per core below target"
	if res.Efficient {
		eff = "calls per core on target"
	}
	fmt.Fprintf(w, "\n=== %d calls × %v, %s, vendor latency %v: load targets %s, %s\n", res.Calls, res.Duration, res.Database, res.VendorLat, passFail(res.Pass), eff)
	_ = res.Report.WriteText(w)
	fmt.Fprintf(w, "  fake vendor      CPU %.2fs (its own process)\n", res.VendorCPU.Seconds())
	fmt.Fprintln(w, "  targets:")
	for _, t := range res.Targets {
		state := passFail(t.Pass)
		if !t.Known {
			state = "n/a"
		}
		fmt.Fprintf(w, "    %-44s %-28s goal %-10s %s\n", t.Name, t.Value, t.Goal, state)
	}
	for _, p := range res.Problems {
		fmt.Fprintln(w, "  problem:", p)
	}
	if res.HeapTop != "" {
		fmt.Fprintf(w, "  server heap in use at the end of the steady part (%s):\n", res.HeapProfile)
		for _, l := range strings.Split(res.HeapTop, "\n") {
			fmt.Fprintln(w, "    "+l)
		}
	}
	if res.ProfileTop != "" {
		fmt.Fprintf(w, "  server CPU profile (%s), top functions by flat time:\n", res.Profile)
		for _, l := range strings.Split(res.ProfileTop, "\n") {
			fmt.Fprintln(w, "    "+l)
		}
	}
}

func passFail(ok bool) string {
	if ok {
		return "PASS"
	}
	return "FAIL"
}

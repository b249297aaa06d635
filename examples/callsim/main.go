// Command callsim plays Twilio against a running callguard server: it sends
// signed voice webhooks, streams speech as Twilio Media Streams, watches the
// server's events and reports what it measured. See doc.go.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/callguard/callguard/examples/callsim/sim"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	getenv := os.Getenv
	path := envOr(getenv, "CALLSIM_DEV_ENV", devEnvFile)
	if g, ok := withDevEnv(getenv, path); ok {
		getenv = g
		fmt.Fprintf(os.Stderr, "callsim: using the local server's generated tokens from %s\n", path)
	}
	code := run(ctx, os.Args[1:], getenv, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// options are callsim's command-line settings.
type options struct {
	cfg       sim.Config
	wav       string
	jsonOut   bool
	quiet     bool
	verbose   bool
	progress  string
	failOnAny bool
}

func parseFlags(args []string, getenv func(string) string, stderr io.Writer) (*options, error) {
	o := &options{}
	fs := flag.NewFlagSet("callsim", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: callsim [flags]\n\nPlays Twilio against a callguard server (default http://localhost:8080).\n\n")
		fs.PrintDefaults()
	}
	c := &o.cfg
	fs.StringVar(&c.Server, "server", envOr(getenv, "CALLSIM_SERVER", "http://localhost:8080"), "server base URL to connect to (CALLSIM_SERVER)")
	fs.StringVar(&c.PublicURL, "public-url", getenv("CALLGUARD_PUBLIC_URL"), "base URL the server validates signatures against (CALLGUARD_PUBLIC_URL; default: -server)")
	fs.StringVar(&c.AuthToken, "token", getenv("TWILIO_AUTH_TOKEN"), "Twilio auth token that signs webhooks and upgrades (TWILIO_AUTH_TOKEN)")
	fs.StringVar(&c.APIToken, "api-token", apiToken(getenv), "bearer token for GET /v1/events (CALLSIM_API_TOKEN, else the first of CALLGUARD_API_TOKENS)")
	fs.StringVar(&o.wav, "wav", "hello-16k.wav", "WAV file to stream (any rate); a bare name picks a bundled one: "+strings.Join(bundledNames(), ", "))
	fs.IntVar(&c.Calls, "calls", 1, "number of calls")
	fs.DurationVar(&c.Ramp, "ramp", 0, "spread call starts evenly over this long")
	fs.DurationVar(&c.CallDuration, "duration", 0, "length of each call, looping the audio (0: the audio once)")
	fs.StringVar(&c.Tracks, "tracks", "", "inbound or both (default: what the TwiML answer asks for)")
	fast := fs.Bool("fast", false, "send audio as fast as possible instead of in real time")
	fs.BoolVar(&c.SkipSilence, "skip-silence", false, "leave out silent 20 ms frames, like Twilio")
	fs.BoolVar(&c.DropWithoutStop, "drop", false, "drop each WebSocket at the end without sending stop")
	noWatch := fs.Bool("no-watch", false, "do not subscribe to /v1/events")
	fs.DurationVar(&c.Settle, "settle", 10*time.Second, "after the last call, wait this long (without a call ending) for verdicts")
	fs.IntVar(&c.ServerPID, "server-pid", 0, "server process id, to read its CPU and RSS from /proc (0: found by port when the server is on loopback; -1: from /metrics)")
	fs.StringVar(&c.From, "from", "+15005550006", "caller number in the voice webhook")
	fs.StringVar(&c.To, "to", "+15005550001", "called number in the voice webhook")
	fs.BoolVar(&o.jsonOut, "json", false, "print the report as JSON on stdout (verdict lines go to stderr)")
	fs.BoolVar(&o.quiet, "quiet", false, "do not print verdicts as they arrive")
	fs.BoolVar(&o.verbose, "v", false, "log each failed call")
	fs.StringVar(&o.progress, "progress", "auto", "progress line on stderr: auto (when more than one call), on, off")
	fs.BoolVar(&o.failOnAny, "strict", false, "exit 1 when any call failed, any frame was dropped or lost, or a streamed call got no verdict")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	c.Realtime = !*fast
	c.Watch = !*noWatch
	switch o.progress {
	case "auto", "on", "off":
	default:
		return nil, fmt.Errorf("-progress %q: want auto, on or off", o.progress)
	}
	return o, nil
}

// devEnvFile is where `go run ./examples/server` in local mode writes the
// tokens it generated (its CALLGUARD_DEV_ENV_FILE default), so that
// `go run ./examples/callsim` from the same directory needs no flags.
const devEnvFile = "callguard.dev.env"

// withDevEnv returns getenv with the KEY=value lines of the file at path
// as fallbacks (the real environment wins; flags win over both), and
// whether the file was read. A missing file leaves getenv as it is.
func withDevEnv(getenv func(string) string, path string) (func(string) string, bool) {
	b, err := os.ReadFile(path)
	if err != nil {
		return getenv, false
	}
	vals := map[string]string{}
	for _, line := range strings.Split(string(b), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if k, v, ok := strings.Cut(line, "="); ok {
			vals[strings.TrimSpace(k)] = strings.TrimSpace(v)
		}
	}
	return func(k string) string {
		if v := getenv(k); v != "" {
			return v
		}
		return vals[k]
	}, true
}

func envOr(getenv func(string) string, key, def string) string {
	if v := getenv(key); v != "" {
		return v
	}
	return def
}

func apiToken(getenv func(string) string) string {
	if v := getenv("CALLSIM_API_TOKEN"); v != "" {
		return v
	}
	first, _, _ := strings.Cut(getenv("CALLGUARD_API_TOKENS"), ",")
	return strings.TrimSpace(first)
}

func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	o, err := parseFlags(args, getenv, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintln(stderr, "callsim:", err)
		return 2
	}
	audio, err := loadAudio(o.wav)
	if err != nil {
		fmt.Fprintln(stderr, "callsim:", err)
		return 2
	}
	o.cfg.Audio = audio
	if o.progress == "on" || (o.progress == "auto" && o.cfg.Calls > 1) {
		o.cfg.Progress = stderr
	}
	if o.verbose {
		o.cfg.Logger = slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	out := stdout
	if o.jsonOut {
		out = stderr
	}
	if !o.quiet && o.cfg.Watch {
		o.cfg.OnEvent = func(e sim.Event) { printEvent(out, e) }
	}
	if o.cfg.AuthToken == "" {
		fmt.Fprintln(stderr, "callsim: no -token or TWILIO_AUTH_TOKEN: requests go unsigned and the server will answer 403 (use the token the server printed)")
	}
	if o.cfg.Watch && o.cfg.APIToken == "" {
		fmt.Fprintln(stderr, "callsim: no -api-token or CALLGUARD_API_TOKENS: the server will refuse the event stream, so no verdicts will show (use the API token the server printed)")
	}
	rep, err := sim.Run(ctx, o.cfg)
	if rep != nil {
		if o.jsonOut {
			_ = rep.WriteJSON(stdout)
		} else {
			_ = rep.WriteText(stdout)
		}
	}
	if err != nil {
		fmt.Fprintln(stderr, "callsim:", err)
		return 1
	}
	if o.failOnAny {
		if problems := strictProblems(rep); len(problems) > 0 {
			fmt.Fprintln(stderr, "callsim: -strict:", strings.Join(problems, "; "))
			return 1
		}
	}
	return 0
}

// strictProblems lists what -strict fails a run for.
func strictProblems(r *sim.Report) []string {
	var p []string
	if r.CallsFailed > 0 {
		p = append(p, fmt.Sprintf("%d calls failed", r.CallsFailed))
	}
	if r.DroppedFrames > 0 {
		p = append(p, fmt.Sprintf("%.0f frames dropped", r.DroppedFrames))
	}
	if r.FramesProcessed >= 0 && r.FramesProcessed < float64(r.FramesSent) {
		p = append(p, fmt.Sprintf("server processed %.0f of %d frames sent", r.FramesProcessed, r.FramesSent))
	}
	if r.CallsEnded < r.CallsStreamed {
		p = append(p, fmt.Sprintf("%d of %d streamed calls did not end with a summary", r.CallsStreamed-r.CallsEnded, r.CallsStreamed))
	}
	if r.Verdicts == 0 {
		p = append(p, "no verdicts")
	}
	return p
}

// printEvent prints one event of our calls as a line.
func printEvent(w io.Writer, e sim.Event) {
	ts := e.Received.Format("15:04:05.000")
	switch e.Type {
	case "verdict":
		v, err := sim.DecodeVerdict(e.Data)
		if err != nil {
			return
		}
		line := fmt.Sprintf("%s %s %-8s #%-3d %6.2fs–%6.2fs  %-9s score %.2f", ts, e.CallSid, v.Track, v.Index,
			v.Start.Seconds(), v.End.Seconds(), v.Label, v.Score)
		if v.Vendor != "" {
			line += fmt.Sprintf("  %s %dms", v.Vendor, v.Latency.Milliseconds())
		}
		if v.Err != "" {
			line += "  (" + v.Err + ")"
		}
		fmt.Fprintln(w, line)
	default:
		data := string(e.Data)
		if len(data) > 160 {
			data = data[:160] + "…"
		}
		fmt.Fprintf(w, "%s %s %s %s\n", ts, e.CallSid, e.Type, data)
	}
}

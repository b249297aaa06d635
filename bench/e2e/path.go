//go:build linux

package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/coder/websocket"

	"github.com/callguard/callguard/detect"
	"github.com/callguard/callguard/examples/callsim/sim"
	"github.com/callguard/callguard/media"
	"github.com/callguard/callguard/resample"
)

// The path benchmark ("e2e path") measures what one core can do for the
// issue's "media → resample → detect-windowing path", apart from the rest
// of the server (vendor calls, database, events), and the floor under it on
// this machine. For each stage a child process plays N real-time calls (a
// message every 20 ms per connection, Twilio's size and format) and this
// process receives them; its own CPU time (user + system, getrusage) over
// the steady part gives real-time calls per core = N × seconds ÷ CPU
// seconds. The sender's CPU per message is shown too: on loopback the
// sending side pays for much of the TCP work, and a load generator on the
// same machine (callsim) pays it for every frame. Stages:
//
//	tcp    the same bytes on raw TCP, read with bufio by a goroutine per
//	       connection and thrown away: the kernel and Go runtime cost of
//	       receiving 50 messages a second per call, which no Go server
//	       reading them can go below
//	media  callguard's media.Stream over coder/websocket: WebSocket frames,
//	       JSON, base64, μ-law, per-track timeline
//	path   media + resample (8 kHz → 16 kHz, High) + detect.Session
//	       windowing (4 s windows handed to a detector that answers at once)
//
// Usage: go run ./bench/e2e path -calls 400 -duration 15s
func pathMain(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("e2e path", flag.ContinueOnError)
	fs.SetOutput(stderr)
	calls := fs.Int("calls", 400, "concurrent real-time calls (connections)")
	dur := fs.Duration("duration", 15*time.Second, "measured time per stage (after 3 s of warm-up)")
	stages := fs.String("stages", "tcp,media,path", "stages to run, comma-separated")
	wavName := fs.String("wav", "hello-16k.wav", "speech WAV from examples/callsim/audio (or a path)")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the measured part of every stage to this file prefix (FILE-STAGE.pprof)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if *calls < 1 || *dur <= 0 {
		fmt.Fprintln(stderr, "e2e path: -calls and -duration must be positive")
		return 2
	}
	ctx := context.Background()
	audio, err := loadWAV(ctx, *wavName)
	if err != nil {
		fmt.Fprintln(stderr, "e2e path:", err)
		return 2
	}
	if len(audio.Samples) < sim.FrameSamples {
		fmt.Fprintln(stderr, "e2e path: the WAV is shorter than one frame")
		return 2
	}
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "stage\tcalls\tmessages\tCPU s\tµs / message\tcalls / core\tsender µs / message\t\n")
	for _, stage := range strings.Split(*stages, ",") {
		stage = strings.TrimSpace(stage)
		fmt.Fprintf(stderr, "e2e path: %s, %d calls…\n", stage, *calls)
		prof := ""
		if *cpuProfile != "" {
			prof = *cpuProfile + "-" + stage + ".pprof"
		}
		res, err := runPathStage(pathStage{name: stage, calls: *calls, warm: 3 * time.Second, dur: *dur,
			wav: *wavName, profile: prof}, stderr)
		if err != nil {
			fmt.Fprintf(stderr, "e2e path: %s: %v\n", stage, err)
			return 1
		}
		fmt.Fprintf(tw, "%s\t%d\t%d\t%.2f\t%.2f\t%.0f\t%.2f\t\n", stage, *calls, res.messages, res.cpu.Seconds(),
			res.cpu.Seconds()*1e6/float64(max(res.messages, 1)), res.perCore,
			res.sendCPU.Seconds()*1e6/float64(max(res.messages, 1)))
	}
	tw.Flush()
	return 0
}

type pathResult struct {
	messages int64
	cpu      time.Duration
	perCore  float64
	// sendCPU is the sending child's CPU over the same interval (0 when
	// /proc could not be read): what playing the calls costs.
	sendCPU time.Duration
}

// pathReceiver counts what one stage has received.
type pathReceiver struct {
	messages atomic.Int64
	errs     atomic.Int64
}

// pathStage is one stage to run: calls connections playing wav, warm of
// warm-up, then dur measured (and CPU-profiled to profile, when set).
type pathStage struct {
	name         string
	calls        int
	warm, dur    time.Duration
	wav, profile string
}

// runPathStage runs one stage.
func runPathStage(ps pathStage, stderr io.Writer) (*pathResult, error) {
	stage, calls, warm, dur, profile := ps.name, ps.calls, ps.warm, ps.dur, ps.profile
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	defer ln.Close()
	rcv := &pathReceiver{}
	mode := "ws"
	switch stage {
	case "tcp":
		mode = "tcp"
		go rcv.serveTCP(ln)
	case "media", "path":
		srv := &http.Server{Handler: rcv.mediaHandler(stage == "path"), ReadHeaderTimeout: 10 * time.Second}
		go srv.Serve(ln)
		defer srv.Close()
	default:
		return nil, fmt.Errorf("unknown stage %q (tcp, media, path)", stage)
	}
	exe, err := os.Executable()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(exe, "path-send", "-addr", ln.Addr().String(), "-mode", mode,
		"-calls", strconv.Itoa(calls), "-duration", (warm + dur + 2*time.Second).String(), "-wav", ps.wav)
	cmd.Stderr = stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	time.Sleep(warm)
	if profile != "" {
		f, err := os.Create(profile)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return nil, err
		}
	}
	s0, serr0 := sim.ReadProc(cmd.Process.Pid)
	m0, c0, t0 := rcv.messages.Load(), sim.SelfCPU(), time.Now()
	time.Sleep(dur)
	m1, c1, el := rcv.messages.Load(), sim.SelfCPU(), time.Since(t0)
	s1, serr1 := sim.ReadProc(cmd.Process.Pid)
	if profile != "" {
		pprof.StopCPUProfile()
	}
	if n := rcv.errs.Load(); n > 0 {
		return nil, fmt.Errorf("%d connections failed", n)
	}
	msgs := m1 - m0
	if msgs == 0 {
		return nil, errors.New("nothing received")
	}
	cpu := c1 - c0
	// Calls actually carried, from what arrived (all of them, unless the
	// sender fell behind): messages ÷ 50 per second ÷ elapsed seconds.
	carried := float64(msgs) / 50 / el.Seconds()
	res := &pathResult{messages: msgs, cpu: cpu, perCore: carried * el.Seconds() / cpu.Seconds()}
	if serr0 == nil && serr1 == nil {
		res.sendCPU = s1.CPU - s0.CPU
	}
	return res, nil
}

// serveTCP reads newline-terminated messages on every connection.
func (p *pathReceiver) serveTCP(ln net.Listener) {
	for {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		go func() {
			defer c.Close()
			r := bufio.NewReaderSize(c, 4096)
			for {
				if _, err := r.ReadSlice('\n'); err != nil {
					return
				}
				p.messages.Add(1)
			}
		}()
	}
}

// mediaHandler reads each call with media.Stream, and in the path stage
// resamples every frame to 16 kHz and writes it to a detect.Session.
func (p *pathReceiver) mediaHandler(full bool) http.Handler {
	instant := detect.DetectorFunc(func(ctx context.Context, clip detect.Clip) (detect.Verdict, error) {
		return detect.Verdict{Label: detect.Real, Score: 0.1}, nil
	})
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		st, err := media.Accept(w, r, &media.AcceptOptions{})
		if err != nil {
			p.errs.Add(1)
			return
		}
		defer st.Close()
		ctx := r.Context()
		var rs *resample.Resampler
		var sess *detect.Session
		var out []int16
		if full {
			if rs, err = resample.New(8000, 16000); err != nil {
				p.errs.Add(1)
				return
			}
			sess = detect.NewSession(instant, detect.SessionOptions{SampleRate: 16000, OnVerdict: func(detect.Verdict) {}})
			defer sess.Close(context.Background())
		}
		for {
			f, err := st.ReadFrame(ctx)
			if err != nil {
				if !errors.Is(err, io.EOF) && ctx.Err() == nil && !errors.Is(err, io.ErrUnexpectedEOF) {
					p.errs.Add(1)
				}
				return
			}
			p.messages.Add(1)
			if full {
				out = rs.Process(out[:0], f.Samples)
				_ = sess.Write(out)
			}
		}
	})
}

// pathSendMain is the child process: -calls connections, each sending a
// message every 20 ms for -duration (raw TCP: the media message and a
// newline; ws: a Twilio media stream over coder/websocket).
func pathSendMain(args []string, stderr io.Writer) int {
	fs := flag.NewFlagSet("e2e path-send", flag.ContinueOnError)
	addr := fs.String("addr", "", "receiver address")
	mode := fs.String("mode", "ws", "tcp or ws")
	calls := fs.Int("calls", 1, "connections")
	dur := fs.Duration("duration", 10*time.Second, "how long to send")
	wavName := fs.String("wav", "hello-16k.wav", "speech WAV (as e2e path's -wav)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	ctx, cancel := context.WithTimeout(context.Background(), *dur)
	defer cancel()
	audio, err := loadWAV(ctx, *wavName)
	if err != nil {
		fmt.Fprintln(stderr, "path-send:", err)
		return 1
	}
	payloads := sim.Payloads(audio.Samples)
	var wg sync.WaitGroup
	for i := range *calls {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// Spread the calls over one frame period, as real calls are.
			time.Sleep(time.Duration(i) * 20 * time.Millisecond / time.Duration(*calls))
			if err := sendCall(ctx, *addr, *mode, i, payloads); err != nil && ctx.Err() == nil {
				fmt.Fprintln(stderr, "path-send:", err)
			}
		}()
	}
	wg.Wait()
	return 0
}

func sendCall(ctx context.Context, addr, mode string, i int, payloads [][]byte) error {
	sid := fmt.Sprintf("MZ%032d", i)
	var write func(b []byte) error
	switch mode {
	case "tcp":
		c, err := net.Dial("tcp", addr)
		if err != nil {
			return err
		}
		defer c.Close()
		write = func(b []byte) error { _, err := c.Write(append(b, '\n')); return err }
	default:
		c, _, err := websocket.Dial(ctx, "ws://"+addr+"/", nil)
		if err != nil {
			return err
		}
		defer c.CloseNow()
		write = func(b []byte) error { return c.Write(context.Background(), websocket.MessageText, b) }
		start := fmt.Appendf(nil, `{"event":"connected","protocol":"Call","version":"1.0.0"}`)
		if err := write(start); err != nil {
			return err
		}
		start = fmt.Appendf(start[:0], `{"event":"start","sequenceNumber":"1","streamSid":%q,"start":{"accountSid":"AC%032d","callSid":"CA%032d","streamSid":%q,"tracks":["inbound"],"mediaFormat":{"encoding":"audio/x-mulaw","sampleRate":8000,"channels":1},"customParameters":{}}}`,
			sid, 0, i, sid)
		if err := write(start); err != nil {
			return err
		}
	}
	buf := make([]byte, 0, 512)
	t := time.NewTicker(20 * time.Millisecond)
	defer t.Stop()
	for f := int64(0); ; f++ {
		buf = sim.AppendMedia(buf[:0], sid, f+2, "inbound", f+1, time.Duration(f)*20*time.Millisecond, payloads[f%int64(len(payloads))])
		if err := write(buf); err != nil {
			return err
		}
		select {
		case <-t.C:
		case <-ctx.Done():
			return nil
		}
	}
}

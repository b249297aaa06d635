package sim

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/callguard/callguard/detect"
	"github.com/callguard/callguard/media"
	"github.com/callguard/callguard/notify"
	"github.com/callguard/callguard/twiml"
)

const testToken = "test-auth-token"

// fakeServer is a minimal server in callguard's shape, built from the real
// packages: a signed voice webhook answering TwiML, media.Accept, one
// verdict event per second of inbound audio, call.ended at stop, and a
// /metrics page with frame counters. It lets Run be tested without
// examples/server.
type fakeServer struct {
	*httptest.Server
	hub      *notify.Hub
	mux      *http.ServeMux
	frames   atomic.Int64
	gaps     atomic.Int64
	mu       sync.Mutex
	starts   []*media.Start
	closedBy map[string]string // CallSid → "stop" or the read error
	statuses []string          // stream status callback events
}

func newFakeServer(t *testing.T, track string) *fakeServer {
	t.Helper()
	fs := &fakeServer{hub: notify.NewHub(notify.HubOptions{}), closedBy: map[string]string{}}
	mux := http.NewServeMux()
	fs.mux = mux
	fs.Server = httptest.NewServer(mux)
	public := fs.URL
	mux.Handle("POST /twilio/voice", twiml.Validator{AuthToken: testToken, PublicURL: public, Logger: slog.New(slog.DiscardHandler)}.Middleware(
		http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/xml")
			wsURL := "ws" + strings.TrimPrefix(public, "http") + "/twilio/media"
			fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?><Response><Start><Stream url="%s" track="%s" statusCallback="%s/twilio/stream-status?x=1" statusCallbackMethod="POST"><Parameter name="from" value="%s"/></Stream></Start><Pause length="3600"/></Response>`,
				wsURL, track, public, r.PostFormValue("From"))
		})))
	mux.Handle("POST /twilio/stream-status", twiml.Validator{AuthToken: testToken, PublicURL: public, Logger: slog.New(slog.DiscardHandler)}.Middleware(
		http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			_ = r.ParseForm()
			st, err := twiml.ParseStreamStatus(r.PostForm)
			if err != nil || r.URL.Query().Get("x") != "1" {
				http.Error(w, "bad status", http.StatusBadRequest)
				return
			}
			fs.mu.Lock()
			fs.statuses = append(fs.statuses, string(st.StreamEvent))
			fs.mu.Unlock()
		})))
	mux.HandleFunc("GET /twilio/media", func(w http.ResponseWriter, r *http.Request) {
		wsURL := "ws" + strings.TrimPrefix(public, "http") + "/twilio/media"
		s, err := media.Accept(w, r, &media.AcceptOptions{AuthToken: testToken, PublicURL: wsURL})
		if err != nil {
			return
		}
		defer s.Close()
		start, err := s.ReadStart(r.Context())
		if err != nil {
			return
		}
		fs.mu.Lock()
		fs.starts = append(fs.starts, start)
		fs.mu.Unlock()
		var inbound time.Duration
		idx := 0
		how := "stop"
		for {
			f, err := s.ReadFrame(r.Context())
			if err == io.EOF {
				break
			}
			if err != nil {
				how = err.Error()
				break
			}
			fs.frames.Add(int64(len(f.Samples) / FrameSamples))
			if f.Gap > 0 {
				fs.gaps.Add(1)
			}
			if f.Track != media.TrackInbound {
				continue
			}
			inbound = f.Timestamp + 20*time.Millisecond
			if inbound%time.Second == 0 {
				v := detect.Verdict{CallSid: start.CallSid, Track: f.Track, Index: idx, Start: inbound - time.Second,
					End: inbound, Label: detect.Real, Score: 0.1, Vendor: "fake", Latency: 5 * time.Millisecond}
				idx++
				e, _ := notify.NewEvent(notify.TypeVerdict, start.CallSid, v)
				fs.hub.Notify(r.Context(), e)
			}
		}
		fs.mu.Lock()
		fs.closedBy[start.CallSid] = how
		fs.mu.Unlock()
		for _, tr := range start.Tracks { // one per detection session, as the server does
			e, _ := notify.NewEvent(notify.TypeCallEnded, start.CallSid, map[string]any{"track": tr, "windows": idx})
			fs.hub.Notify(context.Background(), e)
		}
	})
	mux.HandleFunc("GET /v1/events", fs.hub.ServeSSE)
	mux.HandleFunc("GET /metrics", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "# TYPE callguard_frames_total counter\ncallguard_frames_total{track=\"inbound\"} %d\n", fs.frames.Load())
		fmt.Fprintf(w, "callguard_dropped_total{reason=\"queue\"} 0\nprocess_cpu_seconds_total 1.5\nprocess_resident_memory_bytes 1048576\n")
	})
	t.Cleanup(func() {
		fs.hub.Close()
		fs.Close()
	})
	return fs
}

func testAudio(t *testing.T) Audio {
	t.Helper()
	b, err := os.ReadFile("../audio/hello-16k.wav")
	if err != nil {
		t.Fatal(err)
	}
	a, err := DecodeWAV("hello-16k.wav", b)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func TestDecodeBundledWAV(t *testing.T) {
	a := testAudio(t)
	if a.SourceRate != 16000 {
		t.Errorf("source rate %d", a.SourceRate)
	}
	// 7.565 s at 16 kHz becomes 7.565 s at 8 kHz, to the sample.
	if got := len(a.Samples); got != 60520 {
		t.Errorf("8 kHz samples = %d, want 60520", got)
	}
	var peak int16
	for _, s := range a.Samples {
		peak = max(peak, s)
	}
	if peak < 3000 {
		t.Errorf("peak %d: resampled speech is nearly silent", peak)
	}
	silent := SilentFrames(a.Samples, 0)
	n := 0
	for _, s := range silent {
		if s {
			n++
		}
	}
	// gen.sh puts 0.2 s of silence first and 0.8 s in the middle.
	if n < 40 || n > len(silent)/2 {
		t.Errorf("%d of %d frames silent", n, len(silent))
	}
	if _, err := DecodeWAV("x.wav", []byte("RIFF....WAVEjunk")); err == nil {
		t.Error("junk WAV accepted")
	}
}

func TestRunFast(t *testing.T) {
	fs := newFakeServer(t, "both_tracks")
	a := testAudio(t)
	a.Samples = a.Samples[:3*TwilioRate] // 3 s
	var events atomic.Int64
	rep, err := Run(context.Background(), Config{
		Server: fs.URL, AuthToken: testToken, Audio: a, Calls: 4, Watch: true,
		SkipSilence: true, Settle: 5 * time.Second, ServerPID: -1, // read usage from /metrics
		OnEvent: func(Event) { events.Add(1) },
	})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Calls != 4 || rep.CallsStreamed != 4 || rep.CallsFailed != 0 {
		t.Fatalf("calls: %+v", rep)
	}
	// Two tracks (the TwiML asks for both), 150 frames each per call.
	if rep.FramesSent+rep.FramesSkipped != 4*2*150 || rep.FramesSkipped == 0 {
		t.Errorf("frames sent %d + skipped %d, want 1200 with some skipped", rep.FramesSent, rep.FramesSkipped)
	}
	// The server fills skipped silence it learns of from a later frame's
	// timestamp; silence at the very end is never filled.
	if rep.FramesProcessed < float64(rep.FramesSent) || rep.FramesProcessed > 4*2*150 {
		t.Errorf("frames processed %v, sent %d", rep.FramesProcessed, rep.FramesSent)
	}
	if rep.Verdicts != 4*3 || rep.VerdictsByLabel["real"] != 12 || rep.CallsEnded != 4 {
		t.Errorf("verdicts %d %v, ended %d", rep.Verdicts, rep.VerdictsByLabel, rep.CallsEnded)
	}
	if rep.VerdictLatency.Count != 12 || rep.VendorLatency.P50 != 5*time.Millisecond || rep.DeliveryLatency.Count != 12 {
		t.Errorf("latencies: verdict %v vendor %v delivery %v", rep.VerdictLatency, rep.VendorLatency, rep.DeliveryLatency)
	}
	if rep.ServerSource != "metrics" || rep.ServerRSS != 1<<20 {
		t.Errorf("server usage from metrics: %q rss %d", rep.ServerSource, rep.ServerRSS)
	}
	if events.Load() < 16 {
		t.Errorf("OnEvent saw %d events", events.Load())
	}
	fs.mu.Lock()
	defer fs.mu.Unlock()
	for _, st := range fs.starts {
		if len(st.Tracks) != 2 || st.CustomParameters["from"] != "+15005550006" || !strings.HasPrefix(st.CallSid, "CA") || !strings.HasPrefix(st.StreamSid, "MZ") {
			t.Errorf("start %+v", st)
		}
	}
	for sid, how := range fs.closedBy {
		if how != "stop" {
			t.Errorf("call %s ended by %q, want stop", sid, how)
		}
	}
	if len(fs.statuses) != 8 || len(rep.Errors) != 0 {
		t.Errorf("stream status callbacks %v (want started and stopped for each of 4 calls), errors %v", fs.statuses, rep.Errors)
	}
	var text strings.Builder
	if err := rep.WriteText(&text); err != nil || !strings.Contains(text.String(), "4 started, 4 streamed, 0 failed") {
		t.Errorf("text report:\n%s", text.String())
	}
}

func TestRunDropWithoutStop(t *testing.T) {
	fs := newFakeServer(t, "inbound_track")
	a := testAudio(t)
	a.Samples = a.Samples[:TwilioRate]
	rep, err := Run(context.Background(), Config{Server: fs.URL, AuthToken: testToken, Audio: a, Calls: 1,
		Watch: true, DropWithoutStop: true, Settle: 5 * time.Second})
	if err != nil || rep.CallsFailed != 0 {
		t.Fatalf("run: %v %+v", err, rep)
	}
	// The server is this process, on loopback: found and read from /proc.
	if _, err := os.Stat("/proc/net/tcp"); err == nil && rep.ServerSource != "proc" {
		t.Errorf("server usage source %q, want proc (local server found by its port)", rep.ServerSource)
	}
	fs.mu.Lock()
	defer fs.mu.Unlock()
	for _, how := range fs.closedBy {
		if how == "stop" {
			t.Error("server saw stop although callsim dropped the socket")
		}
	}
}

func TestRunForgedToken(t *testing.T) {
	fs := newFakeServer(t, "inbound_track")
	rep, err := Run(context.Background(), Config{Server: fs.URL, AuthToken: "wrong", Audio: testAudio(t), Calls: 3})
	if err == nil {
		t.Fatal("run with a wrong token succeeded")
	}
	if rep.CallsFailed != 3 || rep.Errors["webhook_403"] != 3 {
		t.Errorf("failures %+v", rep.Errors)
	}
}

// A server that refuses the event stream (wrong API token) does not make
// Run wait out Settle for verdicts that cannot come.
func TestRunEventsRefused(t *testing.T) {
	fs := newFakeServer(t, "inbound_track")
	fs.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/v1/events" {
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		fs.mux.ServeHTTP(w, r)
	})
	a := testAudio(t)
	a.Samples = a.Samples[:TwilioRate]
	t0 := time.Now()
	rep, err := Run(context.Background(), Config{Server: fs.URL, AuthToken: testToken, Audio: a, Calls: 1, Watch: true, Settle: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	if time.Since(t0) > 30*time.Second || rep.Errors["events"] != 1 || rep.CallsFailed != 0 {
		t.Errorf("took %v, errors %v", time.Since(t0), rep.Errors)
	}
}

func TestRunRealtimePacing(t *testing.T) {
	fs := newFakeServer(t, "inbound_track")
	a := testAudio(t)
	a.Samples = a.Samples[:TwilioRate/2] // 0.5 s
	t0 := time.Now()
	rep, err := Run(context.Background(), Config{Server: fs.URL, AuthToken: testToken, Audio: a, Calls: 2, Realtime: true})
	if err != nil {
		t.Fatal(err)
	}
	// 25 frames paced 20 ms apart take at least 480 ms.
	if el := time.Since(t0); el < 480*time.Millisecond {
		t.Errorf("real-time run of 0.5 s audio took %v", el)
	}
	if rep.FramesSent != 50 {
		t.Errorf("frames sent %d, want 50", rep.FramesSent)
	}
}

func TestConfigErrors(t *testing.T) {
	a := Audio{Samples: make([]int16, 800)}
	for _, c := range []Config{
		{Server: "localhost:8080", Audio: a, Calls: 1},
		{Server: "http://h", Audio: a, Calls: 0},
		{Server: "http://h", Audio: a, Calls: 1, Tracks: "outbound"},
		{Server: "http://h", Audio: Audio{}, Calls: 1},
		{Server: "http://h", Audio: a, Calls: 1, Ramp: -1},
	} {
		if _, err := Run(context.Background(), c); !errors.Is(err, ErrConfig) {
			t.Errorf("Run(%+v) err = %v, want ErrConfig", c, err)
		}
	}
}

package app_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/callguard/callguard/detect/resembletest"
	"github.com/callguard/callguard/examples/server/internal/app"
	"github.com/callguard/callguard/examples/server/internal/config"
	"github.com/callguard/callguard/examples/server/internal/logging"
	"github.com/callguard/callguard/examples/server/internal/store"
	"github.com/callguard/callguard/internal/testlog"
	"github.com/callguard/callguard/media/mediatest"
	"github.com/callguard/callguard/notify"
	"github.com/callguard/callguard/twiml/twiliotest"
)

// publicURL is what Twilio would call; requests are sent to the httptest
// listener and signed for this URL, as behind a TLS-terminating proxy.
const publicURL = "https://callguard.test"

const apiToken = "test-api-token-0123456789abcdef"

type env struct {
	t         testing.TB
	srv       *app.Server
	hs        *httptest.Server
	st        store.Store
	tw        *twiliotest.Server
	cfg       *config.Config
	logs      *testlog.SyncBuffer
	authToken string
}

type envOptions struct {
	dsn    string
	fanout app.FanoutFunc
	env    map[string]string
	// keepStore leaves the store open at cleanup (shared by replicas).
	store store.Store
}

// sqliteDSN returns a fresh SQLite database file for the test.
func sqliteDSN(t testing.TB) string {
	return t.TempDir() + "/callguard.db"
}

func newEnv(t testing.TB, o envOptions) *env {
	t.Helper()
	tw := twiliotest.NewServer(twiliotest.ServerOptions{})
	t.Cleanup(tw.Close)
	vars := map[string]string{
		"TWILIO_ACCOUNT_SID":          tw.AccountSid(),
		"TWILIO_AUTH_TOKEN":           tw.AuthToken(),
		"CALLGUARD_API_TOKENS":        apiToken,
		"CALLGUARD_PUBLIC_URL":        publicURL,
		"CALLGUARD_WINDOW":            "500ms",
		"CALLGUARD_MIN_SPEECH":        "100ms",
		"CALLGUARD_SIMULATED_LATENCY": "5ms",
		"CALLGUARD_SHUTDOWN_TIMEOUT":  "10s",
		"CALLGUARD_LOG_LEVEL":         "debug",
		"CALLGUARD_MAX_QUEUED":        "256",
	}
	for k, v := range o.env {
		vars[k] = v
	}
	cfg, _, err := config.Load(config.Options{Getenv: func(k string) string { return vars[k] }})
	if err != nil {
		t.Fatal(err)
	}
	logs := &testlog.SyncBuffer{}
	log := logging.New(logs, logging.Options{Format: "json", Level: "debug", Secrets: cfg.Secrets()})
	st := o.store
	if st == nil {
		dsn := o.dsn
		if dsn == "" {
			dsn = sqliteDSN(t)
		}
		st, err = store.Open(context.Background(), dsn, &store.Options{Logger: log})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
	}
	srv, err := app.New(context.Background(), app.Options{Config: cfg, Store: st, Twilio: tw.Client(), Logger: log, Fanout: o.fanout})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv.Handler())
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
		hs.Close()
	})
	return &env{t: t, srv: srv, hs: hs, st: st, tw: tw, cfg: cfg, logs: logs, authToken: tw.AuthToken()}
}

// do sends an API request with the test token.
func (e *env) do(method, path string, body any) (*http.Response, []byte) {
	e.t.Helper()
	var r io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		r = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, e.hs.URL+path, r)
	req.Header.Set("Authorization", "Bearer "+apiToken)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	return e.send(req)
}

func (e *env) send(req *http.Request) (*http.Response, []byte) {
	e.t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, b
}

// twilioForm posts a form signed like Twilio (for publicURL+path).
func (e *env) twilioForm(path string, params url.Values, token string) (*http.Response, []byte) {
	e.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, e.hs.URL+path, strings.NewReader(params.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("X-Twilio-Signature", twiliotest.Signature(token, publicURL+path, params))
	return e.send(req)
}

func (e *env) wsURL() string { return "ws" + strings.TrimPrefix(e.hs.URL, "http") + app.MediaPath }

// dial opens a signed media stream for callSid.
func (e *env) dial(ctx context.Context, callSid string, tracks ...string) *mediatest.Call {
	e.t.Helper()
	c, err := mediatest.Dial(ctx, e.wsURL(), mediatest.DialOptions{AuthToken: e.authToken,
		SignURL: e.srv.MediaURLString(), CallSid: callSid, AccountSid: e.tw.AccountSid(), Tracks: tracks})
	if err != nil {
		e.t.Fatal(err)
	}
	return c
}

// streamSpeech opens a media stream for callSid on e, sends 1.2 s of speech
// on the inbound track and waits until its detection holds two verdicts;
// it returns the open stream and that detection.
func (e *env) streamSpeech(ctx context.Context, callSid string) (*mediatest.Call, store.Detection) {
	e.t.Helper()
	c := e.dial(ctx, callSid)
	if err := c.SendPCM(ctx, "inbound", speech(e.t, 1200*time.Millisecond)); err != nil {
		e.t.Fatal(err)
	}
	if err := c.Flush(ctx); err != nil {
		e.t.Fatal(err)
	}
	var det store.Detection
	waitUntil(e.t, "verdicts", func() bool {
		d, err := e.st.ActiveDetection(ctx, callSid, "inbound")
		if err != nil {
			return false
		}
		det = d
		vs, err := e.st.ListVerdicts(ctx, store.VerdictFilter{DetectionID: d.ID}, store.PageRequest{})
		return err == nil && len(vs.Items) >= 2
	})
	return c, det
}

// watcher reads SSE events.
type watcher struct {
	mu     sync.Mutex
	events []notify.Event
	ch     chan struct{}
	cancel context.CancelFunc
}

func (e *env) watch(query string) *watcher {
	e.t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, e.hs.URL+"/v1/events"+query, nil)
	req.Header.Set("Authorization", "Bearer "+apiToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		cancel()
		e.t.Fatal(err)
	}
	if resp.StatusCode != 200 {
		cancel()
		e.t.Fatalf("events: %s", resp.Status)
	}
	w := &watcher{ch: make(chan struct{}, 1), cancel: cancel}
	e.t.Cleanup(cancel)
	go func() {
		defer resp.Body.Close()
		sc := bufio.NewScanner(resp.Body)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			line := sc.Text()
			if !strings.HasPrefix(line, "data: ") {
				continue
			}
			var ev notify.Event
			if json.Unmarshal([]byte(strings.TrimPrefix(line, "data: ")), &ev) != nil {
				continue
			}
			w.mu.Lock()
			w.events = append(w.events, ev)
			w.mu.Unlock()
			select {
			case w.ch <- struct{}{}:
			default:
			}
		}
	}()
	return w
}

// waitFor waits until cond holds over the events seen, or fails.
func (w *watcher) waitFor(t *testing.T, what string, cond func([]notify.Event) bool) []notify.Event {
	t.Helper()
	deadline := time.After(15 * time.Second)
	for {
		w.mu.Lock()
		evs := append([]notify.Event(nil), w.events...)
		w.mu.Unlock()
		if cond(evs) {
			return evs
		}
		select {
		case <-w.ch:
		case <-deadline:
			t.Fatalf("timed out waiting for %s; saw %d events", what, len(evs))
		}
	}
}

func countType(evs []notify.Event, typ string) int {
	n := 0
	for _, e := range evs {
		if e.Type == typ {
			n++
		}
	}
	return n
}

// speech returns about d of 8 kHz speech: the callsim WAV when present,
// else the fake's deterministic voice-like signal.
func speech(t testing.TB, d time.Duration) []int16 {
	n := int(d.Seconds() * 8000)
	if f, err := os.Open("../../../callsim/audio/hello-8k.wav"); err == nil {
		defer f.Close()
		pcm, rate, err := mediatest.DecodeWAV(f)
		if err == nil && rate == 8000 && len(pcm) >= n {
			return pcm[:n]
		}
	}
	return resembletest.Voice(n, 8000, 1)
}

func fake(d time.Duration) []int16 {
	return resembletest.MarkerTone(int(d.Seconds()*8000), 8000)
}

// quietLogger is for components under test whose logs do not matter.
func quietLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }

func asHandshake(err error, target **mediatest.HandshakeError) bool { return errors.As(err, target) }

//go:build linux

package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/callguard/callguard/detect/resembletest"
	"github.com/callguard/callguard/examples/callsim/sim"
)

var (
	buildOnce sync.Once
	buildBin  string
	buildErr  error
	buildDir  string
)

func TestMain(m *testing.M) {
	if len(os.Args) > 1 && os.Args[1] == "path-send" { // the path benchmark's child
		os.Exit(pathSendMain(os.Args[2:], os.Stderr))
	}
	code := m.Run()
	if buildDir != "" {
		os.RemoveAll(buildDir)
	}
	os.Exit(code)
}

// serverBinary builds ./examples/server once per test binary.
func serverBinary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		buildDir, buildErr = os.MkdirTemp("", "callguard-drills-")
		if buildErr != nil {
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
		defer cancel()
		buildBin, buildErr = BuildServer(ctx, BuildOptions{Dir: buildDir, Race: raceEnabled})
	})
	if buildErr != nil {
		t.Fatalf("building the server: %v", buildErr)
	}
	return buildBin
}

// drill is one server under test with its own fake vendor and database.
type drill struct {
	t         *testing.T
	vendor    *resembletest.Handler
	vendorURL string
	srv       *ServerProc
	dbURL     string
}

type drillOptions struct {
	vendor resembletest.Options
	// wrap, when set, wraps the fake vendor's handler (to delay requests).
	wrap  func(http.Handler) http.Handler
	env   []string
	dbURL string // default: a fresh SQLite file
}

func newDrill(t *testing.T, o drillOptions) *drill {
	t.Helper()
	bin := serverBinary(t)
	d := &drill{t: t, vendor: resembletest.NewHandler(o.vendor), dbURL: o.dbURL}
	var h http.Handler = d.vendor
	if o.wrap != nil {
		h = o.wrap(h)
	}
	vs := httptest.NewServer(h)
	d.vendorURL = vs.URL
	t.Cleanup(func() {
		d.vendor.Close()
		vs.Close()
	})
	if d.dbURL == "" {
		d.dbURL = filepath.Join(t.TempDir(), "drill.db")
	}
	d.start(bin, o.env)
	return d
}

func (d *drill) start(bin string, env []string) {
	d.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	srv, err := StartServer(ctx, ServerOptions{Bin: bin, DatabaseURL: d.dbURL, ResembleURL: d.vendorURL, Env: env})
	if err != nil {
		d.t.Fatal(err)
	}
	d.srv = srv
	d.t.Cleanup(func() {
		select {
		case <-srv.Done():
		default:
			if err := srv.Terminate(30 * time.Second); err != nil {
				d.t.Errorf("server exit: %v", err)
			}
		}
		if d.t.Failed() {
			d.t.Logf("server output:\n%s", tail(srv.Log(), 4000))
		}
	})
}

func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return "…" + s[len(s)-n:]
}

// config returns a sim.Config for this drill's server.
func (d *drill) config(a sim.Audio, calls int, callLen time.Duration, realtime bool) sim.Config {
	return sim.Config{
		Server: d.srv.URL, PublicURL: d.srv.PublicURL, AuthToken: d.srv.AuthToken, APIToken: d.srv.APIToken,
		Audio: a, CallDuration: callLen, Calls: calls, Realtime: realtime, Watch: true, Settle: 15 * time.Second,
	}
}

// apiCall is the part of GET /v1/calls/{sid} the drills check.
type apiCall struct {
	CallSid    string `json:"call_sid"`
	Detections []struct {
		ID      string          `json:"id"`
		Track   string          `json:"track"`
		Status  string          `json:"status"`
		Summary json.RawMessage `json:"summary"`
		Error   string          `json:"error"`
	} `json:"detections"`
	Verdicts []struct {
		DetectionID string `json:"detection_id"`
		Index       int    `json:"index"`
		StartMs     int64  `json:"start_ms"`
		EndMs       int64  `json:"end_ms"`
		Label       string `json:"label"`
		Error       string `json:"error"`
	} `json:"verdicts"`
}

// summary is the part of detect.Summary the drills check.
type summary struct {
	Windows, Judged, Errors int
	Decision                string
}

// getJSON GETs path with the API token; it returns the status code.
func (d *drill) getJSON(path string, v any) int {
	d.t.Helper()
	req, _ := http.NewRequest(http.MethodGet, d.srv.URL+path, nil)
	req.Header.Set("Authorization", "Bearer "+d.srv.APIToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		d.t.Fatalf("GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode == http.StatusOK && v != nil {
		if err := json.Unmarshal(b, v); err != nil {
			d.t.Fatalf("GET %s: %v: %s", path, err, b)
		}
	}
	return resp.StatusCode
}

func (d *drill) call(sid string) apiCall {
	d.t.Helper()
	var c apiCall
	if code := d.getJSON("/v1/calls/"+sid, &c); code != http.StatusOK {
		d.t.Fatalf("GET /v1/calls/%s: HTTP %d", sid, code)
	}
	return c
}

// checkWindows asserts that every window of every ended detection of the
// call has exactly one row — a verdict, or an unknown row saying why —
// numbered 0..n-1 with n the session summary's window count. It returns
// the number of rows.
func (d *drill) checkWindows(sid string) int {
	d.t.Helper()
	c := d.call(sid)
	if len(c.Detections) == 0 {
		d.t.Errorf("call %s: no detection session", sid)
		return 0
	}
	rows := 0
	for _, det := range c.Detections {
		seen := map[int]bool{}
		for _, v := range c.Verdicts {
			if v.DetectionID != det.ID {
				continue
			}
			if seen[v.Index] {
				d.t.Errorf("call %s: window %d stored twice", sid, v.Index)
			}
			seen[v.Index] = true
			switch v.Label {
			case "real", "fake", "no_speech":
			case "unknown":
				if v.Error == "" {
					d.t.Errorf("call %s window %d: unknown without an error", sid, v.Index)
				}
			default:
				d.t.Errorf("call %s window %d: label %q", sid, v.Index, v.Label)
			}
		}
		for i := range len(seen) {
			if !seen[i] {
				d.t.Errorf("call %s: windows not numbered 0..%d: %d missing", sid, len(seen)-1, i)
			}
		}
		if det.Status == "active" || len(det.Summary) == 0 {
			d.t.Errorf("call %s detection %s: status %q, summary %s: session did not close", sid, det.ID, det.Status, det.Summary)
			continue
		}
		var s summary
		if err := json.Unmarshal(det.Summary, &s); err != nil {
			d.t.Errorf("call %s: summary %s: %v", sid, det.Summary, err)
		} else if s.Windows != len(seen) {
			d.t.Errorf("call %s: summary has %d windows, %d rows stored", sid, s.Windows, len(seen))
		}
		rows += len(seen)
	}
	return rows
}

func (d *drill) healthy() error {
	resp, err := http.Get(d.srv.URL + "/healthz")
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("healthz: HTTP %d", resp.StatusCode)
	}
	return nil
}

var (
	audioOnce sync.Once
	audioVal  sim.Audio
	audioErr  error
)

func speech(t *testing.T) sim.Audio {
	t.Helper()
	audioOnce.Do(func() {
		audioVal, audioErr = loadWAV(context.Background(), "hello-16k.wav")
	})
	if audioErr != nil {
		t.Fatal(audioErr)
	}
	return audioVal
}

// results collects CallResults from sim.Config.OnCall.
type results struct {
	mu   sync.Mutex
	list []sim.CallResult
}

func (r *results) add(c sim.CallResult) {
	r.mu.Lock()
	r.list = append(r.list, c)
	r.mu.Unlock()
}

func (r *results) all() []sim.CallResult {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]sim.CallResult(nil), r.list...)
}

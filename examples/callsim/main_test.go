package main

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/callguard/callguard/examples/callsim/sim"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestFlagsDefaultToLocalServerAndEnvironment(t *testing.T) {
	o, err := parseFlags(nil, env(map[string]string{
		"TWILIO_AUTH_TOKEN":    "tw-token",
		"CALLGUARD_API_TOKENS": " first-token-aaaaaaaa , second-token-bbbbbbb",
	}), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	c := o.cfg
	if c.Server != "http://localhost:8080" || c.AuthToken != "tw-token" || c.APIToken != "first-token-aaaaaaaa" {
		t.Errorf("defaults: server %q token %q api %q", c.Server, c.AuthToken, c.APIToken)
	}
	if !c.Realtime || !c.Watch || c.Calls != 1 || c.Tracks != "" || c.Settle != 10*time.Second {
		t.Errorf("defaults: %+v", c)
	}
	o, err = parseFlags([]string{"-server", "http://127.0.0.1:9", "-token", "x", "-fast", "-calls", "20", "-ramp", "2s",
		"-tracks", "both", "-no-watch", "-skip-silence"}, env(nil), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	c = o.cfg
	if c.Server != "http://127.0.0.1:9" || c.AuthToken != "x" || c.Realtime || c.Watch || c.Calls != 20 ||
		c.Ramp != 2*time.Second || c.Tracks != "both" || !c.SkipSilence {
		t.Errorf("flags: %+v", c)
	}
	for _, bad := range [][]string{{"-calls", "x"}, {"extra"}, {"-progress", "loud"}} {
		if _, err := parseFlags(bad, env(nil), io.Discard); err == nil {
			t.Errorf("parseFlags(%q) accepted", bad)
		}
	}
}

func TestBundledAudio(t *testing.T) {
	names := bundledNames()
	if len(names) < 3 {
		t.Fatalf("bundled: %v", names)
	}
	for _, n := range names {
		a, err := loadAudio(n)
		if err != nil {
			t.Fatalf("%s: %v", n, err)
		}
		if d := a.Duration(); d < 5*time.Second || d > 10*time.Second {
			t.Errorf("%s lasts %v", n, d)
		}
	}
	if _, err := loadAudio("no-such.wav"); err == nil || !strings.Contains(err.Error(), "hello-16k.wav") {
		t.Errorf("missing file: %v (should list the bundled ones)", err)
	}
}

func TestRunReportsUnreachableServer(t *testing.T) {
	var out, errOut strings.Builder
	code := run(context.Background(), []string{"-server", "http://127.0.0.1:1", "-token", "t", "-fast", "-no-watch", "-json"},
		env(nil), &out, &errOut)
	if code != 1 {
		t.Errorf("exit %d, want 1; stderr:\n%s", code, errOut.String())
	}
	if !strings.Contains(out.String(), `"calls_failed": 1`) {
		t.Errorf("JSON report missing or wrong:\n%s", out.String())
	}
	if code := run(context.Background(), []string{"-wav", "/nonexistent.wav"}, env(nil), &out, &errOut); code != 2 {
		t.Errorf("bad -wav: exit %d, want 2", code)
	}
}

func TestStrictProblems(t *testing.T) {
	ok := &sim.Report{Calls: 2, CallsStreamed: 2, CallsEnded: 2, FramesSent: 100, FramesProcessed: 100, Verdicts: 4}
	if p := strictProblems(ok); len(p) != 0 {
		t.Errorf("clean run: %v", p)
	}
	bad := &sim.Report{Calls: 2, CallsStreamed: 2, CallsFailed: 1, CallsEnded: 1, FramesSent: 100, FramesProcessed: 90, DroppedFrames: 3}
	if p := strictProblems(bad); len(p) != 5 {
		t.Errorf("bad run: %d problems %v, want 5", len(p), p)
	}
}

// The local server's dev env file fills in what the environment lacks; the
// environment and flags still win.
func TestDevEnvFileFallback(t *testing.T) {
	path := filepath.Join(t.TempDir(), "callguard.dev.env")
	content := "# comment\nCALLSIM_SERVER=http://localhost:9999\nTWILIO_AUTH_TOKEN=fromfile\nCALLSIM_API_TOKEN=cg_file\n"
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	getenv, ok := withDevEnv(env(map[string]string{"TWILIO_AUTH_TOKEN": "fromenv"}), path)
	if !ok {
		t.Fatal("dev env file not read")
	}
	o, err := parseFlags([]string{"-api-token", "fromflag"}, getenv, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if o.cfg.Server != "http://localhost:9999" || o.cfg.AuthToken != "fromenv" || o.cfg.APIToken != "fromflag" {
		t.Errorf("server %q token %q api token %q", o.cfg.Server, o.cfg.AuthToken, o.cfg.APIToken)
	}
	if _, ok := withDevEnv(func(string) string { return "" }, filepath.Join(t.TempDir(), "missing")); ok {
		t.Error("a missing file was reported as read")
	}
}

package cli_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/callguard/callguard/examples/server/internal/cli"
	"github.com/callguard/callguard/internal/testlog"
)

func run(t *testing.T, env map[string]string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := cli.Main(context.Background(), args, func(k string) string { return env[k] }, &out, &errb)
	return code, out.String(), errb.String()
}

func TestPrintConfigAndInvalid(t *testing.T) {
	code, out, _ := run(t, map[string]string{"TWILIO_AUTH_TOKEN": "very-secret-token"}, "-print-config", "-port", "9999")
	if code != 0 || !strings.Contains(out, `PORT="9999"	# flag`) || strings.Contains(out, "very-secret-token") ||
		!strings.Contains(out, `TWILIO_AUTH_TOKEN="[redacted]"	# env`) {
		t.Fatalf("%d\n%s", code, out)
	}
	code, _, errOut := run(t, map[string]string{"CALLGUARD_MAX_STREAMS": "-1"})
	if code != 2 || !strings.Contains(errOut, "invalid CALLGUARD_MAX_STREAMS (from env)") {
		t.Fatalf("%d %q", code, errOut)
	}
	if code, _, errOut := run(t, nil, "frobnicate"); code != 2 || !strings.Contains(errOut, "unknown command") {
		t.Fatalf("%d %q", code, errOut)
	}
	if code, _, _ := run(t, nil, "migrate", "sideways"); code != 2 {
		t.Fatalf("bad migrate command: %d", code)
	}
}

func TestMigrateAndTokens(t *testing.T) {
	env := map[string]string{"DATABASE_URL": "sqlite:" + filepath.Join(t.TempDir(), "cg.db")}
	code, out, errOut := run(t, env, "migrate", "status")
	if code != 0 || !strings.Contains(out, "pending") {
		t.Fatalf("status: %d %q %q", code, out, errOut)
	}
	if code, out, _ = run(t, env, "migrate", "up"); code != 0 || strings.Contains(out, "pending") || !strings.Contains(out, "applied") {
		t.Fatalf("up: %d %q", code, out)
	}
	code, out, _ = run(t, env, "token", "create", "ops")
	if code != 0 || !strings.Contains(out, "token: cg_") {
		t.Fatalf("token create: %d %q", code, out)
	}
	if code, out, _ = run(t, env, "token", "list"); code != 0 || !strings.Contains(out, "ops\tactive") {
		t.Fatalf("token list: %d %q", code, out)
	}
	if code, _, _ = run(t, env, "migrate", "down"); code != 0 {
		t.Fatalf("down: %d", code)
	}
}

// serve with PORT=0 starts, prints the banner, and shuts down cleanly when
// its context is cancelled (SIGTERM in main).
func TestServeStartsAndStops(t *testing.T) {
	dir := t.TempDir()
	devEnv := filepath.Join(dir, "callguard.dev.env")
	env := map[string]string{"PORT": "0", "CALLGUARD_HOST": "127.0.0.1", "DATABASE_URL": filepath.Join(dir, "cg.db"),
		"CALLGUARD_LOG_FORMAT": "json", "CALLGUARD_DEV_ENV_FILE": devEnv}
	ctx, cancel := context.WithCancel(context.Background())
	var out, errb testlog.SyncBuffer
	done := make(chan int)
	go func() { done <- cli.Main(ctx, nil, func(k string) string { return env[k] }, &out, &errb) }()
	waitOutput(t, &out, done, &errb, func(s string) bool { return strings.Contains(s, "go run ./examples/callsim") })
	// Local mode hands its generated tokens to callsim through a private
	// file, which is gone once the server stops.
	waitOutput(t, &out, done, &errb, func(s string) bool { return strings.Contains(s, devEnv) })
	fi, err := os.Stat(devEnv)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("%s has mode %v, want 0600", devEnv, fi.Mode().Perm())
	}
	devVars, err := os.ReadFile(devEnv)
	if err != nil {
		t.Fatal(err)
	}
	cancel()
	if code := <-done; code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	if _, err := os.Stat(devEnv); !os.IsNotExist(err) {
		t.Errorf("%s still there after shutdown (err %v)", devEnv, err)
	}
	banner, logs := out.String(), errb.String()
	for _, key := range []string{"CALLSIM_SERVER=http://", "TWILIO_AUTH_TOKEN=", "CALLSIM_API_TOKEN=cg_"} {
		if !strings.Contains(string(devVars), key) {
			t.Errorf("dev env file lacks %s:\n%s", key, devVars)
		}
	}
	for _, want := range []string{"SIMULATED", "#token=cg_", "/twilio/voice", "-token "} {
		if !strings.Contains(banner, want) {
			t.Errorf("banner lacks %q:\n%s", want, banner)
		}
	}
	if !strings.Contains(logs, "SIMULATED detector") || !strings.Contains(logs, `"msg":"stopped"`) {
		t.Errorf("logs:\n%s", logs)
	}
	// The generated tokens are in the banner only, never in the logs.
	for _, line := range strings.Split(banner, "\n") {
		if i := strings.Index(line, "cg_"); i >= 0 {
			tok := strings.Fields(line[i:])[0]
			if strings.Contains(logs, tok) {
				t.Errorf("generated API token logged")
			}
		}
	}
}

// CALLGUARD_PPROF_ADDR serves net/http/pprof on its own loopback listener,
// and the API listener does not serve it.
func TestServePprof(t *testing.T) {
	dir := t.TempDir()
	env := map[string]string{"PORT": "0", "CALLGUARD_HOST": "127.0.0.1", "DATABASE_URL": filepath.Join(dir, "cg.db"),
		"CALLGUARD_LOG_FORMAT": "json", "CALLGUARD_DEV_ENV_FILE": filepath.Join(dir, "dev.env"), "CALLGUARD_PPROF_ADDR": "127.0.0.1:0"}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out, errb testlog.SyncBuffer
	done := make(chan int)
	go func() { done <- cli.Main(ctx, nil, func(k string) string { return env[k] }, &out, &errb) }()
	addrRE := regexp.MustCompile(`"msg":"serving pprof","addr":"([^"]+)"`)
	apiRE := regexp.MustCompile(`"msg":"listening","addr":"([^"]+)"`)
	var pprofAddr, apiAddr string
	waitOutput(t, &errb, done, &errb, func(s string) bool {
		if m := addrRE.FindStringSubmatch(s); m != nil {
			pprofAddr = m[1]
		}
		if m := apiRE.FindStringSubmatch(s); m != nil {
			apiAddr = m[1]
		}
		return pprofAddr != "" && apiAddr != ""
	})
	get := func(url string) (int, string) {
		t.Helper()
		resp, err := http.Get(url)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, body := get("http://" + pprofAddr + "/debug/pprof/"); code != http.StatusOK || !strings.Contains(body, "goroutine") {
		t.Fatalf("pprof index: %d %.200s", code, body)
	}
	if code, body := get("http://" + pprofAddr + "/debug/pprof/heap"); code != http.StatusOK || len(body) == 0 {
		t.Fatalf("heap profile: %d, %d bytes", code, len(body))
	}
	if code, _ := get("http://" + apiAddr + "/debug/pprof/"); code == http.StatusOK {
		t.Fatal("the API listener serves pprof")
	}
	cancel()
	if code := <-done; code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
}

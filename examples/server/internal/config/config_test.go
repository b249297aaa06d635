package config_test

import (
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/callguard/callguard/examples/server/internal/config"
)

func load(t *testing.T, args []string, env map[string]string, file string) (*config.Config, error) {
	t.Helper()
	c, _, err := config.Load(config.Options{Args: args, Getenv: func(k string) string { return env[k] },
		ReadFile: func(string) ([]byte, error) { return []byte(file), nil }})
	return c, err
}

func TestDefaults(t *testing.T) {
	c, err := load(t, nil, nil, "")
	if err != nil {
		t.Fatal(err)
	}
	if c.Port != 8080 || c.PublicURL != "http://localhost:8080" || c.DatabaseURL != "callguard.db" || !c.Migrate ||
		c.Window != 3*time.Second || !c.Simulated() || c.Postgres() || c.DefaultAction != "notify" || c.AlertK != 2 {
		t.Fatalf("defaults = %+v", c)
	}
	for _, s := range config.Settings() {
		if c.Sources[s.Env] != "default" {
			t.Errorf("%s source %q", s.Env, c.Sources[s.Env])
		}
	}
}

// flag > env > file > default, for every source pair.
func TestPrecedence(t *testing.T) {
	file := "# comment\nCALLGUARD_WINDOW=1s\nCALLGUARD_HOP=\"500ms\"\nexport CALLGUARD_MIN_SPEECH=100ms\nPORT=9000\n"
	env := map[string]string{"CALLGUARD_WINDOW": "2s", "CALLGUARD_HOP": "1s", "PORT": "9100"}
	c, err := load(t, []string{"-config", "x.env", "-window", "4s"}, env, file)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"CALLGUARD_WINDOW": "flag", "CALLGUARD_HOP": "env", "CALLGUARD_MIN_SPEECH": "file",
		"PORT": "env", "CALLGUARD_MAX_IN_FLIGHT": "default"}
	for k, v := range want {
		if c.Sources[k] != v {
			t.Errorf("%s from %s, want %s", k, c.Sources[k], v)
		}
	}
	if c.Window != 4*time.Second || c.Hop != time.Second || c.MinSpeech != 100*time.Millisecond || c.Port != 9100 {
		t.Fatalf("config = %+v", c)
	}
	if c.PublicURL != "http://localhost:9100" {
		t.Fatalf("public URL %q", c.PublicURL)
	}
}

func TestInvalidNamesTheVariable(t *testing.T) {
	cases := []struct {
		args []string
		env  map[string]string
		file string
		want string
	}{
		{nil, map[string]string{"PORT": "eighty"}, "", "invalid PORT (from env)"},
		{[]string{"-window", "soon"}, nil, "", "invalid CALLGUARD_WINDOW (from flag)"},
		{[]string{"-config", "f"}, nil, "CALLGUARD_ALERT_MIN_SCORE=2", "invalid CALLGUARD_ALERT_MIN_SCORE (from file)"},
		{nil, map[string]string{"CALLGUARD_PUBLIC_URL": "calls.example.com"}, "", "invalid CALLGUARD_PUBLIC_URL"},
		{nil, map[string]string{"CALLGUARD_DEFAULT_ACTION": "explode"}, "", "invalid CALLGUARD_DEFAULT_ACTION"},
		{nil, map[string]string{"CALLGUARD_DEFAULT_ACTION": "redirect"}, "", "invalid CALLGUARD_VERIFY_URL"},
		{nil, map[string]string{"TWILIO_API_KEY": "SK1"}, "", "invalid TWILIO_API_SECRET"},
		{nil, map[string]string{"CALLGUARD_API_TOKENS": "short"}, "", "invalid CALLGUARD_API_TOKENS"},
		{nil, map[string]string{"CALLGUARD_HOP": "5s"}, "", "invalid CALLGUARD_HOP"},
		{nil, map[string]string{"CALLGUARD_ALERT_K": "4"}, "", "invalid CALLGUARD_ALERT_K"},
		{nil, map[string]string{"CALLGUARD_WEBHOOK_URL": "https://hooks.example.com"}, "", "invalid CALLGUARD_WEBHOOK_SECRET"},
		{nil, map[string]string{"CALLGUARD_FORWARD_TO": "555-0100"}, "", "invalid CALLGUARD_FORWARD_TO"},
		{nil, map[string]string{"CALLGUARD_MAX_BODY": "12"}, "", "invalid CALLGUARD_MAX_BODY"},
	}
	for _, tc := range cases {
		_, err := load(t, tc.args, tc.env, tc.file)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v %v %q: err %v, want %q", tc.args, tc.env, tc.file, err, tc.want)
		}
		var ie *config.InvalidError
		if err != nil && !errors.As(err, &ie) {
			t.Errorf("%v is not an *InvalidError", err)
		}
	}
	if _, err := load(t, []string{"-config", "f"}, nil, "NOT_A_SETTING=1"); err == nil || !strings.Contains(err.Error(), "NOT_A_SETTING") {
		t.Errorf("unknown file key: %v", err)
	}
	if _, err := load(t, []string{"-nope"}, nil, ""); err == nil {
		t.Error("unknown flag accepted")
	}
}

func TestPrintRedactsSecrets(t *testing.T) {
	env := map[string]string{
		"TWILIO_AUTH_TOKEN":        "tw-secret-token",
		"TWILIO_API_KEY":           "SKkey",
		"TWILIO_API_SECRET":        "api-secret-value",
		"RESEMBLE_API_KEY":         "resemble-secret",
		"CALLGUARD_API_TOKENS":     "token-one-0123456789,token-two-0123456789",
		"DATABASE_URL":             "postgres://cg:db-password@db:5432/cg",
		"CALLGUARD_WEBHOOK_URL":    "https://hooks.example.com/x",
		"CALLGUARD_WEBHOOK_SECRET": "hook-secret",
	}
	c, err := load(t, nil, env, "")
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	if err := c.Print(&b); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	secrets := c.Secrets()
	if len(secrets) != 7 {
		t.Fatalf("secrets = %d, want 7", len(secrets))
	}
	for _, s := range secrets {
		if strings.Contains(out, s) {
			t.Errorf("%q printed", s)
		}
	}
	for _, want := range []string{`TWILIO_AUTH_TOKEN="[redacted]"`, `TWILIO_API_KEY="SKkey"`, "db:5432", "xxxxx", `RESEMBLE_API_KEY="[redacted]"	# env`} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if !c.Postgres() || c.Simulated() {
		t.Fatal("postgres/simulated")
	}
}

func TestParseFileErrors(t *testing.T) {
	for _, in := range []string{"NOEQUALS", "=value", "A=1\nA=2", `A="unterminated`} {
		if _, err := config.ParseFile([]byte(in)); err == nil {
			t.Errorf("%q accepted", in)
		}
	}
}

func FuzzParseFile(f *testing.F) {
	f.Add("A=1\n# c\nB=\"x y\"\n")
	f.Add("export PORT=80")
	f.Add("=\n\"")
	f.Fuzz(func(t *testing.T, in string) {
		m, err := config.ParseFile([]byte(in))
		if err != nil {
			return
		}
		for k := range m {
			if k == "" || strings.ContainsAny(k, "\n=") {
				t.Fatalf("bad key %q", k)
			}
		}
	})
}

// The README's settings table lists every setting.
func TestREADMEListsEverySetting(t *testing.T) {
	b, err := os.ReadFile("../../../../README.md")
	if err != nil {
		t.Skipf("README not found: %v", err)
	}
	for _, s := range config.Settings() {
		if !strings.Contains(string(b), "| `"+s.Env+"` | `-"+s.Flag+"` |") {
			t.Errorf("README lacks the row for %s", s.Env)
		}
	}
}

// CALLGUARD_PPROF_ADDR is off by default, accepts loopback addresses only
// and names itself when refused.
func TestPprofAddr(t *testing.T) {
	c, err := load(t, nil, nil, "")
	if err != nil || c.PprofAddr != "" {
		t.Fatalf("default pprof addr %q (%v), want off", c.PprofAddr, err)
	}
	for _, ok := range []string{"127.0.0.1:6060", "localhost:0", "[::1]:6060", "127.0.0.2:1"} {
		c, err := load(t, []string{"-pprof-addr", ok}, nil, "")
		if err != nil || c.PprofAddr != ok {
			t.Errorf("%s: %q %v", ok, c.PprofAddr, err)
		}
	}
	for _, bad := range []string{":6060", "0.0.0.0:6060", "10.0.0.1:6060", "example.com:6060", "127.0.0.1", "127.0.0.1:http", "[::]:6060"} {
		_, err := load(t, nil, map[string]string{"CALLGUARD_PPROF_ADDR": bad}, "")
		var ie *config.InvalidError
		if !errors.As(err, &ie) || ie.Env != "CALLGUARD_PPROF_ADDR" || ie.Source != "env" {
			t.Errorf("%s: err %v, want an InvalidError naming CALLGUARD_PPROF_ADDR", bad, err)
		}
	}
}

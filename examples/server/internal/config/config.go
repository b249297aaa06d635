package config

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Config is the fully resolved configuration of the server.
type Config struct {
	// Port is the TCP port to listen on (PORT).
	Port int
	// Host is the interface to listen on; empty means all (CALLGUARD_HOST).
	Host string
	// PublicURL is the base URL Twilio reaches this server at; Twilio signs
	// requests against it (CALLGUARD_PUBLIC_URL). Defaults to
	// http://localhost:PORT.
	PublicURL string

	// TwilioAccountSid is the Twilio account (TWILIO_ACCOUNT_SID).
	TwilioAccountSid string
	// TwilioAuthToken verifies Twilio's signatures and authenticates REST
	// calls when no API key is set (TWILIO_AUTH_TOKEN).
	TwilioAuthToken string
	// TwilioAPIKey and TwilioAPISecret authenticate REST calls
	// (TWILIO_API_KEY, TWILIO_API_SECRET).
	TwilioAPIKey, TwilioAPISecret string
	// TwilioAPIURL overrides the Twilio REST base URL, for fakes
	// (CALLGUARD_TWILIO_API_URL).
	TwilioAPIURL string

	// ResembleAPIKey is the Resemble Detect key; empty runs the local
	// simulated detector (RESEMBLE_API_KEY).
	ResembleAPIKey string
	// ResembleURL overrides the Resemble API base URL (CALLGUARD_RESEMBLE_URL).
	ResembleURL string
	// ResembleRate limits requests per second to Resemble; 0 is unlimited
	// (CALLGUARD_RESEMBLE_RATE).
	ResembleRate float64

	// DatabaseURL is postgres://… for PostgreSQL or a file path (optionally
	// prefixed sqlite:) for SQLite (DATABASE_URL).
	DatabaseURL string
	// Migrate runs the embedded migrations on start (CALLGUARD_MIGRATE).
	Migrate bool

	// APITokens are the bearer tokens accepted by /v1 (CALLGUARD_API_TOKENS,
	// comma separated). Empty generates one random token at start-up.
	APITokens []string

	// Window, Hop and MinSpeech shape detection windows (CALLGUARD_WINDOW,
	// CALLGUARD_HOP, CALLGUARD_MIN_SPEECH).
	Window, Hop, MinSpeech time.Duration
	// AlertMinScore, AlertK and AlertN are the alert policy (detect.KOfN):
	// alert when AlertK of the last AlertN speech windows are fake with a
	// score of at least AlertMinScore (CALLGUARD_ALERT_MIN_SCORE,
	// CALLGUARD_ALERT_K, CALLGUARD_ALERT_N).
	AlertMinScore float64
	AlertK        int // fake windows that alert
	AlertN        int // speech windows looked at
	// MaxInFlight bounds concurrent vendor requests per track
	// (CALLGUARD_MAX_IN_FLIGHT).
	MaxInFlight int
	// MaxQueued bounds speech windows waiting for the detector per track;
	// beyond it windows get an Unknown verdict (CALLGUARD_MAX_QUEUED).
	MaxQueued int
	// MaxStreams bounds concurrent media streams; 0 is unlimited
	// (CALLGUARD_MAX_STREAMS).
	MaxStreams int
	// MaxBody bounds JSON and form bodies in bytes (CALLGUARD_MAX_BODY).
	MaxBody int64
	// DefaultTrack is the track streamed for numbers absent from the numbers
	// table: inbound_track, outbound_track, both_tracks, or off
	// (CALLGUARD_DEFAULT_TRACK).
	DefaultTrack string
	// DefaultAction is taken on an alert for numbers with no action of their
	// own: notify, announce, redirect or hangup (CALLGUARD_DEFAULT_ACTION).
	DefaultAction string
	// AnnounceText is spoken by the announce action (CALLGUARD_ANNOUNCE_TEXT).
	AnnounceText string
	// VerifyURL receives calls redirected by the redirect action
	// (CALLGUARD_VERIFY_URL).
	VerifyURL string
	// ForwardTo is the number the voice webhook dials after starting the
	// stream; empty keeps the caller on hold (CALLGUARD_FORWARD_TO).
	ForwardTo string
	// SimulatedLatency is the simulated detector's answer time
	// (CALLGUARD_SIMULATED_LATENCY).
	SimulatedLatency time.Duration

	// WebhookURL receives every event as a signed POST; empty disables it
	// (CALLGUARD_WEBHOOK_URL). WebhookSecret signs it
	// (CALLGUARD_WEBHOOK_SECRET).
	WebhookURL, WebhookSecret string

	// DevEnvFile is where local mode writes the secrets it generated, for
	// `go run ./examples/callsim` to read (CALLGUARD_DEV_ENV_FILE); empty
	// writes nothing. Configured secrets are never written.
	DevEnvFile string

	// ShutdownTimeout bounds graceful shutdown (CALLGUARD_SHUTDOWN_TIMEOUT).
	ShutdownTimeout time.Duration
	// LogFormat is auto, json or text (CALLGUARD_LOG_FORMAT).
	LogFormat string
	// LogLevel is debug, info, warn or error (CALLGUARD_LOG_LEVEL).
	LogLevel string
	// PprofAddr, when set, serves net/http/pprof on this host:port, which
	// must be a loopback address such as 127.0.0.1:6060 (profiles expose
	// the process's memory); empty disables it (CALLGUARD_PPROF_ADDR).
	PprofAddr string

	// Sources maps each environment name to where its value came from:
	// "default", "file", "env" or "flag".
	Sources map[string]string
}

// Simulated reports whether the server runs the local simulated detector.
func (c *Config) Simulated() bool { return c.ResembleAPIKey == "" }

// Postgres reports whether DatabaseURL names a PostgreSQL database.
func (c *Config) Postgres() bool {
	return strings.HasPrefix(c.DatabaseURL, "postgres://") || strings.HasPrefix(c.DatabaseURL, "postgresql://")
}

// Addr is the listen address.
func (c *Config) Addr() string { return c.Host + ":" + strconv.Itoa(c.Port) }

// Setting describes one configuration setting.
type Setting struct {
	// Env is the environment and config-file name.
	Env string
	// Flag is the command-line flag name.
	Flag string
	// Default is the value used when no source sets it.
	Default string
	// Secret settings are redacted by Print.
	Secret bool
	// Help is the one-line description.
	Help string

	set func(c *Config, v string) error
	get func(c *Config) string
}

// InvalidError reports a setting whose value could not be used.
type InvalidError struct {
	Env    string // the setting's environment name
	Source string // "default", "file", "env" or "flag"
	Err    error  // what was wrong with the value
}

// Error names the setting, its source and the problem.
func (e *InvalidError) Error() string {
	return fmt.Sprintf("invalid %s (from %s): %v", e.Env, e.Source, e.Err)
}

// Unwrap returns the underlying error.
func (e *InvalidError) Unwrap() error { return e.Err }

// ErrHelp is returned by Load when -h or -help is given.
var ErrHelp = flag.ErrHelp

// Settings lists every setting, in the order Print shows them.
func Settings() []Setting {
	str := func(p func(*Config) *string) (func(*Config, string) error, func(*Config) string) {
		return func(c *Config, v string) error { *p(c) = strings.TrimSpace(v); return nil },
			func(c *Config) string { return *p(c) }
	}
	dur := func(p func(*Config) *time.Duration, min time.Duration) (func(*Config, string) error, func(*Config) string) {
		return func(c *Config, v string) error {
				d, err := time.ParseDuration(strings.TrimSpace(v))
				if err != nil {
					return err
				}
				if d < min {
					return fmt.Errorf("%v is below the minimum %v", d, min)
				}
				*p(c) = d
				return nil
			}, func(c *Config) string {
				return p(c).String()
			}
	}
	intv := func(p func(*Config) *int, min, max int) (func(*Config, string) error, func(*Config) string) {
		return func(c *Config, v string) error {
				n, err := strconv.Atoi(strings.TrimSpace(v))
				if err != nil {
					return fmt.Errorf("not an integer: %q", v)
				}
				if n < min || n > max {
					return fmt.Errorf("%d is outside %d..%d", n, min, max)
				}
				*p(c) = n
				return nil
			}, func(c *Config) string {
				return strconv.Itoa(*p(c))
			}
	}
	floatv := func(p func(*Config) *float64, min, max float64) (func(*Config, string) error, func(*Config) string) {
		return func(c *Config, v string) error {
				f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
				if err != nil {
					return fmt.Errorf("not a number: %q", v)
				}
				if f < min || f > max {
					return fmt.Errorf("%g is outside %g..%g", f, min, max)
				}
				*p(c) = f
				return nil
			}, func(c *Config) string {
				return strconv.FormatFloat(*p(c), 'g', -1, 64)
			}
	}
	boolv := func(p func(*Config) *bool) (func(*Config, string) error, func(*Config) string) {
		return func(c *Config, v string) error {
				b, err := strconv.ParseBool(strings.TrimSpace(v))
				if err != nil {
					return fmt.Errorf("not a boolean: %q", v)
				}
				*p(c) = b
				return nil
			}, func(c *Config) string {
				return strconv.FormatBool(*p(c))
			}
	}
	oneOf := func(p func(*Config) *string, allowed ...string) (func(*Config, string) error, func(*Config) string) {
		return func(c *Config, v string) error {
				v = strings.ToLower(strings.TrimSpace(v))
				for _, a := range allowed {
					if v == a {
						*p(c) = v
						return nil
					}
				}
				return fmt.Errorf("%q is not one of %s", v, strings.Join(allowed, ", "))
			}, func(c *Config) string {
				return *p(c)
			}
	}
	urlv := func(p func(*Config) *string, schemes ...string) (func(*Config, string) error, func(*Config) string) {
		return func(c *Config, v string) error {
				v = strings.TrimSpace(v)
				if v == "" {
					*p(c) = ""
					return nil
				}
				u, err := url.Parse(v)
				if err != nil {
					return err
				}
				ok := false
				for _, s := range schemes {
					ok = ok || u.Scheme == s
				}
				if !ok || u.Host == "" {
					return fmt.Errorf("%q is not an absolute %s URL", v, strings.Join(schemes, "/"))
				}
				*p(c) = strings.TrimRight(v, "/")
				return nil
			}, func(c *Config) string {
				return *p(c)
			}
	}
	tokens := func(c *Config, v string) error {
		c.APITokens = nil
		for _, t := range strings.Split(v, ",") {
			t = strings.TrimSpace(t)
			if t == "" {
				continue
			}
			if len(t) < 16 {
				return errors.New("each token must be at least 16 characters")
			}
			c.APITokens = append(c.APITokens, t)
		}
		return nil
	}
	s := func(env, flag, def string, secret bool, help string, set func(*Config, string) error, get func(*Config) string) Setting {
		return Setting{Env: env, Flag: flag, Default: def, Secret: secret, Help: help, set: set, get: get}
	}
	var list []Setting
	add := func(st Setting) { list = append(list, st) }

	set, get := intv(func(c *Config) *int { return &c.Port }, 0, 65535)
	add(s("PORT", "port", "8080", false, "TCP port to listen on", set, get))
	set, get = str(func(c *Config) *string { return &c.Host })
	add(s("CALLGUARD_HOST", "host", "", false, "interface to listen on (empty: all)", set, get))
	set, get = urlv(func(c *Config) *string { return &c.PublicURL }, "http", "https")
	add(s("CALLGUARD_PUBLIC_URL", "public-url", "", false, "base URL Twilio uses to reach this server (default http://localhost:PORT)", set, get))
	set, get = str(func(c *Config) *string { return &c.TwilioAccountSid })
	add(s("TWILIO_ACCOUNT_SID", "twilio-account-sid", "", false, "Twilio account SID", set, get))
	set, get = str(func(c *Config) *string { return &c.TwilioAuthToken })
	add(s("TWILIO_AUTH_TOKEN", "twilio-auth-token", "", true, "Twilio auth token (verifies signatures); empty generates a dev token", set, get))
	set, get = str(func(c *Config) *string { return &c.TwilioAPIKey })
	add(s("TWILIO_API_KEY", "twilio-api-key", "", false, "Twilio API key SID for REST calls", set, get))
	set, get = str(func(c *Config) *string { return &c.TwilioAPISecret })
	add(s("TWILIO_API_SECRET", "twilio-api-secret", "", true, "Twilio API key secret", set, get))
	set, get = urlv(func(c *Config) *string { return &c.TwilioAPIURL }, "http", "https")
	add(s("CALLGUARD_TWILIO_API_URL", "twilio-api-url", "", false, "override Twilio's REST base URL (fakes, proxies)", set, get))
	set, get = str(func(c *Config) *string { return &c.ResembleAPIKey })
	add(s("RESEMBLE_API_KEY", "resemble-api-key", "", true, "Resemble Detect API key; empty runs the simulated detector", set, get))
	set, get = urlv(func(c *Config) *string { return &c.ResembleURL }, "http", "https")
	add(s("CALLGUARD_RESEMBLE_URL", "resemble-url", "", false, "override Resemble's API base URL", set, get))
	set, get = floatv(func(c *Config) *float64 { return &c.ResembleRate }, 0, 10000)
	add(s("CALLGUARD_RESEMBLE_RATE", "resemble-rate", "0", false, "Resemble requests per second (0: unlimited)", set, get))
	set, get = str(func(c *Config) *string { return &c.DatabaseURL })
	add(s("DATABASE_URL", "database-url", "callguard.db", false, "postgres://… or an SQLite file path", set, get))
	set, get = boolv(func(c *Config) *bool { return &c.Migrate })
	add(s("CALLGUARD_MIGRATE", "migrate", "true", false, "run migrations on start", set, get))
	add(s("CALLGUARD_API_TOKENS", "api-tokens", "", true, "comma-separated bearer tokens for /v1 (empty: one random token per start)", tokens,
		func(c *Config) string { return strings.Join(c.APITokens, ",") }))
	set, get = dur(func(c *Config) *time.Duration { return &c.Window }, 10*time.Millisecond)
	add(s("CALLGUARD_WINDOW", "window", "3s", false, "detection window length", set, get))
	set, get = dur(func(c *Config) *time.Duration { return &c.Hop }, 0)
	add(s("CALLGUARD_HOP", "hop", "0s", false, "distance between window starts (0: the window length)", set, get))
	set, get = dur(func(c *Config) *time.Duration { return &c.MinSpeech }, 0)
	add(s("CALLGUARD_MIN_SPEECH", "min-speech", "500ms", false, "speech a window needs to be sent to the vendor", set, get))
	set, get = floatv(func(c *Config) *float64 { return &c.AlertMinScore }, 0, 1)
	add(s("CALLGUARD_ALERT_MIN_SCORE", "alert-min-score", "0.8", false, "score at or above which a fake window counts toward an alert", set, get))
	set, get = intv(func(c *Config) *int { return &c.AlertK }, 1, 32)
	add(s("CALLGUARD_ALERT_K", "alert-k", "2", false, "fake windows among the last CALLGUARD_ALERT_N that raise an alert", set, get))
	set, get = intv(func(c *Config) *int { return &c.AlertN }, 1, 32)
	add(s("CALLGUARD_ALERT_N", "alert-n", "3", false, "speech windows the alert policy looks at", set, get))
	set, get = intv(func(c *Config) *int { return &c.MaxInFlight }, 1, 64)
	add(s("CALLGUARD_MAX_IN_FLIGHT", "max-in-flight", "2", false, "concurrent vendor requests per track", set, get))
	set, get = intv(func(c *Config) *int { return &c.MaxQueued }, 0, 4096)
	add(s("CALLGUARD_MAX_QUEUED", "max-queued", "4", false, "speech windows waiting for the detector per track before windows are skipped", set, get))
	set, get = intv(func(c *Config) *int { return &c.MaxStreams }, 0, 1<<20)
	add(s("CALLGUARD_MAX_STREAMS", "max-streams", "0", false, "concurrent media streams (0: unlimited)", set, get))
	add(s("CALLGUARD_MAX_BODY", "max-body", "65536", false, "largest accepted request body in bytes", func(c *Config, v string) error {
		n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
		if err != nil || n < 1024 {
			return fmt.Errorf("%q is not a byte count of at least 1024", v)
		}
		c.MaxBody = n
		return nil
	}, func(c *Config) string { return strconv.FormatInt(c.MaxBody, 10) }))
	set, get = oneOf(func(c *Config) *string { return &c.DefaultTrack }, "inbound_track", "outbound_track", "both_tracks", "off")
	add(s("CALLGUARD_DEFAULT_TRACK", "default-track", "inbound_track", false, "track streamed for numbers not in the numbers table (off: none)", set, get))
	set, get = oneOf(func(c *Config) *string { return &c.DefaultAction }, "notify", "announce", "redirect", "hangup")
	add(s("CALLGUARD_DEFAULT_ACTION", "default-action", "notify", false, "action on an alert for numbers without their own", set, get))
	set, get = str(func(c *Config) *string { return &c.AnnounceText })
	add(s("CALLGUARD_ANNOUNCE_TEXT", "announce-text", "Warning: this caller's voice may be synthetic.", false, "text spoken by the announce action", set, get))
	set, get = urlv(func(c *Config) *string { return &c.VerifyURL }, "http", "https")
	add(s("CALLGUARD_VERIFY_URL", "verify-url", "", false, "TwiML URL the redirect action sends calls to", set, get))
	add(s("CALLGUARD_FORWARD_TO", "forward-to", "", false, "E.164 number the voice webhook dials after starting the stream (empty: hold)", func(c *Config, v string) error {
		v = strings.TrimSpace(v)
		if v != "" && !validE164(v) {
			return fmt.Errorf("%q is not an E.164 number such as +14155550100", v)
		}
		c.ForwardTo = v
		return nil
	}, func(c *Config) string { return c.ForwardTo }))
	set, get = dur(func(c *Config) *time.Duration { return &c.SimulatedLatency }, 0)
	add(s("CALLGUARD_SIMULATED_LATENCY", "simulated-latency", "150ms", false, "answer time of the simulated detector", set, get))
	set, get = urlv(func(c *Config) *string { return &c.WebhookURL }, "http", "https")
	add(s("CALLGUARD_WEBHOOK_URL", "webhook-url", "", false, "receives every event as a signed POST (empty: off)", set, get))
	set, get = str(func(c *Config) *string { return &c.WebhookSecret })
	add(s("CALLGUARD_WEBHOOK_SECRET", "webhook-secret", "", true, "signs outgoing webhooks", set, get))
	set, get = str(func(c *Config) *string { return &c.DevEnvFile })
	add(s("CALLGUARD_DEV_ENV_FILE", "dev-env-file", "callguard.dev.env", false, "local mode: file (mode 0600) the generated tokens are written to for callsim; removed on shutdown (empty: none)", set, get))
	set, get = dur(func(c *Config) *time.Duration { return &c.ShutdownTimeout }, time.Second)
	add(s("CALLGUARD_SHUTDOWN_TIMEOUT", "shutdown-timeout", "25s", false, "deadline for graceful shutdown", set, get))
	set, get = oneOf(func(c *Config) *string { return &c.LogFormat }, "auto", "json", "text")
	add(s("CALLGUARD_LOG_FORMAT", "log-format", "auto", false, "log format (auto: text on a terminal, else JSON)", set, get))
	set, get = oneOf(func(c *Config) *string { return &c.LogLevel }, "debug", "info", "warn", "error")
	add(s("CALLGUARD_LOG_LEVEL", "log-level", "info", false, "minimum log level", set, get))
	add(s("CALLGUARD_PPROF_ADDR", "pprof-addr", "", false, "loopback host:port serving net/http/pprof, e.g. 127.0.0.1:6060 (empty: off)", func(c *Config, v string) error {
		v = strings.TrimSpace(v)
		if v != "" {
			if err := checkLoopback(v); err != nil {
				return err
			}
		}
		c.PprofAddr = v
		return nil
	}, func(c *Config) string { return c.PprofAddr }))
	return list
}

// Options are the inputs of Load besides the settings.
type Options struct {
	// Args are the command-line arguments after the program name.
	Args []string
	// Getenv reads the environment; nil means os.Getenv-like lookups on
	// os.Environ.
	Getenv func(string) string
	// ReadFile reads the -config file; nil means os.ReadFile.
	ReadFile func(string) ([]byte, error)
	// Usage receives -help output; nil discards it.
	Usage io.Writer
}

// Result is what Load returns besides the Config.
type Result struct {
	// PrintConfig is true when -print-config was given.
	PrintConfig bool
	// Args are the arguments left after the flags (e.g. a subcommand).
	Args []string
}

// Load resolves the configuration: defaults, then the -config file, then the
// environment, then flags.
func Load(opts Options) (*Config, Result, error) {
	getenv := opts.Getenv
	if getenv == nil {
		getenv = os.Getenv
	}
	readFile := opts.ReadFile
	if readFile == nil {
		readFile = os.ReadFile
	}
	settings := Settings()
	fs := flag.NewFlagSet("callguard-server", flag.ContinueOnError)
	if opts.Usage != nil {
		fs.SetOutput(opts.Usage)
	} else {
		fs.SetOutput(io.Discard)
	}
	var res Result
	configPath := fs.String("config", "", "config file of KEY=value lines, keys as the environment names")
	fs.BoolVar(&res.PrintConfig, "print-config", false, "print the resolved configuration (secrets redacted) and exit")
	flagVals := map[string]*string{}
	for _, st := range settings {
		v := new(string)
		flagVals[st.Env] = v
		fs.Func(st.Flag, st.Help+" ("+st.Env+")", func(s string) error { *v = s; return nil })
	}
	if err := fs.Parse(opts.Args); err != nil {
		return nil, res, err
	}
	res.Args = fs.Args()
	setFlags := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { setFlags[f.Name] = true })

	var file map[string]string
	if *configPath != "" {
		b, err := readFile(*configPath)
		if err != nil {
			return nil, res, fmt.Errorf("config file: %w", err)
		}
		file, err = ParseFile(b)
		if err != nil {
			return nil, res, fmt.Errorf("config file %s: %w", *configPath, err)
		}
		known := map[string]bool{}
		for _, st := range settings {
			known[st.Env] = true
		}
		var unknown []string
		for k := range file {
			if !known[k] {
				unknown = append(unknown, k)
			}
		}
		if len(unknown) > 0 {
			sort.Strings(unknown)
			return nil, res, fmt.Errorf("config file %s: unknown setting %s", *configPath, strings.Join(unknown, ", "))
		}
	}

	c := &Config{Sources: map[string]string{}}
	for _, st := range settings {
		val, src := st.Default, "default"
		if v, ok := file[st.Env]; ok {
			val, src = v, "file"
		}
		if v := getenv(st.Env); v != "" {
			val, src = v, "env"
		}
		if setFlags[st.Flag] {
			val, src = *flagVals[st.Env], "flag"
		}
		if err := st.set(c, val); err != nil {
			return nil, res, &InvalidError{Env: st.Env, Source: src, Err: err}
		}
		c.Sources[st.Env] = src
	}
	if c.PublicURL == "" {
		c.PublicURL = "http://localhost:" + strconv.Itoa(c.Port)
	}
	if (c.TwilioAPIKey == "") != (c.TwilioAPISecret == "") {
		return nil, res, &InvalidError{Env: "TWILIO_API_SECRET", Source: c.Sources["TWILIO_API_SECRET"],
			Err: errors.New("TWILIO_API_KEY and TWILIO_API_SECRET must be set together")}
	}
	if c.DefaultAction == "redirect" && c.VerifyURL == "" {
		return nil, res, &InvalidError{Env: "CALLGUARD_VERIFY_URL", Source: c.Sources["CALLGUARD_VERIFY_URL"],
			Err: errors.New("required when CALLGUARD_DEFAULT_ACTION=redirect")}
	}
	if c.WebhookURL != "" && c.WebhookSecret == "" {
		return nil, res, &InvalidError{Env: "CALLGUARD_WEBHOOK_SECRET", Source: c.Sources["CALLGUARD_WEBHOOK_SECRET"],
			Err: errors.New("required when CALLGUARD_WEBHOOK_URL is set")}
	}
	if c.Hop > 0 && c.Hop > c.Window {
		return nil, res, &InvalidError{Env: "CALLGUARD_HOP", Source: c.Sources["CALLGUARD_HOP"],
			Err: fmt.Errorf("%v is longer than CALLGUARD_WINDOW %v", c.Hop, c.Window)}
	}
	if c.AlertK > c.AlertN {
		return nil, res, &InvalidError{Env: "CALLGUARD_ALERT_K", Source: c.Sources["CALLGUARD_ALERT_K"],
			Err: fmt.Errorf("%d is more than CALLGUARD_ALERT_N %d", c.AlertK, c.AlertN)}
	}
	if c.MinSpeech > c.Window {
		return nil, res, &InvalidError{Env: "CALLGUARD_MIN_SPEECH", Source: c.Sources["CALLGUARD_MIN_SPEECH"],
			Err: fmt.Errorf("%v is longer than CALLGUARD_WINDOW %v", c.MinSpeech, c.Window)}
	}
	return c, res, nil
}

// ParseFile parses a config file of KEY=value lines. Values may be quoted
// with double quotes; # starts a comment line.
func ParseFile(b []byte) (map[string]string, error) {
	out := map[string]string{}
	sc := bufio.NewScanner(strings.NewReader(string(b)))
	n := 0
	for sc.Scan() {
		n++
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			return nil, fmt.Errorf("line %d: want KEY=value", n)
		}
		k = strings.TrimSpace(strings.TrimPrefix(k, "export "))
		v = strings.TrimSpace(v)
		if strings.HasPrefix(v, `"`) {
			uq, err := strconv.Unquote(v)
			if err != nil {
				return nil, fmt.Errorf("line %d: %w", n, err)
			}
			v = uq
		}
		if k == "" {
			return nil, fmt.Errorf("line %d: empty key", n)
		}
		if _, dup := out[k]; dup {
			return nil, fmt.Errorf("line %d: %s set twice", n, k)
		}
		out[k] = v
	}
	return out, sc.Err()
}

// Print writes the resolved configuration as KEY=value lines in config-file
// format, secrets redacted, each with its source as a comment.
func (c *Config) Print(w io.Writer) error {
	for _, st := range Settings() {
		v := st.get(c)
		if st.Secret && v != "" {
			v = "[redacted]"
		}
		switch st.Env {
		case "CALLGUARD_PUBLIC_URL":
			v = c.PublicURL
		case "DATABASE_URL":
			v = RedactURL(v)
		}
		if _, err := fmt.Fprintf(w, "%s=%s\t# %s\n", st.Env, strconv.Quote(v), c.Sources[st.Env]); err != nil {
			return err
		}
	}
	return nil
}

// Secrets returns every secret value that is set, so log handlers can make
// sure none of them is ever written.
func (c *Config) Secrets() []string {
	var out []string
	if u, err := url.Parse(c.DatabaseURL); err == nil && u.User != nil {
		if p, ok := u.User.Password(); ok && p != "" {
			out = append(out, p)
		}
	}
	for _, st := range Settings() {
		if !st.Secret {
			continue
		}
		if st.Env == "CALLGUARD_API_TOKENS" {
			out = append(out, c.APITokens...)
			continue
		}
		if v := st.get(c); v != "" {
			out = append(out, v)
		}
	}
	return out
}

// RedactURL hides the password of a URL such as a DATABASE_URL; strings
// that are not URLs with credentials come back unchanged.
func RedactURL(s string) string {
	u, err := url.Parse(s)
	if err != nil || u.User == nil {
		return s
	}
	return u.Redacted()
}

// checkLoopback accepts host:port addresses whose host is localhost or a
// loopback IP, so debug endpoints are never reachable from the network.
func checkLoopback(addr string) error {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("%q is not a host:port address: %w", addr, err)
	}
	if _, err := strconv.ParseUint(port, 10, 16); err != nil {
		return fmt.Errorf("%q has an invalid port %q", addr, port)
	}
	if host == "localhost" {
		return nil
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
		return nil
	}
	if host == "" {
		host = "all interfaces"
	}
	return fmt.Errorf("%q listens on %s: it must be a loopback address such as 127.0.0.1:6060 (pprof exposes the process's memory)", addr, host)
}

func validE164(s string) bool {
	if len(s) < 3 || len(s) > 16 || s[0] != '+' || s[1] == '0' {
		return false
	}
	for _, r := range s[1:] {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

package cli

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/callguard/callguard/examples/server/internal/app"
	"github.com/callguard/callguard/examples/server/internal/auth"
	"github.com/callguard/callguard/examples/server/internal/config"
	"github.com/callguard/callguard/examples/server/internal/logging"
	"github.com/callguard/callguard/examples/server/internal/store"
)

// Env is the process environment, as os.Getenv.
type Env func(string) string

// Main runs the command line and returns the exit code: 0 on success, 1
// on a runtime failure, 2 on bad usage or configuration. Cancelling ctx
// (SIGTERM, SIGINT in main) shuts the server down gracefully.
func Main(ctx context.Context, args []string, getenv Env, stdout, stderr io.Writer) int {
	cmd := "serve"
	if len(args) > 0 && (args[0] == "migrate" || args[0] == "token" || args[0] == "serve" || args[0] == "healthcheck") {
		cmd, args = args[0], args[1:]
	}
	cfg, res, err := config.Load(config.Options{Args: args, Getenv: getenv, Usage: stderr})
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(stderr, usage)
			return 0
		}
		fmt.Fprintf(stderr, "callguard: %v\n", err)
		return 2
	}
	if res.PrintConfig {
		if err := cfg.Print(stdout); err != nil {
			return 1
		}
		return 0
	}
	cfg.DatabaseURL = strings.TrimPrefix(cfg.DatabaseURL, "sqlite:")
	switch cmd {
	case "migrate":
		return migrate(ctx, cfg, res.Args, stdout, stderr)
	case "token":
		return token(ctx, cfg, res.Args, stdout, stderr)
	case "healthcheck":
		return healthcheck(ctx, cfg, stderr)
	}
	if len(res.Args) > 0 {
		fmt.Fprintf(stderr, "callguard: unknown command %q\n%s\n", res.Args[0], usage)
		return 2
	}
	return serve(ctx, cfg, stdout, stderr)
}

const usage = `usage:
  server [flags]                      run the server (see -help for every flag)
  server migrate [flags] status|up|down
  server token [flags] create NAME    create an API token (printed once) | revoke ID | list
  server healthcheck                  GET /healthz on this host's PORT; exit 0 when healthy (Docker HEALTHCHECK)
Every flag has an environment variable; precedence is flag > env > -config file > default.`

func migrate(ctx context.Context, cfg *config.Config, args []string, stdout, stderr io.Writer) int {
	if len(args) != 1 || (args[0] != "status" && args[0] != "up" && args[0] != "down") {
		fmt.Fprintln(stderr, "callguard: usage: migrate status|up|down")
		return 2
	}
	log := logging.New(stderr, logging.Options{Format: cfg.LogFormat, Level: cfg.LogLevel, Secrets: cfg.Secrets()})
	st, err := store.Migrate(ctx, cfg.DatabaseURL, args[0], &store.Options{Logger: log})
	if err != nil {
		fmt.Fprintf(stderr, "callguard: migrate %s: %s\n", args[0], logging.Scrub(err.Error(), cfg.Secrets()))
		return 1
	}
	for _, m := range st {
		state := "pending"
		if m.Applied {
			state = "applied " + m.AppliedAt.UTC().Format(time.RFC3339)
		}
		fmt.Fprintf(stdout, "%05d  %-40s %s\n", m.Version, m.Name, state)
	}
	return 0
}

func token(ctx context.Context, cfg *config.Config, args []string, stdout, stderr io.Writer) int {
	log := logging.New(stderr, logging.Options{Format: cfg.LogFormat, Level: cfg.LogLevel, Secrets: cfg.Secrets()})
	st, err := store.Open(ctx, cfg.DatabaseURL, &store.Options{Logger: log, SkipMigrations: !cfg.Migrate})
	if err != nil {
		fmt.Fprintf(stderr, "callguard: open database: %s\n", logging.Scrub(err.Error(), cfg.Secrets()))
		return 1
	}
	defer st.Close()
	switch {
	case len(args) == 2 && args[0] == "create":
		tok := auth.GenerateToken()
		h := auth.Hash(tok)
		t, err := st.CreateAPIToken(ctx, store.APIToken{Name: args[1], Hash: h[:]})
		if err != nil {
			fmt.Fprintf(stderr, "callguard: create token: %v\n", err)
			return 1
		}
		fmt.Fprintf(stdout, "id: %s\nname: %s\ntoken: %s\n(the token is shown once; only its SHA-256 is stored)\n", t.ID, t.Name, tok)
	case len(args) == 2 && args[0] == "revoke":
		if err := st.RevokeAPIToken(ctx, args[1]); err != nil {
			fmt.Fprintf(stderr, "callguard: revoke token: %v\n", err)
			return 1
		}
		fmt.Fprintf(stdout, "revoked %s\n", args[1])
	case len(args) == 1 && args[0] == "list":
		req := store.PageRequest{Limit: store.MaxPageLimit}
		for {
			page, err := st.ListAPITokens(ctx, req)
			if err != nil {
				fmt.Fprintf(stderr, "callguard: list tokens: %v\n", err)
				return 1
			}
			for _, t := range page.Items {
				state := "active"
				if !t.RevokedAt.IsZero() {
					state = "revoked"
				}
				fmt.Fprintf(stdout, "%s\t%s\t%s\tcreated %s\n", t.ID, t.Name, state, t.CreatedAt.UTC().Format(time.RFC3339))
			}
			if page.NextCursor == "" {
				break
			}
			req.Cursor = page.NextCursor
		}
	default:
		fmt.Fprintln(stderr, "callguard: usage: token create NAME | token revoke ID | token list")
		return 2
	}
	return 0
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// Dev reports which secrets serve generated because none was configured.
type Dev struct {
	// TwilioAuthToken is true when TWILIO_AUTH_TOKEN was generated.
	TwilioAuthToken bool
	// APIToken is true when the API token was generated.
	APIToken bool
}

// FillDevSecrets generates the secrets local mode needs: a random Twilio
// auth token when TWILIO_AUTH_TOKEN is unset (signatures are then still
// enforced, with that token, so only a client told the token — callsim —
// can connect), and a random API token when CALLGUARD_API_TOKENS is unset.
func FillDevSecrets(cfg *config.Config) Dev {
	var d Dev
	if cfg.TwilioAuthToken == "" {
		cfg.TwilioAuthToken = randomHex(16)
		cfg.Sources["TWILIO_AUTH_TOKEN"] = "generated"
		d.TwilioAuthToken = true
	}
	if len(cfg.APITokens) == 0 {
		cfg.APITokens = []string{auth.GenerateToken()}
		cfg.Sources["CALLGUARD_API_TOKENS"] = "generated"
		d.APIToken = true
	}
	return d
}

func serve(ctx context.Context, cfg *config.Config, stdout, stderr io.Writer) int {
	dev := FillDevSecrets(cfg)
	log := logging.New(stderr, logging.Options{Format: cfg.LogFormat, Level: cfg.LogLevel, Secrets: cfg.Secrets()})

	st, err := store.Open(ctx, cfg.DatabaseURL, &store.Options{SkipMigrations: !cfg.Migrate, Logger: log.With("component", "store")})
	if err != nil {
		log.Error("opening the database failed", "backend", string(store.BackendOf(cfg.DatabaseURL)), "err", err)
		return 1
	}
	defer st.Close()
	if err := st.CheckMigrations(ctx); err != nil {
		log.Warn("database migrations are not current; /readyz answers 503 until `migrate up` runs", "err", err)
	}

	if cfg.PprofAddr != "" {
		ps, err := startPprof(cfg.PprofAddr, log)
		if err != nil {
			log.Error("listening for pprof failed", "addr", cfg.PprofAddr, "err", err)
			return 1
		}
		defer ps.Close()
	}
	ln, err := net.Listen("tcp", cfg.Addr())
	if err != nil {
		log.Error("listening failed", "addr", cfg.Addr(), "err", err)
		return 1
	}
	if cfg.Sources["CALLGUARD_PUBLIC_URL"] == "default" {
		// PORT=0 picks a free port: the default public URL follows it.
		if _, p, err := net.SplitHostPort(ln.Addr().String()); err == nil {
			cfg.PublicURL = "http://localhost:" + p
		}
	}
	opts := app.Options{Config: cfg, Store: st, Logger: log}
	if st.Backend() == store.Postgres {
		opts.Fanout = app.PGFanout(cfg.DatabaseURL, log)
	}
	srv, err := app.New(ctx, opts)
	if err != nil {
		ln.Close()
		log.Error("starting the server failed", "err", err)
		return 1
	}
	hs := &http.Server{Handler: srv.Handler(), ReadHeaderTimeout: 10 * time.Second,
		ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn)}
	served := make(chan error, 1)
	go func() { served <- hs.Serve(ln) }()

	if cfg.Simulated() {
		log.Warn("RESEMBLE_API_KEY is not set: verdicts come from the local SIMULATED detector (detect/resembletest) and say nothing about real voices")
	}
	if dev.TwilioAuthToken {
		log.Warn("TWILIO_AUTH_TOKEN is not set: a random development token was generated; only clients told it (callsim -token) can reach the Twilio endpoints, real Twilio cannot")
	}
	printBanner(stdout, cfg, ln.Addr().String(), srv.MediaURLString(), st.Backend(), dev)
	if path, err := writeDevEnv(cfg, localURL(cfg, ln.Addr().String()), dev); err != nil {
		log.Warn("could not write the development env file for callsim", "path", cfg.DevEnvFile, "err", err)
	} else if path != "" {
		defer os.Remove(path)
		fmt.Fprintf(stdout, "  (generated tokens written to %s: `go run ./examples/callsim` from this directory needs no flags)\n\n", path)
	}
	log.Info("listening", "addr", ln.Addr().String(), "public_url", cfg.PublicURL, "backend", string(st.Backend()),
		"simulated", cfg.Simulated())

	select {
	case err := <-served:
		log.Error("http server failed", "err", err)
		_ = srv.Shutdown(context.Background())
		return 1
	case <-ctx.Done():
	}
	log.Info("shutting down", "deadline", cfg.ShutdownTimeout.String(), "active_streams", srv.ActiveStreams())
	sctx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownTimeout)
	defer cancel()
	httpDone := make(chan error, 1)
	go func() { httpDone <- hs.Shutdown(sctx) }()
	code := 0
	if err := srv.Shutdown(sctx); err != nil {
		log.Error("graceful shutdown incomplete", "err", err)
		code = 1
	}
	if err := <-httpDone; err != nil && !errors.Is(err, http.ErrServerClosed) {
		log.Warn("http shutdown", "err", err)
		_ = hs.Close()
	}
	log.Info("stopped")
	return code
}

// localURL is the URL a client on this machine reaches the server at.
func localURL(cfg *config.Config, addr string) string {
	host := addr
	if h, p, err := net.SplitHostPort(addr); err == nil && (h == "::" || h == "0.0.0.0" || h == "") {
		host = "localhost:" + p
	}
	local := cfg.PublicURL
	if strings.HasPrefix(local, "https://") || !strings.Contains(local, "localhost") {
		local = "http://" + host
	}
	return local
}

// writeDevEnv writes, in local mode, the secrets FillDevSecrets generated
// (never configured ones) to cfg.DevEnvFile with mode 0600, as KEY=value
// lines that examples/callsim reads when it is given no token. It returns
// the path written, or "" when there was nothing to write.
func writeDevEnv(cfg *config.Config, local string, dev Dev) (string, error) {
	if cfg.DevEnvFile == "" || (!dev.TwilioAuthToken && !dev.APIToken) {
		return "", nil
	}
	var b strings.Builder
	b.WriteString("# Written by `go run ./examples/server` in local mode; removed when it stops.\n")
	b.WriteString("# Read by `go run ./examples/callsim` when it is given no -token.\n")
	fmt.Fprintf(&b, "CALLSIM_SERVER=%s\n", local)
	fmt.Fprintf(&b, "CALLGUARD_PUBLIC_URL=%s\n", cfg.PublicURL)
	if dev.TwilioAuthToken {
		fmt.Fprintf(&b, "TWILIO_AUTH_TOKEN=%s\n", cfg.TwilioAuthToken)
	}
	if dev.APIToken {
		fmt.Fprintf(&b, "CALLSIM_API_TOKEN=%s\n", cfg.APITokens[0])
	}
	if err := os.WriteFile(cfg.DevEnvFile, []byte(b.String()), 0o600); err != nil {
		return "", err
	}
	// WriteFile keeps the mode of an existing file: make sure it is private.
	if err := os.Chmod(cfg.DevEnvFile, 0o600); err != nil {
		return "", err
	}
	return cfg.DevEnvFile, nil
}

func printBanner(w io.Writer, cfg *config.Config, addr, mediaURL string, backend store.Backend, dev Dev) {
	local := localURL(cfg, addr)
	fmt.Fprintf(w, "\ncallguard is listening on %s (database: %s)\n", addr, backend)
	if cfg.Simulated() {
		fmt.Fprintln(w, "  ** SIMULATED detector: no RESEMBLE_API_KEY, verdicts are not real **")
	}
	dash := local + "/"
	if dev.APIToken {
		dash += "#token=" + cfg.APITokens[0]
		fmt.Fprintf(w, "\n  API token (generated for this run): %s\n", cfg.APITokens[0])
	}
	fmt.Fprintf(w, "  Dashboard: %s\n", dash)
	fmt.Fprintf(w, "\nPoint Twilio at it (CALLGUARD_PUBLIC_URL=%s):\n", cfg.PublicURL)
	fmt.Fprintf(w, "  Voice webhook (A call comes in, HTTP POST): %s%s\n", cfg.PublicURL, app.VoicePath)
	fmt.Fprintf(w, "  Media stream URL:                           %s\n", mediaURL)
	fmt.Fprintf(w, "  Stream status callback:                     %s%s\n", cfg.PublicURL, app.StatusPath)
	fmt.Fprintf(w, "  Call status changes (HTTP POST):            %s%s\n", cfg.PublicURL, app.CallStatusPath)
	if strings.HasPrefix(cfg.PublicURL, "http://") {
		fmt.Fprintln(w, "  (Twilio needs a public https URL: run a tunnel and set CALLGUARD_PUBLIC_URL to it.)")
	}
	if !strings.HasPrefix(local, cfg.PublicURL) {
		fmt.Fprintf(w, "  (callsim must sign for the public URL: add -public-url %s)\n", cfg.PublicURL)
	}
	fmt.Fprintln(w, "\nDrive it locally, playing Twilio:")
	tok := "$TWILIO_AUTH_TOKEN"
	if dev.TwilioAuthToken {
		tok = cfg.TwilioAuthToken
		fmt.Fprintf(w, "  (TWILIO_AUTH_TOKEN unset: generated development token %s)\n", tok)
	}
	apiTok := "$CALLGUARD_API_TOKEN"
	if dev.APIToken {
		apiTok = cfg.APITokens[0]
	}
	fmt.Fprintf(w, "  go run ./examples/callsim -server %s -token %s -api-token %s\n\n", local, tok, apiTok)
}

// healthcheck asks the local server's /healthz, for container health
// checks in images without curl.
func healthcheck(ctx context.Context, cfg *config.Config, stderr io.Writer) int {
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, fmt.Sprintf("http://127.0.0.1:%d/healthz", cfg.Port), nil)
	if err != nil {
		fmt.Fprintf(stderr, "callguard: healthcheck: %v\n", err)
		return 1
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		fmt.Fprintf(stderr, "callguard: healthcheck: %v\n", err)
		return 1
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		fmt.Fprintf(stderr, "callguard: healthcheck: %s\n", resp.Status)
		return 1
	}
	return 0
}

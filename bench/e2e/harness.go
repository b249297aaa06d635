//go:build linux

package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// moduleRoot returns the directory of the main module's go.mod.
func moduleRoot(ctx context.Context) (string, error) {
	out, err := exec.CommandContext(ctx, "go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	gomod := strings.TrimSpace(string(out))
	if gomod == "" || gomod == os.DevNull {
		return "", errors.New("not inside the callguard module")
	}
	return filepath.Dir(gomod), nil
}

// BuildOptions configures BuildServer.
type BuildOptions struct {
	// Dir receives the binary.
	Dir string
	// Race builds with the race detector.
	Race bool
}

// BuildServer builds ./examples/server with go build and returns the
// binary's path.
func BuildServer(ctx context.Context, o BuildOptions) (string, error) {
	root, err := moduleRoot(ctx)
	if err != nil {
		return "", err
	}
	bin := filepath.Join(o.Dir, "callguard-server")
	args := []string{"build", "-o", bin}
	if o.Race {
		args = append(args, "-race")
	}
	args = append(args, "./examples/server")
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = root
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("go %s: %w\n%s", strings.Join(args, " "), err, out.String())
	}
	return bin, nil
}

// randomHex returns n random bytes as hex.
func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// freePort returns a loopback TCP port that was free a moment ago.
func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// ServerProc is a callguard server running as a child process on loopback.
type ServerProc struct {
	Cmd *exec.Cmd
	// URL is http://127.0.0.1:PORT; PprofURL is the base URL of the
	// server's net/http/pprof (CALLGUARD_PPROF_ADDR), or "" when profiling
	// was not asked for.
	URL, PprofURL string
	// PublicURL is the server's CALLGUARD_PUBLIC_URL: https://127.0.0.1:PORT,
	// as if a TLS-terminating proxy stood in front (Twilio only streams to
	// wss:// URLs, and the server's TwiML insists on one). Requests go to
	// URL and are signed for PublicURL.
	PublicURL string
	// AuthToken and APIToken are the Twilio auth token and the /v1 bearer
	// token the server was started with.
	AuthToken, APIToken string
	// Env is the environment it was started with (KEY=value).
	Env []string

	logMu sync.Mutex
	log   bytes.Buffer // stdout and stderr, capped
	done  chan struct{}
	err   error
}

// ServerOptions configures StartServer.
type ServerOptions struct {
	// Bin is the server binary.
	Bin string
	// DatabaseURL is a postgres:// URL or an SQLite file path.
	DatabaseURL string
	// ResembleURL is the fake vendor's base URL; empty runs the server's
	// simulated detector.
	ResembleURL string
	// Pprof has the server serve net/http/pprof on a free loopback port
	// (CALLGUARD_PPROF_ADDR).
	Pprof bool
	// Env adds or overrides settings (KEY=value), e.g. CALLGUARD_WINDOW.
	Env []string
	// Stdout, when set, receives the server's output as well.
	Stdout io.Writer
}

// maxLog bounds the server output kept in memory.
const maxLog = 4 << 20

type capWriter struct{ p *ServerProc }

func (w capWriter) Write(b []byte) (int, error) {
	w.p.logMu.Lock()
	defer w.p.logMu.Unlock()
	if w.p.log.Len() < maxLog {
		w.p.log.Write(b[:min(len(b), maxLog-w.p.log.Len())])
	}
	return len(b), nil
}

// StartServer starts the server on a free loopback port and waits until
// /readyz answers 200.
func StartServer(ctx context.Context, o ServerOptions) (*ServerProc, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	p := &ServerProc{
		URL:       "http://127.0.0.1:" + strconv.Itoa(port),
		PublicURL: "https://127.0.0.1:" + strconv.Itoa(port),
		AuthToken: randomHex(16),
		APIToken:  "cgbench_" + randomHex(16),
		done:      make(chan struct{}),
	}
	env := []string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + os.Getenv("HOME"),
		"PORT=" + strconv.Itoa(port),
		"CALLGUARD_HOST=127.0.0.1",
		"CALLGUARD_PUBLIC_URL=" + p.PublicURL,
		"TWILIO_AUTH_TOKEN=" + p.AuthToken,
		"CALLGUARD_API_TOKENS=" + p.APIToken,
		"DATABASE_URL=" + o.DatabaseURL,
		"CALLGUARD_LOG_FORMAT=json",
		"CALLGUARD_LOG_LEVEL=warn",
	}
	if o.ResembleURL != "" {
		// CALLGUARD_RESEMBLE_RATE=0: no client-side limit (a thousand
		// calls with 3 s windows need over 300 requests/s, far above
		// detect/resemble's default of 40/s).
		env = append(env, "RESEMBLE_API_KEY=resembletest-key", "CALLGUARD_RESEMBLE_URL="+o.ResembleURL,
			"CALLGUARD_RESEMBLE_RATE=0")
	}
	if o.Pprof {
		pp, err := freePort()
		if err != nil {
			return nil, err
		}
		addr := "127.0.0.1:" + strconv.Itoa(pp)
		env = append(env, "CALLGUARD_PPROF_ADDR="+addr)
		p.PprofURL = "http://" + addr
	}
	env = append(env, o.Env...)
	p.Env = env
	cmd := exec.Command(o.Bin)
	cmd.Env = env
	var w io.Writer = capWriter{p}
	if o.Stdout != nil {
		w = io.MultiWriter(w, o.Stdout)
	}
	cmd.Stdout, cmd.Stderr = w, w
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start server: %w", err)
	}
	p.Cmd = cmd
	go func() {
		p.err = cmd.Wait()
		close(p.done)
	}()
	if err := p.waitReady(ctx, 90*time.Second); err != nil {
		p.Kill()
		return nil, fmt.Errorf("%w\nserver output:\n%s", err, p.Log())
	}
	return p, nil
}

func (p *ServerProc) waitReady(ctx context.Context, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	client := &http.Client{Timeout: 2 * time.Second}
	for time.Now().Before(deadline) {
		select {
		case <-p.done:
			return fmt.Errorf("server exited before it was ready: %v", p.err)
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
		resp, err := client.Get(p.URL + "/readyz")
		if err != nil {
			continue
		}
		resp.Body.Close()
		if resp.StatusCode == http.StatusOK {
			return nil
		}
	}
	return fmt.Errorf("server not ready after %v", timeout)
}

// PID returns the server's process id.
func (p *ServerProc) PID() int { return p.Cmd.Process.Pid }

// Log returns the server's output so far.
func (p *ServerProc) Log() string {
	p.logMu.Lock()
	defer p.logMu.Unlock()
	return p.log.String()
}

// Done is closed when the process has exited.
func (p *ServerProc) Done() <-chan struct{} { return p.done }

// ExitErr is the process's exit status after Done.
func (p *ServerProc) ExitErr() error { return p.err }

// Terminate sends SIGTERM and waits up to timeout for the process to exit;
// it kills it after that and returns an error.
func (p *ServerProc) Terminate(timeout time.Duration) error {
	_ = p.Cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
		return p.err
	case <-time.After(timeout):
		p.Kill()
		return fmt.Errorf("server did not exit within %v of SIGTERM", timeout)
	}
}

// Kill ends the process at once and waits for it.
func (p *ServerProc) Kill() {
	_ = p.Cmd.Process.Kill()
	<-p.done
}

//go:build linux

package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"time"

	"github.com/callguard/callguard/detect/resembletest"
)

// vendorMain serves the fake Resemble (detect/resembletest) on a loopback
// port, prints its base URL on stdout and serves until stdin closes: the
// benchmark runs it as a child process so its CPU is accounted apart from
// callsim's and the server's.
func vendorMain(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) != 1 {
		fmt.Fprintln(stderr, "usage: e2e vendor LATENCY")
		return 2
	}
	lat, err := time.ParseDuration(args[0])
	if err != nil {
		fmt.Fprintln(stderr, "e2e vendor:", err)
		return 2
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(stderr, "e2e vendor:", err)
		return 1
	}
	h := resembletest.NewHandler(resembletest.Options{Latency: lat})
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	fmt.Fprintf(stdout, "http://%s\n", ln.Addr())
	_, _ = io.Copy(io.Discard, stdin) // until the parent goes away
	h.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = srv.Shutdown(ctx)
	return 0
}

// vendorProc is the fake vendor running as a child process.
type vendorProc struct {
	cmd   *exec.Cmd
	stdin io.WriteCloser
	URL   string
}

// startVendor re-executes this program as "e2e vendor LATENCY".
func startVendor(latency time.Duration) (*vendorProc, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(exe, "vendor", latency.String())
	cmd.Stderr = os.Stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start fake vendor: %w", err)
	}
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil || !strings.HasPrefix(line, "http://") {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		return nil, errors.Join(errors.New("fake vendor did not start"), err)
	}
	return &vendorProc{cmd: cmd, stdin: stdin, URL: strings.TrimSpace(line)}, nil
}

// PID returns the vendor's process id.
func (v *vendorProc) PID() int { return v.cmd.Process.Pid }

// Close stops the vendor.
func (v *vendorProc) Close() {
	_ = v.stdin.Close()
	done := make(chan struct{})
	go func() { _ = v.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		_ = v.cmd.Process.Kill()
		<-done
	}
}

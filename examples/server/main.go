// Command server is the complete callguard service: Twilio forks a call's
// audio to it, it detects synthetic voice window by window, stores every
// verdict and shows it live. See doc.go and the README's "Running the
// server" section.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/callguard/callguard/examples/server/internal/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Main(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

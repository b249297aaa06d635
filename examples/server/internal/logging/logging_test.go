package logging_test

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/callguard/callguard/examples/server/internal/logging"
)

type stringer string

func (s stringer) String() string { return string(s) }

func TestSecretsAreScrubbed(t *testing.T) {
	const secret = "s3cr3t-token-value"
	for _, format := range []string{"json", "text"} {
		var b bytes.Buffer
		log := logging.New(&b, logging.Options{Format: format, Secrets: []string{secret, "ab"}})
		log.Info("got "+secret, "plain", secret, "err", fmt.Errorf("dial: %w", errors.New("token="+secret)),
			"stringer", stringer("x"+secret), "bytes", []byte(secret), "n", 3)
		log.With("req", "Bearer "+secret).WithGroup("g").Warn("x", "k", secret)
		out := b.String()
		if strings.Contains(out, secret) {
			t.Fatalf("%s: secret logged:\n%s", format, out)
		}
		if strings.Count(out, "[redacted]") < 6 {
			t.Fatalf("%s: expected redactions:\n%s", format, out)
		}
		if !strings.Contains(out, "n=3") && !strings.Contains(out, `"n":3`) {
			t.Fatalf("%s: other attributes lost:\n%s", format, out)
		}
	}
}

func TestFormatAndLevel(t *testing.T) {
	var b bytes.Buffer
	log := logging.New(&b, logging.Options{Format: "auto", Level: "warn"})
	log.Info("hidden")
	log.Warn("shown")
	if out := b.String(); strings.Contains(out, "hidden") || !strings.HasPrefix(out, "{") {
		t.Fatalf("auto on a buffer must be JSON at warn: %q", out)
	}
	if got := logging.Scrub("a-b-a", []string{"a"}); got != "[redacted]-b-[redacted]" {
		t.Fatal(got)
	}
}

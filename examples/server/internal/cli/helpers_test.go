package cli_test

import (
	"testing"
	"time"

	"github.com/callguard/callguard/internal/testlog"
)

// waitOutput waits, without polling, until ok holds for what buf has
// received. It fails the test if Main returns first (done; errb is its log)
// or if nothing satisfies ok within 30 s.
func waitOutput(t *testing.T, buf *testlog.SyncBuffer, done <-chan int, errb *testlog.SyncBuffer, ok func(string) bool) {
	t.Helper()
	timeout := time.NewTimer(30 * time.Second)
	defer timeout.Stop()
	for {
		changed := buf.Changed()
		if ok(buf.String()) {
			return
		}
		select {
		case <-changed:
		case code := <-done:
			t.Fatalf("exited %d: %s", code, errb.String())
		case <-timeout.C:
			t.Fatalf("timed out waiting for output; have:\n%s", buf.String())
		}
	}
}

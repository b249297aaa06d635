package testlog

import (
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestSyncBufferConcurrentWrites(t *testing.T) {
	var buf SyncBuffer
	logger := slog.New(slog.NewTextHandler(&buf, nil))
	const writers, lines = 8, 50
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			for i := range lines {
				logger.Info("line", "writer", w, "i", i)
				_ = buf.String() // reads race with writes unless guarded
			}
		})
	}
	wg.Wait()
	out := buf.String()
	if n := strings.Count(out, "msg=line"); n != writers*lines {
		t.Fatalf("got %d log lines, want %d", n, writers*lines)
	}
	for _, l := range strings.Split(strings.TrimSuffix(out, "\n"), "\n") {
		if !strings.HasPrefix(l, "time=") || !strings.Contains(l, " writer=") {
			t.Fatalf("interleaved or torn line %q", l)
		}
	}
}

func TestSyncBufferZeroValue(t *testing.T) {
	var buf SyncBuffer
	if s := buf.String(); s != "" {
		t.Fatalf("zero value holds %q", s)
	}
	n, err := buf.Write([]byte("abc"))
	if n != 3 || err != nil {
		t.Fatalf("Write = %d, %v", n, err)
	}
	if s := buf.String(); s != "abc" {
		t.Fatalf("String = %q, want abc", s)
	}
}

// TestSyncBufferChanged: Changed's channel stays open until a Write, then is
// closed; a later call returns a fresh open channel.
func TestSyncBufferChanged(t *testing.T) {
	var buf SyncBuffer
	c1 := buf.Changed()
	if c2 := buf.Changed(); c2 != c1 {
		t.Fatal("two calls before a Write returned different channels")
	}
	select {
	case <-c1:
		t.Fatal("closed before any Write")
	default:
	}
	go buf.Write([]byte("x"))
	select {
	case <-c1:
	case <-time.After(10 * time.Second):
		t.Fatal("Write did not close the channel")
	}
	c3 := buf.Changed()
	select {
	case <-c3:
		t.Fatal("fresh channel already closed")
	default:
	}
	if buf.String() != "x" {
		t.Fatalf("String = %q", buf.String())
	}
}

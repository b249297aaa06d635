package main

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/callguard/callguard/detect/resembletest"
	"github.com/callguard/callguard/media/mediatest"
)

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func TestEmbed(t *testing.T) {
	const token, mediaURL = "embed-test-token", "wss://example.test/media"
	detector, fake := resembletest.NewDetector(resembletest.Options{})
	out := &lockedBuffer{}
	mux := http.NewServeMux()
	mux.Handle("GET /media", Handler(detector, token, mediaURL, out))
	srv := httptest.NewServer(mux)
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	wsURL := "ws" + strings.TrimPrefix(srv.URL, "http") + "/media"

	if _, err := mediatest.Dial(ctx, wsURL, mediatest.DialOptions{AuthToken: "forged", SignURL: mediaURL}); err == nil {
		t.Fatal("a forged signature was accepted")
	}

	call, err := mediatest.Dial(ctx, wsURL, mediatest.DialOptions{AuthToken: token, SignURL: mediaURL})
	if err != nil {
		t.Fatal(err)
	}
	speech := resembletest.Voice(8*8000, 8000, 1)      // 8 s of voice-like audio: real
	synthetic := resembletest.MarkerTone(8*8000, 8000) // 8 s of the marker: fake
	if err := call.SendPCM(ctx, "inbound", append(speech, synthetic...)); err != nil {
		t.Fatal(err)
	}
	if err := call.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	got := out.String()
	lines := strings.Split(strings.TrimSpace(got), "\n")
	if len(lines) != 5 { // 16 s in the default 4 s windows, then the decision
		t.Fatalf("output:\n%s", got)
	}
	for i, want := range []string{"real", "real", "fake", "fake"} {
		if !strings.Contains(lines[i], call.CallSid()) || !strings.Contains(lines[i], " "+want+" ") {
			t.Errorf("line %d = %q, want %s", i, lines[i], want)
		}
	}
	if !strings.Contains(lines[4], "decision: likely_fake") {
		t.Errorf("decision line %q", lines[4])
	}
	if n := fake.Count("POST", "/detect"); n != 4 {
		t.Errorf("the fake vendor got %d requests, want 4", n)
	}
	t.Logf("output:\n%s", got)
}

package resemble_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/callguard/callguard/detect"
	"github.com/callguard/callguard/detect/resembletest"
)

// TestSessionFaultsBecomeUnknown drives a detect.Session through the real
// client against the fake: faults are retried, and a window whose retries
// are exhausted gets an Unknown verdict carrying the error while the rest of
// the call is still judged.
func TestSessionFaultsBecomeUnknown(t *testing.T) {
	var mu sync.Mutex
	fault := map[string][]resembletest.Fault{
		"-0.wav":   {{Status: 429}, {Status: 500}},                // recovers on the 3rd try
		"-250.wav": {{Status: 500}, {Status: 502}, {Status: 503}}, // exhausted
		"-500.wav": {{Hang: true}, {Hang: true}, {Hang: true}},    // timeouts, exhausted
		"-750.wav": {{Status: 422, Message: "Unprocessable"}},     // not retried
	}
	srv := resembletest.NewServer(resembletest.Options{Fault: func(r resembletest.Request) resembletest.Fault {
		mu.Lock()
		defer mu.Unlock()
		for suffix, list := range fault {
			if strings.HasSuffix(r.FileName, suffix) && len(list) > 0 {
				f := list[0]
				fault[suffix] = list[1:]
				return f
			}
		}
		return resembletest.Fault{}
	}})
	defer srv.Close()
	c := srv.Client()
	c.MaxRetries = 2
	c.AttemptTimeout = 100 * time.Millisecond

	var got []detect.Verdict
	s := detect.NewSession(c, detect.SessionOptions{CallSid: "CA9", Window: 250 * time.Millisecond, SampleRate: 8000,
		MaxInFlight: 1, OnVerdict: func(v detect.Verdict) { got = append(got, v) }})
	if err := s.Write(resembletest.MarkerTone(5*2000, 8000)); err != nil {
		t.Fatal(err)
	}
	sum, err := s.Close(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		label detect.Label
		err   string
	}{{detect.Fake, ""}, {detect.Unknown, "503"}, {detect.Unknown, "deadline exceeded"}, {detect.Unknown, "422"}, {detect.Fake, ""}}
	if len(got) != len(want) {
		t.Fatalf("%d verdicts, want %d", len(got), len(want))
	}
	for i, w := range want {
		if got[i].Label != w.label || !strings.Contains(got[i].Err, w.err) {
			t.Errorf("window %d: %v %q, want %v containing %q", i, got[i].Label, got[i].Err, w.label, w.err)
		}
	}
	if n := srv.Count("POST", "/detect"); n != 3+3+3+1+1 {
		t.Errorf("%d posts, want 11", n)
	}
	if sum.Errors != 3 || sum.Judged != 2 {
		t.Errorf("summary %+v", sum)
	}
}

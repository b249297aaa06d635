//go:build linux

package main

import (
	"io"
	"testing"
	"time"
)

// TestPathStages runs every stage of the path benchmark with a few calls:
// each must carry the calls' messages at 50 a second and report a CPU
// cost.
func TestPathStages(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: the path benchmark takes a few seconds per stage")
	}
	const calls, dur = 4, 2 * time.Second
	for _, stage := range []string{"tcp", "media", "path"} {
		res, err := runPathStage(pathStage{name: stage, calls: calls, warm: time.Second, dur: dur, wav: "hello-16k.wav"}, io.Discard)
		if err != nil {
			t.Fatalf("%s: %v", stage, err)
		}
		want := float64(calls * 50 * int(dur/time.Second))
		if got := float64(res.messages); got < 0.7*want || got > 1.3*want {
			t.Errorf("%s: %d messages in %v, want about %.0f", stage, res.messages, dur, want)
		}
		if res.cpu <= 0 || res.perCore <= 0 || res.sendCPU <= 0 {
			t.Errorf("%s: cpu %v, calls per core %.0f, sender cpu %v", stage, res.cpu, res.perCore, res.sendCPU)
		}
	}
	if _, err := runPathStage(pathStage{name: "nope", calls: 1, dur: time.Millisecond}, io.Discard); err == nil {
		t.Error("unknown stage accepted")
	}
}

//go:build linux

package main

import (
	"io"
	"strings"
	"testing"
	"time"

	"github.com/callguard/callguard/examples/callsim/sim"
)

func TestParseFlags(t *testing.T) {
	o, err := parse([]string{"-sweep", "50, 100,200", "-duration", "30s", "-server-env", "CALLGUARD_WINDOW=2s,CALLGUARD_HOP=1s"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if len(o.sweep) != 3 || o.sweep[1] != 100 || o.duration != 30*time.Second || len(o.serverEnv) != 2 {
		t.Errorf("parsed %+v", o)
	}
	o, err = parse(nil, io.Discard)
	if err != nil || len(o.sweep) != 1 || o.sweep[0] != 50 || o.db != "sqlite" || o.vendorLatency != 300*time.Millisecond {
		t.Errorf("defaults %+v %v", o, err)
	}
	for _, bad := range [][]string{{"-sweep", "10,x"}, {"-calls", "0"}, {"-server-env", "NOEQUALS"}} {
		if _, err := parse(bad, io.Discard); err == nil {
			t.Errorf("parse(%q) accepted", bad)
		}
	}
}

func ms(v float64) *float64 { return &v }

func TestTargets(t *testing.T) {
	good := &sim.Report{
		Calls: 100, CallsStreamed: 100, CallsEnded: 100, FramesSent: 5000, FramesProcessed: 5000, Verdicts: 300,
		FrameLatencyP99Ms: ms(3), SendLag: sim.Summary{Count: 5000, P99: 5 * time.Millisecond},
		DeliveryLatency: sim.Summary{Count: 300, P99: 10 * time.Millisecond},
		ServerPeakRSS:   200 << 20, CallsPerCore: 2500,
	}
	ts := targets(good)
	if !ts[len(ts)-1].Efficiency {
		t.Error("calls per core is not marked as the efficiency target")
	}
	for _, tg := range ts {
		informational := strings.HasPrefix(tg.Name, "send lag") // the server histogram is there
		if informational != !tg.Known || (tg.Known && !tg.Pass) {
			t.Errorf("good run: target %+v", tg)
		}
	}
	if p := correctness(good); len(p) != 0 {
		t.Errorf("good run problems: %v", p)
	}

	bad := *good
	bad.DroppedFrames = 2
	bad.FrameLatencyP99Ms = nil
	bad.SendLag.P99 = 30 * time.Millisecond
	bad.DeliveryLatency.P99 = 80 * time.Millisecond
	bad.ServerPeakRSS = 2 << 30
	bad.CallsPerCore = 700
	bad.FramesProcessed = 4990
	bad.CallsEnded = 99
	failed := map[string]bool{}
	for _, tg := range targets(&bad) {
		if tg.Known && !tg.Pass {
			failed[tg.Name] = true
		}
		if strings.HasPrefix(tg.Name, "frame-processing") && tg.Known {
			t.Error("frame-processing target known without a server histogram")
		}
	}
	for _, name := range []string{"dropped frames", "send lag p99 (client view of back-pressure)",
		"verdict vendor answered → watcher p99", "server peak RSS", "real-time calls per core"} {
		if !failed[name] {
			t.Errorf("target %q should fail", name)
		}
	}
	if p := correctness(&bad); len(p) != 3 {
		t.Errorf("bad run: %d problems %v, want 3 (processed, dropped, ended)", len(p), p)
	}
}

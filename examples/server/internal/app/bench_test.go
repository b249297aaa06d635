package app_test

import (
	"context"
	"testing"
	"time"

	"github.com/callguard/callguard/examples/server/internal/store"
	"github.com/callguard/callguard/twiml/twiliotest"
)

// BenchmarkCall streams one 10 s call (speech, one track) through the whole
// server as fast as it goes: signed WebSocket, μ-law decode, resampling,
// 500 ms windows judged by the in-process simulated detector, verdict rows
// in SQLite, events. It reports how many times faster than real time one
// call is processed end to end.
func BenchmarkCall(b *testing.B) {
	e := newEnv(b, envOptions{env: map[string]string{"CALLGUARD_SIMULATED_LATENCY": "0s", "CALLGUARD_LOG_LEVEL": "warn"}})
	pcm := speech(nil, 10*time.Second)
	ctx := context.Background()
	b.ResetTimer()
	start := time.Now()
	for i := 0; i < b.N; i++ {
		call := e.tw.AddCall(twiliotest.Call{})
		c := e.dial(ctx, call.Sid)
		if err := c.SendPCM(ctx, "inbound", pcm); err != nil {
			b.Fatal(err)
		}
		if err := c.Stop(ctx); err != nil {
			b.Fatal(err)
		}
	}
	el := time.Since(start)
	b.StopTimer()
	b.ReportMetric(float64(b.N)*10/el.Seconds(), "x_realtime")
	vs, _ := e.st.ListVerdicts(ctx, store.VerdictFilter{Label: "real"}, store.PageRequest{Limit: 1})
	if len(vs.Items) == 0 {
		b.Fatal("no verdicts stored")
	}
}

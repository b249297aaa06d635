package notify

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
)

// BenchmarkNotify measures the Hub's own cost of one event: Notify plus
// every watcher taking it, without network writes (see bench/notify for
// SSE over TCP). Watchers of every call wake through one channel close;
// watchers of given calls are indexed, so an event for one call touches
// only its watchers.
func BenchmarkNotify(b *testing.B) {
	for _, tc := range []struct {
		name  string
		n     int
		calls bool
	}{
		{"all-calls/10000", 10000, false},
		{"per-call/10000", 10000, true},
	} {
		b.Run(tc.name, func(b *testing.B) {
			h := NewHub(HubOptions{HistorySize: 16})
			var ready, done sync.WaitGroup
			ctx, cancel := context.WithCancel(context.Background())
			var remaining atomic.Int64
			got := make(chan struct{}, 1)
			for i := range tc.n {
				f := Filter{}
				if tc.calls {
					f.CallSids = []string{fmt.Sprintf("CA%d", i)}
				}
				s, _, _, err := h.subscribe(f, 0, false, nil)
				if err != nil {
					b.Fatal(err)
				}
				ready.Add(1)
				done.Add(1)
				go func() {
					defer done.Done()
					defer h.unsubscribe(s)
					ready.Done()
					h.pump(ctx, s, sink{
						send: func(batch []*entry) bool {
							if remaining.Add(-int64(len(batch))) == 0 {
								got <- struct{}{}
							}
							return true
						},
						heartbeat: func() bool { return true },
						evicted:   func() { b.Error("evicted") },
						closed:    func() {},
					})
				}()
			}
			ready.Wait()
			call := "CA0"
			want := tc.n
			if tc.calls {
				want = 1
			} else {
				call = "CA-any"
			}
			b.ResetTimer()
			for b.Loop() {
				remaining.Store(int64(want))
				if err := h.Notify(ctx, Event{Type: TypeVerdict, CallSid: call, Data: []byte(`{"score":0.9}`)}); err != nil {
					b.Fatal(err)
				}
				<-got
			}
			b.StopTimer()
			cancel()
			done.Wait()
			h.Close()
		})
	}
}

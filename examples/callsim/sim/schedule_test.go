package sim

import (
	"context"
	"sync"
	"testing"
	"time"
)

func TestRampDelay(t *testing.T) {
	cases := []struct {
		i, n int
		ramp time.Duration
		want time.Duration
	}{
		{0, 10, 10 * time.Second, 0},
		{1, 10, 10 * time.Second, time.Second},
		{9, 10, 10 * time.Second, 9 * time.Second},
		{5, 10, 0, 0},
		{3, 0, time.Second, 0},
		{500, 1000, 10 * time.Second, 5 * time.Second},
	}
	for _, c := range cases {
		if got := RampDelay(c.i, c.n, c.ramp); got != c.want {
			t.Errorf("RampDelay(%d, %d, %v) = %v, want %v", c.i, c.n, c.ramp, got, c.want)
		}
	}
}

func TestRampRunsEveryCallOnce(t *testing.T) {
	var mu sync.Mutex
	seen := map[int]int{}
	n := Ramp(context.Background(), 50, 0, func(ctx context.Context, i int) {
		mu.Lock()
		seen[i]++
		mu.Unlock()
	})
	if n != 50 || len(seen) != 50 {
		t.Fatalf("started %d, saw %d distinct calls, want 50", n, len(seen))
	}
	for i, c := range seen {
		if c != 1 {
			t.Errorf("call %d ran %d times", i, c)
		}
	}
}

func TestRampStopsStartingOnCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	var mu sync.Mutex
	ran := 0
	// Ten calls over an hour: only call 0 starts at once; cancelling
	// must return without waiting for the rest.
	done := make(chan int)
	go func() {
		done <- Ramp(ctx, 10, time.Hour, func(ctx context.Context, i int) {
			mu.Lock()
			ran++
			mu.Unlock()
			cancel()
		})
	}()
	n := <-done
	if n != 1 || ran != 1 {
		t.Fatalf("started %d, ran %d, want 1", n, ran)
	}
}

package sim

import (
	"context"
	"sync"
	"time"
)

// RampDelay returns when call i of n starts, counted from the start of the
// run, so that n calls start evenly spread over ramp: call 0 at once, the
// last at ramp·(n−1)/n.
func RampDelay(i, n int, ramp time.Duration) time.Duration {
	if n <= 0 || ramp <= 0 || i <= 0 {
		return 0
	}
	return time.Duration(int64(ramp) / int64(n) * int64(i))
}

// Ramp runs fn(ctx, i) for i in [0, n), each in its own goroutine, starting
// them evenly over ramp (see RampDelay), and waits for every one to return.
// When ctx is cancelled no further call starts; those already running see
// the cancelled ctx. It returns how many were started.
func Ramp(ctx context.Context, n int, ramp time.Duration, fn func(ctx context.Context, i int)) int {
	var wg sync.WaitGroup
	start := time.Now()
	timer := time.NewTimer(0)
	defer timer.Stop()
	<-timer.C
	started := 0
	for i := range n {
		if wait := RampDelay(i, n, ramp) - time.Since(start); wait > 0 {
			timer.Reset(wait)
			select {
			case <-ctx.Done():
				wg.Wait()
				return started
			case <-timer.C:
			}
		}
		if ctx.Err() != nil {
			break
		}
		started++
		wg.Go(func() { fn(ctx, i) })
	}
	wg.Wait()
	return started
}

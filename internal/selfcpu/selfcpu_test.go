//go:build unix

package selfcpu

import (
	"testing"
	"time"
)

// TestUsedGrowsWithWork: burning CPU for a while shows up in Used.
func TestUsedGrowsWithWork(t *testing.T) {
	before := Used()
	if before <= 0 {
		t.Fatalf("Used() = %v at start, want > 0", before)
	}
	x := 0.0
	for start := time.Now(); time.Since(start) < 50*time.Millisecond; {
		for i := range 1000 {
			x += float64(i) * 1e-9
		}
	}
	if d := Used() - before; d < 20*time.Millisecond {
		t.Errorf("50 ms of busy work added %v of CPU time (x=%g)", d, x)
	}
}

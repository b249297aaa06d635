//go:build unix

package media

import (
	"syscall"
	"testing"
	"time"
)

// cpuMeter reports the process's CPU time per operation (user + system,
// garbage collection included) as cpu-ns/op, which, unlike ns/op, does not
// grow while the benchmark waits for a core on a busy machine.
type cpuMeter struct{ start time.Duration }

func startCPU() cpuMeter { return cpuMeter{cpuTime()} }

func (m cpuMeter) report(b *testing.B) {
	if b.N > 0 {
		b.ReportMetric(float64(cpuTime()-m.start)/float64(b.N), "cpu-ns/op")
	}
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

package sim

import (
	"errors"
	"os"
	"testing"
	"time"
)

func TestParseProc(t *testing.T) {
	stat := []byte("4242 (my (odd) server) S 1 4242 4242 0 -1 4194560 1000 0 0 0 250 50 0 0 20 0 12 0 100 123456789 5000 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0\n")
	status := []byte("Name:\tserver\nVmPeak:\t  900000 kB\nVmHWM:\t  204800 kB\nVmRSS:\t  102400 kB\nThreads:\t12\n")
	u, err := ParseProc(stat, status)
	if err != nil {
		t.Fatal(err)
	}
	if u.CPU != 3*time.Second {
		t.Errorf("CPU = %v, want 3s (250+50 ticks)", u.CPU)
	}
	if u.RSS != 100<<20 || u.PeakRSS != 200<<20 {
		t.Errorf("RSS = %d, peak %d", u.RSS, u.PeakRSS)
	}
	if _, err := ParseProc([]byte("1 (x S 1"), status); !errors.Is(err, ErrProcFormat) {
		t.Errorf("truncated stat: err = %v", err)
	}
	if _, err := ParseProc([]byte("1 (x) S 1 2 3"), status); !errors.Is(err, ErrProcFormat) {
		t.Errorf("short stat: err = %v", err)
	}
}

func TestReadProcSelf(t *testing.T) {
	if _, err := os.Stat("/proc/self/stat"); err != nil {
		t.Skip("no /proc on this system")
	}
	u, err := ReadProc(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	if u.RSS <= 0 || u.PeakRSS < u.RSS {
		t.Errorf("RSS %d, peak %d", u.RSS, u.PeakRSS)
	}
}

func FuzzParseProc(f *testing.F) {
	f.Add([]byte("1 (a) S 1 1 1 0 -1 0 0 0 0 0 5 5 0 0"), []byte("VmRSS:\t1 kB\n"))
	f.Add([]byte(")"), []byte("VmHWM:"))
	f.Fuzz(func(t *testing.T, stat, status []byte) {
		u, err := ParseProc(stat, status)
		if err == nil && u.CPU < 0 {
			t.Fatalf("negative CPU %v", u.CPU)
		}
	})
}

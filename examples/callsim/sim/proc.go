package sim

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"strconv"
	"time"
)

// ProcUsage is a process's CPU time and memory, read from /proc.
type ProcUsage struct {
	// CPU is user + system time consumed so far.
	CPU time.Duration
	// RSS is the resident set size now; PeakRSS is its high-water mark
	// (VmHWM).
	RSS, PeakRSS int64
}

// userHZ is the unit of /proc/<pid>/stat times (USER_HZ), 100 on every
// Linux architecture Go supports except alpha and ia64.
const userHZ = 100

// ErrProcFormat is wrapped when /proc content cannot be parsed.
var ErrProcFormat = errors.New("sim: unexpected /proc format")

// ReadProc reads the usage of process pid from /proc.
func ReadProc(pid int) (ProcUsage, error) {
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return ProcUsage{}, fmt.Errorf("sim: %w", err)
	}
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return ProcUsage{}, fmt.Errorf("sim: %w", err)
	}
	return ParseProc(stat, status)
}

// ParseProc parses the contents of /proc/<pid>/stat and /proc/<pid>/status.
func ParseProc(stat, status []byte) (ProcUsage, error) {
	var u ProcUsage
	// The command name (field 2) is in parentheses and may hold spaces or
	// parentheses itself; the fields we want follow the last ')'.
	i := bytes.LastIndexByte(stat, ')')
	if i < 0 {
		return u, fmt.Errorf("%w: stat has no command name", ErrProcFormat)
	}
	f := bytes.Fields(stat[i+1:])
	// f[0] is field 3 (state); utime is field 14, stime field 15.
	if len(f) < 13 {
		return u, fmt.Errorf("%w: stat has %d fields", ErrProcFormat, len(f)+2)
	}
	ut, err1 := strconv.ParseUint(string(f[11]), 10, 64)
	st, err2 := strconv.ParseUint(string(f[12]), 10, 64)
	if err := errors.Join(err1, err2); err != nil {
		return u, fmt.Errorf("%w: stat times: %v", ErrProcFormat, err)
	}
	if ut > 1<<40 || st > 1<<40 {
		return u, fmt.Errorf("%w: stat times out of range", ErrProcFormat)
	}
	u.CPU = time.Duration(ut+st) * time.Second / userHZ
	for line := range bytes.SplitSeq(status, []byte("\n")) {
		k, v, ok := bytes.Cut(line, []byte(":"))
		if !ok {
			continue
		}
		var dst *int64
		switch string(k) {
		case "VmRSS":
			dst = &u.RSS
		case "VmHWM":
			dst = &u.PeakRSS
		default:
			continue
		}
		fs := bytes.Fields(v)
		if len(fs) == 0 {
			continue
		}
		n, err := strconv.ParseInt(string(fs[0]), 10, 64)
		if err != nil {
			return u, fmt.Errorf("%w: status %s: %v", ErrProcFormat, k, err)
		}
		*dst = n * 1024 // kB
	}
	return u, nil
}

//go:build !unix

package media

import "testing"

// cpuMeter reports nothing where getrusage is unavailable.
type cpuMeter struct{}

func startCPU() cpuMeter { return cpuMeter{} }

func (cpuMeter) report(*testing.B) {}

//go:build !unix

package sim

import "time"

// SelfCPU returns the CPU time this process has used; it is not measured on
// this platform and returns 0.
func SelfCPU() time.Duration { return 0 }

//go:build !unix

package selfcpu

import "time"

// Used returns the CPU time this process has used; it is not measured on
// this platform and returns 0.
func Used() time.Duration { return 0 }

package sim

import (
	"time"

	"github.com/callguard/callguard/internal/selfcpu"
)

// SelfCPU returns the CPU time (user + system) this process has used (0
// where it is not measured).
func SelfCPU() time.Duration { return selfcpu.Used() }

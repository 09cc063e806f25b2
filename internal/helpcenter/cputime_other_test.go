//go:build !linux

package helpcenter

import "time"

// threadCPU is not measured outside Linux (the benchmark reports 0).
func threadCPU() time.Duration { return 0 }

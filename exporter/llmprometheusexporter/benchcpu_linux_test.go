// Copyright The otelcol-llm Authors
// SPDX-License-Identifier: Apache-2.0

package llmprometheusexporter

import (
	"syscall"
	"time"
)

// On Linux the ratio benchmark also reads the CPU time of its own thread
// (getrusage RUSAGE_THREAD, microseconds): time the thread spent waiting for
// a core held by another process does not count.
func init() {
	threadCPU = func() time.Duration {
		var ru syscall.Rusage
		if err := syscall.Getrusage(syscall.RUSAGE_THREAD, &ru); err != nil {
			return 0
		}
		return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	}
}

// Copyright The otelcol-llm Authors
// SPDX-License-Identifier: Apache-2.0

package perspan

import (
	"syscall"
	"time"
	"unsafe"
)

// clockThreadCPUTime is Linux's CLOCK_THREAD_CPUTIME_ID.
const clockThreadCPUTime = 3

// On Linux BenchmarkConnectorRatio also reads the CPU time of its own thread
// (clock_gettime CLOCK_THREAD_CPUTIME_ID, nanoseconds, up to date at the
// call), as the exporter's BenchmarkDimensionsRatio does: time the thread
// spent waiting for a core held by another process does not count.
func init() {
	threadCPU = func() time.Duration {
		var ts syscall.Timespec
		//nolint:gosec // G103: clock_gettime writes the Timespec it is given, as the C library's wrapper does.
		if _, _, errno := syscall.Syscall(syscall.SYS_CLOCK_GETTIME, clockThreadCPUTime, uintptr(unsafe.Pointer(&ts)), 0); errno != 0 {
			return 0
		}
		return time.Duration(ts.Nano())
	}
}

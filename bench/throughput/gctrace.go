// Copyright The otelcol-llm Authors
// SPDX-License-Identifier: Apache-2.0

package throughput

import (
	"bufio"
	"io"
	"regexp"
	"strconv"
)

// GCTraceEnv makes a Go process print one line per garbage collection to
// stderr (see the runtime package's GODEBUG documentation).
const GCTraceEnv = "GODEBUG=gctrace=1"

// gcCycle is one garbage collection, as GODEBUG=gctrace=1 prints it:
// "gc 12 @3.456s 4%: … ms clock, … ms cpu, 9->10->5 MB, 10 MB goal, …".
type gcCycle struct {
	AtS        float64 // seconds since the process started
	LiveMB     float64 // heap marked live by the cycle (the "->5 MB"), whole MB
	GCCPUShare float64 // the runtime's share of CPU spent in GC since the start, percent
}

var gcLine = regexp.MustCompile(`^gc \d+ @([0-9.]+)s (\d+)%: .* \d+->\d+->(\d+) MB`)

// parseGCTrace returns the collections of a log holding gctrace lines (other
// lines are skipped).
func parseGCTrace(r io.Reader) []gcCycle {
	var out []gcCycle
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		m := gcLine.FindStringSubmatch(sc.Text())
		if m == nil {
			continue
		}
		at, err1 := strconv.ParseFloat(m[1], 64)
		share, err2 := strconv.ParseFloat(m[2], 64)
		live, err3 := strconv.ParseFloat(m[3], 64)
		if err1 == nil && err2 == nil && err3 == nil {
			out = append(out, gcCycle{AtS: at, LiveMB: live, GCCPUShare: share})
		}
	}
	return out
}

// liveHeapBetween returns the mean live heap of the collections in
// (from, to] seconds since the process started, and how many there were.
func liveHeapBetween(cycles []gcCycle, from, to float64) (float64, int) {
	var sum float64
	n := 0
	for _, c := range cycles {
		if c.AtS > from && c.AtS <= to {
			sum += c.LiveMB
			n++
		}
	}
	if n == 0 {
		return 0, 0
	}
	return sum / float64(n), n
}

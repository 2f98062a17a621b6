// Copyright The otelcol-llm Authors
// SPDX-License-Identifier: Apache-2.0

package throughput

import (
	"strings"
	"testing"
)

func TestParseGCTrace(t *testing.T) {
	log := strings.Join([]string{
		"2026-11-27T15:01:43.519Z\tinfo\tservice@v0.165.0/service.go:1\tStarting otelcol-llm...",
		"gc 1 @0.015s 3%: 0.032+0.86+0.007 ms clock, 0.065+0.79/0.20/0+0.015 ms cpu, 3->4->1 MB, 4 MB goal, 0 MB stacks, 0 MB globals, 2 P",
		"gc 2 @1.250s 4%: 0.080+0.91+0.004 ms clock, 0.16+0.40/0.41/0+0.008 ms cpu, 13->14->9 MB, 18 MB goal, 0 MB stacks, 0 MB globals, 2 P",
		"gc 3 @2.500s 6%: 0.31+4.6+0.042 ms clock, 0.63+0.66/0.39/0.51+0.085 ms cpu, 16->16->11 MB, 18 MB goal, 0 MB stacks, 0 MB globals, 2 P (forced)",
		"gc 4 @bad 6%: nothing",
	}, "\n")
	cycles := parseGCTrace(strings.NewReader(log))
	want := []gcCycle{{0.015, 1, 3}, {1.25, 9, 4}, {2.5, 11, 6}}
	if len(cycles) != len(want) {
		t.Fatalf("got %d cycles %v, want %v", len(cycles), cycles, want)
	}
	for i := range want {
		if cycles[i] != want[i] {
			t.Errorf("cycle %d: got %+v, want %+v", i, cycles[i], want[i])
		}
	}
	if mean, n := liveHeapBetween(cycles, 1, 2.5); mean != 10 || n != 2 {
		t.Errorf("(1, 2.5]: mean %v of %d, want 10 of 2", mean, n)
	}
	if mean, n := liveHeapBetween(cycles, 2.5, 9); mean != 0 || n != 0 {
		t.Errorf("(2.5, 9]: mean %v of %d, want 0 of 0", mean, n)
	}
	if h := halves([]float64{1, 3, 5, 7, 9}); h != [2]float64{2, 7} {
		t.Errorf("halves: %v", h)
	}
}
